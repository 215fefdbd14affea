package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/probe"
	"github.com/kship/kship/internal/validate"
)

// InitOptions are the inputs of `kship init`.
type InitOptions struct {
	// Dir is the folder of manifests, kustomization or Helm chart.
	Dir string
	// File is where to write the release file (-f); empty: kship.yaml
	// next to Dir (inside Dir when Dir is the working folder).
	File string
	// Namespace is the namespace to write (-n); empty: guessed from the
	// manifests, else default.
	Namespace string
	// Force overwrites an existing release file.
	Force bool
	// Offline writes the guessed checks disabled without probing them.
	Offline bool
	// Prober probes the guessed checks (nil: a default probe.Prober).
	Prober *probe.Prober
	// Out and ErrOut receive the summary and warnings.
	Out, ErrOut io.Writer
}

// NewCmdInit builds `kship init [DIR]`; runF, when not nil, gets the
// parsed options instead of Run (tests parse flags with it).
func NewCmdInit(f *Factory, runF func(*InitOptions) error) *cobra.Command {
	o := &InitOptions{}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "write a commented kship.yaml for a folder of manifests, a kustomization or a Helm chart",
		Long: `init inspects DIR (default: the working folder) and writes a commented
starter release file next to it: the name from the folder, the namespace
(-n, or guessed from the manifests), the source, a commented HTTP smoke
check and a commented error-rate gate guessed from the first Service and
Deployment, and automatic rollback. It refuses a folder without manifests
and never overwrites a release file without --force.`,
		Args: cobra.MaximumNArgs(1),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			o.Dir = "."
			if len(args) == 1 {
				o.Dir = args[0]
			}
			o.Namespace, o.ErrOut = f.Namespace(), cmd.ErrOrStderr()
			if errs := validation.IsDNS1123Label(o.Namespace); o.Namespace != "" && len(errs) > 0 {
				return inputErr(fmt.Errorf("-n %q is not a namespace name: %s", o.Namespace, strings.Join(errs, "; ")))
			}
			return nil
		},
		RunE: seam(o, &o.Out, runF, o.Run),
	}
	addFilenameFlag(cmd, &o.File, "", "where to write the release file (default: kship.yaml next to DIR)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite an existing release file")
	cmd.Flags().BoolVar(&o.Offline, "offline", false, "do not probe the guessed smoke check and Prometheus: write them commented out")
	return cmd
}

// Run inspects the folder and writes the starter.
func (o *InitOptions) Run(ctx context.Context) error {
	dir, out, err := o.paths()
	if err != nil {
		return inputErr(err)
	}
	if _, err := os.Stat(out); err == nil && !o.Force {
		return inputErr(fmt.Errorf("%s already exists; use --force to overwrite it", out))
	}
	if !config.HasManifests(dir, out) {
		return inputErr(fmt.Errorf("%s holds no manifests (no .yaml, .yml or .json file, kustomization or Helm chart); run kship init on the folder of your manifests", display(dir)))
	}
	s := config.NewStarter(dir, filepath.Dir(out))
	objs, err := manifest.Load(ctx, s.Release(filepath.Dir(out)), nil)
	if err != nil {
		fmt.Fprintf(o.ErrOut, "warning: could not render %s, so nothing was guessed from its objects:\n%v\n", display(dir), err)
	}
	s.Guess(starterObjects(objs), o.Namespace)
	o.probeGuesses(ctx, &s, filepath.Dir(out))
	data, err := s.Render()
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return inputErr(err)
	}
	if _, err := config.Load(out); err != nil {
		return fmt.Errorf("the starter kship wrote does not load (a kship bug): %w", err)
	}
	shown := display(out)
	fmt.Fprintf(o.Out, "wrote %s for %s (%d objects, namespace %s); review it, then run: kship check -f %s\n", shown, sourceDesc(s), len(objs), s.Namespace, shown)
	return nil
}

