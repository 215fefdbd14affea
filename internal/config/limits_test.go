package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kship/kship/internal/input"
)

func TestSourceLimits(t *testing.T) {
	rel, err := parse(t, header+"  source:\n    path: ./deploy\n    limits: {file: 32Mi, release: 1Gi}\n")
	if err != nil {
		t.Fatal(err)
	}
	if l := rel.InputLimits(); l.File != 32<<20 || l.Release != 1<<30 || !strings.Contains(l.Raise, "spec.source.limits") {
		t.Errorf("limits %+v", l)
	}
	rel, err = parse(t, header+"  source: {path: ./deploy}\n")
	if err != nil {
		t.Fatal(err)
	}
	if l := rel.InputLimits(); l.File != input.DefaultMaxFile || l.Release != input.DefaultMaxRelease {
		t.Errorf("default limits %+v", l)
	}
	rel, err = parse(t, header+"  source:\n    path: ./deploy\n    limits: {file: 1000}\n")
	if err != nil || rel.InputLimits().File != 1000 {
		t.Errorf("a plain number of bytes: %v", err)
	}

	for src, want := range map[string]string{
		"limits: {file: big}":            `kship.yaml:9: spec.source.limits.file: "big" is not a size: write it like 16Mi, 1Gi or 500000`,
		"limits: {release: 0}":           `kship.yaml:9: spec.source.limits.release: "0" is not a size of at least one byte`,
		"limits: {file: -1Mi}":           `spec.source.limits.file: "-1Mi" is not a size of at least one byte`,
		"limits: {file: [1]}":            `spec.source.limits.file must be a size such as "16Mi", not a list`,
		"limits: {perFile: 1Mi}":         `unknown field "perFile" in spec.source.limits; known fields are file, release`,
		"limits: {file: 1Mi, file: 2Mi}": `spec.source.limits.file is set twice`,
	} {
		_, err := parse(t, header+"  source:\n    path: ./deploy\n    "+src+"\n")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", src, err, want)
		}
	}
}

// TestLoadReadsOnlyARegularReleaseFile: a release file that is a FIFO, a
// link to /dev/zero or larger than 1 MiB is refused, naming it, without
// blocking or reading it whole.
func TestLoadReadsOnlyARegularReleaseFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(header+"  source: {path: deploy}\n#"+strings.Repeat("x", 1<<20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo: fifo + ": cannot read the release file: not a regular file: it is a named pipe (FIFO)",
		zero: zero + ": cannot read the release file: not a regular file: it is a symbolic link to /dev/zero, a character device",
		big:  big + ": cannot read the release file: 1.0 MiB, more than the limit per file (1 MiB)",
	} {
		done := make(chan error, 1)
		go func() { _, err := Load(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Load(%s): %v, want %q", filepath.Base(path), err, want)
			}
		case <-time.After(10 * time.Second):
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			t.Fatalf("Load(%s) blocked", filepath.Base(path))
		}
	}
}

func TestLoadKeepsTheBytesRead(t *testing.T) {
	src := header + "  source: {path: ./deploy}\n"
	rel, err := parse(t, src)
	if err != nil || string(rel.Raw) != src {
		t.Fatalf("Raw %q, %v", rel.Raw, err)
	}
}
