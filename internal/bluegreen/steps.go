package bluegreen

import (
	"fmt"
	"strings"

	"github.com/kship/kship/internal/config"
)

// Steps says, in order, what the rollout of l will do and the objects
// each step creates, scales, switches or removes: the plan shows them.
func (l *Layout) Steps(bg *config.BlueGreen) []string {
	ns := l.Active.Namespace
	newD := fmt.Sprintf("Deployment %s/%s", ns, l.Deployment.Name)
	active := fmt.Sprintf("Service %s/%s", ns, l.Active.Name)
	preview := fmt.Sprintf("Service %s/%s", ns, l.Preview.Name)
	sel := fmt.Sprintf("%s: %s", ColorLabel, l.Color)
	var out []string
	switch l.Mode {
	case ModeFirst:
		return withLine([]string{fmt.Sprintf("first release: %s (%d replicas, %s), %s and %s (both selecting %s) are written at once, no preview (nothing runs yet to keep live); Verify and Stabilize follow",
			newD, l.Replicas, sel, active, preview, sel)}, l.autoscalingStep(0))
	case ModeSame:
		return []string{fmt.Sprintf("the pod template is unchanged: %s (the live color) and the Services are written again, no switch", newD)}
	case ModeMigrate:
		out = append(out, fmt.Sprintf("migrate from RollingUpdate: a Deployment's selector is immutable, so Deployment %s/%s cannot get a color; %s gets %s: %s in its selector (the pods it selects now, its current ReplicaSet), so the new color's pods get no live traffic",
			ns, l.Old.Name, active, HashLabel, orUnknown(l.migrationHash)))
	}
	old := fmt.Sprintf("Deployment %s/%s", ns, l.Old.Name)
	replicas := fmt.Sprintf("%d replicas", l.Replicas)
	if len(l.Autoscalers) > 0 {
		replicas = "the live color's count"
	}
	out = append(out, fmt.Sprintf("create %s (%s, %s) beside %s, and %s selecting only %s; %s keeps sending live traffic to %s; the release's other objects are written",
		newD, replicas, sel, old, preview, sel, active, old))
	out = withLine(out, l.autoscalingStep(l.liveReplicas))
	out = append(out, "preview: "+l.previewChecks(bg))
	out = append(out, fmt.Sprintf("switch: %s selector %s → %s (live traffic moves to %s)", active, l.oldSelector(), sel, newD))
	out = append(out, fmt.Sprintf("hold %s (scaled as it is) for %s while %s; a failure switches the selector back to %s at once, then the rollback removes %s",
		old, bg.ScaleDownDelay, postChecks(bg), l.oldSelector(), newD))
	out = append(out, fmt.Sprintf("remove %s; then Verify and Stabilize run on %s as for any release", old, newD))
	return out
}

func withLine(lines []string, l string) []string {
	if l == "" {
		return lines
	}
	return append(lines, l)
}

// migrationHash is filled by the strategy when it read the cluster.
func orUnknown(s string) string {
	if s == "" {
		return "<its current ReplicaSet's hash, read at the rollout>"
	}
	return s
}

func (l *Layout) oldSelector() string {
	if l.Mode == ModeMigrate {
		return fmt.Sprintf("%s: %s", HashLabel, orUnknown(l.migrationHash))
	}
	return fmt.Sprintf("%s: %s", ColorLabel, l.OldColor)
}

func (l *Layout) previewChecks(bg *config.BlueGreen) string {
	var parts []string
	var names []string
	for _, c := range l.PreviewSmoke {
		names = append(names, c.Name)
	}
	if len(names) > 0 {
		parts = append(parts, fmt.Sprintf("smoke checks %s through Host %s.%s", strings.Join(names, ", "), l.Preview.Name, l.Preview.Namespace))
	}
	if a := bg.PreSwitch; a != nil {
		how := "once each, when its window holds only their data"
		if a.Duration.Duration > 0 {
			how = fmt.Sprintf("every %s for %s", a.Interval, a.Duration)
		}
		parts = append(parts, fmt.Sprintf("gates %s on the new color's pods (%s)", gateNames(a), how))
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing to check before the switch (no smoke check reaches the active Service by name, no gates): the new color is only waited for")
	}
	s := strings.Join(parts, "; ")
	if len(l.SmokeAfterSwitch) > 0 {
		s += fmt.Sprintf("; smoke checks %s do not name the active Service and run after the switch only", strings.Join(l.SmokeAfterSwitch, ", "))
	}
	return s + "; a failure ends the release with the active Service never switched"
}

func postChecks(bg *config.BlueGreen) string {
	if bg.PostSwitch == nil {
		return "no gate runs (the release has none)"
	}
	return fmt.Sprintf("gates %s run every %s on the new color's pods", gateNames(bg.PostSwitch), bg.PostSwitch.Interval)
}

func gateNames(a *config.CanaryAnalysis) string {
	if len(a.Gates) == 0 {
		return "(all)"
	}
	return strings.Join(a.Gates, ", ")
}
