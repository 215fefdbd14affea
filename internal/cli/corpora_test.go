package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/testenv"
)

// The real-world corpora (kubeconform's fixtures, podinfo, kube-prometheus)
// live beside the repository in shared/corpora, with the verdict a careful
// user expects of kship check per path in expectations.tsv. They are read
// from there, never copied: KSHIP_CORPORA names the folder, else it is
// searched upward from the repository root (../shared/corpora from a
// checkout, ../../shared/corpora from a worktree).

// corporaDir finds the corpora; a test that needs them fails (never skips)
// without them.
func corporaDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("KSHIP_CORPORA"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "expectations.tsv")); err != nil {
			t.Fatalf("KSHIP_CORPORA=%s: %v", dir, err)
		}
		return dir
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for dir := root; ; dir = filepath.Dir(dir) {
		c := filepath.Join(dir, "shared", "corpora")
		if _, err := os.Stat(filepath.Join(c, "expectations.tsv")); err == nil {
			return c
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("no shared/corpora/expectations.tsv above %s: set KSHIP_CORPORA to the corpora folder", root)
		}
	}
}

// corpusRow is one line of expectations.tsv.
type corpusRow struct {
	path, verdict, note string
}

func readExpectations(t *testing.T, dir string) []corpusRow {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "expectations.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		cols := strings.Split(sc.Text(), "\t")
		if n == 1 || strings.TrimSpace(sc.Text()) == "" {
			continue // header
		}
		if len(cols) != 3 {
			t.Fatalf("expectations.tsv:%d: %d columns, want path, verdict, source", n, len(cols))
		}
		rows = append(rows, corpusRow{cols[0], cols[1], cols[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 40 {
		t.Fatalf("only %d rows in expectations.tsv", len(rows))
	}
	return rows
}

var (
	// A fixture's own target version, named like "(strict, 1.14)".
	targetVersionRE = regexp.MustCompile(`[ (,](1\.\d+)\)`)
	// A fixture's own default namespace (kubeval's DefaultNamespace).
	namespaceRE = regexp.MustCompile(`(?:DefaultNamespace=|release namespace = )([a-z0-9-]+)`)
	// The offline schema source a pass-with-crds row names.
	crdSourceRE = regexp.MustCompile(`pass when (\S+) \(`)
	fileLineRE  = regexp.MustCompile(`\.(yaml|yml|json):\d+`)
)

// corpusAllowNamespaces are the namespaces outside the release's that a
// row's objects name (kube-system, another team's) and that its release
// file allows, as a user deploying that bundle writes them: without them
// kship check refuses it (the namespace guardrail), naming this exact
// spec.allowNamespaces line (TestCorporaNamespaceGuardrail).
var corpusAllowNamespaces = map[string][]string{
	"kube-prometheus/manifests":                                         {"default", "kube-system"},
	"kubeconform-fixtures/full_domain_group.yaml":                       {"dev2"},
	"kubeconform-fixtures/int_or_string.yaml":                           {"kube-system"},
	"kubeconform-fixtures/null_array.yaml":                              {"kube-system"},
	"kubeconform-fixtures/same-object-different-namespace.yaml":         {"a", "b"},
	"kubeconform-fixtures/same-object-different-namespace-default.yaml": {"a"},
}

// releaseFor writes the release file of one row: a Helm chart with its
// values ("chart + values.yaml"), else a path (one release per fixture).
func releaseFor(t *testing.T, corpora string, row corpusRow, namespace string) string {
	t.Helper()
	path, values, _ := strings.Cut(row.path, " + ")
	abs := filepath.Join(corpora, path)
	src := fmt.Sprintf("path: %q", abs)
	if _, err := os.Stat(filepath.Join(abs, "Chart.yaml")); err == nil {
		src = fmt.Sprintf("helm: {chart: %q}", abs)
		if values != "" {
			src = fmt.Sprintf("helm: {chart: %q, values: [%q]}", abs, filepath.Join(abs, values))
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "kship.yaml")
	rel := fmt.Sprintf("apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: corpus}\nspec:\n  namespace: %s\n  source: {%s}\n", namespace, src)
	if allow := corpusAllowNamespaces[row.path]; allow != nil {
		rel += "  allowNamespaces: [" + strings.Join(allow, ", ") + "]\n"
	}
	if err := os.WriteFile(file, []byte(rel), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// checkResult is what one kship check run says.
type checkResult struct {
	code   int
	out    string
	checks []struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Message string `json:"message"`
		Source  struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"source"`
	}
}

func kshipCheck(t *testing.T, args ...string) checkResult {
	t.Helper()
	root := cli.NewCmdRoot(cli.NewFactory())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"check", "-o", "json", "--evidence-dir", t.TempDir()}, args...))
	err := root.Execute()
	res := checkResult{code: cli.ExitCode(err), out: out.String()}
	if err != nil {
		res.out += "\nerror: " + err.Error()
	}
	var doc struct {
		Checks struct {
			Checks json.RawMessage `json:"checks"`
		} `json:"checks"`
	}
	if json.Unmarshal(out.Bytes(), &doc) == nil && doc.Checks.Checks != nil {
		if err := json.Unmarshal(doc.Checks.Checks, &res.checks); err != nil {
			t.Fatalf("checks: %v", err)
		}
	}
	return res
}

func (r checkResult) failures() []string {
	var out []string
	for _, c := range r.checks {
		if c.Status == "fail" {
			out = append(out, fmt.Sprintf("%s:%d: %s", c.Source.File, c.Source.Line, c.Message))
		}
	}
	return out
}

// TestCorporaOffline meets expectations.tsv on every row with
// kship check --offline.
func TestCorporaOffline(t *testing.T) {
	corpora := corporaDir(t)
	for _, row := range readExpectations(t, corpora) {
		t.Run(row.path, func(t *testing.T) {
			ns := "default"
			if m := namespaceRE.FindStringSubmatch(row.note); m != nil {
				ns = m[1]
			}
			args := []string{"--offline", "-f", releaseFor(t, corpora, row, ns)}
			if m := targetVersionRE.FindStringSubmatch(row.note); m != nil {
				args = append(args, "--kube-version", m[1])
			}
			if row.verdict == "pass-with-crds" {
				m := crdSourceRE.FindStringSubmatch(row.note)
				if m == nil {
					t.Fatalf("a pass-with-crds row names no schema source: %q", row.note)
				}
				without := kshipCheck(t, args...)
				if without.code != exitcode.Refused || !strings.Contains(without.out, "--crds") {
					t.Errorf("without its CRDs: exit %d, want %d naming --crds\n%s", without.code, exitcode.Refused, without.out)
				}
				args = append(args, "--crds", filepath.Join(corpora, m[1]))
			}
			res := kshipCheck(t, args...)
			assertVerdict(t, row, res)
		})
	}
}

func assertVerdict(t *testing.T, row corpusRow, res checkResult) {
	t.Helper()
	switch row.verdict {
	case "pass", "pass-with-crds":
		if res.code != exitcode.OK {
			t.Errorf("exit %d, want 0; failures: %q\n%s", res.code, res.failures(), res.out)
		}
	case "refused":
		switch {
		case res.code == exitcode.Refused:
			located := false
			for _, f := range res.failures() {
				located = located || fileLineRE.MatchString(f)
			}
			if !located {
				t.Errorf("refused without a file and line: %q", res.failures())
			}
		case res.code == exitcode.Input:
			if !fileLineRE.MatchString(res.out) {
				t.Errorf("input error without a file and line:\n%s", res.out)
			}
		default:
			t.Errorf("exit %d, want 2 (or 1 for input kship cannot load)\n%s", res.code, res.out)
		}
	case "input-error":
		if res.code != exitcode.Input || !strings.Contains(res.out, "error: ") {
			t.Errorf("exit %d, want 1 with a message\n%s", res.code, res.out)
		}
	case "blocked-offline-no-crd":
		failures := strings.Join(res.failures(), "\n")
		if res.code != exitcode.Refused || !strings.Contains(failures, "no CRD for kind") || !strings.Contains(failures, "--crds") || !strings.Contains(failures, "usually CRD ") {
			t.Errorf("exit %d, want 2 naming the missing CRD and --crds; failures:\n%s", res.code, failures)
		}
	default:
		t.Fatalf("unknown verdict %q in expectations.tsv", row.verdict)
	}
}

// TestCorporaNamespaceGuardrail: kube-prometheus writes RoleBindings into
// kube-system and default; a release file that does not allow them is
// refused before any write, each object named with the exact line to add,
// and the same file with that line passes (TestCorporaOffline).
func TestCorporaNamespaceGuardrail(t *testing.T) {
	corpora := corporaDir(t)
	row := corpusRow{path: "kube-prometheus/manifests"}
	file := releaseFor(t, corpora, row, "shop")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	without := strings.Replace(string(data), "  allowNamespaces: [default, kube-system]\n", "", 1)
	if without == string(data) {
		t.Fatalf("the release file allows no namespaces:\n%s", data)
	}
	if err := os.WriteFile(file, []byte(without), 0o644); err != nil {
		t.Fatal(err)
	}
	res := kshipCheck(t, "--offline", "-f", file)
	var found []string
	for _, f := range res.failures() {
		if strings.Contains(f, "which the release file does not allow") {
			found = append(found, f)
			if !strings.Contains(f, "add to the release file spec.allowNamespaces: [default, kube-system]") || !fileLineRE.MatchString(f) {
				t.Errorf("the finding does not give the exact fix with its file and line: %s", f)
			}
		}
	}
	if res.code != exitcode.Refused || len(found) != len(res.failures()) || len(found) < 3 {
		t.Fatalf("without spec.allowNamespaces: exit %d, %d namespace findings of %d failures:\n%s", res.code, len(found), len(res.failures()), strings.Join(res.failures(), "\n"))
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if res := kshipCheck(t, "--offline", "-f", file); res.code != exitcode.OK {
		t.Errorf("with spec.allowNamespaces: exit %d: %q", res.code, res.failures())
	}
}

// TestCorporaOnline checks the real applications (kube-prometheus and
// podinfo) against the local cluster: they pass, and every object passes
// the server-side dry-run.
func TestCorporaOnline(t *testing.T) {
	env := testenv.Get(t)
	corpora := corporaDir(t)
	n := 0
	for _, row := range readExpectations(t, corpora) {
		if !strings.HasPrefix(row.path, "kube-prometheus/") && !strings.HasPrefix(row.path, "podinfo/") {
			continue
		}
		n++
		t.Run(row.path, func(t *testing.T) {
			ns := testenv.Namespace(t, env, "corpus-")
			res := kshipCheck(t, "--kubeconfig", env.Kubeconfig, "-f", releaseFor(t, corpora, row, ns))
			assertVerdict(t, row, res)
			dryRun := false
			for _, c := range res.checks {
				if c.ID == "dry-run" && c.Status == "pass" && strings.Contains(c.Message, "objects passed the server-side dry-run") {
					var passed, total int
					if _, err := fmt.Sscanf(c.Message, "%d of %d", &passed, &total); err != nil || passed != total || total == 0 {
						t.Errorf("dry-run: %s", c.Message)
					}
					dryRun = true
				}
			}
			if !dryRun {
				t.Errorf("no server-side dry-run result:\n%s", res.out)
			}
		})
	}
	if n < 6 {
		t.Fatalf("only %d kube-prometheus and podinfo rows", n)
	}
}
