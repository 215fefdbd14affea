package input

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readWithin calls read in a goroutine and fails the test if it does not
// return within a few seconds: a FIFO must never block the reader. A
// reader that does block is released by opening the FIFO for writing.
func readWithin(t *testing.T, read func() ([]byte, error), fifo string) ([]byte, error) {
	t.Helper()
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		d, err := read()
		done <- result{d, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-time.After(10 * time.Second):
		if fifo != "" {
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
		}
		t.Fatal("reading did not return within 10 s: it blocked")
		return nil, nil
	}
}

func TestReadFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock.yaml")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	good := write("good.yaml", "kind: ConfigMap\n")
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, path string
		want       []string // in the message; nil means it reads
	}{
		{"regular file", good, nil},
		{"link to a regular file", link("good-link.yaml", good), nil},
		{"named pipe", fifo, []string{"pipe.yaml", "not a regular file", "a named pipe (FIFO)"}},
		{"link to a named pipe", link("pipe-link.yaml", fifo), []string{"pipe-link.yaml", "a symbolic link to " + fifo + ", a named pipe (FIFO)"}},
		{"link to /dev/zero", link("zero.yaml", "/dev/zero"), []string{"zero.yaml", "a symbolic link to /dev/zero, a character device", "reads only regular files"}},
		{"socket", sock, []string{"sock.yaml", "a socket"}},
		{"directory", filepath.Join(dir, "sub"), []string{"sub", "a directory"}},
		{"link to its own folder", link("loop.yaml", dir), []string{"loop.yaml", "a symbolic link to " + dir + ", a directory"}},
		{"link loop", func() string {
			link("b.yaml", filepath.Join(dir, "a.yaml"))
			return link("a.yaml", filepath.Join(dir, "b.yaml"))
		}(),
			[]string{"a.yaml", "symbolic link loop"}},
		{"dangling link", link("gone.yaml", filepath.Join(dir, "nothing.yaml")), []string{"gone.yaml", "a symbolic link to " + filepath.Join(dir, "nothing.yaml") + ", which does not exist"}},
		{"missing", filepath.Join(dir, "missing.yaml"), []string{"missing.yaml", "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(Limits{})
			data, err := readWithin(t, func() ([]byte, error) { return r.ReadFile(tt.path) }, fifo)
			if tt.want == nil {
				if err != nil || string(data) != "kind: ConfigMap\n" {
					t.Fatalf("got %q, %v", data, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if r.Total() != 0 {
				t.Errorf("total %d after a refusal", r.Total())
			}
		})
	}
}

func TestReadFileLimits(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, size int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("a", size)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b, c, big := file("a.yaml", 400), file("b.yaml", 400), file("c.yaml", 400), file("big.yaml", 1500)
	r := NewReader(Limits{File: 1000, Release: 1000, Raise: "raise it with spec.source.limits"})

	if _, err := r.ReadFile(big); err == nil || err.Error() != big+": 1.5 KiB, more than the limit per file (1000 bytes); raise it with spec.source.limits" {
		t.Errorf("big file: %v", err)
	}
	for _, p := range []string{a, b, a, b} { // a file read twice counts once
		if _, err := r.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	if r.Total() != 800 {
		t.Errorf("total %d, want 800", r.Total())
	}
	_, err := r.ReadFile(c)
	var e *Error
	if !errors.As(err, &e) || e.Limit != 1000 || e.Size != 400 ||
		err.Error() != c+": 400 bytes, which would take the files of the release past their limit together (1000 bytes; 800 bytes read before it); raise it with spec.source.limits" {
		t.Errorf("over the release limit: %v", err)
	}

	if _, err := ReadFile(big, 1<<10); err == nil || !strings.Contains(err.Error(), "more than the limit per file (1 KiB)") {
		t.Errorf("ReadFile over max: %v", err)
	}
	if d, err := ReadFile(a, 400); err != nil || len(d) != 400 {
		t.Errorf("ReadFile at max: %d bytes, %v", len(d), err)
	}
}

// TestReadFileDevZeroIsNotRead: a link to /dev/zero is refused from its
// mode, before a byte is read (reading it would never end).
func TestReadFileDevZeroIsNotRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "zero.yaml")
	if err := os.Symlink("/dev/zero", p); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p, 1<<40); err == nil || !strings.Contains(err.Error(), "a character device") {
		t.Fatalf("got %v", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{100: "100 bytes", 1536: "1.5 KiB", 16 << 20: "16 MiB", 3 << 30: "3 GiB", 1<<20 + 1<<19: "1.5 MiB", 1008 << 10: "1008 KiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
