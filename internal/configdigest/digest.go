package configdigest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
)

// Key keys the hash of Secret data. It is kept only in the release's
// revision Secrets and never printed: String and MarshalJSON hide it.
type Key []byte

// KeySize is the size of a new Key in bytes.
const KeySize = 32

// NewKey returns a new random Key.
func NewKey() (Key, error) {
	k := make(Key, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("config digest key: %w", err)
	}
	return k, nil
}

// String hides the key.
func (Key) String() string { return "(config digest key)" }

// GoString hides the key from %#v.
func (k Key) GoString() string { return k.String() }

// MarshalJSON hides the key.
func (Key) MarshalJSON() ([]byte, error) { return []byte(`"(config digest key)"`), nil }

// digestVersion starts every digest, so a change to what is hashed changes
// every digest once rather than colliding with an old one.
const digestVersion = "kship.dev/config-digest v1"

// digest is the digest of one workload's uses: SHA-256 over its consumed
// objects, sorted by kind and name, each with the hash of the keys it
// reads (HMAC-SHA256 under key for a Secret).
func digest(uses []Use, configs map[manifest.Ref]*unstructured.Unstructured, key Key) (string, error) {
	read := readKeys(uses)
	refs := make([]manifest.Ref, 0, len(read))
	for ref := range read {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].Kind != refs[j].Kind {
			return refs[i].Kind < refs[j].Kind
		}
		return refs[i].Name < refs[j].Name
	})
	h := sha256.New()
	writeString(h, digestVersion)
	for _, ref := range refs {
		if ref.Kind == kindSecret && len(key) == 0 {
			return "", errors.New("no key to hash Secret data with")
		}
		writeString(h, ref.Kind)
		writeString(h, ref.Name)
		h.Write(objectHash(ref.Kind, consumed(Data(configs[ref]), read[ref]), key))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readKeys merges the keys each consumed object is read for: nil (every
// key) when any use reads them all.
func readKeys(uses []Use) map[manifest.Ref][]string {
	out := map[manifest.Ref][]string{}
	all := map[manifest.Ref]bool{}
	for _, u := range uses {
		switch {
		case all[u.Config]:
		case u.Keys == nil:
			all[u.Config], out[u.Config] = true, nil
		default:
			out[u.Config] = append(out[u.Config], u.Keys...)
		}
	}
	return out
}

// entry is one key a use reads, and its value when the object has it.
type entry struct {
	key, value string
	present    bool
}

// consumed returns the entries of data that keys select (nil: all),
// sorted by key, each once; a key read but absent is an entry too.
func consumed(data map[string]string, keys []string) []entry {
	if keys == nil {
		for k := range data {
			keys = append(keys, k)
		}
	}
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	out := make([]entry, len(keys))
	for i, k := range keys {
		v, ok := data[k]
		out[i] = entry{key: k, value: v, present: ok}
	}
	return out
}

// objectHash hashes one object's entries: SHA-256 for a ConfigMap,
// HMAC-SHA256 under key for a Secret.
func objectHash(kind string, entries []entry, key Key) []byte {
	var h hash.Hash
	if kind == kindSecret {
		h = hmac.New(sha256.New, key)
	} else {
		h = sha256.New()
	}
	for _, e := range entries {
		writeString(h, e.key)
		if !e.present {
			h.Write([]byte{0})
			continue
		}
		h.Write([]byte{1})
		writeString(h, e.value)
	}
	return h.Sum(nil)
}

// writeString writes s length-prefixed, so no two sequences of strings
// hash alike.
func writeString(h hash.Hash, s string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
	h.Write([]byte(s))
}

// Data returns the data of a ConfigMap (data and binaryData, the latter
// as written, base64) or a Secret (data decoded, stringData merged over
// it as the API server does), key by key; nil for other objects and nil.
func Data(u *unstructured.Unstructured) map[string]string {
	if u == nil {
		return nil
	}
	out := map[string]string{}
	d, _ := u.Object["data"].(map[string]any)
	switch u.GetKind() {
	case kindConfigMap:
		for k, v := range d {
			out[k] = fmt.Sprint(v)
		}
		bin, _ := u.Object["binaryData"].(map[string]any)
		for k, v := range bin {
			out[k] = fmt.Sprint(v)
		}
	case kindSecret:
		for k, v := range d {
			s := fmt.Sprint(v)
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				s = string(b)
			}
			out[k] = s
		}
		sd, _ := u.Object["stringData"].(map[string]any)
		for k, v := range sd {
			out[k] = fmt.Sprint(v)
		}
	default:
		return nil
	}
	return out
}

// Changed reports whether what a use reads differs between two versions
// of its ConfigMap or Secret (nil: absent). It compares values, never
// returns them.
func Changed(u Use, old, new *unstructured.Unstructured) bool {
	if (old == nil) != (new == nil) {
		return true
	}
	return !slices.Equal(consumed(Data(old), u.Keys), consumed(Data(new), u.Keys))
}
