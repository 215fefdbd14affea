package evidence

import (
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

func TestChecklistTextGolden(t *testing.T) {
	golden(t, "checklist_blocked.txt", []byte(ChecklistText(sampleReport(), sampleInfo)))
}
