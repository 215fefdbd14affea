package validate

import (
	"encoding/json"
	"hash/fnv"
	"math/rand"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/api/apitesting/fuzzer"
	metafuzzer "k8s.io/apimachinery/pkg/apis/meta/fuzzer"
	clientscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/kship/kship/internal/builtin"
)

// TestEveryBuiltinKindRoundTrips encodes the zero value of every built-in
// kind with the API types' own JSON encoding and checks that the reflected
// schema accepts it: every field the types write is known and well-typed.
func TestEveryBuiltinKindRoundTrips(t *testing.T) {
	n := 0
	for gvk, typ := range builtin.SchemeTypes() {
		obj := reflect.New(typ).Interface()
		data, err := json.Marshal(obj)
		if err != nil {
			continue // kinds that do not encode on their own (internal events)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		w := &schemaWalker{}
		w.walk(builtinSchemas.of(typ), m)
		for _, e := range w.errs {
			if e.msg != "missing required field" {
				t.Errorf("%s: %s: %s", gvk, e.path, e.msg)
			}
		}
		n++
	}
	if n < 300 {
		t.Fatalf("only %d built-in kinds checked", n)
	}
	t.Logf("%d built-in kinds checked", n)
}

// TestRandomBuiltinObjectsValidate fills every built-in kind with random
// values (the API machinery's fuzzer, which knows quantities, times and
// int-or-strings), encodes it with the types' own JSON encoding and checks
// that the reflected schema accepts every field at any depth: three objects
// of every kind. A random object the types cannot encode (the fuzzer fills
// raw JSON fields such as a CRD's default with random bytes) is drawn again.
func TestRandomBuiltinObjectsValidate(t *testing.T) {
	const perKind, tries = 3, 100
	kinds, checked := 0, 0
	for gvk, typ := range builtin.SchemeTypes() {
		kinds++
		// Each kind gets its own stream, seeded by its name: one stream
		// shared by every kind would depend on the map's random order,
		// and a kind hard to encode (CRD v1beta1) then failed once in a
		// while.
		seed := fnv.New64a()
		seed.Write([]byte(gvk.String()))
		f := fuzzer.FuzzerFor(metafuzzer.Funcs, rand.NewSource(int64(seed.Sum64())), clientscheme.Codecs).NilChance(0.2).NumElements(1, 2).MaxDepth(12)
		done := 0
		for i := 0; i < tries && done < perKind; i++ {
			obj := reflect.New(typ).Interface()
			f.Fill(obj)
			data, err := json.Marshal(obj)
			if err != nil {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				continue
			}
			w := &schemaWalker{}
			w.walk(builtinSchemas.of(typ), m)
			for _, e := range w.errs {
				if e.msg != "missing required field" {
					t.Errorf("%s: %s: %s", gvk, e.path, e.msg)
				}
			}
			done++
		}
		if done < perKind {
			t.Errorf("%s: %d of %d random objects could be encoded in %d tries", gvk, done, perKind, tries)
		}
		checked += done
	}
	if kinds < 300 || checked != perKind*kinds {
		t.Errorf("%d random objects of %d built-in kinds checked, want %d of at least 300", checked, kinds, perKind*kinds)
	}
	t.Logf("%d random objects of %d built-in kinds checked", checked, kinds)
}
