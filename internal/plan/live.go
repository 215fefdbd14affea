package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// LiveDigestOf is the SHA-256 of a live object as a plan compares it: its
// content without status and without the metadata the API server changes
// on every write (resourceVersion, managedFields, generation), so status
// updates do not make a plan stale while any change to what the object
// is does. "" for an absent object.
func LiveDigestOf(live *unstructured.Unstructured) string {
	if live == nil {
		return ""
	}
	u := live.DeepCopy()
	unstructured.RemoveNestedField(u.Object, "status")
	for _, f := range []string{"resourceVersion", "managedFields", "generation"} {
		unstructured.RemoveNestedField(u.Object, "metadata", f)
	}
	data, err := json.Marshal(u.Object) // map keys sorted: canonical
	if err != nil {
		return "unencodable"
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}
