package mcp

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/input"
	"github.com/kship/kship/internal/manifest"
)

// PolicyKind is the kind of a policy file.
const PolicyKind = "MCPPolicy"

// Approval levels of a policy rule.
const (
	ApprovalNone     = "none"
	ApprovalRequired = "required"
)

// DefaultPlanTTL is how long a plan id stays valid when the policy does
// not say; MaxPlanTTL the longest a policy may set.
const (
	DefaultPlanTTL = 15 * time.Minute
	MaxPlanTTL     = 24 * time.Hour
)

// Policy bounds what the MCP server may change: only the targets a rule
// allows, with a human's approval where a rule requires one. A server
// without a policy changes nothing.
type Policy struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Spec       PolicySpec `json:"spec"`
	// File is the path the policy was read from.
	File string `json:"-"`
}

// PolicySpec is the policy's content.
type PolicySpec struct {
	// Allow lists the targets the server may change; nothing else is.
	Allow []Rule `json:"allow"`
	// PlanTTL is how long a plan id stays valid (default 15m, at most 24h).
	PlanTTL config.Duration `json:"planTTL,omitempty"`
}

// Rule allows changing the releases of some namespaces of one kubeconfig
// context.
type Rule struct {
	// Context is the kubeconfig context's name, exactly.
	Context string `json:"context"`
	// Namespaces are names, or prefixes ending in "*" ("team-*"); "*" is
	// every namespace.
	Namespaces []string `json:"namespaces"`
	// Releases are release names or prefixes ending in "*"; "*" is every
	// release.
	Releases []string `json:"releases"`
	// Approval is "none" or "required": a required approval is a one-time
	// code a human makes with `kship approve PLAN-ID`.
	Approval string `json:"approval"`
	// ClusterKinds are the kinds of cluster-scoped objects (ClusterRole,
	// CustomResourceDefinition, …; "*" every kind) the rule's releases may
	// hold; none by default. A Namespace is allowed when its name is.
	ClusterKinds []string `json:"clusterKinds,omitempty"`
}

