package bluegreen

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
	"github.com/kship/kship/internal/smoke"
)

// scrapeLearnTime bounds how long kship waits for Prometheus to discover
// the new color's pods before it gives up learning their scrape interval.
const scrapeLearnTime = 20 * time.Second

// checkPreview writes the new color and the preview Service beside the live
// color (the active Service keeps its selector), waits until the new
// color is Available with the detector watching its pods from the first,
// then runs the smoke checks aimed at the preview and the preSwitch gates
// on the new color's pods.
func (b *run) checkPreview(ctx context.Context) error {
	started := b.s.Env.Now()
	t := b.target(b.oldSelector, b.r.Objects)
	if _, err := b.r.Writer.Write(ctx, t); err != nil {
		return err
	}
	if err := b.r.Waiter.Ready(ctx, []manifest.Object{b.newD, b.preview}); err != nil {
		b.emitPhase(Phase{Phase: PhasePreview, Pods: replicasOf(b.newD), Started: started, Verdict: gate.Fail, Message: err.Error()},
			fmt.Sprintf("blue-green: %s did not become Available behind %s", b.newD.Ref(), b.preview.Ref()))
		return err
	}
	b.ready = b.s.Env.Now()
	if err := b.learn(ctx); err != nil {
		return err
	}
	b.emitPhase(Phase{Phase: PhasePreview, Pods: replicasOf(b.newD), Started: started},
		fmt.Sprintf("blue-green: %s (pod-template-hash %s) is Available behind %s; %s still selects %s",
			b.newD.Ref(), b.hash, b.preview.Ref(), b.active.Ref(), describe(b.oldSelector)))
	aimed, after := Aim(b.r.Release.Spec.Verify.Smoke, b.active.Obj.GetName(), b.preview.Obj.GetName())
	if len(after) > 0 {
		b.s.Env.Decide(event.StageRollout, fmt.Sprintf("blue-green: smoke checks %s do not name %s: they run after the switch only", strings.Join(after, ", "), b.active.Ref()))
	}
	if len(aimed) > 0 {
		runner := &smoke.Runner{Now: b.s.Env.Now, Stage: event.StageRollout}
		if b.s.Env.Clients != nil {
			runner.Typed = b.s.Env.Clients.Typed
		}
		for _, res := range runner.Run(ctx, b.r.Namespace, aimed, b.s.Env.Sink) {
			if !res.Passed {
				return fmt.Errorf("smoke check %s through the preview failed after %d tries: %s", res.Name, res.Attempts, res.Message)
			}
		}
		b.s.Env.Decide(event.StageRollout, fmt.Sprintf("blue-green: %d smoke checks passed through %s", len(aimed), b.preview.Ref()))
	}
	if b.bg.PreSwitch == nil {
		return nil
	}
	if _, err := b.analyze(ctx, "preview", b.bg.PreSwitch, b.ready, 0); err != nil {
		return err
	}
	return b.r.Waiter.Ready(ctx, []manifest.Object{b.newD})
}

