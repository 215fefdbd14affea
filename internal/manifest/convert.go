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

// converter turns a YAML node tree into the JSON-compatible values of an
// unstructured object: map[string]any, []any, string, int64, float64, bool
// and nil.
type converter struct {
	file   string
	budget int
	errs   errs
}

func (c *converter) fail(n *yaml.Node, format string, args ...any) {
	c.errs.add(Location{File: c.file, Line: n.Line}, format, args...)
}

func (c *converter) value(n *yaml.Node) any {
	if c.budget--; c.budget < 0 {
		if c.budget == -1 {
			c.fail(n, "document expands to too many values (alias loop or alias bomb)")
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
	for n.Kind == yaml.AliasNode {
		n = n.Alias
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