// LoadPolicy reads a policy file strictly, like a release file: every
// unknown field, wrong type or invalid value is reported with its line.
func LoadPolicy(path string) (*Policy, error) {
	data, err := input.ReadFile(path, input.MaxReleaseFile)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the policy file: %w", path, err)
	}
	p := &Policy{File: path}
	lines, err := config.DecodeStrict(path, data, p)
	if err != nil {
		return nil, err
	}
	var errs config.ErrorList
	bad := func(at, format string, args ...any) {
		errs = append(errs, config.ErrorAt(path, lines[at], fmt.Sprintf(format, args...)))
	}
	if p.APIVersion != config.APIVersion {
		bad("apiVersion", "apiVersion must be %s", config.APIVersion)
	}
	if p.Kind != PolicyKind {
		bad("kind", "kind must be %s", PolicyKind)
	}
	if len(p.Spec.Allow) == 0 {
		bad("spec", "spec.allow must list at least one rule (context, namespaces, releases, approval); without a policy the server is read-only")
	}
	for i, r := range p.Spec.Allow {
		at := fmt.Sprintf("spec.allow[%d]", i)
		if r.Context == "" || strings.Contains(r.Context, "*") {
			bad(at+".context", "%s.context must name one kubeconfig context exactly", at)
		}
		checkPatterns(bad, at+".namespaces", r.Namespaces)
		checkPatterns(bad, at+".releases", r.Releases)
		for _, k := range r.ClusterKinds {
			if k == "" || (k != "*" && strings.Contains(k, "*")) {
				bad(at+".clusterKinds", "%s.clusterKinds: %q is not a kind (ClusterRole) or \"*\"", at, k)
			}
		}
		if r.Approval != ApprovalNone && r.Approval != ApprovalRequired {
			bad(at+".approval", "%s.approval must be %q or %q", at, ApprovalNone, ApprovalRequired)
		}
	}
	if ttl := p.Spec.PlanTTL.Duration; ttl < 0 || ttl > MaxPlanTTL {
		bad("spec.planTTL", "spec.planTTL must be between 1s and %s", MaxPlanTTL)
	}
	for _, e := range errs {
		if e.Line == 0 {
			e.Line = lines["spec"]
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

func checkPatterns(bad func(at, format string, args ...any), at string, pats []string) {
	if len(pats) == 0 {
		bad(at, "%s must list at least one name (or \"*\")", at)
	}
	for _, p := range pats {
		if p == "" || strings.Contains(strings.TrimSuffix(p, "*"), "*") {
			bad(at, "%s: %q is not a name or a prefix ending in \"*\"", at, p)
		}
	}
}

// PlanTTL is how long a plan id stays valid.
func (p *Policy) PlanTTL() time.Duration {
	if p == nil || p.Spec.PlanTTL.Duration == 0 {
		return DefaultPlanTTL
	}
	return p.Spec.PlanTTL.Duration
}

// Decision is what the policy says about changing one release.
type Decision struct {
	// Allowed is true when a rule matches.
	Allowed bool `json:"allowed"`
	// ApprovalRequired is true when a matching rule requires approval (the
	// strictest matching rule wins).
	ApprovalRequired bool `json:"approvalRequired"`
	// Reason says why, in words.
	Reason string `json:"reason"`
}

// Decide says whether the server may change release name in namespace ns
// through kubeconfig context kctx.
func (p *Policy) Decide(kctx, ns, name string) Decision {
	if p == nil {
		return Decision{Reason: "this server has no policy (kship mcp --policy FILE): it is read-only and changes nothing"}
	}
	d := Decision{}
	for _, r := range p.Spec.Allow {
		if r.Context != kctx || !matchAny(r.Namespaces, ns) || !matchAny(r.Releases, name) {
			continue
		}
		d.Allowed = true
		if r.Approval == ApprovalRequired {
			d.ApprovalRequired = true
		}
	}
	switch {
	case !d.Allowed:
		d.Reason = fmt.Sprintf("the policy %s allows no change to release %s in namespace %s of context %s", p.File, name, ns, kctx)
	case d.ApprovalRequired:
		d.Reason = fmt.Sprintf("the policy %s allows release %s in namespace %s of context %s with a human's approval (kship approve PLAN-ID)", p.File, name, ns, kctx)
	default:
		d.Reason = fmt.Sprintf("the policy %s allows release %s in namespace %s of context %s", p.File, name, ns, kctx)
	}
	return d
}

// DecideObjects is Decide for release name of namespace ns and for every
// object it would create, change or prune: each namespaced object's
// namespace must be allowed for the release, a Namespace's name too, and
// any other cluster-scoped object's kind must be in the clusterKinds of a
// rule that allows the release; approval is required when any of them
// needs it. A release file cannot reach past the policy by naming another
// namespace in its manifests.
func (p *Policy) DecideObjects(kctx, ns, name string, refs []manifest.Ref) Decision {
	d := p.Decide(kctx, ns, name)
	if !d.Allowed {
		return d
	}
	var outside []string
	for _, r := range refs {
		var od Decision
		switch {
		case r.Namespace != "":
			od = p.Decide(kctx, r.Namespace, name)
		case r.Group == "" && r.Kind == "Namespace":
			od = p.Decide(kctx, r.Name, name)
		default:
			od = p.decideCluster(kctx, ns, name, r.Kind)
		}
		if !od.Allowed {
			outside = append(outside, r.String())
		}
		d.ApprovalRequired = d.ApprovalRequired || od.ApprovalRequired
	}
	if len(outside) > 0 {
		sort.Strings(outside)
		more := ""
		if len(outside) > 5 {
			outside, more = outside[:5], fmt.Sprintf(" and %d more", len(outside)-5)
		}
		return Decision{Reason: fmt.Sprintf("the policy %s allows release %s in namespace %s of context %s, but not the objects it holds outside it: %s%s (a rule's namespaces bound every object; cluster-scoped kinds need the rule's clusterKinds)",
			p.File, name, ns, kctx, strings.Join(outside, ", "), more)}
	}
	if d.ApprovalRequired && !strings.Contains(d.Reason, "approval") {
		d.Reason = fmt.Sprintf("the policy %s allows release %s in namespace %s of context %s, and some of its objects only with a human's approval (kship approve PLAN-ID)", p.File, name, ns, kctx)
	}
	return d
}

// decideCluster decides a cluster-scoped object of kind in release name.
func (p *Policy) decideCluster(kctx, ns, name, kind string) Decision {
	d := Decision{}
	for _, r := range p.Spec.Allow {
		if r.Context != kctx || !matchAny(r.Namespaces, ns) || !matchAny(r.Releases, name) {
			continue
		}
		for _, k := range r.ClusterKinds {
			if k == "*" || k == kind {
				d.Allowed = true
				d.ApprovalRequired = d.ApprovalRequired || r.Approval == ApprovalRequired
			}
		}
	}
	return d
}

func matchAny(pats []string, s string) bool {
	for _, p := range pats {
		if p == s || (strings.HasSuffix(p, "*") && strings.HasPrefix(s, strings.TrimSuffix(p, "*"))) {
			return true
		}
	}
	return false
}
