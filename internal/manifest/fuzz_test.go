package manifest

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// malformedManifests are the malformed inputs kship was probed with, as
// manifest files: alias bombs and loops, deep nesting (depth levels),
// huge scalars (size bytes) and numbers, invalid UTF-8, NUL bytes, duplicate and non-scalar
// keys, merge keys, Lists with bad items, tags, empty and JSON documents.
func malformedManifests(depth, size int) []string {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 0, "a"; i < 8; i++ {
		name := string(rune('b' + i))
		bomb += name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 8) + "*" + prev + "]\n"
		prev = name
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"
	return []string{
		cm + "data: {a: b, n: 1, f: 1.5, t: yes, z: null}\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData: {password: fuzz-secret-value}\ndata: {token: c2VjcmV0}\n",
		cm + "---\n" + cm + "---\n\n---\n...\n",
		"apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(cm, "\n", "\n  ") + "\n- 42\n- {kind: Secret}\n",
		`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}, "data": {"a": "b"}}`,
		cm + bomb,
		cm + "x: &x [*x]\n",
		cm + "data: " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "\n",
		cm + "data: " + strings.Repeat("{a: ", depth) + "b" + strings.Repeat("}", depth) + "\n",
		cm + "data: {a: " + strings.Repeat("x", size) + "}\n",
		cm + "spec: {n: 1" + strings.Repeat("0", 400) + ", o: 0o17, h: 0x1F, i: .inf, u: 1_000, big: 1e400}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff\xfe}\ndata: {\"\xc3\x28\": v}\n",
		"apiVersion: v1\x00\nkind: ConfigMap\nmetadata: {name: nul}\n",
		cm + "data:\n  a: x\n  a: y\n",
		cm + "data: {[1, 2]: x, {a: b}: y}\n",
		cm + "base: &b {a: 1}\ndata:\n  <<: [*b, {c: 2}]\n  <<: 3\n",
		cm + "data: !!binary aGVsbG8=\nspec: !custom {a: b}\n",
		"kind: ConfigMap\nmetadata: {generateName: x-}\n",
		"- a\n- b\n",
		"just a string",
		"apiVersion: v1\nkind: [\n",
		"a:\n  b: c\n   d: e\n",
		"%YAML 1.1\n%YAML 1.2\n---\na: b\n",
		"",
	}
}

// TestDecodeMalformed: the malformed inputs at the sizes kship was probed
// with (20,000-deep nesting, 100 KB scalars) are refused or read as
// FuzzDecode requires; the fuzz seeds are the same inputs, smaller, so the
// fuzzer's byte-by-byte mutations stay fast.
func TestDecodeMalformed(t *testing.T) {
	for _, s := range malformedManifests(20000, 100_000) {
		checkDecode(t, []byte(s))
	}
}

// FuzzDecode: whatever the bytes, Decode never panics and returns only
// what it promises: objects with apiVersion, kind and a name, each at a
// line of the file; errors that are *Error or ErrorList naming the file;
// the same answer twice.
func FuzzDecode(f *testing.F) {
	for _, s := range malformedManifests(200, 1000) {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecode)
}

func checkDecode(t *testing.T, data []byte) {
	if len(data) > 1<<20 {
		return
	}
	objs, err := Decode("deploy/a.yaml", data)
	lines := strings.Count(string(data), "\n") + 1
	for _, o := range objs {
		if o.Obj == nil || o.Obj.GetAPIVersion() == "" || o.Obj.GetKind() == "" || o.Obj.GetName() == "" {
			t.Fatalf("an object without its identity: %v", o.Obj)
		}
		if o.Source.File != "deploy/a.yaml" || o.Source.Line < 1 || o.Source.Line > lines {
			t.Fatalf("object %s at %s, outside the file's %d lines", o.Obj.GetName(), o.Source, lines)
		}
	}
	if err == nil {
		return
	}
	var one *Error
	if !errors.As(err, &one) {
		t.Fatalf("error %T is not the decoder's: %v", err, err)
	}
	for _, l := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(l, "deploy/a.yaml") {
			t.Fatalf("an error line does not name the file: %q", l)
		}
	}
	if _, again := Decode("deploy/a.yaml", data); again == nil || again.Error() != err.Error() {
		t.Fatalf("a second Decode differs:\n%v\n---\n%v", err, again)
	}
}

// TestDecodeRefusesAnAliasBombAtOnce: a few hundred bytes of aliases that
// would expand to 387 million values are refused as an alias bomb, and
// quickly (the budget is ten times the document's own values, not
// maxNodes: expanding to maxNodes took seconds, longer than the fuzzer
// waits for one input). TestDecodeMalformed times every probe input.
func TestDecodeRefusesAnAliasBombAtOnce(t *testing.T) {
	bomb := malformedManifests(1, 1)[5]
	start := time.Now()
	_, err := Decode("deploy/a.yaml", []byte(bomb))
	if err == nil || !strings.Contains(err.Error(), "document expands to too many values through aliases (an alias bomb)") {
		t.Fatalf("error %v, want the alias bomb named", err)
	}
	var e *Error
	if errors.As(err, &e) && e.Source.Line < 4 {
		t.Errorf("the bomb is reported at line %d, before its aliases", e.Source.Line)
	}
	t.Logf("refused in %s", time.Since(start))
	// A document that uses an anchor many times within the allowance is
	// read: 1,000 uses of a 10-value mapping.
	doc := "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c0}\n  data: &d {a: '1', b: '2', c: '3', d: '4', e: '5'}\n"
	for i := 1; i <= 1000; i++ {
		doc += "- {apiVersion: v1, kind: ConfigMap, metadata: {name: c" + strconv.Itoa(i) + "}, data: *d}\n"
	}
	objs, err := Decode("deploy/a.yaml", []byte(doc))
	if err != nil || len(objs) != 1001 {
		t.Fatalf("%d objects, %v; want 1001 read", len(objs), err)
	}
}
