package manifest

import (
	"errors"
	"io/fs"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kship/kship/internal/input"
)

// boundedFS is the filesystem kustomize reads a kustomization through: the
// disk, except that every file is read by the release's input.Reader, so a
// FIFO, a device, a link loop or a file over the limits that a
// kustomization names (a resource, a patch, a generator's file) is refused
// instead of blocking or filling memory. The first refusal is kept:
// kustomize wraps errors in its own words, and kship reports the file it
// refused.
type boundedFS struct {
	filesys.FileSystem
	rd *input.Reader

	mu      sync.Mutex
	refused error
}

// ReadFile reads a file through the input reader.
func (f *boundedFS) ReadFile(path string) ([]byte, error) {
	data, err := f.rd.ReadFile(path)
	if err != nil {
		f.refuse(err)
	}
	return data, err
}

// Open opens a regular file only (kustomize's localizer reads through it).
func (f *boundedFS) Open(path string) (filesys.File, error) {
	if _, err := input.Stat(path); err != nil {
		f.refuse(err)
		return nil, err
	}
	return f.FileSystem.Open(path)
}

func (f *boundedFS) refuse(err error) {
	var ie *input.Error
	if !errors.As(err, &ie) || errors.Is(err, fs.ErrNotExist) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refused == nil {
		f.refused = err
	}
}
