package manifest

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/yaml"
)

// Encode writes objects as one multi-document YAML stream, in order; Decode
// reads it back into the same objects (kship stores revisions this way).
// Where an object came from is not part of the stream.
func Encode(objs []Object) ([]byte, error) {
	b, _, err := EncodeSized(objs)
	return b, err
}

// EncodeSized is Encode that also returns each object's size in the stream
// in bytes (its document, without the separator), so a caller that needs
// both (the revision size check naming the largest objects) encodes once.
func EncodeSized(objs []Object) ([]byte, []int, error) {
	var b bytes.Buffer
	sizes := make([]int, len(objs))
	for i, o := range objs {
		y, err := yaml.Marshal(o.Obj.Object)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: encode: %w", o.Ref(), err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
		sizes[i] = len(y)
	}
	return b.Bytes(), sizes, nil
}
