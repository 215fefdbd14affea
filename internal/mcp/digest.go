package mcp

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/kship/kship/internal/configdigest"
	"github.com/kship/kship/internal/release"
)

// planDigest binds a deploy plan to what it was computed from: the release
// file's bytes, every rendered object (as it will be applied), the live
// object each was compared with (plan.Change.LiveDigest), the target
// namespace, context and API server. It is an HMAC with the state's key,
// so a digest shown to a client says nothing about Secret values. The
// config digest kship stamps into pod templates is left out: it is a
// function of the objects already bound, and a first release keys it anew
// each time it is rendered.
func (s *Server) planDigest(kctx string, p *release.Prepared) string {
	parts := []string{"deploy", kctx, p.Plan.Cluster, p.Release.Spec.Namespace, p.Release.Metadata.Name, string(p.Release.Raw)}
	objs := make([]string, 0, len(p.Objects))
	for _, o := range p.Objects {
		b, err := json.Marshal(configdigest.Unstamped(o.Obj).Object) // map keys sorted
		if err != nil {
			b = []byte(err.Error())
		}
		objs = append(objs, string(b))
	}
	sort.Strings(objs)
	parts = append(parts, objs...)
	for _, c := range p.Plan.Changes {
		parts = append(parts, fmt.Sprintf("%s|%s|%s", c.Ref, c.Action, c.LiveDigest))
	}
	return hex.EncodeToString(s.o.State.mac(parts...))
}

// historyDigest binds a rollback or drill plan to the release's history:
// any new revision, or a revision whose outcome changed, makes it stale.
func (s *Server) historyDigest(kind, kctx, ns, name string, to int, revs []release.RevisionInfo) string {
	parts := []string{kind, kctx, ns, name, fmt.Sprint(to)}
	for _, r := range revs {
		parts = append(parts, fmt.Sprintf("%d|%s|%s|%v", r.Number, r.Outcome, r.EvidenceDigest, r.Unverified))
	}
	return hex.EncodeToString(s.o.State.mac(parts...))
}
