package evidence

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/validate"
)

func sampleReport() *validate.Report {
	web := manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}
	r := &validate.Report{}
	r.Add(
		validate.Check{ID: validate.IDSchema, Title: "Strict schema", Status: validate.Fail, Object: web,
			Source:  manifest.Location{File: "deploy/web.yaml", Line: 21},
			Message: `Deployment shop/web: unknown field "spec.template.spec.contianers"`, Evidence: "apps/v1 Deployment schema of Kubernetes 1.37"},
		validate.Check{ID: validate.IDReference, Title: "References", Status: validate.Pass, Message: "12 references resolved", Evidence: "12 references resolved"},
		validate.Check{ID: validate.IDHygiene, Title: "Workload hygiene", Status: validate.Warn, Object: web,
			Source: manifest.Location{File: "deploy/web.yaml", Line: 30}, Message: "Deployment shop/web: container web has no readiness probe"},
		validate.Check{ID: validate.IDDryRun, Title: "Server-side dry-run", Status: validate.Pass,
			Message: "4 objects dry-run in dependency order", Evidence: "3 by server-side apply, 1 in a stand-in namespace"},
		validate.Check{ID: validate.IDAPIVersion, Title: "API versions", Status: validate.Fail,
			Object:  manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "old"},
			Source:  manifest.Location{File: "/repo/deploy/old.yaml", Line: 1},
			Message: "Deployment shop/old: apps/v1beta1 was removed in Kubernetes 1.16: use apps/v1"},
	)
	return r
}

var sampleInfo = CheckInfo{Release: "web", Namespace: "shop", Cluster: "https://127.0.0.1:6443", KubeVersion: "1.37", Generated: testNow, ToolVersion: "test"}

func TestChecklistMarkdownGolden(t *testing.T) {
	golden(t, "checklist_blocked.md", ChecklistMarkdown(sampleReport(), sampleInfo))
}

func TestChecklistMarkdownReadyGolden(t *testing.T) {
	r := &validate.Report{}
	r.Add(validate.Check{ID: validate.IDSchema, Title: "Strict schema", Status: validate.Pass, Message: "5 objects valid"},
		validate.Check{ID: validate.IDGuardrail, Title: "Guardrails", Status: validate.Pass, Message: "rollback method auto; 1 smoke check"})
	info := sampleInfo
	info.Cluster = ""
	golden(t, "checklist_ready_offline.md", ChecklistMarkdown(r, info))
}

func TestFamiliesOrder(t *testing.T) {
	var ids []string
	for _, f := range Families(sampleReport()) {
		ids = append(ids, f.ID)
	}
	if got := strings.Join(ids, ","); got != "schema,api-version,dry-run,reference,hygiene" {
		t.Errorf("families %s", got)
	}
}

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

func TestJUnit(t *testing.T) {
	b, err := JUnit(sampleReport(), sampleInfo)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, b)
	}
	if doc.Tests != 5 || doc.Failures != 2 || len(doc.Suites) != 5 {
		t.Fatalf("tests %d failures %d suites %d, want 5, 2, 5", doc.Tests, doc.Failures, len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name != "schema" || s.Failures != 1 || s.Cases[0].Failure == nil || !strings.Contains(s.Cases[0].Name, "deploy/web.yaml:21") {
		t.Errorf("schema suite %+v", s)
	}
}

func TestChecklistTextGolden(t *testing.T) {
	golden(t, "checklist_blocked.txt", []byte(ChecklistText(sampleReport(), sampleInfo)))
}
