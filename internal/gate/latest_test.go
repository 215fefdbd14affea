package gate

import (
	"reflect"
	"testing"

	"github.com/kship/kship/internal/event"
)

func TestNotPassedAndStepGates(t *testing.T) {
	latest := map[string]Measurement{
		"p99":          {Gate: "p99", Verdict: Pass, Value: f(0.2)},
		"error-rate":   {Gate: "error-rate", Verdict: Fail, Value: f(0.3), Message: "0.3 > max 0.01"},
		"error-rate-b": {Gate: "error-rate-b", Verdict: Inconclusive, Message: "no data"},
	}
	if got, want := NotPassed(latest), "gate error-rate: 0.3 > max 0.01; gate error-rate-b: no data"; got != want {
		t.Errorf("NotPassed = %q, want %q", got, want)
	}
	if got := NotPassed(map[string]Measurement{"p99": latest["p99"]}); got != "" {
		t.Errorf("NotPassed of passed gates = %q, want empty", got)
	}
	want := []event.StepGate{
		{Gate: "error-rate", Value: f(0.3), Verdict: "fail"},
		{Gate: "error-rate-b", Verdict: "inconclusive"},
		{Gate: "p99", Value: f(0.2), Verdict: "pass"},
	}
	if got := StepGates(latest); !reflect.DeepEqual(got, want) {
		t.Errorf("StepGates = %+v, want %+v", got, want)
	}
}
