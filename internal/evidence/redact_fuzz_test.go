package evidence

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRedactor: whatever the Secret value and the text around it, no form
// of the value (Forms: plain, base64, URL/percent, JSON, HTML, … and
// nested) survives anywhere in what the Redactor leaves unmasked, String
// and Bytes agree, and a password in a URL's userinfo is masked whether or
// not the Redactor knows it. The seeds are the values that broke
// encoders before: every character an escaping changes, invalid UTF-8,
// NUL bytes, newlines (a PEM key), a value inside another, a value that
// is a prefix of the text around it, and long values whose forms are kept
// by digest.
func FuzzRedactor(f *testing.F) {
	seeds := []struct{ value, before, after string }{
		{planted, "token=", "&x=1"},
		{"hunter22", "password: ", "\n"},
		{"s3cr3t-value", `{"msg":"`, `"}`},
		{"\xff\xfe\xfd\xfc", "", ""},
		{"ab\x00cd\x00ef", "nul ", " nul"},
		{"-----BEGIN KEY-----\nMIIBOgIBAAJBAK\n-----END KEY-----", "key: |\n  ", "\n"},
		{"abab", "ababab", "abab"},
		{"value", "valuevalu", "alue"},
		{"%41%42%43%44", "%25", "%"},
		{"a+b c/d?e", "https://u:", "@host/"},
		{strings.Repeat("é€😀", 100), "<", ">"},
		{strings.Repeat("x/y+", 300), "", ""},
		{"[redacted]1", "[redacted]", "1"},
	}
	for _, s := range seeds {
		f.Add(s.value, s.before, s.after)
	}
	f.Fuzz(func(t *testing.T, value, before, after string) {
		if len(value) > 2048 || len(before)+len(after) > 1024 {
			return
		}
		r := &Redactor{}
		r.Add(value)
		if strings.TrimSpace(value) == "" || unmaskable(strings.TrimSpace(value)) != "" {
			if got := r.String(before + value + after); got != maskUserinfo(before+value+after) {
				t.Fatalf("an unmaskable value changed the text: %q", got)
			}
			return
		}
		forms := Forms(strings.TrimSpace(value))
		for _, form := range forms {
			text := before + form + after
			out := r.String(text)
			if b := r.Bytes([]byte(text)); !bytes.Equal(b, []byte(out)) {
				t.Fatalf("String and Bytes differ on %q:\n%q\n%q", text, out, b)
			}
			if leak := leftIn(out, forms); leak != "" {
				t.Fatalf("form %q of value %q is left in %q (from %q)", leak, value, out, text)
			}
		}
		// A URL's password is masked by shape, known or not.
		if utf8.ValidString(value) {
			u := (&url.URL{Scheme: "http", User: url.UserPassword("kship", value), Host: "prom:9090"}).String()
			userinfo := strings.TrimPrefix(u[:strings.LastIndex(u, "@")+1], "http://")
			if out := (&Redactor{}).String(before + " " + u + " " + after); strings.Contains(out, userinfo) {
				t.Fatalf("the password of %q is left in %q", u, out)
			}
		}
	})
}

// leftIn returns a form found in the parts of out the Redactor left
// unmasked (out split at each Mask), "" when there is none.
func leftIn(out string, forms []string) string {
	for _, part := range strings.Split(out, Mask) {
		for _, f := range forms {
			if strings.Contains(part, f) {
				return f
			}
		}
	}
	return ""
}
