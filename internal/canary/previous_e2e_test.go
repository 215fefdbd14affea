package canary_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/canary"
)

// promoteStraight has no analysis: the canary is promoted, and Verify is
// what judges the new version.
const promoteStraight = `[{setWeight: 50}]`

// TestE2ECanaryFailureAfterPromotionGoesBackToThePreviousPods: v2 answers
// 30% errors and has no analysis step, so it is promoted; its Verify gate
// fails and the Services switch to the previous Deployment, whose pods
// were Available since the promotion: every v1 answer between the switch
// and the restore comes from those pods (none had to start), no v2 answer
// comes later, and the rollback is verified (exit 3). Then v3 is good:
// once Stabilize passed, the previous Deployment and its pods are gone and
// the Service selects as the release has it.
func TestE2ECanaryFailureAfterPromotionGoesBackToThePreviousPods(t *testing.T) {
	c := newE2ECanary(t, "canary-prev-")
	c.stabilize = "4s"
	out, ev := c.deploy(c.write("v1", "0", promoteStraight))
	c.expect(out, ev, 0)
	stop := c.client.start(t)
	out, ev = c.deploy(c.write("v2", "0.3", promoteStraight))
	stop()
	c.expect(out, ev, 3)
	rv, ok := ev.revert()
	if !ok {
		t.Fatalf("no switch back to the previous pods in the events:\n%s", ev.text())
	}
	widened, ok := ev.decisionTime("runs the previous template again")
	if !ok {
		t.Fatalf("stable never got the previous template back:\n%s", ev.text())
	}
	if len(rv.Pods) != 3 || !rv.PodsReady.Before(rv.Failed) {
		t.Errorf("switched back to %d pods Available at %s, failure handed over at %s; want 3 pods Available before the failure", len(rv.Pods), rv.PodsReady, rv.Failed)
	}
	t.Logf("figure: failure handed over → Services switched to the previous pods: %s (pods Available %s before the failure)",
		rv.Switched.Sub(rv.Failed).Round(time.Millisecond), rv.Failed.Sub(rv.PodsReady).Round(100*time.Millisecond))
	fromPrevious, late := 0, 0
	for _, a := range c.client.answers() {
		if a.at.After(rv.Switched) && a.at.Before(widened) && a.version == "v1" {
			if !slices.Contains(rv.Pods, a.pod) {
				t.Errorf("v1 answered by pod %s at %s, not one of the previous pods %v", a.pod, a.at.Format("15:04:05.000"), rv.Pods)
			}
			fromPrevious++
		}
		if a.at.After(rv.Switched.Add(5*time.Second)) && a.version == "v2" {
			late++
		}
	}
	t.Logf("figure: %d answers from the previous pods between the switch and stable restored; %d v2 answers later than 5 s after the switch", fromPrevious, late)
	if late > 0 {
		t.Errorf("%d v2 answers later than 5 s after the switch back", late)
	}
	if s := c.stable(); !strings.Contains(s, "image app:v1") {
		t.Errorf("stable after the rollback: %s", s)
	}
	c.previousGone()

	out, ev = c.deploy(c.write("v3", "0", promoteStraight))
	c.expect(out, ev, 0)
	if _, ok := ev.decisionTime("until Stabilize is over"); !ok {
		t.Errorf("v3 kept no previous pods during Stabilize:\n%s", ev.text())
	}
	if _, ok := ev.decisionTime("app-previous removed, Service"); !ok {
		t.Errorf("no removal of the previous Deployment after Stabilize:\n%s", ev.text())
	}
	c.previousGone()
	c.canaryGone()
}

// previousGone fails when the previous Deployment or its pods are left,
// or the Service does not select as the release has it.
func (c *e2eCanary) previousGone() {
	c.t.Helper()
	ctx := c.t.Context()
	if _, err := c.clients.Typed.AppsV1().Deployments(c.ns).Get(ctx, canary.PreviousName("app"), metav1.GetOptions{}); err == nil {
		c.t.Error("the previous Deployment is still there")
	}
	pods, err := c.clients.Typed.CoreV1().Pods(c.ns).List(ctx, metav1.ListOptions{LabelSelector: canary.TrackLabel + "=" + canary.TrackPrevious})
	if err != nil || len(pods.Items) > 0 {
		c.t.Errorf("previous pods left: %v %d", err, len(pods.Items))
	}
	svc, err := c.clients.Typed.CoreV1().Services(c.ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	if len(svc.Spec.Selector) != 1 || svc.Spec.Selector["app"] != "app" {
		c.t.Errorf("Service selector = %v, want {app: app} as the release has it", svc.Spec.Selector)
	}
}

// revert is the switch back to the previous pods, if any.
func (e *events) revert() (canary.Revert, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.all {
		if rv, ok := ev.Data.(canary.Revert); ok {
			return rv, true
		}
	}
	return canary.Revert{}, false
}

// decisionTime is when the first event whose message has s was emitted.
func (e *events) decisionTime(s string) (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.all {
		if strings.Contains(ev.Message, s) {
			return ev.Time, true
		}
	}
	return time.Time{}, false
}

// answers are the client's answers so far.
func (c *client) answers() []answer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]answer(nil), c.seen...)
}
