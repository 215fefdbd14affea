package cli

import (
	"slices"
	"strings"
	"testing"
)

// complete runs cobra's hidden __complete command and returns the
// candidates and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	out, _ := run(t, append([]string{"__complete"}, args...)...)
	var cands []string
	directive := ""
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		switch {
		case strings.HasPrefix(l, ":"):
			directive = l
		case strings.HasPrefix(l, "Completion ended"):
		default:
			cands = append(cands, strings.SplitN(l, "\t", 2)[0])
		}
	}
	return cands, directive
}

func TestCompleteContextsAndOutput(t *testing.T) {
	kc := writeKubeconfig(t, "https://"+closedPort(t), "one")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"status", "--kubeconfig", kc, "--context", ""}, []string{"one", "two"}},
		{[]string{"status", "--kubeconfig", kc, "--context", "t"}, []string{"two"}},
		{[]string{"deploy", "-o", ""}, []string{"human", "json"}},
		{[]string{"history", "-o", "j"}, []string{"json"}},
	}
	for _, tt := range tests {
		got, directive := complete(t, tt.args...)
		if !slices.Equal(got, tt.want) || directive != ":4" { // 4: no file completion
			t.Errorf("%v: completed %q (%s), want %q", tt.args, got, directive, tt.want)
		}
	}
	// -f completes YAML files; NAME is not completed once -f is given.
	if got, directive := complete(t, "check", "-f", ""); len(got) != 2 || got[0] != "yaml" || directive != ":8" { // 8: filter by extension
		t.Errorf("-f completes %q (%s)", got, directive)
	}
	if got, directive := complete(t, "status", "-f", "kship.yaml", ""); len(got) != 0 || directive != ":4" {
		t.Errorf("status -f FILE completes %q (%s)", got, directive)
	}
	// A cluster that does not answer completes nothing, not file names.
	if got, directive := complete(t, "status", "--kubeconfig", kc, ""); len(got) != 0 || directive != ":1" {
		t.Errorf("release names without a cluster: %q (%s)", got, directive)
	}
}
