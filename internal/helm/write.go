package helm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"helm.sh/helm/v4/pkg/action"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	helmkube "helm.sh/helm/v4/pkg/kube"
	ri "helm.sh/helm/v4/pkg/release"
	release "helm.sh/helm/v4/pkg/release/v1"

	"github.com/kship/kship/internal/manifest"
)

// Actions of an Operation.
const (
	ActionInstall   = "install"
	ActionUpgrade   = "upgrade"
	ActionRollback  = "rollback"
	ActionUninstall = "uninstall"
	// ActionRecover is the end of a pending revision an interrupted kship
	// run left: marked failed, then rolled back (or uninstalled).
	ActionRecover = "recover"
	// ActionMarkFailed records kship's verdict on a revision Helm had
	// marked deployed.
	ActionMarkFailed = "mark-failed"
)

// Request is one install or upgrade.
type Request struct {
	// Chart and Values are the chart and the values it is released with
	// (manifest.HelmChart): stored in the Helm revision, and what Helm
	// renders the hooks from. The values replace the previous revision's
	// (helm upgrade --reset-values): the release file is the whole truth.
	Chart  *chart.Chart
	Values map[string]any
	// Objects are the revision's objects, as kship rendered and checked
	// them: the Helm revision's manifest is exactly these. Objects of the
	// chart's crds/ folder are left to Helm (installed with the first
	// install, never upgraded or deleted, as the Helm CLI does).
	Objects []manifest.Object
	// ChartDir is the chart's folder as the objects' Source.File names it
	// (relative to the release file): it names each object's template in
	// the Helm manifest and finds the crds/ folder.
	ChartDir string
	// KshipRevision is the kship revision this write is recorded as.
	KshipRevision int
	// Description is the revision's description in `helm history`.
	Description string
	// ForceConflicts takes over fields other field managers own.
	ForceConflicts bool
}

// Operation is what one Helm operation did: the payload of the evidence's
// helm.release events.
type Operation struct {
	Action    string `json:"action"`
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	// Revision is the Helm revision the operation wrote (0 when it wrote
	// none); Status and Description are Helm's words for it.
	Revision    int    `json:"revision,omitempty"`
	Status      string `json:"status,omitempty"`
	Description string `json:"description,omitempty"`
	// From is the revision a rollback or recovery started from; To the
	// revision it restored.
	From int `json:"from,omitempty"`
	To   int `json:"to,omitempty"`
	// Hooks are the hooks Helm ran during the operation, in the order run.
	Hooks []HookRun `json:"hooks,omitempty"`
	// Started and Finished bound the operation.
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Error is why it failed ("" when it did not).
	Error string `json:"error,omitempty"`
}

// String is the operation in one line: "upgrade: Helm revision 3 of shop/web deployed (2 hooks run)".
func (o *Operation) String() string {
	s := fmt.Sprintf("%s: Helm revision %d of %s/%s %s", o.Action, o.Revision, o.Namespace, o.Release, o.Status)
	switch o.Action {
	case ActionRollback:
		s = fmt.Sprintf("rollback: Helm revision %d of %s/%s restores revision %d: %s", o.Revision, o.Namespace, o.Release, o.To, o.Status)
	case ActionUninstall:
		s = fmt.Sprintf("uninstall: Helm release %s/%s uninstalled, history kept", o.Namespace, o.Release)
	}
	if len(o.Hooks) > 0 {
		s += fmt.Sprintf(" (%d hooks run: %s)", len(o.Hooks), hookSummary(o.Hooks))
	}
	if o.Error != "" {
		s += ": " + o.Error
	}
	return s
}

