package release_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kship/kship/internal/release"
)

// alive fails the test unless every object of the test application is in
// the cluster, with the image want.
func (r *e2eRelease) alive(when, want string) {
	r.t.Helper()
	if img := r.image(); img != want {
		r.t.Errorf("%s: Deployment app image = %q, want %q (the application must still run)", when, img, want)
	}
	if r.configMap("app-config") == nil || r.secretValue() == "" {
		r.t.Errorf("%s: the application's ConfigMap or Secret is gone", when)
	}
}

// revisions returns the release's revision numbers, newest first.
func (r *e2eRelease) revisions() []int {
	r.t.Helper()
	hist, err := release.History(context.Background(), r.clients, r.ns, "app")
	if err != nil {
		r.t.Fatal(err)
	}
	var out []int
	for _, h := range hist {
		out = append(out, h.Number)
	}
	return out
}

// The sequence of the trust-under-faults issue: v1 deployed, a crash-looping
// v2 rolled back automatically (revision 3 restores revision 1), then
// `kship rollback`. Every earlier revision is either the one the rollback
// undid or holds revision 3's very objects: there is nothing different to go
// back to. kship says so and changes nothing; it never deletes the
// application.
func TestE2ERollbackAfterAutomaticRollbackKeepsTheApplication(t *testing.T) {
	r := newE2ERelease(t, "kship-rbkeep-")
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "keep-one-5a1b"})), 0)
	r.expect(r.deploy(r.write(e2eApp{version: "v2", secret: "keep-two-6c2d", behavior: "crashloop"})), 3)
	before := r.revisions()
	out := r.rollback(release.RollbackOptions{})
	r.expect(out, 2)
	if !strings.Contains(out.Summary, "nothing to roll back to") || !strings.Contains(out.Summary, "nothing was changed") {
		t.Errorf("summary does not say there is nothing to roll back to: %q", out.Summary)
	}
	r.alive("after kship rollback", "app:v1")
	if after := r.revisions(); len(after) != len(before) {
		t.Errorf("a refused rollback recorded a revision: before %v, after %v", before, after)
	}
}

// One release file deployed twice: revisions 1 and 2 hold the same objects.
// `kship rollback` has nothing different to go back to and changes nothing.
func TestE2ERollbackOfARepeatedDeployKeepsTheApplication(t *testing.T) {
	r := newE2ERelease(t, "kship-rbtwice-")
	file := r.write(e2eApp{version: "v1", secret: "twice-3e4f"})
	r.expect(r.deploy(file), 0)
	r.expect(r.deploy(file), 0)
	out := r.rollback(release.RollbackOptions{})
	r.expect(out, 2)
	r.alive("after kship rollback", "app:v1")
}

// The only deployed revision of a release has no earlier revision: `kship
// rollback` refuses rather than removing a running, deployed application.
func TestE2ERollbackOfTheFirstDeployedRevisionKeepsIt(t *testing.T) {
	r := newE2ERelease(t, "kship-rbfirst-")
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "first-dep-7a8b"})), 0)
	out := r.rollback(release.RollbackOptions{})
	r.expect(out, 2)
	if !strings.Contains(out.Summary, "no earlier revision") {
		t.Errorf("summary %q", out.Summary)
	}
	r.alive("after kship rollback", "app:v1")
}