// learn finds the new color's pod-template-hash and, for the gates, how
// often its pods are scraped.
func (b *run) learn(ctx context.Context) error {
	if b.s.Env.Clients == nil {
		return nil
	}
	pods, err := rollout.RevisionPods(ctx, b.s.Env.Clients.Typed, b.newD.Obj.GetNamespace(), []manifest.Object{b.newD})
	if err != nil {
		return err
	}
	if len(pods.Hashes) == 1 {
		b.hash = pods.Hashes[0]
	}
	if b.q == nil {
		return nil
	}
	override := b.r.Release.Spec.Verify.Metrics.Prometheus.ScrapeInterval.Duration
	lister, ok := b.q.(gate.TargetLister)
	if !ok {
		if override <= 0 {
			return fmt.Errorf("cannot learn the scrape interval of the new color's pods: set spec.verify.metrics.prometheus.scrapeInterval")
		}
		b.scrape = override
		return nil
	}
	var gp []gate.Pod
	for _, n := range pods.Names {
		gp = append(gp, gate.Pod{Namespace: pods.Namespace, Name: n})
	}
	deadline := b.s.Env.Now().Add(scrapeLearnTime)
	for {
		si, err := gate.LearnScrapeInterval(ctx, lister, gp, override)
		if err == nil && (si.Scraped > 0 || override > 0) {
			b.s.Env.Decide(event.StageRollout, "blue-green: "+si.Message)
			b.scrape = si.Interval.Duration
			return nil
		}
		if !b.s.Env.Now().Before(deadline) {
			if err == nil {
				err = fmt.Errorf("no target scrapes the new color's pods after %s", scrapeLearnTime)
			}
			return err
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
	}
}

// analyze evaluates a's gates on the new color's pods: it waits until
// every gate's window holds only samples scraped after since, then
// evaluates every interval until a's duration has passed after that and
// at least hold after since. A failing evaluation ends it at once with
// the time it was measured; a gate whose latest evaluation did not pass
// at the end fails it too (kship does not switch to, or keep, what it
// could not judge).
func (b *run) analyze(ctx context.Context, what string, a *config.CanaryAnalysis, since time.Time, hold time.Duration) (failed time.Time, err error) {
	gates := a.GatesOf(b.r.Release.Spec.Verify.Metrics)
	if len(gates) == 0 || b.q == nil {
		return time.Time{}, sleep(ctx, since.Add(hold).Sub(b.s.Env.Now()))
	}
	phase := Phase{Phase: analysisPhase(what), Pods: replicasOf(b.newD), Started: b.s.Env.Now(), Verdict: gate.Fail}
	latest := map[string]gate.Measurement{}
	defer func() {
		phase.Gates = gate.StepGates(latest)
		msg := fmt.Sprintf("blue-green: %s: %d gates passed on the new color's pods", what, len(gates))
		if err != nil {
			phase.Message = err.Error()
			msg = fmt.Sprintf("blue-green: %s: gates %s on the new color's pods", what, phase.Verdict)
		} else {
			phase.Verdict = gate.Pass
		}
		b.emitPhase(phase, msg)
	}()
	vars := config.QueryVars{Namespace: b.r.Namespace, Release: b.r.Release.Metadata.Name, Revision: b.r.Revision}
	if b.hash != "" {
		vars.PodTemplateHashes = []string{b.hash}
	}
	ev := &gate.Evaluator{Q: b.q, Now: b.s.Env.Now, Stage: event.StageRollout, Vars: vars, RolloutDone: since, ScrapeInterval: b.scrape}
	from := since
	for _, g := range gates {
		w := gate.WaitFor(g, b.s.Env.Now(), since, b.scrape)
		b.s.Env.Decide(event.StageRollout, fmt.Sprintf("blue-green: %s: gates on the new color's pods (pod-template-hash %s): %s", what, b.hash, w.Message))
		if w.Until.After(from) {
			from = w.Until
		}
	}
	if err := sleep(ctx, from.Sub(b.s.Env.Now())); err != nil {
		return time.Time{}, err
	}
	end := from.Add(a.Duration.Duration)
	if e := since.Add(hold); e.After(end) {
		end = e
	}
	for {
		for _, m := range ev.Evaluate(ctx, gates, nil, b.s.Env.Sink) {
			latest[m.Gate] = m
			if m.Verdict == gate.Fail {
				return m.Time, fmt.Errorf("%s: gate %s failed on the new color's pods: %s", what, m.Gate, m.Message)
			}
		}
		left := end.Sub(b.s.Env.Now())
		if left <= 0 {
			break
		}
		if err := sleep(ctx, min(left, a.Interval.Duration)); err != nil {
			return time.Time{}, err
		}
	}
	if why := gate.NotPassed(latest); why != "" {
		phase.Verdict = gate.Inconclusive
		return b.s.Env.Now(), fmt.Errorf("%s: gates inconclusive on the new color's pods: %s; kship does not switch to or keep what it could not judge", what, why)
	}
	return time.Time{}, nil
}

// describe writes a selector as k: v, sorted.
func describe(sel map[string]string) string {
	var parts []string
	for k, v := range sel {
		parts = append(parts, k+": "+v)
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ", ") + "}"
}
