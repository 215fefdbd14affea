//go:build bench

package cli_test

import (
	"fmt"
	"io"
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
)

// TestCheckScales runs kship check --offline on bundles of 10,000 and
// 100,000 Deployments with 3 warnings each (single replica, no readiness
// probe, :latest), in one multi-document file (the worst case for finding
// each warning's line), and prints the CPU time and the size of
// the evidence written, per 1,000 objects; both must grow at most linearly
// (per-object CPU at the large size within 1.5× of the small one's, the
// per-object evidence size within 1.1×). KSHIP_BENCH_SIZES overrides the
// sizes (comma-separated). Built only with -tags bench.
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
		n         int
		cpu       time.Duration
		size, all int64
		files     map[string]int64
		warnings  string
	}
	var results []result
	for _, n := range sizes {
		dir := t.TempDir()
		file := scaleBundle(t, dir, n)
		evidence := filepath.Join(dir, "evidence")
		runtime.GC()
		cpu0 := processCPU()
		root := cli.NewCmdRoot()
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		root.SetArgs([]string{"check", "--offline", "-f", file, "--evidence-dir", evidence})
		err := root.Execute()
		cpu := processCPU() - cpu0
		if code := cli.ExitCode(err); code != cli.ExitOK {
			t.Fatalf("%d objects: exit %d: %v", n, code, err)
		}
		res := result{n: n, cpu: cpu, files: map[string]int64{}}
		_ = filepath.Walk(evidence, func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				res.all += info.Size()
				if strings.HasPrefix(info.Name(), "checks.") || info.Name() == "release-checklist.md" {
					res.size += info.Size()
					res.files[info.Name()] = info.Size()
				}
			}
			return nil
		})
		results = append(results, res)
		var parts []string
		for name, size := range res.files {
			parts = append(parts, fmt.Sprintf("%s %.1f MB", name, mb(size)))
		}
		sort.Strings(parts)
		fmt.Printf("check %7d objects: %6.1f CPU-s (%.3f CPU-s per 1,000 objects); check evidence %6.1f MB (%.2f MB per 1,000 objects: %s); all evidence %.1f MB\n",
			n, cpu.Seconds(), cpu.Seconds()*1000/float64(n), mb(res.size), mb(res.size)*1000/float64(n), strings.Join(parts, ", "), mb(res.all))
	}
	for i := 1; i < len(results); i++ {
		a, b := results[0], results[i]
		cpuRatio := (b.cpu.Seconds() / float64(b.n)) / (a.cpu.Seconds() / float64(a.n))
		sizeRatio := (float64(b.size) / float64(b.n)) / (float64(a.size) / float64(a.n))
		fmt.Printf("from %d to %d objects: CPU per object ×%.2f, evidence per object ×%.2f\n", a.n, b.n, cpuRatio, sizeRatio)
		if cpuRatio > 1.5 || sizeRatio > 1.1 {
			t.Errorf("check grows faster than linearly from %d to %d objects: CPU per object ×%.2f, evidence per object ×%.2f", a.n, b.n, cpuRatio, sizeRatio)
		}
	}
}

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
	doc := "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: big}\nspec:\n  namespace: shop\n  source: {path: ./deploy}\n" +
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
