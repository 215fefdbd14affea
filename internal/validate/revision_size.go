package validate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/input"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// AddRevisionSize refuses a release whose revision would not fit its
// Secret: deploy records each revision (objects and release file,
// compressed) in one Secret before its first write, and a Secret holds
// 1 MiB. The size is computed once, by record.Size, the encoding Save
// uses, so check and deploy agree to the byte; a release that does not fit
// is blocked here instead of failing in deploy after the namespace was
// created.
func AddRevisionSize(r *Report, rel *config.Release, objs []manifest.Object) {
	rev := &record.Revision{Release: rel.Metadata.Name, Namespace: rel.Spec.Namespace, Number: 1,
		Outcome: record.OutcomePending, Objects: objs, ReleaseFile: rel.Raw}
	_, err := record.Size(rev)
	if err == nil {
		return
	}
	c := Check{ID: IDGuardrail, Title: "Guardrails", Status: Fail,
		Evidence: "the revision record deploy stores: the objects as rendered and the release file, each gzipped, and the JSON record (record.Size)"}
	var tl *record.TooLargeError
	if !errors.As(err, &tl) {
		c.Message = "the revision record cannot be encoded: " + err.Error()
		r.Add(c)
		return
	}
	c.Rule = "the release is too large for its revision Secret"
	c.Message = fmt.Sprintf("the release is too large for its revision Secret: %s compressed (manifests %s, release file %s, record %s), and a Secret holds at most %s, so deploy could not record it and would refuse it before its first write. "+
		"Split it into smaller releases (CRDs, or large ConfigMaps and Secrets, in a release of their own) or move large data out of the bundle; the largest objects: %s",
		input.Size(int64(tl.Size)), input.Size(int64(tl.Manifests)), input.Size(int64(tl.ReleaseFile)), input.Size(int64(tl.Record)), input.Size(int64(tl.Limit)), largestObjects(tl.Largest))
	r.Add(c)
}

// largestObjects names the objects with their encoded size.
func largestObjects(largest []record.ObjectSize) string {
	parts := make([]string, 0, len(largest))
	for _, s := range largest {
		parts = append(parts, fmt.Sprintf("%s (%s)", s.Ref, input.Size(int64(s.Size))))
	}
	return strings.Join(parts, ", ")
}
