package evidence

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

// planted has every character that an encoding changes: space, / + ? & =
// < > " ' # % @ : and a backslash.
const planted = `Pl4nt S1 x/y+z?&=<q>"'#%@:\end`

func secretWith(data, stringData map[string]any) manifest.Object {
	obj := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "db", "namespace": "shop"}}
	if data != nil {
		obj["data"] = data
	}
	if stringData != nil {
		obj["stringData"] = stringData
	}
	return manifest.Object{Obj: &unstructured.Unstructured{Object: obj}}
}

// encodings are the ways an output can carry a value, written
// independently of Forms (each by the library that would write it).
func encodings(v string) map[string]string {
	js, _ := json.Marshal(v)
	var plainJS bytes.Buffer
	enc := json.NewEncoder(&plainJS)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	yml, _ := yaml.Marshal(map[string]string{"k": v})
	var xb bytes.Buffer
	_ = xml.EscapeText(&xb, []byte(v))
	u := &url.URL{Scheme: "postgres", User: url.UserPassword("app", v), Host: "db", RawQuery: url.Values{"password": {v}}.Encode()}
	inQuery := "https://x/?token=" + url.QueryEscape(v)
	nested, _ := json.Marshal(inQuery)
	return map[string]string{
		"plain":            v,
		"base64 std":       base64.StdEncoding.EncodeToString([]byte(v)),
		"base64 raw std":   base64.RawStdEncoding.EncodeToString([]byte(v)),
		"base64 url":       base64.URLEncoding.EncodeToString([]byte(v)),
		"base64 raw url":   base64.RawURLEncoding.EncodeToString([]byte(v)),
		"base64 of echo":   base64.StdEncoding.EncodeToString([]byte(v + "\n")),
		"query escaped":    url.QueryEscape(v),
		"path escaped":     url.PathEscape(v),
		"lower-case hex":   lowerPercent(url.QueryEscape(v)),
		"URL userinfo":     u.String(),
		"json":             string(js),
		"json no html":     plainJS.String(),
		"go %q":            strconv.Quote(v),
		"yaml":             string(yml),
		"html":             html.EscapeString(v),
		"xml":              xb.String(),
		"json of a query":  string(nested),
		"html of a query":  html.EscapeString(inQuery),
		"base64 in query":  url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(v))),
		"json of json":     strconv.Quote(string(js)),
		"json in html":     html.EscapeString(string(js)),
		"percent in json":  fmt.Sprintf(`{"url":%q}`, "http://h/"+url.PathEscape(v)),
		"userinfo in json": fmt.Sprintf(`{"url":%s}`, mustJSON(u.String())),
	}
}

// lowerPercent writes the hex digits of every %XX in lower case.
func lowerPercent(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '%' && i+2 < len(b) {
			copy(b[i+1:i+3], strings.ToLower(string(b[i+1:i+3])))
		}
	}
	return string(b)
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// leaks reports whether out still holds v, or a piece of it long enough
// to mean something (the distinctive parts around the special characters).
func leaks(out, v string) bool {
	for _, part := range []string{"Pl4nt", "S1", "end"} {
		if strings.Contains(v, part) && strings.Contains(out, part) {
			return true
		}
	}
	return strings.Contains(out, v)
}

func TestRedactorMasksEveryEncoding(t *testing.T) {
	for name, r := range map[string]*Redactor{
		"stringData": NewRedactor([]manifest.Object{secretWith(nil, map[string]any{"password": planted})}),
		"data":       NewRedactor([]manifest.Object{secretWith(map[string]any{"password": base64.StdEncoding.EncodeToString([]byte(planted))}, nil)}),
		"Add":        func() *Redactor { r := &Redactor{}; r.Add(planted); return r }(),
	} {
		for enc, text := range encodings(planted) {
			t.Run(name+"/"+enc, func(t *testing.T) {
				in := "before " + text + " after"
				out := r.String(in)
				if leaks(out, planted) || !strings.Contains(out, Mask) {
					t.Errorf("String(%q) = %q", in, out)
				}
				if b := string(r.Bytes([]byte(in))); b != out {
					t.Errorf("Bytes and String differ: %q vs %q", b, out)
				}
				if !strings.HasPrefix(out, "before ") || !strings.HasSuffix(out, " after") {
					t.Errorf("text around the value changed: %q", out)
				}
			})
		}
	}
}

func TestRedactorLeavesOtherTextAlone(t *testing.T) {
	r := NewRedactor([]manifest.Object{secretWith(nil, map[string]any{"password": planted})})
	in := `Deployment shop/web: spec.replicas: 1 → 2 (see http://127.0.0.1:9090/graph?g0.expr=up)`
	if got := r.String(in); got != in {
		t.Errorf("String changed text without a value: %q", got)
	}
}

func TestRedactorMasksMultiLineValuesLineByLine(t *testing.T) {
	key := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
	r := NewRedactor([]manifest.Object{secretWith(nil, map[string]any{"tls.key": key})})
	block, _ := yaml.Marshal(map[string]string{"tls.key": key})
	out := r.String(string(block))
	if strings.Contains(out, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC") || strings.Contains(out, "BKcwggSjAgEAAoIBAQC7") {
		t.Errorf("a YAML block of the key kept a line of it:\n%s", out)
	}
}

