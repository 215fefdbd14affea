package cli

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"

	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/testenv"
)

// runWithin runs kship in-process and fails the test if it does not end
// within limit (a reader blocked on a FIFO); the FIFOs are then opened for
// writing, so the blocked reader returns.
func runWithin(t *testing.T, limit time.Duration, fifos []string, args ...string) (string, int) {
	t.Helper()
	type result struct {
		out  string
		code int
	}
	done := make(chan result, 1)
	go func() {
		out, code := run(t, args...)
		done <- result{out, code}
	}()
	select {
	case r := <-done:
		return r.out, r.code
	case <-time.After(limit):
		for _, f := range fifos {
			if w, err := os.OpenFile(f, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
		}
		t.Fatalf("kship %s did not end within %s: it blocked", strings.Join(args, " "), limit)
		return "", 0
	}
}

// noNamespace fails the test if namespace ns exists: a refused release
// writes nothing, not even its namespace (deleted again if it was).
func noNamespace(t *testing.T, env *testenv.Env, ns string) {
	t.Helper()
	cs := env.Clientset(t)
	_, err := cs.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("namespace %s: %v; want it not created", ns, err)
		_ = cs.CoreV1().Namespaces().Delete(t.Context(), ns, metav1.DeleteOptions{})
	}
}

// TestCheckAndDeployRefuseUnboundedInput: a named pipe in the source
// folder, a link to /dev/zero and a file over the release's limit are
// refused by kship check and kship deploy at once (exit 1), naming the
// file, against the real cluster; deploy creates nothing, not even the
// namespace. On the old code check and deploy blocked on the FIFO for
// ever, and read /dev/zero until 3 GB of memory.
func TestCheckAndDeployRefuseUnboundedInput(t *testing.T) {
	env := testenv.Get(t)
	kc := []string{"--kubeconfig", env.Kubeconfig}
	tests := []struct {
		name   string
		limits string
		setup  func(t *testing.T, deploy string) []string // returns the FIFOs made
		want   string
	}{
		{"named pipe", "", func(t *testing.T, deploy string) []string {
			p := filepath.Join(deploy, "pipe.yaml")
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{p}
		}, "deploy/pipe.yaml: not a regular file: it is a named pipe (FIFO); kship reads only regular files"},
		{"link to /dev/zero", "", func(t *testing.T, deploy string) []string {
			if err := os.Symlink("/dev/zero", filepath.Join(deploy, "zero.yaml")); err != nil {
				t.Fatal(err)
			}
			return nil
		}, "deploy/zero.yaml: not a regular file: it is a symbolic link to /dev/zero, a character device"},
		{"file over the limit", "\n    limits: {file: 4Ki}", func(t *testing.T, deploy string) []string {
			writeFiles(t, deploy, map[string]string{"big.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {a: " + strings.Repeat("x", 8<<10) + "}\n"})
			return nil
		}, "deploy/big.yaml: 8.1 KiB, more than the limit per file (4 KiB); raise it with spec.source.limits in the release file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, ns := t.TempDir(), "bounded-"+utilrand.String(6)
			writeFiles(t, dir, map[string]string{
				"kship.yaml":    "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: web}\nspec:\n  namespace: " + ns + "\n  source:\n    path: ./deploy" + tt.limits + "\n",
				"deploy/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
			})
			fifos := tt.setup(t, filepath.Join(dir, "deploy"))
			file := filepath.Join(dir, "kship.yaml")
			for _, cmd := range []string{"check", "deploy"} {
				start := time.Now()
				out, code := runWithin(t, 60*time.Second, fifos, append([]string{cmd, "-f", file, "--evidence-dir", filepath.Join(dir, "evidence")}, kc...)...)
				if code != exitcode.Input || !strings.Contains(out, tt.want) {
					t.Errorf("kship %s: exit %d after %s, want %d naming the file (%q):\n%s", cmd, code, time.Since(start).Round(time.Millisecond), exitcode.Input, tt.want, out)
				}
			}
			noNamespace(t, env, ns)
		})
	}
}

// TestCheckRefusesAReleaseTooLargeForItsSecret: a 1000 KiB Secret and a
// 200 KiB ConfigMap are valid objects (the dry-run accepts them), but the
// revision that records them does not fit a Secret. kship check blocks
// (exit 2) with the sizes and what to do, and kship deploy refuses before
// any write: the namespace is not created. On the old code check passed
// and deploy failed to record the revision after it had created the
// namespace.
func TestCheckRefusesAReleaseTooLargeForItsSecret(t *testing.T) {
	env := testenv.Get(t)
	kc := []string{"--kubeconfig", env.Kubeconfig}
	dir, ns := t.TempDir(), "bounded-big-"+utilrand.String(6)
	random := func(n int) string {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	writeFiles(t, dir, map[string]string{
		"kship.yaml":         "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: big}\nspec:\n  namespace: " + ns + "\n  source: {path: ./deploy}\n",
		"deploy/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: blob}\ndata:\n  blob: " + random(1000<<10) + "\n",
		"deploy/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: blob}\ndata:\n  blob: " + random(200<<10) + "\n",
	})
	file := filepath.Join(dir, "kship.yaml")
	out, code := runWithin(t, 5*time.Minute, nil, append([]string{"check", "-f", file, "--evidence-dir", filepath.Join(dir, "evidence")}, kc...)...)
	for _, want := range []string{"the release is too large for its revision Secret:", "a Secret holds at most 1008 KiB", "Split it into smaller releases", "Secret " + ns + "/blob"} {
		if !strings.Contains(out, want) {
			t.Errorf("kship check output lacks %q", want)
		}
	}
	if code != exitcode.Refused {
		t.Errorf("kship check: exit %d, want %d:\n%.3000s", code, exitcode.Refused, out)
	}
	if strings.Contains(out, "dry-run") && strings.Contains(out, "blob: Too long") {
		t.Errorf("the dry-run refused the objects themselves; the test needs valid objects:\n%.3000s", out)
	}
	out, code = runWithin(t, 5*time.Minute, nil, append([]string{"deploy", "-f", file, "--evidence-dir", filepath.Join(dir, "evidence")}, kc...)...)
	if code != exitcode.Refused || !strings.Contains(out, "nothing was applied") {
		t.Errorf("kship deploy: exit %d, want %d, nothing applied:\n%.3000s", code, exitcode.Refused, out)
	}
	noNamespace(t, env, ns)
}
