// Package status turns observed Kubernetes objects into kship's verdicts:
// the readiness of an object by kstatus rules (Compute) and the failure
// detector's classification of pods, ReplicaSets, workloads and Events
// into a Failure when the release cannot succeed. Everything here is a pure
// function over data; the wait package feeds it from watches.
package status

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// Status is the readiness of one object, following kstatus.
type Status string

// The statuses an object can have.
const (
	// Current: the object is fully reconciled (a Deployment is Available
	// with every replica updated and Ready, a Job is Complete, ...).
	Current Status = "Current"
	// InProgress: the object is still being reconciled.
	InProgress Status = "InProgress"
	// Failed: the object's controller reports it cannot reconcile (a
	// Deployment past its progress deadline, a failed Job).
	Failed Status = "Failed"
	// Terminating: the object is being deleted.
	Terminating Status = "Terminating"
	// NotFound: the object does not exist.
	NotFound Status = "NotFound"
	// Unknown: the status could not be computed.
	Unknown Status = "Unknown"
)

// Result is the readiness of one object with the reason in words.
type Result struct {
	Status  Status `json:"status"`
	Message string `json:"message,omitempty"`
	// Reason is the machine-readable reason of a Failed or InProgress
	// status (for example ProgressDeadlineExceeded), when kstatus gives one.
	Reason string `json:"reason,omitempty"`
}

// String renders the result as "InProgress: Ready: 1/2".
func (r Result) String() string {
	if r.Message == "" {
		return string(r.Status)
	}
	return fmt.Sprintf("%s: %s", r.Status, r.Message)
}

// Compute returns the readiness of u by kstatus rules. A nil object is
// NotFound; an object kstatus cannot read is Unknown with the error.
func Compute(u *unstructured.Unstructured) Result {
	if u == nil {
		return Result{Status: NotFound, Message: "object not found"}
	}
	res, err := kstatus.Compute(u)
	if err != nil {
		return Result{Status: Unknown, Message: fmt.Sprintf("cannot compute status: %v", err)}
	}
	out := Result{Status: Status(res.Status), Message: res.Message}
	for _, c := range res.Conditions {
		if c.Status != "True" {
			continue
		}
		out.Reason = c.Reason
		if c.Message != "" && c.Message != res.Message {
			out.Message = res.Message + ": " + c.Message
		}
		break
	}
	return out
}