func TestRedactorMasksEveryURLCredential(t *testing.T) {
	var r *Redactor // no known value at all: userinfo is masked wherever a URL appears
	cases := map[string]string{
		"postgres://app:hunter2pw@db:5432/shop":                       "postgres://app:[redacted]@db:5432/shop",
		`{"url":"http://kship:p\u0026ss@127.0.0.1:9090"}`:             `{"url":"http://kship:[redacted]@127.0.0.1:9090"}`,
		"git https://ghp_0123456789abcdefghijABCD@github.com/x/y.git": "git https://[redacted]@github.com/x/y.git",
		"mail root@host and http://host/a@b":                          "mail root@host and http://host/a@b",
	}
	for in, want := range cases {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
		if got := string(r.Bytes([]byte(in))); got != want {
			t.Errorf("Bytes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactorMasksTheReleaseFilesCredentials(t *testing.T) {
	rel := &config.Release{Spec: config.Spec{
		Source: config.Source{Helm: &config.Helm{Set: map[string]string{"db.password": "Pl4ntHelmPw", "image.tag": "v1.2.3"}}},
		Verify: config.Verify{
			Smoke: []config.SmokeCheck{{Name: "health", HTTP: &config.HTTPCheck{
				URL:     "http://web.shop/healthz?token=Pl4ntQueryTok&format=json",
				Headers: map[string]string{"Host": "web.shop", "Authorization": "Bearer Pl4ntBearer", "X-Api-Key": "Pl4ntApiKey"},
			}}, {Name: "basic", HTTP: &config.HTTPCheck{URL: "http://web.shop/",
				Headers: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:Pl4ntBasicPw"))}}}},
			Metrics: &config.Metrics{Prometheus: config.Prometheus{Address: "http://kship:Pl4ntPromPw@127.0.0.1:9090"}},
		},
	}}
	r := &Redactor{}
	r.AddRelease(rel)
	for _, v := range []string{"Pl4ntHelmPw", "Pl4ntQueryTok", "Pl4ntBearer", "Pl4ntApiKey", "Pl4ntBasicPw", "Pl4ntPromPw",
		base64.StdEncoding.EncodeToString([]byte("kship:Pl4ntPromPw")), base64.StdEncoding.EncodeToString([]byte("ops:Pl4ntBasicPw"))} {
		for enc, text := range encodings(v) {
			if out := r.String(text); strings.Contains(out, "Pl4nt") || strings.Contains(out, v) {
				t.Errorf("%s of %s: %q", enc, v, out)
			}
		}
	}
	kept := "GET http://web.shop/healthz?token=x&format=json (Host web.shop), image v1.2.3"
	if got := r.String(kept); got != kept {
		t.Errorf("values that are not credentials were masked: %q", got)
	}
}

// A value too short or too common to look for in free text is not masked
// there (masking every "1" or "true" would destroy the output), and the
// Redactor says where each one is, so check can warn about it.
func TestRedactorShortAndCommonValues(t *testing.T) {
	r := NewRedactor([]manifest.Object{secretWith(
		map[string]any{"flag": base64.StdEncoding.EncodeToString([]byte("true")), "port": base64.StdEncoding.EncodeToString([]byte("5432"))},
		map[string]any{"one": "1", "pin": "123456", "user": "admin", "token": "s3cr3t-token"})})
	in := "replicas: 1, ready: true, port 5432, user admin, pin 123456, token s3cr3t-token"
	want := "replicas: 1, ready: true, port 5432, user admin, pin [redacted], token [redacted]"
	if got := r.String(in); got != want {
		t.Errorf("String(%q) =\n  %q, want\n  %q", in, got, want)
	}
	got := fmt.Sprint(r.Unmaskable())
	for _, w := range []string{"Secret shop/db key flag a common word", "Secret shop/db key one shorter than 4 characters",
		"Secret shop/db key port a number of fewer than 6 digits", "Secret shop/db key user a common word"} {
		if !strings.Contains(got, w) {
			t.Errorf("Unmaskable() = %s, lacks %q", got, w)
		}
	}
	if strings.Contains(got, "true") || strings.Contains(got, "5432") || strings.Contains(got, "admin") {
		t.Errorf("Unmaskable() names a value: %s", got)
	}
}

func TestRedactedCopiesAndMasks(t *testing.T) {
	type info struct {
		Message string
		Items   []string
		Next    *info
	}
	r := &Redactor{}
	r.Add("Pl4ntValue")
	in := info{Message: "a Pl4ntValue", Items: []string{"Pl4ntValue"}, Next: &info{Message: "b Pl4ntValue"}}
	out := Redacted(r, in)
	if out.Message != "a "+Mask || out.Items[0] != Mask || out.Next.Message != "b "+Mask {
		t.Errorf("Redacted = %+v", out)
	}
	if in.Message != "a Pl4ntValue" || in.Next.Message != "b Pl4ntValue" {
		t.Errorf("Redacted changed its argument: %+v", in)
	}
}

func BenchmarkRedactorBytes(b *testing.B) {
	r := &Redactor{}
	for i := range 50 {
		r.Add(fmt.Sprintf("secret-value-%02d-%s", i, planted))
	}
	text := bytes.Repeat([]byte(`{"message":"GET http://web.shop/healthz answers 200 in 3ms","stage":"verify"}`+"\n"), 10000)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		r.Bytes(text)
	}
}

func TestRedactorReadsAStoredReleaseFile(t *testing.T) {
	r := &Redactor{}
	r.AddReleaseFile([]byte("apiVersion: kship.dev/v1alpha1\nkind: Release\nspec:\n  stabilize: {window: not-a-duration}\n" +
		"  verify:\n    metrics: {prometheus: {address: 'http://kship:Pl4ntStoredPw@prom:9090'}}\n" +
		"    smoke: [{name: a, http: {url: 'http://web/', headers: {X-Auth-Token: Pl4ntStoredTok}}}]\n"))
	if got := r.String("Pl4ntStoredPw Pl4ntStoredTok"); got != Mask+" "+Mask {
		t.Errorf("String = %q", got)
	}
}