// probeGuesses reaches the guessed Service through the environment's
// ingress when $KSHIP_INGRESS names one and uses $KSHIP_PROMETHEUS when
// set, then probes the guesses as kship check would: each is written
// enabled only when it answered, and commented out with why otherwise.
func (o *InitOptions) probeGuesses(ctx context.Context, s *config.Starter, outDir string) {
	p := o.Prober
	if p == nil {
		p = &probe.Prober{}
	}
	getenv := p.Getenv
	if getenv == nil {
		getenv = os.LookupEnv
	}
	if _, ok := getenv("KSHIP_INGRESS"); ok && s.SmokeService != "" {
		s.SmokeURL, s.SmokeHost = "http://${KSHIP_INGRESS}"+s.SmokePath, s.SmokeService+"."+s.Namespace
		s.SmokeFrom += " through the ingress at ${KSHIP_INGRESS}"
	}
	s.PromAddress = config.DefaultPrometheus
	if _, ok := getenv("KSHIP_PROMETHEUS"); ok {
		s.PromAddress = "${KSHIP_PROMETHEUS}"
	}
	if o.Offline {
		s.SmokeWhy, s.PromWhy = "not probed (kship init --offline)", "not probed (kship init --offline)"
		return
	}
	smoke := config.SmokeCheck{Name: "health", HTTP: &config.HTTPCheck{URL: s.SmokeURL, ExpectStatus: 200}}
	if s.SmokeHost != "" {
		smoke.HTTP.Headers = map[string]string{"Host": s.SmokeHost}
	}
	rel := &config.Release{Metadata: config.Metadata{Name: s.Name}, Spec: config.Spec{Namespace: s.Namespace}}
	rel.Spec.Verify.Smoke = []config.SmokeCheck{smoke}
	items := p.Probe(ctx, probe.Input{Release: rel})
	s.SmokeOK, s.SmokeWhy = len(items) == 1 && items[0].Status == validate.Pass, items[0].Message
	starter, err := s.Render()
	if err != nil {
		return
	}
	withGate, err := config.Parse("kship.yaml", []byte(uncommentMetrics(string(starter))), outDir)
	if err != nil || withGate.Spec.Verify.Metrics == nil {
		s.PromWhy = fmt.Sprintf("the guessed gate does not load: %v", err)
		return
	}
	rel.Spec.Verify.Smoke, rel.Spec.Verify.Metrics = nil, withGate.Spec.Verify.Metrics
	items = p.Probe(ctx, probe.Input{Release: rel})
	s.PromOK = len(items) > 0
	for _, it := range items {
		if it.Status != validate.Pass {
			s.PromOK, s.PromWhy = false, it.Message
			return
		}
	}
	if s.PromOK {
		s.PromWhy = items[0].Message
	}
}

// uncommentMetrics enables the metrics block of a rendered starter, the
// gate exactly as it would be written, so it is probed as written.
func uncommentMetrics(starter string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.SplitAfter(starter, "\n") {
		switch {
		case strings.HasPrefix(l, "    # metrics:"):
			in = true
			l = "    metrics:\n"
		case in && strings.HasPrefix(l, "    # "):
			l = "    " + strings.TrimPrefix(l, "    # ")
		case in:
			in = false
		}
		b.WriteString(l)
	}
	return b.String()
}

func starterObjects(objs []manifest.Object) []config.StarterObject {
	out := make([]config.StarterObject, len(objs))
	for i, o := range objs {
		out[i] = config.StarterObject{Obj: o.Obj, From: o.Source.String()}
	}
	return out
}

// display shows path relative to the working folder when it is below it.
func display(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

// paths returns the absolute source folder and release file path.
func (o *InitOptions) paths() (dir, out string, err error) {
	dir, err = filepath.Abs(o.Dir)
	if err != nil {
		return "", "", err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", "", fmt.Errorf("%s is not a folder of manifests", o.Dir)
	}
	if o.File != "" {
		out, err = filepath.Abs(o.File)
		return dir, out, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", "", err
	}
	if dir == wd {
		return dir, filepath.Join(dir, "kship.yaml"), nil
	}
	return dir, filepath.Join(filepath.Dir(dir), "kship.yaml"), nil
}

func sourceDesc(s config.Starter) string {
	switch {
	case s.Chart != "":
		return "Helm chart " + s.Chart
	case s.Kustomization:
		return "kustomization " + s.Path
	}
	return "folder " + s.Path
}
