package manifest

import (
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds how many values one document may expand to through
// aliases, so a crafted file cannot make Decode allocate without limit.
const maxNodes = 1 << 22

// aliasFactor and aliasAllowance bound what aliases may add to a
// document: ten times its own values, and at least 100,000 (budgetFor).
// A real manifest reuses an anchor a few times; an alias bomb of a few
// hundred bytes expanded to maxNodes values took seconds (and more than
// the fuzzer's 10 s per input when instrumented).
const (
	aliasFactor    = 10
	aliasAllowance = 100_000
)

// budgetFor returns how many values document n may expand to: its own
// nodes (aliases not followed) and what aliases may add, at most maxNodes.
func budgetFor(n *yaml.Node) int {
	own := 0
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if own++; own > maxNodes {
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return min(maxNodes, own+max(own*aliasFactor, aliasAllowance))
}

// converter turns a YAML node tree into the JSON-compatible values of an
// unstructured object: map[string]any, []any, string, int64, float64, bool
// and nil.
type converter struct {
	file   string
	budget int
	errs   errs
	// inside holds the anchored nodes being converted: an alias to one of
	// them is a loop (`a: &a [*a]`, `a: &a {<<: *a}`), refused at once
	// instead of expanding until the budget runs out or, through merge
	// keys, which take no budget, until the stack overflows.
	inside map[*yaml.Node]bool
}

// enter marks the target of alias n as being converted; it returns false,
// recording the error, when it already is (an alias loop).
func (c *converter) enter(n *yaml.Node) bool {
	if c.inside[n.Alias] {
		c.fail(n, "alias *%s refers to a value that holds it (an alias loop); write the value out", n.Value)
		return false
	}
	if c.inside == nil {
		c.inside = map[*yaml.Node]bool{}
	}
	c.inside[n.Alias] = true
	return true
}

func (c *converter) fail(n *yaml.Node, format string, args ...any) {
	c.errs.add(Location{File: c.file, Line: n.Line}, format, args...)
}

func (c *converter) value(n *yaml.Node) any {
	if c.budget--; c.budget < 0 {
		if c.budget == -1 {
			c.fail(n, "document expands to too many values through aliases (an alias bomb); write the values out")
		}
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		c.mapping(n, m)
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, item := range n.Content {
			s[i] = c.value(item)
		}
		return s
	case yaml.AliasNode:
		if !c.enter(n) {
			return nil
		}
		defer delete(c.inside, n.Alias)
		return c.value(n.Alias)
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	c.fail(n, "unexpected YAML node")
	return nil
}

// mapping fills m from n; explicit keys win over merged ("<<") ones and a
// key written twice is an error, as it is for the API server's strict decoding.
func (c *converter) mapping(n *yaml.Node, m map[string]any) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			c.fail(k, "a mapping key must be a plain value, not %s", nodeKind(k))
			continue
		}
		if _, dup := m[k.Value]; dup {
			c.fail(k, "key %q is written twice in the same mapping; keep one", k.Value)
			continue
		}
		m[k.Value] = c.value(v)
	}
	for _, mn := range merges {
		c.merge(mn, m)
	}
}

// merge adds the keys of a merged mapping (or list of mappings) that m
// does not have yet.
func (c *converter) merge(n *yaml.Node, m map[string]any) {
	if n.Kind == yaml.AliasNode {
		if !c.enter(n) {
			return
		}
		defer delete(c.inside, n.Alias)
		c.merge(n.Alias, m)
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		tmp := map[string]any{}
		c.mapping(n, tmp)
		for k, v := range tmp {
			if _, set := m[k]; !set {
				m[k] = v
			}
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			c.merge(item, m)
		}
	default:
		c.fail(n, "a merge key (<<) must refer to a mapping")
	}
}

// yaml11Bools are the plain scalars that YAML 1.1 (and so kubectl, which
// reads manifests with a YAML 1.1 parser) takes as booleans.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"off": false, "Off": false, "OFF": false,
}

func (c *converter) scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true")
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return i
		}
		return c.slowScalar(n)
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) {
			return f
		}
		return c.slowScalar(n)
	case "!!str":
		if n.Style == 0 {
			if b, ok := yaml11Bools[n.Value]; ok {
				return b
			}
		}
	}
	return n.Value // strings, timestamps (kept as written), binary (base64)
}

// slowScalar lets the YAML library resolve forms strconv does not read
// (0o17, .inf, 1_000, very large numbers); JSON has no infinity, so those
// stay text for the API server to reject.
func (c *converter) slowScalar(n *yaml.Node) any {
	var v any
	if n.Decode(&v) != nil {
		// The error's text may hold the value, which may be a secret.
		c.fail(n, "cannot read the %s value on this line", strings.TrimPrefix(n.ShortTag(), "!!"))
		return nil
	}
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case uint64:
		return float64(x)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return n.Value
		}
		return x
	}
	return n.Value
}
