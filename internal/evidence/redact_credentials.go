package evidence

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/config"
)

// AddRelease adds the credentials a release file holds: the password (and
// a long token user name) in the userinfo of the Prometheus address and of
// every smoke URL, the values of their query parameters whose names look
// like credentials (token, key, password, signature, …), the values of
// smoke headers whose names do (Authorization, Cookie, X-Api-Key, …; for
// "Bearer T" and "Basic B" also T, B and B's decoded password), and Helm
// --set values whose keys do.
func (r *Redactor) AddRelease(rel *config.Release) {
	if r == nil || rel == nil {
		return
	}
	if m := rel.Spec.Verify.Metrics; m != nil {
		r.AddAddress("spec.verify.metrics.prometheus.address", m.Prometheus.Address)
	}
	for i, s := range rel.Spec.Verify.Smoke {
		if s.HTTP == nil {
			continue
		}
		path := fmt.Sprintf("spec.verify.smoke[%d].http", i)
		r.AddAddress(path+".url", s.HTTP.URL)
		for _, k := range sortedStrings(s.HTTP.Headers) {
			r.AddHeader(path+".headers."+k, k, s.HTTP.Headers[k])
		}
	}
	if h := rel.Spec.Source.Helm; h != nil {
		for _, k := range sortedStrings(h.Set) {
			if credentialName(k) {
				r.addValue("spec.source.helm.set."+k, h.Set[k])
			}
		}
	}
}

// AddReleaseFile adds the credentials of a release file kept as bytes
// (with a revision): it is read leniently, as far as it decodes, since a
// file kship once accepted must still be masked if a later kship would
// refuse it.
func (r *Redactor) AddReleaseFile(data []byte) {
	if r == nil || len(data) == 0 {
		return
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return
	}
	// Only the fields that hold credentials, so that one field a later
	// kship reads differently does not stop the others.
	var doc struct {
		Spec struct {
			Source struct {
				Helm *config.Helm `json:"helm"`
			} `json:"source"`
			Verify struct {
				Smoke []struct {
					HTTP *config.HTTPCheck `json:"http"`
				} `json:"smoke"`
				Metrics *struct {
					Prometheus struct {
						Address string `json:"address"`
					} `json:"prometheus"`
				} `json:"metrics"`
			} `json:"verify"`
		} `json:"spec"`
	}
	_ = json.Unmarshal(js, &doc) // best effort: every field that decodes counts
	rel := &config.Release{}
	rel.Spec.Source.Helm = doc.Spec.Source.Helm
	for _, s := range doc.Spec.Verify.Smoke {
		rel.Spec.Verify.Smoke = append(rel.Spec.Verify.Smoke, config.SmokeCheck{HTTP: s.HTTP})
	}
	if m := doc.Spec.Verify.Metrics; m != nil {
		rel.Spec.Verify.Metrics = &config.Metrics{Prometheus: config.Prometheus{Address: m.Prometheus.Address}}
	}
	r.AddRelease(rel)
}

// AddAddress adds the credentials of a URL: its userinfo's password (and
// the Basic authorization header built from it), its user name when it
// has no password and is long enough to be a token (20 characters or
// more), and the values of query parameters named like credentials.
// source names the address in Unmaskable.
func (r *Redactor) AddAddress(source, raw string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || r == nil {
		return
	}
	if u.User != nil {
		name := u.User.Username()
		if pass, ok := u.User.Password(); ok {
			if r.addValue(source+" password", pass) {
				r.addBasic(name, pass)
			}
		} else if len(name) >= 20 {
			r.addValue(source+" user name", name)
		}
	}
	q := u.Query()
	for _, k := range sortedStrings(q) {
		if credentialName(k) {
			for _, v := range q[k] {
				r.addValue(source+" query parameter "+k, v)
			}
		}
	}
}

