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
	var b bytes.Buffer
	for i, o := range objs {
		y, err := yaml.Marshal(o.Obj.Object)
		if err != nil {
			return nil, fmt.Errorf("%s: encode: %w", o.Ref(), err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}
