// Package input reads the files kship takes as input (the release file,
// manifests, kustomizations, Helm charts and values, CRD files) within
// bounds: regular files only, symbolic links resolved and their targets
// checked, and a size limit per file and per release. A named pipe, a
// device, a socket, a directory or a symbolic-link loop where a file is
// expected is refused naming the file, before it is opened for reading, so
// kship never blocks on a FIFO nor reads /dev/zero until memory runs out.
package input

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// Default limits. A real bundle is far below them: kube-prometheus'
// manifests, among the largest widely deployed, are 5.6 MB in 90 files, the
// largest 1 MiB; and a release must fit its revision Secret (1 MiB
// compressed), which a bundle of more than a few tens of MiB of YAML
// cannot.
const (
	// DefaultMaxFile is the size limit of one file (16 MiB).
	DefaultMaxFile int64 = 16 << 20
	// DefaultMaxRelease is the limit of all the files of one release
	// together (64 MiB).
	DefaultMaxRelease int64 = 64 << 20
	// MaxReleaseFile is the size limit of the release file (kship.yaml)
	// itself (1 MiB): it is stored in the revision Secret, which holds
	// 1 MiB, and a real one is a few KiB.
	MaxReleaseFile int64 = 1 << 20
)

// Limits bound what a Reader reads. A zero field takes its default.
type Limits struct {
	// File is the most bytes one file may hold.
	File int64
	// Release is the most bytes all the files read may hold together.
	Release int64
	// Raise says how to raise the limits, appended to a refusal (e.g.
	// "raise it with spec.source.limits in the release file").
	Raise string
}

func (l Limits) file() int64 {
	if l.File > 0 {
		return l.File
	}
	return DefaultMaxFile
}

func (l Limits) release() int64 {
	if l.Release > 0 {
		return l.Release
	}
	return DefaultMaxRelease
}

// Reader reads files within Limits, counting each file once (by path)
// against Limits.Release however often it is read. It is safe for
// concurrent use.
type Reader struct {
	limits Limits
	mu     sync.Mutex
	sizes  map[string]int64
	total  int64
}

// NewReader returns a Reader with limits l.
func NewReader(l Limits) *Reader {
	return &Reader{limits: l, sizes: map[string]int64{}}
}

// Limits returns the limits r applies, defaults filled in.
func (r *Reader) Limits() Limits {
	l := r.limits
	l.File, l.Release = l.file(), l.release()
	return l
}