// Write installs or upgrades the release with req's objects as its
// manifest, as `helm upgrade --install` (without --wait) would: Helm runs
// the chart's hooks and waits for them, applies the objects server-side,
// deletes what the previous revision had and this one lacks, and records
// the revision. A release whose last revision is pending is not touched
// (a *PendingError). On error the Operation says what was done.
func (c *Client) Write(ctx context.Context, req Request) (*Operation, error) {
	defer defaultLog.run(c)()
	hist, err := c.History(ctx)
	if err != nil {
		return nil, err
	}
	if l := last(hist); l != nil && l.Pending() {
		return nil, c.pendingError(*l, hist, "")
	}
	act, number := Next(hist)
	op := &Operation{Action: act, Release: c.Name, Namespace: c.Namespace, Revision: number, Started: c.now()}
	pr := &pinned{objects: req.Objects, chartDir: req.ChartDir, chartName: req.Chart.Name()}
	labels := map[string]string{LabelRevision: strconv.Itoa(req.KshipRevision), LabelHelmRevision: strconv.Itoa(number)}
	var res ri.Releaser
	if act == ActionInstall {
		in := action.NewInstall(c.cfg)
		in.ReleaseName, in.Namespace, in.Description, in.Labels = c.Name, c.Namespace, req.Description, labels
		in.WaitStrategy, in.Timeout = helmkube.HookOnlyStrategy, c.hookTimeout()
		in.ServerSideApply, in.ForceConflicts = true, req.ForceConflicts
		in.Replace = len(hist) > 0 // an uninstalled release's name is reused, as `helm upgrade --install` does
		in.PostRenderer, in.PostRenderStrategy = pr, action.PostRenderStrategyNoHooks
		res, err = in.RunWithContext(ctx, req.Chart, req.Values)
	} else {
		up := action.NewUpgrade(c.cfg)
		up.Namespace, up.Description, up.Labels, up.MaxHistory = c.Namespace, req.Description, labels, c.maxHistory()
		up.WaitStrategy, up.Timeout = helmkube.HookOnlyStrategy, c.hookTimeout()
		up.ServerSideApply, up.ForceConflicts, up.ResetValues = "true", req.ForceConflicts, true
		up.PostRenderer, up.PostRenderStrategy = pr, action.PostRenderStrategyNoHooks
		res, err = up.RunWithContext(ctx, c.Name, req.Chart, req.Values)
	}
	c.finish(op, res, err)
	if err == nil && pr.err != nil {
		err = pr.err
	}
	if err != nil {
		return op, fmt.Errorf("%s: helm %s to revision %d: %w", c, act, number, err)
	}
	return op, nil
}

// finish fills op from the release Helm returned (it may be nil, or the
// failed revision) and the operation's error.
func (c *Client) finish(op *Operation, res ri.Releaser, err error) {
	op.Finished = c.now()
	if r, ok := res.(*release.Release); ok && r != nil {
		op.Revision = r.Version
		if r.Info != nil {
			op.Status, op.Description = string(r.Info.Status), r.Info.Description
		}
		op.Hooks = hookRuns(r.Hooks, op.Started)
	}
	if err != nil {
		op.Error = err.Error()
		if op.Status == "" {
			op.Status = StatusFailed
		}
	}
}

// pinned is the post-renderer that makes the Helm manifest exactly kship's
// objects: Helm's rendering of the chart's templates (hooks excluded, see
// PostRenderStrategyNoHooks) is replaced by them.
type pinned struct {
	objects   []manifest.Object
	chartDir  string
	chartName string
	err       error
}

// filenameAnnotation is the annotation Helm's post-render step reads each
// document's template path from (the "# Source:" of `helm get manifest`);
// a document without it is named generated-by-postrender-N.yaml.
const filenameAnnotation = "postrenderer.helm.sh/postrender-filename"

// Run returns kship's objects as the YAML stream Helm stores and applies.
func (p *pinned) Run(_ *bytes.Buffer) (*bytes.Buffer, error) {
	var out bytes.Buffer
	for _, o := range p.objects {
		tmpl, crd := p.template(o.Source.File)
		if crd {
			continue
		}
		u := o.Obj.DeepCopy()
		ann := u.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[filenameAnnotation] = tmpl
		u.SetAnnotations(ann)
		data, err := yaml.Marshal(u.Object)
		if err != nil {
			p.err = fmt.Errorf("%s: encode for the Helm manifest: %w", o.Ref(), err)
			return nil, p.err
		}
		out.WriteString("---\n")
		out.Write(data)
	}
	return &out, nil
}

// template maps an object's source file to its chart path
// ("web/templates/deploy.yaml"), and says whether it is one of the chart's
// crds/ files, which Helm handles itself.
func (p *pinned) template(file string) (string, bool) {
	rest, ok := strings.CutPrefix(file, p.chartDir+"/")
	if !ok {
		return p.chartName + "/templates/kship.yaml", false
	}
	return p.chartName + "/" + rest, strings.HasPrefix(rest, "crds/")
}

// errNoRelease is returned by operations on a release with no history.
var errNoRelease = errors.New("the release has no revisions")
