package release_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kship/kship/internal/release"
)

// cuttablePrometheus is the real Prometheus behind a proxy the test can
// cut: while down, every request fails as an unreachable server would.
func cuttablePrometheus(t *testing.T, target string) (string, *atomic.Bool) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if down.Load() {
			http.Error(w, "prometheus is down", http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &down
}

// The second sequence of the trust-under-faults issue: with Prometheus
// down, `kship rollback` re-applies the earlier revision and its objects
// are ready, but its gates cannot be evaluated. That rollback is applied but
// not verified (exit 5, not 4), and the history still names a deployed
// revision — the one that runs — so the next failing deploy restores it
// instead of deleting the application.
func TestE2EUnverifiedRollbackLeavesADeployedRevision(t *testing.T) {
	r := newE2ERelease(t, "kship-rbunv-")
	prom, down := cuttablePrometheus(t, r.env.Prometheus)
	r.gates = fmt.Sprintf(`
    metrics:
      prometheus: {address: %q}
      gates:
        - {name: zero, query: "vector(0)", max: 0.5}`, prom)
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "unv-one-1f2e"})), 0)
	r.expect(r.deploy(r.write(e2eApp{version: "v2", secret: "unv-two-3d4c"})), 0)

	down.Store(true)
	out := r.rollback(release.RollbackOptions{})
	r.expect(out, 5)
	r.alive("after the unverified rollback", "app:v1")
	st := r.status()
	if st.Deployed == nil || st.Deployed.Number != out.RollbackRevision || !st.Deployed.Unverified {
		t.Fatalf("after an unverified rollback the history must name the revision that runs, marked unverified: deployed %+v (rollback revision %d)",
			st.Deployed, out.RollbackRevision)
	}

	// Prepare probes Prometheus (a down one refuses the deploy before its
	// first write): it is up for Prepare and cut once Prepare passed.
	down.Store(false)
	bad := r.deploy(r.write(e2eApp{version: "v3", secret: "unv-three-5b6a", behavior: "crashloop"}),
		func(o *release.DeployOptions) {
			o.Admit = func(*release.Prepared) error { down.Store(true); return nil }
		})
	r.expect(bad, 4) // rolled back, but with Prometheus down the rollback is not verified
	if bad.RestoredRevision != out.RollbackRevision {
		t.Errorf("the failing deploy restored revision %d, want %d (the deployed one)", bad.RestoredRevision, out.RollbackRevision)
	}
	r.alive("after the failing deploy's rollback", "app:v1")
	if st := r.status(); st.Deployed == nil {
		t.Errorf("after the failing deploy the history names no deployed revision: %s", st.Message)
	}
}

// status reads the release's status.
func (r *e2eRelease) status() *release.StatusReport {
	r.t.Helper()
	st, err := release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}
