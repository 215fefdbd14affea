package evidence

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html"
	"net/url"
	"strconv"
	"strings"
)

// escapers are the encodings a value meets on its way to an output: JSON
// (Go's default, which escapes <, > and &, and without that), Go's %q,
// YAML's single-quoted style, HTML (html.EscapeString, and html/template's
// which also escapes +), XML (JUnit, SARIF), URL query and path escaping
// and userinfo escaping (with upper- and lower-case hex digits).
var escapers = []func(string) string{
	jsonEscape(true), jsonEscape(false), goQuote, yamlSingle,
	html.EscapeString, htmlTemplate, xmlEscape,
	url.QueryEscape, url.PathEscape, userinfoEscape,
	lowerHex(url.QueryEscape), lowerHex(url.PathEscape), lowerHex(userinfoEscape),
}

// Forms returns every form of v the Redactor masks: v itself, each escaper
// applied to it, each applied to those (a JSON string holding an escaped
// URL, a report quoting a JSON line), and v's base64 encodings (standard
// and URL alphabets, padded or not, of v and of v with a trailing newline,
// as `echo value | base64` writes it), each of those escaped once. Forms
// shorter than MinSecretLen are left out.
func Forms(v string) []string {
	var out []string
	eachForm(v, func(f string) { out = append(out, f) })
	return out
}

// eachForm calls yield once with every form of v (Forms), computing each
// once and keeping none but the level-one escapings it nests: a long
// value's forms are megabytes each, and the Redactor keeps only a digest
// of those (longForm).
func eachForm(v string, yield func(string)) {
	seen := map[string]bool{}
	add := func(f string) bool {
		if len(f) < MinSecretLen {
			return false
		}
		k := f
		if len(f) > longFormLen {
			k = string(formDigest(f))
		}
		if seen[k] {
			return false
		}
		seen[k] = true
		yield(f)
		return true
	}
	add(v)
	level1 := []string{v}
	for _, e := range escapers {
		if f := e(v); add(f) {
			level1 = append(level1, f)
		}
	}
	for _, f := range level1[1:] {
		for _, e := range escapers {
			add(e(f))
		}
	}
	for _, raw := range []string{v, v + "\n"} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			b := enc.EncodeToString([]byte(raw))
			add(b)
			for _, e := range escapers {
				add(e(b))
			}
		}
	}
}

// levelOneForms returns v and each escaper applied to it once (no
// nesting, no base64): the forms of one line of a long multi-line value.
func levelOneForms(v string) []string {
	out := []string{v}
	for _, e := range escapers {
		if f := e(v); len(f) >= MinSecretLen && f != v {
			out = append(out, f)
		}
	}
	return out
}

func jsonEscape(escapeHTML bool) func(string) string {
	return func(s string) string {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(escapeHTML)
		if err := enc.Encode(s); err != nil {
			return s
		}
		b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		return string(b[1 : len(b)-1])
	}
}

func goQuote(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

func yamlSingle(s string) string { return strings.ReplaceAll(s, "'", "''") }

func htmlTemplate(s string) string {
	return strings.ReplaceAll(html.EscapeString(s), "+", "&#43;")
}

func xmlEscape(s string) string {
	var buf bytes.Buffer
	if err := xml.EscapeText(&buf, []byte(s)); err != nil {
		return s
	}
	return buf.String()
}

// userinfoEscape is how net/url writes a password in a URL's userinfo.
func userinfoEscape(s string) string {
	u := url.UserPassword("u", s).String()
	return strings.TrimPrefix(u, "u:")
}

// lowerHex wraps a percent-encoder to write lower-case hex digits, as some
// encoders do (%2f for /): every %XX whose two digits are upper-case hex,
// left to right, in one pass (a regexp here took most of the time of
// adding a megabyte value).
func lowerHex(enc func(string) string) func(string) string {
	return func(s string) string {
		s = enc(s)
		if !strings.Contains(s, "%") {
			return s
		}
		b := []byte(s)
		for i := 0; i+2 < len(b); i++ {
			if b[i] == '%' && upperHex(b[i+1]) && upperHex(b[i+2]) {
				b[i+1], b[i+2] = lower(b[i+1]), lower(b[i+2])
				i += 2
			}
		}
		return string(b)
	}
}

func upperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// commonWords are values too common to mask in free text: masking every
// "true" or "none" would destroy the output and protect nothing.
var commonWords = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"null": true, "nil": true, "none": true, "enabled": true, "disabled": true,
	"admin": true, "root": true, "user": true, "default": true,
}

// unmaskable says why v is not looked for in free text ("" when it is):
// shorter than MinSecretLen, a common word (commonWords, in any case), or
// a number of fewer than 6 digits (a port, a count).
func unmaskable(v string) string {
	switch {
	case len(v) < MinSecretLen:
		return "shorter than " + strconv.Itoa(MinSecretLen) + " characters"
	case commonWords[strings.ToLower(v)]:
		return "a common word"
	case len(v) < 6 && strings.Trim(v, "0123456789") == "":
		return "a number of fewer than 6 digits"
	}
	return ""
}
