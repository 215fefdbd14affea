package mcp

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/release"
)

// maxEvidenceRead is the most bytes the evidence tool returns of one file.
const maxEvidenceRead = 1 << 20

// EvidenceInput names a bundle (release and namespace, with revision, or
// an evidenceDir a result returned) and, to read one, a file of it.
type EvidenceInput struct {
	Release     string `json:"release,omitempty" jsonschema:"the release's name"`
	Namespace   string `json:"namespace,omitempty" jsonschema:"the release's namespace"`
	Revision    int    `json:"revision,omitempty" jsonschema:"the revision whose bundle to read (default: the newest)"`
	EvidenceDir string `json:"evidenceDir,omitempty" jsonschema:"an evidence folder a plan, check, deploy or rollback result returned (instead of release and namespace)"`
	File        string `json:"file,omitempty" jsonschema:"a file of the bundle, by name (rollout-plan.md, evidence.json, …); empty lists the files"`
}

// EvidenceFile is one file of a bundle.
type EvidenceFile struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// EvidenceOutput lists a bundle's files or holds one of them, masked.
type EvidenceOutput struct {
	EvidenceDir string         `json:"evidenceDir"`
	Files       []EvidenceFile `json:"files"`
	File        string         `json:"file,omitempty"`
	Content     string         `json:"content,omitempty"`
	Truncated   bool           `json:"truncated,omitempty"`
}

// bundle resolves the evidence folder a client names, inside the server's
// evidence root only, and the Secret values to mask in it.
func (s *Server) bundle(ctx context.Context, release_, ns string, revision int, dir string) (string, []manifest.Object, error) {
	var objs []manifest.Object
	if dir == "" {
		if release_ == "" || ns == "" {
			return "", nil, refuse("give release and namespace (and revision), or an evidenceDir")
		}
		c, err := s.cluster(ctx)
		if err != nil {
			return "", nil, err
		}
		revs, err := release.History(ctx, c, ns, release_)
		if err != nil {
			return "", nil, err
		}
		for _, r := range revs {
			if revision == 0 || r.Number == revision {
				dir = r.EvidenceDir
				if rev, err := record.NewReader(c.Typed).Get(ctx, ns, release_, r.Number); err == nil {
					objs = rev.Objects
				}
				break
			}
		}
		if dir == "" {
			return "", nil, refuse("release %s in namespace %s has no revision %d with an evidence folder", release_, ns, revision)
		}
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(s.o.EvidenceDir, dir)
	}
	if !within(s.o.EvidenceDir, dir) {
		return "", nil, refuse("%s is not an evidence folder of this server (under %s): refused", dir, s.o.EvidenceDir)
	}
	return filepath.Clean(dir), objs, nil
}

func (s *Server) evidence(ctx context.Context, _ *sdk.CallToolRequest, in EvidenceInput) (*sdk.CallToolResult, EvidenceOutput, error) {
	dir, objs, err := s.bundle(ctx, in.Release, in.Namespace, in.Revision, in.EvidenceDir)
	if err != nil {
		return nil, EvidenceOutput{}, err
	}
	out := EvidenceOutput{EvidenceDir: dir, Files: []EvidenceFile{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, out, fmt.Errorf("evidence folder %s: %w", dir, err)
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && e.Type().IsRegular() {
			out.Files = append(out.Files, EvidenceFile{Name: e.Name(), Size: info.Size()})
		}
	}
	if in.File == "" {
		return result(0, fmt.Sprintf("%d files in %s", len(out.Files), dir), out), out, nil
	}
	name := in.File
	if name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return nil, out, refuse("file %q: give the name of a file of the bundle (one of the files listed), not a path", in.File)
	}
	found := false
	for _, f := range out.Files {
		found = found || f.Name == name
	}
	if !found {
		return nil, out, refuse("the bundle %s has no file %s", dir, name)
	}
	data, err := readBounded(filepath.Join(dir, name), maxEvidenceRead)
	if err != nil {
		return nil, out, err
	}
	out.File, out.Truncated = name, len(data) == maxEvidenceRead
	out.Content = s.mask.String(evidence.NewRedactor(objs).String(string(data)))
	return result(0, fmt.Sprintf("%s of %s (%d bytes, Secret values masked)", name, dir, len(data)), out), out, nil
}

// readBounded reads at most max bytes of a regular file (no link).
func readBounded(path string, max int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, refuse("%s is not a regular file: refused", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, min(fi.Size(), max))
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	return buf[:n], nil
}
