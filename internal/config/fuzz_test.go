package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/kship/kship/internal/input"
)

// fullRelease uses every part of the release file, so mutations start
// from each field.
const fullRelease = `apiVersion: kship.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  namespace: shop
  source:
    path: ./deploy
    limits: {file: 32Mi, release: 128Mi}
  strategy: {type: RollingUpdate}
  verify:
    rolloutTimeout: 5m
    smoke:
      - name: health
        http: {url: "http://web.shop/healthz", expectStatus: 200, headers: {Authorization: "Bearer t0ken-value"}}
        retries: 3
        backoff: 2s
    metrics:
      prometheus: {address: "http://127.0.0.1:9090"}
      gates:
        - name: error-rate
          query: sum(rate(http_requests_total{app="web",code=~"5.."}[1m])) / sum(rate(http_requests_total{app="web"}[1m]))
          max: 0.01
          noData: fail
  stabilize: {window: 10m, interval: 30s}
  rollback: {method: auto}
  detector: {restartThreshold: 3, unschedulableGrace: 20s}
  check: {crds: [./crds]}
`

// malformedReleases are the malformed inputs kship was probed with: alias
// bombs, deep nesting (depth levels), huge scalars (size bytes), invalid
// UTF-8, NUL bytes, duplicate keys and wrong types, each in a release file.
func malformedReleases(depth, size int) []string {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 0, "a"; i < 8; i++ {
		name := string(rune('b' + i))
		bomb += name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 8) + "*" + prev + "]\n"
		prev = name
	}
	header := "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: web}\n"
	return []string{
		fullRelease,
		header + "spec:\n  namespace: shop\n  source: {path: ./deploy}\n",
		bomb,
		header + "x-anchors:\n  " + strings.ReplaceAll(bomb, "\n", "\n  ") + "\nspec: {namespace: shop, source: {path: ./d}, check: {crds: *i}}\n",
		header + "spec:\n  namespace: shop\n  source: {path: ./deploy, helm: {chart: c, set: &s {a: b}}}\n  verify: {smoke: [{name: a, http: {url: u, headers: *s}}, {name: b, http: {url: u, headers: *s}}]}\n",
		header + "spec: " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "\n",
		header + "spec: " + strings.Repeat("{a: ", depth) + "b" + strings.Repeat("}", depth) + "\n",
		header + "spec:\n  namespace: " + strings.Repeat("x", size) + "\n  source: {path: ./deploy}\n",
		header + "spec:\n  namespace: \xff\xfe\xfd\n  source: {path: \"./d\xc3\x28\"}\n",
		header + "spec:\n  namespace: sh\x00op\n  source: {path: ./deploy}\n",
		"apiVersion: kship.dev/v1alpha1\x00\nkind: Release\n",
		header + "metadata: {name: other}\nspec:\n  namespace: shop\n  namespace: shop2\n  source: {path: ./deploy}\n",
		header + "spec:\n  namespace: [1, 2]\n  source: ./deploy\n  verify: {rolloutTimeout: 5, smoke: {name: x}}\n  stabilize: {window: -1s}\n",
		header + "spec:\n  namespace: shop\n  source: {path: ./deploy, limits: {file: 1e400, release: -5}}\n  verify: {metrics: {gates: [{name: g, query: \"sum(\", max: yes}]}}\n",
		header + "spec:\n  <<: {namespace: shop}\n  source: {path: ./deploy}\n",
		header + "spec: !!binary aGVsbG8=\n",
		header + "---\n" + header,
		"",
		"---\n...\n",
		"[1, 2, 3]",
		"\"just a string\"",
	}
}

// TestParseMalformed: the malformed inputs at the sizes kship was probed
// with (20,000-deep nesting, 100 KB scalars) are refused or read as
// FuzzParse requires. The fuzz seeds are the same inputs, smaller: the
// fuzzer mutates a seed byte by byte, and 100 KB seeds made it run a few
// inputs a second.
func TestParseMalformed(t *testing.T) {
	for _, s := range malformedReleases(20000, 100_000) {
		checkParse(t, []byte(s))
	}
}

// FuzzParse: whatever the bytes, Parse returns a release or an error that
// is the loader's own (*Error or ErrorList, each naming the file), never
// panics, and gives the same answer twice. A release it returns is
// complete enough to use.
func FuzzParse(f *testing.F) {
	for _, s := range malformedReleases(200, 1000) {
		f.Add([]byte(s))
	}
	f.Fuzz(checkParse)
}

func checkParse(t *testing.T, data []byte) {
	if int64(len(data)) > input.MaxReleaseFile { // Load reads no more
		return
	}
	rel, err := Parse("kship.yaml", data, "/work")
	if (rel == nil) == (err == nil) {
		t.Fatalf("release %v and error %v: exactly one must be nil", rel, err)
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T is not the loader's: %v", err, err)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, "kship.yaml") {
				t.Fatalf("an error line does not name the file: %q", line)
			}
		}
		if _, again := Parse("kship.yaml", data, "/work"); again == nil || again.Error() != err.Error() {
			t.Fatalf("a second Parse differs:\n%v\n---\n%v", err, again)
		}
		return
	}
	if rel.APIVersion != APIVersion || rel.Kind != Kind || rel.Metadata.Name == "" || rel.Spec.Namespace == "" || string(rel.Raw) != string(data) {
		t.Fatalf("an accepted release is incomplete: %+v", rel)
	}
}
