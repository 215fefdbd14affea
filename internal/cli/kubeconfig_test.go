package cli

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kship/kship/internal/exitcode"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// writeKubeconfig writes a kubeconfig with contexts one and two (two's
// namespace is shop) for a server at server, current context current.
func writeKubeconfig(t *testing.T, server, current string) string {
	t.Helper()
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: %q}
contexts:
- name: one
  context: {cluster: c, user: u}
- name: two
  context: {cluster: c, user: u, namespace: shop}
current-context: %q
users:
- name: u
  user: {token: abc}
`, server, current)
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKubeconfigProblemsAreOneLine: a kubeconfig that is missing, empty,
// names an unknown context or points at a server that does not answer is
// reported in one line that says what to change (exit 1), never as
// client-go's fallback to http://localhost:8080.
func TestKubeconfigProblemsAreOneLine(t *testing.T) {
	home := t.TempDir() // no ~/.kube/config
	saved := clientcmd.RecommendedHomeFile
	clientcmd.RecommendedHomeFile = filepath.Join(home, ".kube", "config")
	t.Cleanup(func() { clientcmd.RecommendedHomeFile = saved })
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	dead := "https://" + closedPort(t)
	good := writeKubeconfig(t, dead, "one")
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		kubeconfig string // KUBECONFIG
		args       []string
		want       []string
	}{
		{"no kubeconfig anywhere", "", []string{"history", "web"},
			[]string{"no kubeconfig: " + filepath.Join(home, ".kube", "config") + " (from the default path) does not exist"}},
		{"KUBECONFIG names a missing file", filepath.Join(home, "gone"), []string{"status", "web"},
			[]string{"no kubeconfig: " + filepath.Join(home, "gone") + " (from KUBECONFIG) does not exist"}},
		{"empty kubeconfig", empty, []string{"status", "web"}, []string{"(from KUBECONFIG) has no contexts"}},
		{"--kubeconfig names a missing file", "", []string{"deploy", "-f", "kship.yaml", "--kubeconfig", filepath.Join(home, "nope")},
			[]string{"kubeconfig " + filepath.Join(home, "nope") + " (--kubeconfig) does not exist"}},
		{"unknown context", "", []string{"rollback", "web", "--kubeconfig", good, "--context", "three"},
			[]string{`context "three" is not in the kubeconfig ` + good + "; its contexts: one, two"}},
		{"current context missing", "", []string{"status", "web", "--kubeconfig", writeKubeconfig(t, dead, "gone")},
			[]string{`the current context "gone"`, "choose one with --context (its contexts: one, two)"}},
		{"no current context", "", []string{"status", "web", "--kubeconfig", writeKubeconfig(t, dead, "")},
			[]string{"sets no current context; choose one with --context (its contexts: one, two)"}},
		{"server does not answer", "", []string{"history", "web", "--kubeconfig", good},
			[]string{"cannot reach the Kubernetes API server " + dead + ` (context "one" of ` + good + "): ", "connection refused"}},
		{"server does not answer, plan", "", []string{"plan", "-f", writeRelease(t, goodDeployment), "--kubeconfig", good, "--context", "two"},
			[]string{"cannot reach the Kubernetes API server " + dead + ` (context "two" of ` + good + "): "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if err := os.WriteFile("kship.yaml", []byte("apiVersion: kship.dev/v1alpha1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv("KUBECONFIG", tt.kubeconfig)
			out, code := run(t, tt.args...)
			if code != exitcode.Input || strings.Contains(out, "8080") || strings.Count(strings.TrimSpace(out), "\n") > 0 {
				t.Errorf("exit %d, want 1 and one line:\n%s", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
