package cli

import (
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/exitcode"
)

// flagCase is one command line parsed by a command built with its seam:
// the options it must produce (Factory and streams left out), or the
// error it must fail with before anything runs.
type flagCase[O any] struct {
	args    []string
	want    O
	wantErr string
}

// parseWith runs args through a root holding only the command newCmd
// builds with a seam that records the options instead of running.
func parseWith[O any](t *testing.T, f *Factory, newCmd func(*Factory, func(*O) error) *cobra.Command, args []string) (*O, error) {
	t.Helper()
	var got *O
	root := newRoot(f, newCmd(f, func(o *O) error { got = o; return nil }))
	root.SetArgs(args)
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	err := root.Execute()
	if err == nil && got == nil {
		t.Fatalf("%v: the seam was not called", args)
	}
	if err != nil && got != nil {
		t.Fatalf("%v: the seam was called although parsing failed: %v", args, err)
	}
	return got, err
}

// runFlagCases checks each case; strip clears the fields a case does not
// state (Factory, streams).
func runFlagCases[O any](t *testing.T, newCmd func(*Factory, func(*O) error) *cobra.Command, strip func(*O), cases []flagCase[O]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, err := parseWith(t, NewFactory(), newCmd, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || ExitCode(err) != exitcode.Input {
					t.Fatalf("error %v (exit %d), want exit 1 containing %q", err, ExitCode(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			strip(got)
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options\n got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestCheckFlags(t *testing.T) {
	runFlagCases(t, NewCmdCheck, func(o *CheckOptions) { o.Factory, o.Out, o.KeepPlans = nil, nil, stripDefaultKeep(o.KeepPlans) }, []flagCase[CheckOptions]{
		{args: []string{"check"}, want: CheckOptions{File: "kship.yaml"}},
		{args: []string{"check", "--keep-plans", "5"}, want: CheckOptions{File: "kship.yaml", KeepPlans: 5}},
		{args: []string{"check", "-f", "a.yaml"}, want: CheckOptions{File: "a.yaml"}},
		{args: []string{"check", "--filename", "a.yaml"}, want: CheckOptions{File: "a.yaml"}},
		{args: []string{"check", "--file", "a.yaml"}, want: CheckOptions{File: "a.yaml"}},
		{args: []string{"check", "--offline", "--kube-version", "v1.36.2", "--force-conflicts"},
			want: CheckOptions{File: "kship.yaml", Offline: true, KubeVersion: "v1.36.2", ForceConflicts: true}},
		{args: []string{"check", "--kube-version", "1.37+"}, want: CheckOptions{File: "kship.yaml", KubeVersion: "1.37+"}},
		{args: []string{"check", "--crds", "crds/", "--crds", "a,b.yaml"}, want: CheckOptions{File: "kship.yaml", CRDs: []string{"crds/", "a,b.yaml"}}},
		{args: []string{"check", "--kube-version", "latest"}, wantErr: "--kube-version: invalid Kubernetes version"},
		{args: []string{"check", "--kube-version", "37"}, wantErr: "write it like 1.37"},
		{args: []string{"check", "--offline=maybe"}, wantErr: "invalid argument"},
		{args: []string{"check", "kship.yaml"}, wantErr: "unknown command"},
		{args: []string{"check", "-o", "yaml"}, wantErr: `unknown output format "yaml"`},
		{args: []string{"check", "--filenam", "a.yaml"}, wantErr: "unknown flag"},
	})
}

func TestPlanFlags(t *testing.T) {
	runFlagCases(t, NewCmdPlan, func(o *PlanOptions) { o.Factory, o.Out, o.KeepPlans = nil, nil, stripDefaultKeep(o.KeepPlans) }, []flagCase[PlanOptions]{
		{args: []string{"plan"}, want: PlanOptions{File: "kship.yaml"}},
		{args: []string{"plan", "--keep-plans", "0"}, want: PlanOptions{File: "kship.yaml", KeepPlans: -1}},
		{args: []string{"plan", "-f", "a.yaml"}, want: PlanOptions{File: "a.yaml"}},
		{args: []string{"plan", "--filename=a.yaml"}, want: PlanOptions{File: "a.yaml"}},
		{args: []string{"plan", "--file=a.yaml"}, want: PlanOptions{File: "a.yaml"}},
		{args: []string{"plan", "--crds", "crds"}, want: PlanOptions{File: "kship.yaml", CRDs: []string{"crds"}}},
		{args: []string{"plan", "-f"}, wantErr: "flag needs an argument"},
		{args: []string{"plan", "a.yaml"}, wantErr: "unknown command"},
		{args: []string{"plan", "--offline"}, wantErr: "unknown flag: --offline"},
	})
}

func TestDeployFlags(t *testing.T) {
	runFlagCases(t, NewCmdDeploy, func(o *DeployOptions) { o.Factory, o.Out = nil, nil }, []flagCase[DeployOptions]{
		{args: []string{"deploy"}, want: DeployOptions{File: "kship.yaml"}},
		{args: []string{"deploy", "-f", "a.yaml"}, want: DeployOptions{File: "a.yaml"}},
		{args: []string{"deploy", "--filename", "a.yaml"}, want: DeployOptions{File: "a.yaml"}},
		{args: []string{"deploy", "--file", "a.yaml"}, want: DeployOptions{File: "a.yaml"}},
		{args: []string{"deploy", "--force-conflicts", "--force-unlock"}, want: DeployOptions{File: "kship.yaml", ForceConflicts: true, ForceUnlock: true}},
		{args: []string{"deploy", "web"}, wantErr: "unknown command"},
		{args: []string{"deploy", "--force-unlock=sometimes"}, wantErr: "invalid argument"},
	})
}

func TestRollbackFlags(t *testing.T) {
	runFlagCases(t, NewCmdRollback, func(o *RollbackOptions) { o.Factory, o.Out = nil, nil }, []flagCase[RollbackOptions]{
		{args: []string{"rollback", "web"}, want: RollbackOptions{Release: ReleaseRef{Name: "web"}}},
		{args: []string{"rollback", "-f", "kship.yaml"}, want: RollbackOptions{Release: ReleaseRef{File: "kship.yaml"}}},
		{args: []string{"rollback", "--filename", "kship.yaml"}, want: RollbackOptions{Release: ReleaseRef{File: "kship.yaml"}}},
		{args: []string{"rollback", "--file", "kship.yaml"}, want: RollbackOptions{Release: ReleaseRef{File: "kship.yaml"}}},
		{args: []string{"rollback", "web", "--to-revision", "3", "--drill", "--force-unlock"},
			want: RollbackOptions{Release: ReleaseRef{Name: "web"}, ToRevision: 3, Drill: true, ForceUnlock: true}},
		{args: []string{"rollback"}, wantErr: "give the release NAME, or -f kship.yaml"},
		{args: []string{"rollback", "web", "-f", "kship.yaml"}, wantErr: "not both"},
		{args: []string{"rollback", "web", "shop"}, wantErr: "accepts at most 1 arg"},
		{args: []string{"rollback", "web", "--to-revision", "three"}, wantErr: "invalid argument"},
	})
}

func TestStatusFlags(t *testing.T) {
	runFlagCases(t, NewCmdStatus, func(o *StatusOptions) { o.Factory, o.Out = nil, nil }, []flagCase[StatusOptions]{
		{args: []string{"status", "web"}, want: StatusOptions{Release: ReleaseRef{Name: "web"}}},
		{args: []string{"status", "-f", "kship.yaml"}, want: StatusOptions{Release: ReleaseRef{File: "kship.yaml"}}},
		{args: []string{"status", "--file", "kship.yaml"}, want: StatusOptions{Release: ReleaseRef{File: "kship.yaml"}}},
		{args: []string{"status"}, wantErr: "give the release NAME"},
		{args: []string{"status", "web", "--filename", "kship.yaml"}, wantErr: "not both"},
		{args: []string{"status", "web", "shop"}, wantErr: "accepts at most 1 arg"},
		{args: []string{"status", "web", "-o", "yaml"}, wantErr: "unknown output format"},
	})
}

func TestHistoryFlags(t *testing.T) {
	runFlagCases(t, NewCmdHistory, func(o *HistoryOptions) { o.Factory, o.Out = nil, nil }, []flagCase[HistoryOptions]{
		{args: []string{"history", "web"}, want: HistoryOptions{Release: ReleaseRef{Name: "web"}}},
		{args: []string{"history", "-f", "kship.yaml"}, want: HistoryOptions{Release: ReleaseRef{File: "kship.yaml"}}},
		{args: []string{"history", "--filename", "kship.yaml"}, want: HistoryOptions{Release: ReleaseRef{File: "kship.yaml"}}},
		{args: []string{"history", "--file", "kship.yaml"}, want: HistoryOptions{Release: ReleaseRef{File: "kship.yaml"}}},
		{args: []string{"history"}, wantErr: "give the release NAME"},
		{args: []string{"history", "web", "-f", "kship.yaml"}, wantErr: "not both"},
		{args: []string{"history", "a", "b"}, wantErr: "accepts at most 1 arg"},
	})
}

func TestInitFlags(t *testing.T) {
	runFlagCases(t, NewCmdInit, func(o *InitOptions) { o.Out, o.ErrOut = nil, nil }, []flagCase[InitOptions]{
		{args: []string{"init"}, want: InitOptions{Dir: "."}},
		{args: []string{"init", "deploy"}, want: InitOptions{Dir: "deploy"}},
		{args: []string{"init", "deploy", "-n", "payments", "-f", "out.yaml", "--force"}, want: InitOptions{Dir: "deploy", Namespace: "payments", File: "out.yaml", Force: true}},
		{args: []string{"init", "deploy", "--namespace", "payments", "--filename", "out.yaml"}, want: InitOptions{Dir: "deploy", Namespace: "payments", File: "out.yaml"}},
		{args: []string{"init", "deploy", "--file", "out.yaml"}, want: InitOptions{Dir: "deploy", File: "out.yaml"}},
		{args: []string{"init", "deploy", "-n", "Payments_NS"}, wantErr: `-n "Payments_NS" is not a namespace name`},
		{args: []string{"init", "a", "b"}, wantErr: "accepts at most 1 arg"},
	})
}

func TestVersionFlags(t *testing.T) {
	runFlagCases(t, NewCmdVersion, func(o *VersionOptions) { o.Factory, o.Out = nil, nil }, []flagCase[VersionOptions]{
		{args: []string{"version"}, want: VersionOptions{}},
		{args: []string{"version", "--short"}, wantErr: "unknown flag"},
		{args: []string{"version", "now"}, wantErr: "unknown command"},
	})
}

// TestSharedFlags parses the root's flags into the Factory a command sees.
func TestSharedFlags(t *testing.T) {
	f := NewFactory()
	got, err := parseWith(t, f, NewCmdStatus, []string{"status", "web", "--kubeconfig", "/k", "--context", "prod",
		"-n", "shop", "-o", "json", "--evidence-dir", "/ev"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Factory != f || *f.Kube.KubeConfig != "/k" || *f.Kube.Context != "prod" || f.Namespace() != "shop" ||
		f.Output != OutputJSON || f.EvidenceDir != "/ev" {
		t.Errorf("factory: kubeconfig %q context %q namespace %q output %q evidence %q",
			*f.Kube.KubeConfig, *f.Kube.Context, f.Namespace(), f.Output, f.EvidenceDir)
	}
	d := NewFactory()
	if d.Output != OutputHuman || d.EvidenceDir != ".kship/evidence" || d.Namespace() != "" {
		t.Errorf("defaults: output %q evidence %q namespace %q", d.Output, d.EvidenceDir, d.Namespace())
	}
}

// TestEveryCommandHasTheFilenameFlag: the release-file flag is -f/--filename
// everywhere a command reads or writes one.
func TestEveryCommandHasTheFilenameFlag(t *testing.T) {
	root := NewCmdRoot(NewFactory())
	for _, name := range []string{"init", "plan", "check", "deploy", "rollback", "status", "history"} {
		cmd, _, err := root.Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		fl := cmd.Flags().Lookup("filename")
		if fl == nil || fl.Shorthand != "f" {
			t.Errorf("kship %s has no -f/--filename", name)
		}
		if cmd.Flags().Lookup("file") != fl {
			t.Errorf("kship %s: --file is not an alias of --filename", name)
		}
	}
}

// TestReleaseRefResolve: -f reads the release's name and namespace from
// the release file, -n overriding the namespace; NAME takes -n.
func TestReleaseRefResolve(t *testing.T) {
	file := writeRelease(t, goodDeployment) // web in namespace shop
	tests := []struct {
		ref  ReleaseRef
		n    string
		want target
	}{
		{ReleaseRef{File: file}, "", target{Name: "web", Namespace: "shop", NamespaceFrom: "spec.namespace of " + file}},
		{ReleaseRef{File: file}, "staging", target{Name: "web", Namespace: "staging", NamespaceFrom: "-n"}},
		{ReleaseRef{Name: "api"}, "staging", target{Name: "api", Namespace: "staging", NamespaceFrom: "-n"}},
	}
	for _, tt := range tests {
		f := NewFactory()
		*f.Kube.Namespace = tt.n
		got, err := tt.ref.resolve(f)
		if err != nil || got != tt.want {
			t.Errorf("%+v -n %q: %+v, %v; want %+v", tt.ref, tt.n, got, err, tt.want)
		}
	}
	_, err := ReleaseRef{File: filepath.Join(t.TempDir(), "nope.yaml")}.resolve(NewFactory())
	if err == nil || !strings.Contains(err.Error(), "nope.yaml: cannot read the release file") || ExitCode(err) != exitcode.Input {
		t.Errorf("missing release file: %v", err)
	}
}

// stripDefaultKeep clears --keep-plans at its default, so the cases state
// it only when they set it; a case of --keep-plans 0 wants -1.
func stripDefaultKeep(n int) int {
	switch n {
	case evidence.DefaultKeepPlans:
		return 0
	case 0:
		return -1
	}
	return n
}