// Total is the number of bytes read so far, each file counted once.
func (r *Reader) Total() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// ReadFile reads the regular file at path (following symbolic links). A
// file that is not regular, is larger than the file limit, or would take
// the files read past the release limit is an *Error.
func (r *Reader) ReadFile(path string) ([]byte, error) {
	key := path
	if abs, err := filepath.Abs(path); err == nil {
		key = abs
	}
	r.mu.Lock()
	_, seen := r.sizes[key]
	budget := r.limits.release() - r.total
	r.mu.Unlock()
	max := r.limits.file()
	if !seen && budget < max {
		max = budget
	}
	data, err := read(path, max, func(size int64) *Error {
		if size > r.limits.file() {
			return &Error{Path: path, Size: size, Limit: r.limits.file(), Reason: "more than the limit per file", Raise: r.limits.Raise}
		}
		if !seen && size > budget {
			return &Error{Path: path, Size: size, Limit: r.limits.release(), Before: r.limits.release() - budget,
				Reason: "which would take the files of the release past their limit together", Raise: r.limits.Raise}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.sizes[key]; ok {
		r.total -= old
	}
	r.sizes[key] = int64(len(data))
	r.total += int64(len(data))
	return data, nil
}

// ReadFile reads one regular file of at most max bytes (following symbolic
// links), outside any release's budget.
func ReadFile(path string, max int64) ([]byte, error) {
	return read(path, max, func(size int64) *Error {
		if size > max {
			return &Error{Path: path, Size: size, Limit: max, Reason: "more than the limit per file"}
		}
		return nil
	})
}

// Stat returns the file information of path, symbolic links followed, or
// an *Error when path is not a regular file. A caller that chooses what to
// read (a directory walk) uses it to tell files from folders.
func Stat(path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, statError(path, err)
	}
	if !fi.Mode().IsRegular() {
		return fi, notRegular(path, fi)
	}
	return fi, nil
}

// read checks path, opens it without blocking, checks it again through the
// open descriptor (it may have been replaced in between), and reads at
// most max bytes; tooBig judges a size.
func read(path string, max int64, tooBig func(int64) *Error) ([]byte, error) {
	fi, err := Stat(path)
	if err != nil {
		return nil, err
	}
	if e := tooBig(fi.Size()); e != nil {
		return nil, e
	}
	// O_NONBLOCK: opening a FIFO put there since the check must not wait
	// for a writer; it has no effect on a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, statError(path, err)
	}
	defer f.Close()
	ofi, err := f.Stat()
	if err != nil {
		return nil, &Error{Path: path, Reason: err.Error()}
	}
	if !ofi.Mode().IsRegular() {
		return nil, notRegular(path, ofi)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, &Error{Path: path, Reason: "cannot read it: " + sysErr(err), Err: err}
	}
	if int64(len(data)) > max { // it grew while being read
		if e := tooBig(int64(len(data))); e != nil {
			return nil, e
		}
	}
	return data, nil
}

// Error is a file kship refuses to read, or cannot.
type Error struct {
	// Path is the file as it was named.
	Path string
	// Reason says why, in the words of a message.
	Reason string
	// Size and Limit are set when the file is too large: its size (at
	// least), and the limit it exceeds; Before is what the release had read
	// before it, when the limit is the release's.
	Size, Limit, Before int64
	// Raise says how to raise the limit.
	Raise string
	// Err is the underlying error, if any (fs.ErrNotExist, ...).
	Err error
}

func (e *Error) Error() string { return e.Path + ": " + e.Message() }

// Message is the error without the path, for callers that name the file
// their own way (relative to the release file).
func (e *Error) Message() string {
	if e.Limit == 0 {
		return e.Reason
	}
	msg := fmt.Sprintf("%s, %s (%s", Size(e.Size), e.Reason, Size(e.Limit))
	if e.Before > 0 {
		msg += fmt.Sprintf("; %s read before it", Size(e.Before))
	}
	msg += ")"
	if e.Raise != "" {
		msg += "; " + e.Raise
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// notRegular is the refusal of a file that is not a regular file, naming
// what it is and, for a symbolic link, what it points to.
func notRegular(path string, fi fs.FileInfo) *Error {
	what := kind(fi.Mode())
	if target, err := os.Readlink(path); err == nil {
		what = fmt.Sprintf("a symbolic link to %s, %s", target, what)
	}
	return &Error{Path: path, Reason: "not a regular file: it is " + what + "; kship reads only regular files (replace it with the file it stands for, or remove it)"}
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "an irregular file (" + m.Type().String() + ")"
}

// statError describes a failed stat or open: a symbolic-link loop and a
// dangling link by name; anything else as the system says it.
func statError(path string, err error) *Error {
	e := &Error{Path: path, Err: err}
	switch {
	case errors.Is(err, syscall.ELOOP):
		e.Reason = "a symbolic link loop (too many levels of symbolic links); kship reads only regular files"
	case errors.Is(err, fs.ErrNotExist):
		if target, lerr := os.Readlink(path); lerr == nil {
			e.Reason = "a symbolic link to " + target + ", which does not exist"
		} else {
			e.Reason = sysErr(err)
		}
	default:
		e.Reason = sysErr(err)
	}
	return e
}

// sysErr is the system's words for err, without the path it repeats.
func sysErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Size formats a byte count the way the limits are written (KiB, MiB, GiB).
func Size(n int64) string {
	const k = 1024
	switch {
	case n >= k*k*k && n%(k*k*k) == 0:
		return fmt.Sprintf("%d GiB", n/(k*k*k))
	case n >= k*k && n%(k*k) == 0:
		return fmt.Sprintf("%d MiB", n/(k*k))
	case n >= k*k:
		return fmt.Sprintf("%.1f MiB", float64(n)/(k*k))
	case n >= k && n%k == 0:
		return fmt.Sprintf("%d KiB", n/k)
	case n >= k:
		return fmt.Sprintf("%.1f KiB", float64(n)/k)
	}
	return fmt.Sprintf("%d bytes", n)
}
