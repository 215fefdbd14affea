package config

import (
	"fmt"
	"slices"
)

// blueGreen checks spec.strategy.blueGreen: Service names that can be
// Services, a delay that is not negative, and analyses whose gates select
// the new color's pods.
func (v *validator) blueGreen(bg *BlueGreen, vf *Verify) {
	if bg == nil {
		return // defaults fill it; a file loaded without them has none
	}
	if bg.ActiveService != "" {
		v.dnsLabel("spec.strategy.blueGreen.activeService", bg.ActiveService)
	}
	if bg.PreviewService != "" {
		v.dnsLabel("spec.strategy.blueGreen.previewService", bg.PreviewService)
		if bg.PreviewService == bg.ActiveService {
			v.fail("spec.strategy.blueGreen.previewService", "must differ from activeService: the preview selects only the new color while live traffic stays on the old one")
		}
	}
	unscoped := map[int]bool{}
	if a := bg.PreSwitch; a != nil {
		v.colorAnalysis("spec.strategy.blueGreen.preSwitch", a, vf, unscoped)
	}
	if a := bg.PostSwitch; a != nil {
		if a.Duration.Duration != 0 {
			v.fail("spec.strategy.blueGreen.postSwitch.duration", "is not set here: the post-switch gates run while the old color is kept, for spec.strategy.blueGreen.scaleDownDelay")
		}
		v.colorAnalysis("spec.strategy.blueGreen.postSwitch", a, vf, unscoped)
	}
	for i := range vf.gates() {
		if unscoped[i] {
			v.fail(fmt.Sprintf("spec.verify.metrics.gates[%d].query", i), "is evaluated on the new color's pods before and after the switch, so it must select them: add pod_template_hash=~\"{{.PodTemplateHash}}\" to its selectors (it expands to the new color's hash), or leave the gate out of spec.strategy.blueGreen.preSwitch.gates and postSwitch.gates")
		}
	}
}

// colorAnalysis checks a blue-green analysis: its gates (a zero duration
// evaluates once, negative ones are refused where they are decoded): of spec.verify.metrics; the gates
// it uses that do not select the new color's pods by {{.PodTemplateHash}}
// (the old color's would dilute the verdict) go into unscoped.
func (v *validator) colorAnalysis(p string, a *CanaryAnalysis, vf *Verify, unscoped map[int]bool) {
	if len(a.MaxAboveStable) > 0 {
		v.fail(p+".maxAboveStable", "compares a canary with stable's pods, and a blue-green has no stable track beside the new color: remove it")
	}
	if vf.Metrics == nil || len(vf.Metrics.Gates) == 0 {
		if len(a.Gates) > 0 {
			v.fail(p+".gates", "names gates, but spec.verify.metrics.gates has none")
		}
		return
	}
	v.namedGates(p, a, vf.Metrics.Gates)
	for i, g := range vf.Metrics.Gates {
		if !a.Evaluates(g.Name) {
			continue
		}
		used, err := UsedVariables(g.Query)
		if err != nil || slices.Contains(used, VarPodTemplateHash) {
			continue // an unknown variable is reported where the query is checked
		}
		unscoped[i] = true
	}
}

// gates are the release's gates (none without spec.verify.metrics).
func (vf *Verify) gates() []Gate {
	if vf.Metrics == nil {
		return nil
	}
	return vf.Metrics.Gates
}
