package smoke

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestResultJSON(t *testing.T) {
	code := 1
	r := Result{Name: "health", Kind: KindJob, Duration: 1250 * time.Millisecond, ExitCode: &code,
		Tries: []Try{{Attempt: 1, Duration: 300 * time.Millisecond, Got: "x"}}}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"duration":"1.25s"`, `"duration":"300ms"`, `"exitCode":1`, `"name":"health"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("%s\ndoes not contain %s", data, want)
		}
	}
}
