package config

import (
	"encoding/json"
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kship/kship/internal/input"
)

// Limits bound what kship reads for a release (spec.source.limits): the
// source's files, Helm chart and values files, and the CRD files of
// spec.check.crds. Left out, each takes its default, which no real bundle
// reaches (input.DefaultMaxFile, input.DefaultMaxRelease).
type Limits struct {
	// File is the most one file may hold (default 16Mi).
	File ByteSize `json:"file,omitempty"`
	// Release is the most all the files together may hold (default 64Mi).
	Release ByteSize `json:"release,omitempty"`
}

// ByteSize is a number of bytes, written as a Kubernetes quantity
// ("16Mi", "1Gi", "500k") or a plain number.
type ByteSize struct{ Bytes int64 }

var byteSizeType = reflect.TypeOf(ByteSize{})

// String writes the size as a quantity ("16Mi").
func (b ByteSize) String() string { return resource.NewQuantity(b.Bytes, resource.BinarySI).String() }

// MarshalJSON writes the size as a quantity string.
func (b ByteSize) MarshalJSON() ([]byte, error) { return json.Marshal(b.String()) }

// UnmarshalJSON reads a quantity string or a number of bytes.
func (b *ByteSize) UnmarshalJSON(data []byte) error {
	var s any
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	n, err := parseByteSize(fmt.Sprint(s))
	if err != nil {
		return err
	}
	b.Bytes = n
	return nil
}

func parseByteSize(s string) (int64, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size: write it like 16Mi, 1Gi or 500000", s)
	}
	n, ok := q.AsInt64()
	if !ok || n <= 0 {
		return 0, fmt.Errorf("%q is not a size of at least one byte: write it like 16Mi, 1Gi or 500000", s)
	}
	return n, nil
}

func (d *decoder) byteSize(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!int") {
		d.wrongType(n, v.Type(), path)
		return
	}
	b, err := parseByteSize(n.Value)
	if err != nil {
		d.c.add(n.Line, n.Column, "%s: %v", path, err)
		return
	}
	v.Set(reflect.ValueOf(ByteSize{b}))
}

// InputLimits are the limits kship reads the release's files within,
// defaults filled in, with how to raise them in the release file.
func (r *Release) InputLimits() input.Limits {
	l := input.Limits{Raise: "raise it with spec.source.limits in the release file"}
	if s := r.Spec.Source.Limits; s != nil {
		l.File, l.Release = s.File.Bytes, s.Release.Bytes
	}
	return input.NewReader(l).Limits()
}
