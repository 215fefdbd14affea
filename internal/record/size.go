package record

import (
	"fmt"

	"github.com/kship/kship/internal/input"
	"github.com/kship/kship/internal/manifest"
)

// MaxSize is the most a revision may take in its Secret's data, compressed:
// the API server's limit on a Secret (1 MiB) less room for the Secret's
// metadata.
const MaxSize = maxSecretData

// TooLargeError is a revision that does not fit its Secret, with the
// compressed size of each part.
type TooLargeError struct {
	// Size is the revision's data in bytes; Limit is MaxSize.
	Size, Limit int
	// Manifests and ReleaseFile are the gzipped objects and release file,
	// Record the JSON record, in bytes.
	Manifests, ReleaseFile, Record int
	// Largest are the three largest objects, by their encoded size before
	// compression, largest first.
	Largest []ObjectSize
}

// ObjectSize is an object of a revision and its encoded size in bytes.
type ObjectSize struct {
	Ref  manifest.Ref
	Size int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("revision is %d bytes compressed (%s: manifests %s, release file %s, record %s), more than a Secret holds (%d, %s): split the release",
		e.Size, input.Size(int64(e.Size)), input.Size(int64(e.Manifests)), input.Size(int64(e.ReleaseFile)), input.Size(int64(e.Record)), e.Limit, input.Size(int64(e.Limit)))
}

// Size is the number of bytes rev takes in its revision Secret's data,
// encoded and compressed exactly as Save stores it, so kship check can
// refuse a release deploy could not record. A revision over MaxSize is a
// *TooLargeError (with the size).
func Size(rev *Revision) (int, error) {
	data, err := secretData(rev)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range data {
		n += len(v)
	}
	return n, nil
}
