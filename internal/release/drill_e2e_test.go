package release_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/release"
)

// A rollback drill rolls back to the previous revision, verifies, rolls
// forward again, verifies, and writes drill evidence that validate's
// destructive-migration guardrail accepts.
func TestE2ERollbackDrill(t *testing.T) {
	r := newE2ERelease(t, "kship-drill-")
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "drill-one-9a9a", extra: []string{"only-v1"}})), 0)
	r.expect(r.deploy(r.write(e2eApp{version: "v2", secret: "drill-two-8b8b"})), 0)
	out := r.rollback(release.RollbackOptions{Drill: true})
	r.expect(out, 0)
	if r.image() != "app:v2" || r.configMap("only-v1") != nil {
		t.Errorf("after the drill the release is not back at v2: image %q, only-v1 %v", r.image(), r.configMap("only-v1"))
	}
	b, err := evidence.Read(out.EvidenceDir)
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != evidence.KindDrill || b.Drill == nil || b.Drill.Verdict != evidence.DrillPassed || b.Drill.FromRevision != 2 || b.Drill.ToRevision != 1 {
		t.Fatalf("drill evidence: kind %q drill %+v", b.Kind, b.Drill)
	}
	hist, err := release.History(context.Background(), r.clients, r.ns, "app")
	if err != nil {
		t.Fatal(err)
	}
	if hist[0].Outcome != record.OutcomeDeployed || hist[0].Number != 4 {
		t.Errorf("history after the drill: %+v", hist[0])
	}
	r.noSecret("drill-one-9a9a", "drill-two-8b8b")
}

// A drill in a namespace labelled production is refused before anything
// changes.
func TestE2EDrillRefusedInProduction(t *testing.T) {
	r := newE2ERelease(t, "kship-prod-")
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "prod-one-7c7c"})), 0)
	ns, err := r.clients.Typed.CoreV1().Namespaces().Get(context.Background(), r.ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns.Labels["environment"] = "production"
	if _, err := r.clients.Typed.CoreV1().Namespaces().Update(context.Background(), ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	out := r.rollback(release.RollbackOptions{Drill: true})
	r.expect(out, 2)
	if !strings.Contains(out.Summary, "production") || r.image() != "app:v1" {
		t.Errorf("summary %q, image %q", out.Summary, r.image())
	}
}
