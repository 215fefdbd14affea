package plan

import (
	"fmt"
	"strings"

	"github.com/kship/kship/internal/config"
)

// Criteria are the success criteria, rollback trigger and rollback method
// of a release, exactly as deploy uses them.
type Criteria struct {
	Strategy string `json:"strategy"`
	// RolloutTimeout bounds the wait for every object to be Current.
	RolloutTimeout string `json:"rolloutTimeout"`
	// Objects is how many objects must become Current (kstatus).
	Objects int              `json:"objects"`
	Smoke   []SmokeCriterion `json:"smoke,omitempty"`
	Gates   []GateCriterion  `json:"gates,omitempty"`
	// Prometheus is the query API the gates are evaluated against.
	Prometheus string `json:"prometheus,omitempty"`
	// StabilizeWindow and StabilizeInterval: the gates and the failure
	// detector run every interval across the window after Verify.
	StabilizeWindow   string `json:"stabilizeWindow"`
	StabilizeInterval string `json:"stabilizeInterval"`
	// Success lists the conditions of a verified release, in order.
	Success []string `json:"success"`
	// Triggers lists what starts a rollback.
	Triggers []string `json:"triggers"`
	// RollbackMethod is auto or manual.
	RollbackMethod string `json:"rollbackMethod"`
	// RollbackRestores says what a rollback puts back.
	RollbackRestores string `json:"rollbackRestores"`
	// Unverifiable is set when the release has no smoke check and no gate:
	// deploy can then end at best with exit 5, never 0.
	Unverifiable bool `json:"unverifiable,omitempty"`
}

// SmokeCriterion is one smoke check as deploy runs it.
type SmokeCriterion struct {
	Name string `json:"name"`
	// Check describes the request or Job and what its answer must be.
	Check   string `json:"check"`
	Retries int    `json:"retries"`
}

// GateCriterion is one metric gate as deploy evaluates it.
type GateCriterion struct {
	Name       string `json:"name"`
	Query      string `json:"query"`
	Thresholds string `json:"thresholds"`
	NoData     string `json:"noData"`
	MinSamples int    `json:"minSamples,omitempty"`
}

// BuildCriteria states the criteria of rel for a release of n objects.
// previousRevision is the revision a rollback restores (0: first release,
// or unknown when hasPrevious is set); created counts the objects this
// release creates.
func BuildCriteria(rel *config.Release, n int, hasPrevious bool, previousRevision, created int) Criteria {
	s := rel.Spec
	c := Criteria{
		Strategy:          orDefault(s.Strategy.Type, config.StrategyRolling),
		RolloutTimeout:    s.Verify.RolloutTimeout.String(),
		Objects:           n,
		StabilizeWindow:   s.Stabilize.Window.String(),
		StabilizeInterval: s.Stabilize.Interval.String(),
		RollbackMethod:    s.Rollback.Method,
	}
	for _, sc := range s.Verify.Smoke {
		c.Smoke = append(c.Smoke, SmokeCriterion{Name: sc.Name, Check: describeSmoke(sc), Retries: sc.Retries})
	}
	if m := s.Verify.Metrics; m != nil {
		c.Prometheus = m.Prometheus.Address
		for _, g := range m.Gates {
			c.Gates = append(c.Gates, GateCriterion{Name: g.Name, Query: g.Query,
				Thresholds: Thresholds(g), NoData: orDefault(g.NoData, config.NoDataFail), MinSamples: g.MinSamples})
		}
	}
	c.Unverifiable = len(c.Smoke) == 0 && len(c.Gates) == 0
	c.Success = successList(c)
	c.Triggers = triggerList(rel, c)
	c.RollbackRestores = restores(hasPrevious, previousRevision, created)
	return c
}

