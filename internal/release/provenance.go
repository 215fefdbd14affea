package release

import (
	"os"
	"os/user"
	"path/filepath"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/record"
)

// provenance says who ran the attempt, with which kship, against which
// cluster, from which release file, objects and git commit, and the
// images it went from and to. What cannot be learnt is left empty.
func (r *run) provenance(a *attempt) *evidence.Provenance {
	p := &evidence.Provenance{User: userName(), KshipVersion: r.version}
	p.Host, _ = os.Hostname()
	if c := r.clients; c != nil {
		p.Context = c.Context
		if c.Config != nil {
			p.Server = c.Config.Host
		}
		if c.Discovery != nil {
			if v, err := c.Discovery.ServerVersion(); err == nil {
				p.KubernetesVersion = v.GitVersion
			}
		}
	}
	from, to := a.from, a.to
	if a.prep != nil { // a deploy: from the previous revision to its own
		from, to = record.ObjectsOf(a.previous), a.prep.Objects
	}
	if a.rel != nil {
		p.ReleaseFileDigest = evidence.BytesDigest(a.rel.Raw)
		p.Source, p.ReleaseFileSource = sourceCommits(a.rel)
	}
	if to != nil {
		p.ObjectsDigest = evidence.ObjectsDigest(to)
	}
	p.Images = evidence.ImageChanges(from, to)
	return p
}

// sourceCommits are the git commits of the release's source (the folder
// or file of spec.source.path, or the Helm chart) and, when it is another
// one (the release file kept in another repository, or the source in
// none), of the release file's folder.
func sourceCommits(rel *config.Release) (source, releaseFile *evidence.GitSource) {
	if rel.Dir != "" {
		releaseFile, _ = evidence.SourceCommit(rel.Dir)
	}
	path := rel.Spec.Source.Path
	if h := rel.Spec.Source.Helm; h != nil {
		path = h.Chart
	}
	if path == "" {
		return releaseFile, nil
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(rel.Dir, path)
	}
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		path = filepath.Dir(path)
	}
	source, _ = evidence.SourceCommit(path)
	if releaseFile != nil && source != nil && *releaseFile == *source {
		return source, nil
	}
	return source, releaseFile
}

// userName is the user running kship: the account's name, else $USER.
func userName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}
