package status

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kship/kship/internal/config"
)

func configDetector(restarts int32, grace time.Duration) config.Detector {
	return config.Detector{RestartThreshold: restarts, UnschedulableGrace: config.Duration{Duration: grace}}
}

func TestEventFailure(t *testing.T) {
	th := Thresholds{RestartThreshold: 2, Grace: 10 * time.Second}
	tests := []struct {
		name       string
		doc        string
		wantReason string
		recheck    bool
	}{
		{
			name: "failed create persisting beyond grace",
			doc: `
reason: FailedCreate
type: Warning
count: 7
firstTimestamp: '2026-01-01T00:00:30Z'
lastTimestamp: '2026-01-01T00:00:55Z'
message: 'Error creating: pods "web-1-x" is forbidden: exceeded quota: q'`,
			wantReason: "FailedCreate",
		},
		{
			name: "failed create once",
			doc: `
reason: FailedCreate
count: 1
firstTimestamp: '2026-01-01T00:00:58Z'
lastTimestamp: '2026-01-01T00:00:58Z'`,
		},
		{
			name: "failed scheduling beyond grace",
			doc: `
reason: FailedScheduling
eventTime: '2026-01-01T00:00:40.000000Z'
message: '0/3 nodes are available'`,
			wantReason: "Unschedulable",
		},
		{
			name: "failed scheduling within grace",
			doc: `
reason: FailedScheduling
eventTime: '2026-01-01T00:00:55.000000Z'`,
			recheck: true,
		},
		{
			name:       "back-off pulling image",
			doc:        "reason: BackOff\nmessage: Back-off pulling image \"web:v9\"\nfirstTimestamp: '2026-01-01T00:00:59Z'",
			wantReason: "ImagePullBackOff",
		},
		{
			name: "back-off restarting, once",
			doc:  "reason: BackOff\ncount: 1\nmessage: Back-off restarting failed container app\nfirstTimestamp: '2026-01-01T00:00:59Z'",
		},
		{
			name:       "back-off restarting, at threshold",
			doc:        "reason: BackOff\ncount: 2\nmessage: Back-off restarting failed container app\nfirstTimestamp: '2026-01-01T00:00:59Z'",
			wantReason: "CrashLoopBackOff",
		},
		{
			name:       "failed to pull",
			doc:        "reason: Failed\nmessage: 'Failed to pull image \"web:v9\": not found'\nfirstTimestamp: '2026-01-01T00:00:59Z'",
			wantReason: "ErrImagePull",
		},
		{
			name: "unrelated warning",
			doc:  "reason: Unhealthy\nmessage: Readiness probe failed\nfirstTimestamp: '2026-01-01T00:00:59Z'",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := &corev1.Event{}
			decode(t, tt.doc, ev)
			v := EventFailure(web, "web-1-x", ev, th, now)
			if got := !v.RecheckAt.IsZero(); got != tt.recheck {
				t.Errorf("recheck = %v, want %v", got, tt.recheck)
			}
			if tt.wantReason == "" {
				if v.Failure != nil {
					t.Fatalf("unexpected failure %s", v.Failure)
				}
				return
			}
			if v.Failure == nil || v.Failure.Reason != tt.wantReason {
				t.Fatalf("failure = %+v, want %s", v.Failure, tt.wantReason)
			}
			if !strings.HasSuffix(v.Failure.Message, ev.Message) || v.Failure.Pod != "web-1-x" {
				t.Errorf("failure does not carry the event text and pod: %+v", v.Failure)
			}
		})
	}
}