func successList(c Criteria) []string {
	out := []string{fmt.Sprintf("each of the release's objects (%d) is Current (kstatus) within %s, with no failure detected", c.Objects, c.RolloutTimeout)}
	for _, s := range c.Smoke {
		out = append(out, fmt.Sprintf("smoke check %q passes: %s", s.Name, s.Check))
	}
	for _, g := range c.Gates {
		out = append(out, fmt.Sprintf("gate %q: %s (no data: %s)", g.Name, g.Thresholds, g.NoData))
	}
	if c.StabilizeWindow != "0s" && len(c.Gates) > 0 {
		out = append(out, fmt.Sprintf("the gates keep passing and no failure is detected for %s, checked every %s", c.StabilizeWindow, c.StabilizeInterval))
	} else if c.StabilizeWindow != "0s" {
		out = append(out, fmt.Sprintf("no failure is detected for %s, checked every %s", c.StabilizeWindow, c.StabilizeInterval))
	}
	if c.Unverifiable {
		out = append(out, "no smoke check and no metric gate: the release cannot be verified, deploy ends with exit 5 at best")
	}
	return out
}

func triggerList(rel *config.Release, c Criteria) []string {
	d := rel.Spec.Detector
	out := []string{
		fmt.Sprintf("a container crash-loops (CrashLoopBackOff, restart count ≥ %d)", d.RestartThreshold),
		"an image cannot be pulled (ErrImagePull, ImagePullBackOff)",
		"a container cannot be configured (CreateContainerConfigError)",
		fmt.Sprintf("a pod stays Unschedulable longer than %s", d.UnschedulableGrace.String()),
		"pods cannot be created (FailedCreate: quota, admission)",
		"a container is OOMKilled",
		"a Deployment reports ProgressDeadlineExceeded",
		fmt.Sprintf("the rollout is not Current within %s", c.RolloutTimeout),
	}
	if len(c.Smoke) > 0 {
		out = append(out, "a smoke check fails after its retries")
	}
	if len(c.Gates) > 0 {
		out = append(out, "a gate fails (threshold breached, or no data where its policy is fail) during Verify or Stabilize")
	}
	return out
}

func restores(hasPrevious bool, rev, created int) string {
	if hasPrevious {
		which := "the previous revision"
		if rev > 0 {
			which = fmt.Sprintf("revision %d", rev)
		}
		return which + " is re-applied exactly (ConfigMaps and Secrets included); objects this release adds are deleted and objects it prunes are recreated"
	}
	return fmt.Sprintf("first release, no previous revision: a rollback deletes the %s this release creates; objects that already existed keep what this release applied", plural(created, "object"))
}

// Thresholds renders a gate's thresholds, e.g. "value ≤ 0.01".
func Thresholds(g config.Gate) string {
	var parts []string
	if g.Min != nil {
		parts = append(parts, fmt.Sprintf("value ≥ %g", *g.Min))
	}
	if g.Max != nil {
		parts = append(parts, fmt.Sprintf("value ≤ %g", *g.Max))
	}
	if g.MaxIncrease != nil {
		parts = append(parts, fmt.Sprintf("rise over the pre-deploy baseline ≤ %g", *g.MaxIncrease))
	}
	if g.MinSamples > 0 {
		parts = append(parts, fmt.Sprintf("at least %d samples", g.MinSamples))
	}
	if len(parts) == 0 {
		return "no threshold"
	}
	return strings.Join(parts, ", ")
}

func describeSmoke(sc config.SmokeCheck) string {
	switch {
	case sc.HTTP != nil:
		h := sc.HTTP
		s := fmt.Sprintf("%s %s answers %d", orDefault(h.Method, "GET"), h.URL, orInt(h.ExpectStatus, 200))
		if h.BodyContains != "" {
			s += fmt.Sprintf(", body contains %q", h.BodyContains)
		}
		if h.BodyRegex != "" {
			s += fmt.Sprintf(", body matches /%s/", h.BodyRegex)
		}
		return s
	case sc.Job != nil:
		return fmt.Sprintf("a Job running %s completes with exit code 0", sc.Job.Image)
	}
	return "no check defined"
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func orInt(n, d int) int {
	if n == 0 {
		return d
	}
	return n
}

// plural returns "1 object" or "n objects".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
