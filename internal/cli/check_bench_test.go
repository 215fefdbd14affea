//go:build bench

package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/exitcode"
)

// TestCheckScales runs kship check --offline on bundles of 10,000 and
// 100,000 Deployments with 3 warnings each (single replica, no readiness
// probe, :latest), in one multi-document file (the worst case for finding
// each warning's line), and prints, at each size, the CPU time, the size of
// every evidence file and of what the terminal got, and from the small size
// to the large one the ratios per object. The complete machine files
// (plan.json, checks.json, SARIF, JUnit) must grow at most linearly (per
// object within 1.1×), the CPU per object within 1.5×, and what a person
// reads (rollout-plan.md, release-checklist.md, the terminal) must not grow
// (within 1.2× in all, plus 1 KB for longer numbers). KSHIP_BENCH_SIZES
// overrides the sizes (comma-separated). Built only with -tags bench.
func TestCheckScales(t *testing.T) {
	sizes := []int{10000, 100000}
	if s := os.Getenv("KSHIP_BENCH_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("KSHIP_BENCH_SIZES: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	type result struct {
		n              int
		cpu            time.Duration
		machine, human int64
		files          map[string]int64
	}
	var results []result
	for _, n := range sizes {
		dir := t.TempDir()
		file := scaleBundle(t, dir, n)
		evidence := filepath.Join(dir, "evidence")
		runtime.GC()
		var terminal countingWriter
		cpu0 := processCPU()
		root := cli.NewCmdRoot(cli.NewFactory())
		root.SetOut(&terminal)
		root.SetErr(&terminal)
		root.SetArgs([]string{"check", "--offline", "-f", file, "--evidence-dir", evidence})
		err := root.Execute()
		cpu := processCPU() - cpu0
		// A release this large is refused (exit 2) for not fitting in its
		// revision Secret: that is a finding of the check, which ran whole.
		code := cli.ExitCode(err)
		if code != exitcode.OK && code != exitcode.Refused {
			t.Fatalf("%d objects: exit %d: %v", n, code, err)
		}
		res := result{n: n, cpu: cpu, files: map[string]int64{"terminal": terminal.n}, human: terminal.n}
		_ = filepath.Walk(evidence, func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				res.files[info.Name()] += info.Size()
				if strings.HasSuffix(info.Name(), ".md") {
					res.human += info.Size()
				} else {
					res.machine += info.Size()
				}
			}
			return nil
		})
		results = append(results, res)
		var parts []string
		for name, size := range res.files {
			parts = append(parts, fmt.Sprintf("%s %.3f MB", name, mb(size)))
		}
		sort.Strings(parts)
		fmt.Printf("check %7d objects (exit %d): %6.1f CPU-s (%.3f CPU-s per 1,000 objects); evidence %6.1f MB (%.2f MB per 1,000 objects); read by a person %.3f MB; %s\n",
			n, code, cpu.Seconds(), cpu.Seconds()*1000/float64(n), mb(res.machine+res.human-terminal.n), mb(res.machine+res.human-terminal.n)*1000/float64(n),
			mb(res.human), strings.Join(parts, ", "))
	}
	for i := 1; i < len(results); i++ {
		a, b := results[0], results[i]
		perObject := func(v int64, n int) float64 { return float64(v) / float64(n) }
		cpuRatio := (b.cpu.Seconds() / float64(b.n)) / (a.cpu.Seconds() / float64(a.n))
		sizeRatio := perObject(b.machine, b.n) / perObject(a.machine, a.n)
		humanRatio := float64(b.human) / float64(a.human)
		fmt.Printf("from %d to %d objects (×%.0f): CPU per object ×%.2f, machine evidence per object ×%.2f, what a person reads ×%.2f in all (%d → %d bytes)\n",
			a.n, b.n, float64(b.n)/float64(a.n), cpuRatio, sizeRatio, humanRatio, a.human, b.human)
		if cpuRatio > 1.5 || sizeRatio > 1.1 {
			t.Errorf("check grows faster than linearly from %d to %d objects: CPU per object ×%.2f, evidence per object ×%.2f", a.n, b.n, cpuRatio, sizeRatio)
		}
		if float64(b.human) > 1.2*float64(a.human)+1000 {
			t.Errorf("what a person reads grows with the objects: %d bytes at %d objects, %d at %d", a.human, a.n, b.human, b.n)
		}
	}
}

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func mb(b int64) float64 { return float64(b) / 1e6 }

// scaleBundle writes n Deployments, each with three hygiene warnings, into
// one file, and a release file for them.
func scaleBundle(t *testing.T, dir string, n int) string {
	t.Helper()
	deploy := filepath.Join(dir, "deploy")
	if err := os.MkdirAll(deploy, 0o755); err != nil {
		t.Fatal(err)
	}
	const files = 1
	for f := 0; f < files; f++ {
		var b strings.Builder
		for i := f * n / files; i < (f+1)*n/files; i++ {
			fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata: {name: app%[1]d}
spec:
  selector: {matchLabels: {app: app%[1]d}}
  template:
    metadata: {labels: {app: app%[1]d}}
    spec:
      containers:
      - name: web
        image: registry.example.com/app%[1]d:latest
        resources: {requests: {cpu: 10m}}
---
`, i)
		}
		if err := os.WriteFile(filepath.Join(deploy, fmt.Sprintf("apps-%02d.yaml", f)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rel := filepath.Join(dir, "kship.yaml")
	doc := "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: big}\nspec:\n  namespace: shop\n  source: {path: ./deploy, limits: {file: 1Gi, release: 1Gi}}\n" +
		"  verify:\n    smoke:\n      - name: health\n        http: {url: \"http://web.shop.example/healthz\"}\n"
	if err := os.WriteFile(rel, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return rel
}

// processCPU is the process's user plus system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
