package record

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
)

// maxSecretData is the API server's limit on a Secret's data (1 MiB), less
// room for the record and metadata.
const maxSecretData = 1<<20 - 16<<10

// recordJSON is the JSON record stored in a revision Secret.
type recordJSON struct {
	Release        string         `json:"release"`
	Namespace      string         `json:"namespace"`
	Number         int            `json:"number"`
	Outcome        string         `json:"outcome"`
	Message        string         `json:"message,omitempty"`
	EvidenceDir    string         `json:"evidenceDir,omitempty"`
	EvidenceDigest string         `json:"evidenceDigest,omitempty"`
	StartedAt      time.Time      `json:"startedAt"`
	FinishedAt     time.Time      `json:"finishedAt,omitzero"`
	RollbackOf     int            `json:"rollbackOf,omitempty"`
	By             string         `json:"by,omitempty"`
	Unverified     bool           `json:"unverified,omitempty"`
	KshipVersion   string         `json:"kshipVersion,omitempty"`
	Objects        int            `json:"objects"`
	Adopted        []manifest.Ref `json:"adopted,omitempty"`
	Pause          *Pause         `json:"pause,omitempty"`
	RestoredOrigin *event.Origin  `json:"restoredOrigin,omitempty"`
}

// encodeObjects writes objects as multi-document YAML (manifest.Encode).
// The source locations are not kept: a stored revision is replayed as
// rendered.
func encodeObjects(objs []manifest.Object) ([]byte, error) { return manifest.Encode(objs) }

// largestObjects are the n largest of objs by their encoded sizes (from
// manifest.EncodeSized), largest first.
func largestObjects(objs []manifest.Object, sizes []int, n int) []ObjectSize {
	all := make([]ObjectSize, len(objs))
	for i, o := range objs {
		all[i] = ObjectSize{Ref: o.Ref(), Size: sizes[i]}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Size > all[j].Size })
	return all[:min(n, len(all))]
}

// decodeObjects reads what encodeObjects wrote.
func decodeObjects(data []byte) ([]manifest.Object, error) {
	if len(data) == 0 {
		return nil, nil
	}
	objs, err := manifest.Decode("stored manifests", data)
	if err != nil {
		return nil, fmt.Errorf("decode stored manifests: %w", err)
	}
	return objs, nil
}

// compress gzips data.
func compress(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decompress reverses compress; nil stays nil.
func decompress(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(zr)
}

// secretData builds the data of a revision Secret.
func secretData(rev *Revision) (map[string][]byte, error) {
	manifests, sizes, err := manifest.EncodeSized(rev.Objects)
	if err != nil {
		return nil, err
	}
	gzManifests, err := compress(manifests)
	if err != nil {
		return nil, fmt.Errorf("compress manifests: %w", err)
	}
	gzRelease, err := compress(rev.ReleaseFile)
	if err != nil {
		return nil, fmt.Errorf("compress release file: %w", err)
	}
	rec, err := json.Marshal(toRecord(rev))
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	if n := len(gzManifests) + len(gzRelease) + len(rec); n > maxSecretData {
		return nil, &TooLargeError{Size: n, Limit: maxSecretData, Manifests: len(gzManifests), ReleaseFile: len(gzRelease), Record: len(rec),
			Largest: largestObjects(rev.Objects, sizes, 3)}
	}
	data := map[string][]byte{keyManifests: gzManifests, keyReleaseFile: gzRelease, keyRecord: rec}
	if len(rev.ConfigKey) > 0 {
		data[keyConfigKey] = rev.ConfigKey
	}
	return data, nil
}

func toRecord(rev *Revision) recordJSON {
	return recordJSON{
		Release: rev.Release, Namespace: rev.Namespace, Number: rev.Number,
		Outcome: rev.Outcome, Message: rev.Message,
		EvidenceDir: rev.EvidenceDir, EvidenceDigest: rev.EvidenceDigest,
		StartedAt: rev.StartedAt.UTC(), FinishedAt: rev.FinishedAt.UTC(),
		RollbackOf: rev.RollbackOf, By: rev.By, Unverified: rev.Unverified, KshipVersion: rev.KshipVersion,
		Objects: len(rev.Objects), Adopted: rev.Adopted, Pause: rev.Pause, RestoredOrigin: rev.RestoredOrigin,
	}
}

// fromSecretData decodes a revision Secret's data.
func fromSecretData(data map[string][]byte) (*Revision, error) {
	rev, err := recordOnly(data)
	if err != nil {
		return nil, err
	}
	manifests, err := decompress(data[keyManifests])
	if err != nil {
		return nil, fmt.Errorf("decompress %s: %w", keyManifests, err)
	}
	if rev.Objects, err = decodeObjects(manifests); err != nil {
		return nil, err
	}
	if rev.ReleaseFile, err = decompress(data[keyReleaseFile]); err != nil {
		return nil, fmt.Errorf("decompress %s: %w", keyReleaseFile, err)
	}
	return rev, nil
}

// recordOnly decodes the JSON record of a revision Secret's data.
func recordOnly(data map[string][]byte) (*Revision, error) {
	var rec recordJSON
	if err := json.Unmarshal(data[keyRecord], &rec); err != nil {
		return nil, fmt.Errorf("decode %s: %w", keyRecord, err)
	}
	return &Revision{
		Release: rec.Release, Namespace: rec.Namespace, Number: rec.Number,
		Outcome: rec.Outcome, Message: rec.Message,
		EvidenceDir: rec.EvidenceDir, EvidenceDigest: rec.EvidenceDigest,
		StartedAt: rec.StartedAt, FinishedAt: rec.FinishedAt,
		RollbackOf: rec.RollbackOf, By: rec.By, Unverified: rec.Unverified, KshipVersion: rec.KshipVersion,
		Adopted: rec.Adopted, ConfigKey: data[keyConfigKey], Pause: rec.Pause, RestoredOrigin: rec.RestoredOrigin,
	}, nil
}
