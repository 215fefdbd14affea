package manifest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/ignore"
	"helm.sh/helm/v4/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/input"
)

// loadChart loads a chart folder or .tgz archive as Helm's loader.Load
// does, except that kship reads every file, through rd: the chart's files
// are regular files within the release's limits (Helm's own loader would
// open a FIFO and wait, and follows a link back into the chart for ever).
// A folder honours .helmignore and follows symbolic links as Helm does; a
// link that leads back to a folder it is in is a loop, refused. An archive
// is read whole within the per-file limit and unpacked by Helm, within
// Helm's limits of what it unpacks (loader.MaxDecompressedChartSize).
func loadChart(rd *input.Reader, dir, path string) (*chart.Chart, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		data, err := rd.ReadFile(path)
		if err != nil {
			return nil, readError(dir, "", err)
		}
		return loader.LoadArchive(bytes.NewReader(data))
	}
	top, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	w := &chartWalk{rd: rd, dir: dir, rules: ignore.Empty()}
	if _, err := os.Lstat(filepath.Join(top, ignore.HelmIgnore)); err == nil {
		data, err := rd.ReadFile(filepath.Join(top, ignore.HelmIgnore))
		if err != nil {
			return nil, readError(dir, "", err)
		}
		if w.rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("%s: %w", ignore.HelmIgnore, err)
		}
	}
	w.rules.AddDefaults()
	w.folder(top, "", map[string]bool{})
	if err := w.bad.err(); err != nil {
		return nil, err
	}
	return loader.LoadFiles(w.files)
}

// chartWalk collects the files of a chart folder.
type chartWalk struct {
	rd    *input.Reader
	dir   string // the release file's folder, for messages
	rules *ignore.Rules
	files []*archive.BufferedFile
	bad   errs
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// folder reads the folder at path, named name in the chart ("" for the
// chart's own); open holds the real paths of the folders being walked, to
// tell a link loop.
func (w *chartWalk) folder(path, name string, open map[string]bool) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		w.bad = appendErr(w.bad, readError(w.dir, "", statError(path)))
		return
	}
	if open[real] {
		w.bad.add(Location{File: relPath(w.dir, path)}, "a symbolic link back to a folder it is in (%s): a loop; remove the link", relPath(w.dir, real))
		return
	}
	open[real] = true
	defer delete(open, real)
	entries, err := os.ReadDir(path)
	if err != nil {
		w.bad.add(Location{File: relPath(w.dir, path)}, "cannot read the folder: %v", err)
		return
	}
	for _, e := range entries { // in name order, as Helm walks
		p, n := filepath.Join(path, e.Name()), e.Name()
		if name != "" {
			n = name + "/" + e.Name()
		}
		fi, err := os.Stat(p) // links followed, as Helm does
		if err != nil {
			w.bad = appendErr(w.bad, readError(w.dir, "", statError(p)))
			continue
		}
		if w.rules.Ignore(n, fi) {
			continue
		}
		if fi.IsDir() {
			w.folder(p, n, open)
			continue
		}
		data, err := w.rd.ReadFile(p)
		if err != nil {
			w.bad = appendErr(w.bad, readError(w.dir, "", err))
			continue
		}
		w.files = append(w.files, &archive.BufferedFile{Name: n, Data: bytes.TrimPrefix(data, utf8BOM)})
	}
}

// statError is the input reader's account of a path it cannot stat (a
// link loop, a dangling link).
func statError(path string) error {
	_, err := input.Stat(path)
	if err == nil {
		return &Error{Source: Location{File: path}, Msg: "cannot read it"}
	}
	return err
}

// helmValues merges the values files of h in order, then its set values
// (Helm --set syntax), as Helm's values.Options.MergeValues does; each
// values file is read through rd.
func helmValues(rd *input.Reader, dir string, h *config.Helm) (map[string]any, error) {
	base := map[string]any{}
	for _, f := range h.Values {
		data, err := rd.ReadFile(resolve(dir, f))
		if err != nil {
			return nil, readError(dir, "values: ", err)
		}
		cur := map[string]any{}
		if err := yaml.Unmarshal(data, &cur); err != nil {
			return nil, &Error{Source: Location{File: relPath(dir, resolve(dir, f))}, Msg: "values: invalid YAML: " + strings.TrimPrefix(err.Error(), "error converting YAML to JSON: yaml: ")}
		}
		base = mergeValues(base, cur)
	}
	keys := make([]string, 0, len(h.Set))
	for k := range h.Set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := strvals.ParseInto(k+"="+strings.ReplaceAll(h.Set[k], ",", `\,`), base); err != nil {
			return nil, fmt.Errorf("values: spec.source.helm.set.%s: %w", k, err)
		}
	}
	return base, nil
}

// mergeValues merges b over a: nested mappings merged key by key, any
// other value of b replacing a's.
func mergeValues(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
