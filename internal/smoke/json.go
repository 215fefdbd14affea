package smoke

import (
	"encoding/json"
	"time"
)

// MarshalJSON writes the duration as text ("1.25s") rather than nanoseconds.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		Duration string `json:"duration"`
	}{plain(r), r.Duration.Round(time.Millisecond).String()})
}

// MarshalJSON writes the duration as text ("1.25s") rather than nanoseconds.
func (t Try) MarshalJSON() ([]byte, error) {
	type plain Try
	return json.Marshal(struct {
		plain
		Duration string `json:"duration"`
	}{plain(t), t.Duration.Round(time.Millisecond).String()})
}
