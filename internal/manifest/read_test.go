package manifest

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
)

// boundedTree is a release folder under test: files written, FIFOs and
// links made on demand.
type boundedTree struct {
	t     *testing.T
	dir   string
	fifos []string
}

func newBoundedTree(t *testing.T, files map[string]string) *boundedTree {
	t.Helper()
	b := &boundedTree{t: t, dir: t.TempDir()}
	for name, data := range files {
		b.write(name, data)
	}
	return b
}

func (b *boundedTree) path(name string) string { return filepath.Join(b.dir, name) }

func (b *boundedTree) mkdir(name string) {
	if err := os.MkdirAll(b.path(name), 0o755); err != nil {
		b.t.Fatal(err)
	}
}

func (b *boundedTree) write(name, data string) {
	b.mkdir(filepath.Dir(name))
	if err := os.WriteFile(b.path(name), []byte(data), 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *boundedTree) fifo(name string) {
	b.mkdir(filepath.Dir(name))
	if err := syscall.Mkfifo(b.path(name), 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.fifos = append(b.fifos, b.path(name))
}

func (b *boundedTree) link(name, target string) {
	b.mkdir(filepath.Dir(name))
	if err := os.Symlink(target, b.path(name)); err != nil {
		b.t.Fatal(err)
	}
}

// render renders src and fails the test if that takes more than 20 s (a
// reader blocked on a FIFO); the FIFOs are then opened for writing so the
// blocked reader returns and the test binary can end.
func (b *boundedTree) render(src config.Source) (*Rendered, error) {
	b.t.Helper()
	rel := &config.Release{Dir: b.dir, Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop", Source: src}}
	type result struct {
		r   *Rendered
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := Render(context.Background(), rel, nil)
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		return res.r, res.err
	case <-time.After(20 * time.Second):
		for _, f := range b.fifos {
			if w, err := os.OpenFile(f, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
		}
		b.t.Fatal("rendering did not return within 20 s: it blocked")
		return nil, nil
	}
}

const cmYAML = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\n"

func cm(name string) string { return strings.ReplaceAll(cmYAML, "%s", name) }

// wantRefused requires an error that names each of want.
func wantRefused(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one naming %q", want)
	}
	var me *Error
	if !errors.As(err, &me) {
		t.Errorf("error %v (%T) is not a manifest *Error", err, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

// TestSourceReadsOnlyRegularFiles: in a plain folder, a single-file
// source, a kustomization, a Helm chart, its values files and the CRD
// files, a named pipe or a link to /dev/zero is refused, naming the file,
// without blocking and without reading it.
func TestSourceReadsOnlyRegularFiles(t *testing.T) {
	const chartYAML = "apiVersion: v2\nname: web\nversion: 0.1.0\n"
	tests := []struct {
		name  string
		setup func(b *boundedTree)
		src   config.Source
		crds  []string
		want  []string
	}{
		{"folder with a FIFO", func(b *boundedTree) {
			b.write("deploy/a.yaml", cm("a"))
			b.fifo("deploy/pipe.yaml")
		}, config.Source{Path: "deploy"}, nil, []string{"deploy/pipe.yaml: not a regular file: it is a named pipe (FIFO)"}},
		{"folder with a link to /dev/zero", func(b *boundedTree) {
			b.write("deploy/a.yaml", cm("a"))
			b.link("deploy/zero.yaml", "/dev/zero")
		}, config.Source{Path: "deploy"}, nil, []string{"deploy/zero.yaml: not a regular file: it is a symbolic link to /dev/zero, a character device"}},
		{"every refusal of a folder", func(b *boundedTree) {
			b.fifo("deploy/a-pipe.yaml")
			b.link("deploy/b-zero.yaml", "/dev/zero")
			b.link("deploy/c-loop.yaml", "c-loop.yaml")
			b.link("deploy/d-up.yaml", "..")
		}, config.Source{Path: "deploy"}, nil, []string{"deploy/a-pipe.yaml: not a regular file", "deploy/b-zero.yaml: not a regular file", "deploy/c-loop.yaml: a symbolic link loop", "deploy/d-up.yaml: not a regular file: it is a symbolic link to .., a directory"}},
		{"single-file source that is a FIFO", func(b *boundedTree) { b.fifo("all.yaml") },
			config.Source{Path: "all.yaml"}, nil, []string{"all.yaml: not a regular file: it is a named pipe (FIFO)"}},
		{"kustomization resource that is a FIFO", func(b *boundedTree) {
			b.write("k/kustomization.yaml", "resources: [a.yaml, pipe.yaml]\n")
			b.write("k/a.yaml", cm("a"))
			b.fifo("k/pipe.yaml")
		}, config.Source{Path: "k"}, nil, []string{"k/pipe.yaml: not a regular file: it is a named pipe (FIFO)"}},
		{"kustomization generator file that is a FIFO", func(b *boundedTree) {
			b.write("k/kustomization.yaml", "configMapGenerator:\n- name: cfg\n  files: [pipe.txt]\n")
			b.fifo("k/pipe.txt")
		}, config.Source{Path: "k"}, nil, []string{"k/pipe.txt: not a regular file: it is a named pipe (FIFO)"}},
		{"kustomization resource linked to /dev/zero", func(b *boundedTree) { // kustomize's own root restriction refuses it first
			b.write("k/kustomization.yaml", "resources: [zero.yaml]\n")
			b.link("k/zero.yaml", "/dev/zero")
		}, config.Source{Path: "k"}, nil, []string{"k/kustomization.yaml: kustomize build failed"}},
		{"kustomization file that is a FIFO", func(b *boundedTree) { b.fifo("k/kustomization.yaml") },
			config.Source{Path: "k"}, nil, []string{"k/kustomization.yaml: not a regular file: it is a named pipe (FIFO)"}},
		{"chart template that is a FIFO", func(b *boundedTree) {
			b.write("chart/Chart.yaml", chartYAML)
			b.fifo("chart/templates/pipe.yaml")
		}, config.Source{Helm: &config.Helm{Chart: "chart"}}, nil, []string{"chart/templates/pipe.yaml: not a regular file: it is a named pipe (FIFO)"}},
		{"chart with a link back into itself", func(b *boundedTree) {
			b.write("chart/Chart.yaml", chartYAML)
			b.write("chart/templates/cm.yaml", cm("a"))
			b.link("chart/templates/again", "..")
		}, config.Source{Helm: &config.Helm{Chart: "chart"}}, nil, []string{"chart/templates/again: a symbolic link back to a folder it is in (chart): a loop"}},
		{"chart archive that is a FIFO", func(b *boundedTree) { b.fifo("web-0.1.0.tgz") },
			config.Source{Helm: &config.Helm{Chart: "web-0.1.0.tgz"}}, nil, []string{"web-0.1.0.tgz: not a regular file: it is a named pipe (FIFO)"}},
		{"values file that is a FIFO", func(b *boundedTree) {
			b.write("chart/Chart.yaml", chartYAML)
			b.write("chart/templates/cm.yaml", cm("a"))
			b.fifo("prod.yaml")
		}, config.Source{Helm: &config.Helm{Chart: "chart", Values: []string{"prod.yaml"}}}, nil, []string{"prod.yaml: values: not a regular file: it is a named pipe (FIFO)"}},
		{"values file linked to /dev/zero", func(b *boundedTree) {
			b.write("chart/Chart.yaml", chartYAML)
			b.write("chart/templates/cm.yaml", cm("a"))
			b.link("zero.yaml", "/dev/zero")
		}, config.Source{Helm: &config.Helm{Chart: "chart", Values: []string{"zero.yaml"}}}, nil, []string{"zero.yaml: values: not a regular file: it is a symbolic link to /dev/zero"}},
		{"CRD file that is a FIFO", func(b *boundedTree) {
			b.write("deploy/a.yaml", cm("a"))
			b.fifo("crds/pipe.yaml")
		}, config.Source{Path: "deploy"}, []string{"crds"}, []string{"crds/pipe.yaml: spec.check.crds/--crds: not a regular file: it is a named pipe (FIFO)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBoundedTree(t, nil)
			tt.setup(b)
			src := tt.src
			var err error
			if tt.crds != nil {
				_, err = b.renderWithCRDs(src, tt.crds)
			} else {
				_, err = b.render(src)
			}
			wantRefused(t, err, tt.want...)
		})
	}
}

// renderWithCRDs is render with spec.check.crds.
func (b *boundedTree) renderWithCRDs(src config.Source, crds []string) (*Rendered, error) {
	rel := &config.Release{Dir: b.dir, Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop", Source: src, Check: config.Check{CRDs: crds}}}
	done := make(chan error, 1)
	go func() { _, err := Render(context.Background(), rel, nil); done <- err }()
	select {
	case err := <-done:
		return nil, err
	case <-time.After(20 * time.Second):
		b.t.Fatal("rendering blocked")
		return nil, nil
	}
}

// TestSourceFollowsLinksToRegularFiles: a link to a regular file is read,
// and Helm's .helmignore still keeps a FIFO out of a chart (as helm does).
func TestSourceFollowsLinksToRegularFiles(t *testing.T) {
	b := newBoundedTree(t, map[string]string{"elsewhere/b.yaml": cm("b"), "deploy/a.yaml": cm("a")})
	b.link("deploy/b.yaml", b.path("elsewhere/b.yaml"))
	r, err := b.render(config.Source{Path: "deploy"})
	if err != nil || len(r.Objects) != 2 {
		t.Fatalf("folder with a link: %v, %v", r, err)
	}

	b = newBoundedTree(t, map[string]string{
		"chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n", "chart/.helmignore": "*.sock\nscratch/\n",
		"chart/templates/cm.yaml": cm("a"), "shared/cm.yaml": cm("b"), "prod.yaml": "x: 1\n",
	})
	b.fifo("chart/templates/ignored.sock")
	b.fifo("chart/scratch/pipe")
	b.link("chart/templates/shared", b.path("shared")) // a linked folder, followed as Helm does
	r, err = b.render(config.Source{Helm: &config.Helm{Chart: "chart", ReleaseName: "web", Values: []string{"prod.yaml"}}})
	if err != nil || len(r.Objects) != 2 {
		t.Fatalf("chart with ignored FIFOs and a linked folder: %v, %v", r, err)
	}
}

// TestSourceLimits: a file over the limit per file, and files over the
// limit of the release together, are refused with the file, its size and
// the limit, and how to raise it; spec.source.limits raises them.
func TestSourceLimits(t *testing.T) {
	pad := func(name string, n int) string { return cm(name) + "# " + strings.Repeat("x", n) + "\n" }
	limits := func(file, release int64) *config.Limits {
		return &config.Limits{File: config.ByteSize{Bytes: file}, Release: config.ByteSize{Bytes: release}}
	}
	b := newBoundedTree(t, map[string]string{"deploy/a.yaml": pad("a", 3000), "deploy/b.yaml": pad("b", 3000), "deploy/c.yaml": pad("c", 100)})

	_, err := b.render(config.Source{Path: "deploy", Limits: limits(2048, 1<<20)})
	wantRefused(t, err, "deploy/a.yaml: 3.0 KiB, more than the limit per file (2 KiB); raise it with spec.source.limits in the release file",
		"deploy/b.yaml: 3.0 KiB, more than the limit per file")

	_, err = b.render(config.Source{Path: "deploy", Limits: limits(4096, 5000)})
	wantRefused(t, err, "deploy/b.yaml: 3.0 KiB, which would take the files of the release past their limit together (4.9 KiB; 3.0 KiB read before it); raise it with spec.source.limits")

	if r, err := b.render(config.Source{Path: "deploy", Limits: limits(4096, 7000)}); err != nil || len(r.Objects) != 3 {
		t.Errorf("within raised limits: %v", err)
	}

	// The same limits bound a kustomization and a chart.
	b = newBoundedTree(t, map[string]string{"k/kustomization.yaml": "resources: [a.yaml]\n", "k/a.yaml": pad("a", 3000),
		"chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n", "chart/templates/a.yaml": pad("a", 3000), "big-values.yaml": "x: " + strings.Repeat("y", 3000) + "\n"})
	_, err = b.render(config.Source{Path: "k", Limits: limits(2048, 1<<20)})
	wantRefused(t, err, "k/a.yaml: 3.0 KiB, more than the limit per file (2 KiB)")
	_, err = b.render(config.Source{Helm: &config.Helm{Chart: "chart"}, Limits: limits(2048, 1<<20)})
	wantRefused(t, err, "chart/templates/a.yaml: 3.0 KiB, more than the limit per file (2 KiB)")
	b.write("chart/templates/a.yaml", cm("a"))
	_, err = b.render(config.Source{Helm: &config.Helm{Chart: "chart", Values: []string{"big-values.yaml"}}, Limits: limits(2048, 1<<20)})
	wantRefused(t, err, "big-values.yaml: values: 2.9 KiB, more than the limit per file (2 KiB)")
}

// TestChartArchiveIsBounded: a packaged chart is read within the limit
// per file and loads as the folder does.
func TestChartArchiveIsBounded(t *testing.T) {
	b := newBoundedTree(t, nil)
	f, err := os.Create(b.path("web-0.1.0.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for name, data := range map[string]string{"web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n", "web/templates/cm.yaml": cm("a")} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(tw.Close(), zw.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	if r, err := b.render(config.Source{Helm: &config.Helm{Chart: "web-0.1.0.tgz", ReleaseName: "web"}}); err != nil || len(r.Objects) != 1 {
		t.Fatalf("archive: %v", err)
	}
	_, err = b.render(config.Source{Helm: &config.Helm{Chart: "web-0.1.0.tgz"}, Limits: &config.Limits{File: config.ByteSize{Bytes: 64}}})
	wantRefused(t, err, "web-0.1.0.tgz: ", "more than the limit per file (64 bytes)")
}
