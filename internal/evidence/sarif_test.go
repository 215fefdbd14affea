package evidence

import (
	"encoding/json"
	"testing"
)

func TestSARIF(t *testing.T) {
	b, err := SARIF(sampleReport(), sampleInfo, "/repo")
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Kind      string `json:"kind"`
				Level     string `json:"level"`
				Locations []struct {
					Physical struct {
						Artifact struct{ URI string } `json:"artifactLocation"`
						Region   *struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("not a SARIF 2.1.0 log: %s", b)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != 5 || len(run.Results) != 5 {
		t.Fatalf("rules %d results %d, want 5 and 5", len(run.Tool.Driver.Rules), len(run.Results))
	}
	levels := map[string]string{}
	for _, res := range run.Results {
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s points at rule %d", res.RuleID, res.RuleIndex)
		}
		levels[res.RuleID] = res.Kind + "/" + res.Level
		if res.RuleID == "api-version" {
			loc := res.Locations[0].Physical
			if loc.Artifact.URI != "deploy/old.yaml" || loc.Region == nil || loc.Region.StartLine != 1 {
				t.Errorf("api-version location %+v, want deploy/old.yaml:1", loc)
			}
		}
	}
	want := map[string]string{"schema": "fail/error", "api-version": "fail/error", "hygiene": "fail/warning", "reference": "pass/none", "dry-run": "pass/none"}
	for id, w := range want {
		if levels[id] != w {
			t.Errorf("%s: %s, want %s", id, levels[id], w)
		}
	}
}
