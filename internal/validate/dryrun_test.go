package validate

import (
	"strings"
	"testing"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/plan"
)

func TestAddDryRun(t *testing.T) {
	web := manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}
	api := manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "new", Name: "api"}
	src := manifest.Location{File: "deploy/web.yaml", Line: 3}
	schemaFail := Check{ID: IDSchema, Status: Fail, Object: web, Source: src, Message: "unknown field"}
	refFail := Check{ID: IDReference, Status: Fail, Object: web, Source: src, Message: "missing key"}
	refused := plan.Change{Ref: web, Source: src, Action: plan.ActionUpdate, DryRun: plan.DryRun{Mode: plan.DryRunServer}, DryRunError: "field not declared in schema"}
	standIn := plan.Change{Ref: api, Action: plan.ActionCreate, DryRun: plan.DryRun{Mode: plan.DryRunStandIn, Note: "stand-in"}}
	immutable := plan.Risk{Object: web, Kind: plan.RiskImmutable, Advice: "rename it"}
	tests := []struct {
		name    string
		static  []Check
		changes []plan.Change
		risks   []plan.Risk
		offline bool
		// want lists status and ID of every dry-run item, in order.
		want         []string
		wantEvidence string // appended to the static item
		wantMessage  string // in the dry-run failure
	}{
		{name: "offline warns", offline: true, want: []string{"warn"}},
		{name: "all pass", changes: []plan.Change{{Ref: web, DryRun: plan.DryRun{Mode: plan.DryRunServer}}}, want: []string{"pass"}},
		{name: "stand-in gets its own pass", changes: []plan.Change{standIn}, want: []string{"pass Deployment new/api", "pass"}},
		{name: "refusal on its own is a failure with file and line", changes: []plan.Change{refused},
			want: []string{"fail Deployment shop/web", "pass"}, wantMessage: "the API server refuses it: field not declared"},
		{name: "refusal repeating a schema failure is merged", static: []Check{schemaFail}, changes: []plan.Change{refused},
			want: []string{"pass"}, wantEvidence: "the server-side dry-run agrees: field not declared"},
		{name: "a reference failure is a different problem", static: []Check{refFail}, changes: []plan.Change{refused},
			want: []string{"fail Deployment shop/web", "pass"}},
		{name: "immutable refusals stay their own item with advice", static: []Check{schemaFail}, changes: []plan.Change{refused},
			risks: []plan.Risk{immutable}, want: []string{"fail Deployment shop/web", "pass"}, wantMessage: "what to do: rename it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Checks: append([]Check(nil), tt.static...)}
			p := &plan.Plan{Cluster: "https://api", Changes: tt.changes, Risks: tt.risks}
			p.Count()
			addDryRun(r, p, tt.offline, nil)
			var got []string
			for _, c := range r.Checks {
				if c.ID != IDDryRun {
					continue
				}
				s := string(c.Status)
				if c.Object.Kind != "" {
					s += " " + c.Object.String()
				}
				got = append(got, s)
				if c.Status == Fail {
					if c.Source != src {
						t.Errorf("failure at %s, want %s", c.Source, src)
					}
					if !strings.Contains(c.Message, tt.wantMessage) {
						t.Errorf("message %q does not contain %q", c.Message, tt.wantMessage)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("dry-run items %v, want %v", got, tt.want)
			}
			if tt.wantEvidence != "" && !strings.Contains(r.Checks[0].Evidence, tt.wantEvidence) {
				t.Errorf("static item evidence %q, want it to contain %q", r.Checks[0].Evidence, tt.wantEvidence)
			}
		})
	}
}
