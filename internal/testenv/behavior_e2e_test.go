package testenv_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/testenv"
)

// behaviorLabel selects a simulated failure in the KWOK stages.
const behaviorLabel = "sim.kship.dev/behavior"

// observation accumulates what a test saw of one pod over time.
type observation struct {
	reasons    map[string]bool // container waiting reasons seen
	lastStates map[string]bool // lastState.terminated reasons seen
	restarts   []int32         // distinct restart counts, in order seen
	everReady  bool
	phase      corev1.PodPhase
	runningFor time.Duration // how long the pod has been seen Running
	firstRunAt time.Time
}

func (o *observation) add(p *corev1.Pod) {
	o.phase = p.Status.Phase
	if podReady(p) {
		o.everReady = true
	}
	if p.Status.Phase == corev1.PodRunning {
		if o.firstRunAt.IsZero() {
			o.firstRunAt = time.Now()
		}
		o.runningFor = time.Since(o.firstRunAt)
	}
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil {
			o.reasons[w.Reason] = true
		}
		if term := cs.LastTerminationState.Terminated; term != nil {
			o.lastStates[term.Reason] = true
		}
		if n := len(o.restarts); n == 0 || o.restarts[n-1] != cs.RestartCount {
			o.restarts = append(o.restarts, cs.RestartCount)
		}
	}
}

func (o *observation) String() string {
	return fmt.Sprintf("phase %s, waiting reasons %v, lastState reasons %v, restart counts %v, ever Ready %v",
		o.phase, keys(o.reasons), keys(o.lastStates), o.restarts, o.everReady)
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// climbing reports whether the restart count rose at least twice.
func (o *observation) climbing() bool {
	return len(o.restarts) >= 3 && o.restarts[len(o.restarts)-1] > o.restarts[0]
}

func TestBehaviorLabels(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "e2e-behavior-")
	cases := []struct {
		behavior string
		done     func(o *observation) bool
		// never is checked on every observation: what must not happen.
		never func(o *observation) string
	}{
		{"crashloop",
			func(o *observation) bool {
				return o.reasons["CrashLoopBackOff"] && o.climbing() && o.phase == corev1.PodRunning
			},
			func(o *observation) string { return when(o.everReady, "pod became Ready") }},
		{"imagepullbackoff",
			func(o *observation) bool { return o.reasons["ErrImagePull"] && o.reasons["ImagePullBackOff"] },
			func(o *observation) string {
				return when(o.phase != corev1.PodPending && o.phase != "", "phase "+string(o.phase)+", want Pending")
			}},
		{"unready",
			func(o *observation) bool { return o.phase == corev1.PodRunning && o.runningFor > 4*time.Second },
			func(o *observation) string { return when(o.everReady, "pod became Ready") }},
		{"oomkilled",
			func(o *observation) bool { return o.lastStates["OOMKilled"] && o.climbing() },
			func(o *observation) string { return when(o.lastStates["Error"], "lastState Error, want OOMKilled") }},
	}
	for _, tc := range cases {
		t.Run(tc.behavior, func(t *testing.T) {
			t.Parallel()
			name := "b-" + tc.behavior
			d := deployment(name, 1, map[string]string{behaviorLabel: tc.behavior})
			if _, err := cs.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
				t.Fatalf("create Deployment %s/%s: %v", ns, name, err)
			}
			obs := &observation{reasons: map[string]bool{}, lastStates: map[string]bool{}}
			eventually(t, 2*time.Minute, "behavior "+tc.behavior, func(ctx context.Context) (bool, string) {
				pods, err := podsOf(ctx, cs, ns, name)
				if err != nil || len(pods) == 0 {
					return false, fmt.Sprintf("no pod yet (%v)", err)
				}
				obs.add(&pods[0])
				if bad := tc.never(obs); bad != "" {
					t.Fatalf("pod %s: %s (%s)", pods[0].Name, bad, obs)
				}
				return tc.done(obs), obs.String()
			})
			t.Logf("%s: %s", tc.behavior, obs)
		})
	}
}

// when returns msg if cond holds, else "".
func when(cond bool, msg string) string {
	if cond {
		return msg
	}
	return ""
}
