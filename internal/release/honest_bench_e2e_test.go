package release_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
)

// BenchmarkE2EHonestyCost deploys the demo's v1 and v2 (examples/demo, its
// release file with its own namespace and no stabilize window) and prints,
// for each, what honesty costs: the time from the rollout being done (every
// new pod Ready, every old one gone) to the gate's first verdict, next to
// the theoretical minimum (lookback + 2 scrape intervals) and to what the
// old behaviour took (a verdict at readiness: 0). Run it with
//
//	go test -run '^$' -bench HonestyCost -benchtime 1x ./internal/release/
func BenchmarkE2EHonestyCost(b *testing.B) {
	env := testenv.Get(b)
	clients, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		b.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		b.Fatal(err)
	}
	tmpl, err := os.ReadFile(filepath.Join(root, "examples/demo/kship.yaml.tmpl"))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		ns := testenv.Namespace(b, env, "kship-honesty-")
		dir := b.TempDir()
		for _, v := range []string{"v1", "v2"} {
			file := filepath.Join(dir, "kship."+v+".yaml")
			spec := strings.NewReplacer("@VERSION@", v, "@DEMO@", filepath.Join(root, "examples/demo"),
				"@INGRESS@", env.Ingress, "@PROMETHEUS@", env.Prometheus,
				"namespace: demo", "namespace: "+ns, `namespace="demo"`, fmt.Sprintf("namespace=%q", ns),
				"Host: web.demo", "Host: web."+ns, "window: 30s", "window: 0s").Replace(string(tmpl))
			if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			out, err := release.Deploy(ctx, release.DeployOptions{ReleaseFile: file, RunOptions: release.RunOptions{Clients: clients,
				EvidenceDir: filepath.Join(dir, "evidence"), Catalog: cli.Catalog(), Version: "bench", Sink: event.Discard}})
			cancel()
			if err != nil || out.ExitCode != 0 {
				b.Fatalf("deploy %s: %v %+v", v, err, out)
			}
			ev := readGateEvidence(b, out)
			if len(ev.placed) == 0 || len(ev.measurements) == 0 {
				b.Fatalf("%s: no placement or no evaluation in the evidence", v)
			}
			p, m := ev.placed[0], ev.measurements[0]
			cost := m.Time.Sub(p.RolloutDone)
			minimum := m.Window.To.Sub(m.Window.From) + 2*p.Scrape.Interval.Duration
			discovery := p.ScrapedFrom.Sub(p.RolloutDone)
			b.Logf("demo %s: rollout done → first verdict %s (theoretical minimum %s = %s + 2 scrapes of %s; Prometheus found the pods after %s; overhead %s); at readiness it was 0s",
				v, cost.Round(time.Millisecond), minimum, m.Window.Lookback, p.Scrape.Interval.Duration,
				discovery.Round(time.Millisecond), (cost - minimum).Round(time.Millisecond))
			b.ReportMetric(cost.Seconds(), v+"-ready-to-verdict-s")
			b.ReportMetric(minimum.Seconds(), v+"-minimum-s")
		}
	}
}