// AddHeader adds the value of an HTTP header whose name looks like a
// credential's: the whole value, the credential after an authorization
// scheme ("Bearer T": T), and for Basic the decoded "user:password" and
// its password. Other headers (Host, Accept) are left alone.
func (r *Redactor) AddHeader(source, name, value string) {
	if r == nil || !credentialName(name) {
		return
	}
	r.addValue(source, value)
	scheme, cred, ok := strings.Cut(strings.TrimSpace(value), " ")
	if !ok {
		return
	}
	cred = strings.TrimSpace(cred)
	r.addValue(source, cred)
	if strings.EqualFold(scheme, "basic") {
		if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
			r.addValue(source, string(dec))
			if _, pass, ok := strings.Cut(string(dec), ":"); ok {
				r.addValue(source+" password", pass)
			}
		}
	}
}

// addBasic adds the Basic authorization credential of user and pass
// (base64 of "user:pass"), as an HTTP client sends it.
func (r *Redactor) addBasic(user, pass string) {
	b := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	r.addForm(b)
	r.addForm(base64.RawStdEncoding.EncodeToString([]byte(user + ":" + pass)))
}

// credentialWords are the parts of a header, query parameter or key name
// that mark its value as a credential.
var credentialWords = []string{"pass", "pwd", "secret", "token", "auth", "key", "credential", "cookie", "session", "signature", "sig", "private"}

// credentialName reports whether a header, query parameter or key name
// looks like a credential's.
func credentialName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// userinfoPassword matches the password in a URL's userinfo
// (scheme://user:password@), anywhere in a text, JSON-escaped included.
var userinfoPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)([^\s/?#@:"'<>]*):([^\s/?#@"'<>]+)@`)

// userinfoToken matches a user name of 20 characters or more with no
// password (https://TOKEN@host), the way access tokens are put in URLs.
var userinfoToken = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)([^\s/?#@:"'<>\[\]]{20,})@`)

// maskUserinfo masks every credential in the userinfo of any URL in s,
// known to the Redactor or not: a URL's password is never output.
func maskUserinfo(s string) string {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return s
	}
	return string(maskUserinfoBytes([]byte(s)))
}

// maskUserinfoBytes is maskUserinfo on bytes. Neither pattern matches
// across whitespace, quotes or angle brackets, so the patterns run only on
// the stretches between those that hold "://" and "@": a plan.json or
// checks.json of hundreds of megabytes is scanned at the speed of
// bytes.Index instead of by the regexp machine byte by byte, with the same
// result as the patterns over the whole text.
func maskUserinfoBytes(b []byte) []byte {
	if !bytes.Contains(b, []byte("://")) || !bytes.Contains(b, []byte("@")) {
		return b
	}
	var out []byte
	copied := 0 // b[copied:] is not in out yet
	for i := 0; i < len(b); {
		j := bytes.Index(b[i:], []byte("://"))
		if j < 0 {
			break
		}
		j += i
		start := i
		if k := lastDelimiter(b[i:j]); k >= 0 {
			start = i + k + 1
		}
		end := len(b)
		if k := firstDelimiter(b[j:]); k >= 0 {
			end = j + k
		}
		if seg := b[start:end]; bytes.IndexByte(seg, '@') >= 0 {
			m := userinfoPassword.ReplaceAll(seg, []byte("${1}${2}:"+Mask+"@"))
			m = userinfoToken.ReplaceAll(m, []byte("${1}"+Mask+"@"))
			if !bytes.Equal(m, seg) {
				out = append(append(out, b[copied:start]...), m...)
				copied = end
			}
		}
		i = end
	}
	if out == nil {
		return b
	}
	return append(out, b[copied:]...)
}

// isDelimiter reports whether c can be in no match of userinfoPassword or
// userinfoToken: RE2's \s, quotes and angle brackets.
func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\f', '\r', '"', '\'', '<', '>':
		return true
	}
	return false
}

func lastDelimiter(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if isDelimiter(b[i]) {
			return i
		}
	}
	return -1
}

func firstDelimiter(b []byte) int {
	for i, c := range b {
		if isDelimiter(c) {
			return i
		}
	}
	return -1
}

func sortedStrings[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
