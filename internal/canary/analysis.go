package canary

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/manifest"
)

// scrapeLearnTime bounds how long an analysis waits for Prometheus to
// discover the canary's pods before it gives up learning their scrape
// interval.
const scrapeLearnTime = 20 * time.Second

// analyze evaluates the step's gates on the canary's pods: it waits until
// every gate's window holds only samples scraped after the weight was
// reached (lookback + 2 scrapes), then evaluates every interval for the
// duration. A failed gate aborts at once; a gate whose latest evaluation
// did not pass aborts at the end (kship does not promote what it could
// not judge).
func (c *run) analyze(ctx context.Context, i int, a *config.CanaryAnalysis) (err error) {
	result := Analysis{Step: i + 1, Weight: c.at.Weight, CanaryHash: c.hash, Duration: a.Duration, Started: c.s.Env.Now()}
	var latest map[string]gate.Measurement
	verdict := gate.Fail
	defer func() {
		if err == nil {
			verdict = gate.Pass
		}
		c.emitAnalysis(result, latest, verdict, err)
	}()
	gates := a.GatesOf(c.r.Release.Spec.Verify.Metrics)
	scrape, err := c.scrapeInterval(ctx)
	if err != nil {
		return fmt.Errorf("analysis: %w", err)
	}
	ev := &gate.Evaluator{Q: c.q, Now: c.s.Env.Now, Stage: event.StageRollout, Vars: c.vars(),
		RolloutDone: c.at.Reached, ScrapeInterval: scrape}
	until := c.at.Reached
	for _, g := range gates {
		w := gate.WaitFor(g, c.s.Env.Now(), c.at.Reached, scrape)
		c.s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: step %d: analysis on the canary's pods (pod-template-hash %s): %s", i+1, c.hash, w.Message))
		if w.Until.After(until) {
			until = w.Until
		}
	}
	if err := sleep(ctx, until.Sub(c.s.Env.Now())); err != nil {
		return err
	}
	latest, err = c.evaluateFor(ctx, ev, gates, a)
	if err != nil {
		return err
	}
	if why := gate.NotPassed(latest); why != "" {
		verdict = gate.Inconclusive
		return fmt.Errorf("analysis inconclusive on the canary's pods: %s; a canary kship could not judge is not promoted", why)
	}
	return c.r.Waiter.Ready(ctx, []manifest.Object{*c.canary})
}

// evaluateFor evaluates gates every interval until the duration is over;
// a failing evaluation ends it with an error at once.
func (c *run) evaluateFor(ctx context.Context, ev *gate.Evaluator, gates []config.Gate, a *config.CanaryAnalysis) (map[string]gate.Measurement, error) {
	end := c.s.Env.Now().Add(a.Duration.Duration)
	latest := map[string]gate.Measurement{}
	for {
		for _, m := range ev.Evaluate(ctx, gates, nil, c.s.Env.Sink) {
			latest[m.Gate] = m
			if m.Verdict == gate.Fail {
				return latest, fmt.Errorf("analysis: gate %s failed on the canary's pods: %s", m.Gate, m.Message)
			}
			maxAbove, ok := a.MaxAboveStable[m.Gate]
			if !ok {
				continue
			}
			cmp := c.compare(ctx, gateNamed(gates, m.Gate), m, maxAbove)
			c.emitComparison(cmp)
			switch cmp.Verdict {
			case gate.Fail:
				return latest, fmt.Errorf("analysis: gate %s compared with stable failed: %s", m.Gate, cmp.Message)
			case gate.Inconclusive:
				m.Verdict, m.Message = gate.Inconclusive, "compared with stable: "+cmp.Message
				latest[m.Gate] = m
			}
		}
		left := end.Sub(c.s.Env.Now())
		if left <= 0 {
			return latest, nil
		}
		if err := sleep(ctx, min(left, a.Interval.Duration)); err != nil {
			return latest, err
		}
	}
}

// gateNamed is the gate of gates named name.
func gateNamed(gates []config.Gate, name string) config.Gate {
	for _, g := range gates {
		if g.Name == name {
			return g
		}
	}
	return config.Gate{Name: name}
}

// scrapeInterval learns how often the canary's pods are scraped, waiting
// a little for Prometheus to discover them.
func (c *run) scrapeInterval(ctx context.Context) (time.Duration, error) {
	override := c.r.Release.Spec.Verify.Metrics.Prometheus.ScrapeInterval.Duration
	lister, ok := c.q.(gate.TargetLister)
	if !ok {
		if override > 0 {
			return override, nil
		}
		return 0, fmt.Errorf("cannot learn the scrape interval of the canary's pods: set spec.verify.metrics.prometheus.scrapeInterval")
	}
	pods, err := c.canaryPods(ctx)
	if err != nil {
		return 0, err
	}
	deadline := c.s.Env.Now().Add(scrapeLearnTime)
	for {
		si, err := gate.LearnScrapeInterval(ctx, lister, pods, override)
		if err == nil && (si.Scraped > 0 || override > 0) {
			c.s.Env.Decide(event.StageRollout, "canary: "+si.Message)
			return si.Interval.Duration, nil
		}
		if !c.s.Env.Now().Before(deadline) {
			if err == nil {
				err = fmt.Errorf("no target scrapes the canary's pods after %s", scrapeLearnTime)
			}
			return 0, err
		}
		if err := sleep(ctx, time.Second); err != nil {
			return 0, err
		}
	}
}

// canaryPods names the canary's pods.
func (c *run) canaryPods(ctx context.Context) ([]gate.Pod, error) {
	if c.s.Env.Clients == nil {
		return nil, nil
	}
	ns := c.canary.Obj.GetNamespace()
	sel := labels.SelectorFromSet(stringMap(c.canary.Obj, "spec", "selector", "matchLabels")).String()
	list, err := c.s.Env.Clients.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list the canary's pods: %w", err)
	}
	var out []gate.Pod
	for _, p := range list.Items {
		out = append(out, gate.Pod{Namespace: ns, Name: p.Name})
	}
	return out, nil
}
