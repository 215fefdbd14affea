package evidence

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

// wholeText is the masking as the two patterns give it over the whole
// text, which maskUserinfoBytes must equal while running them only on the
// stretches that can hold a URL.
func wholeText(b []byte) []byte {
	b = userinfoPassword.ReplaceAll(b, []byte("${1}${2}:"+Mask+"@"))
	return userinfoToken.ReplaceAll(b, []byte("${1}"+Mask+"@"))
}

func TestMaskUserinfoEqualsThePatternsOverTheWholeText(t *testing.T) {
	cases := []string{
		`{"url":"https://user:secret@host/x","next":"http://a:b@c"}`,
		"x https://" + strings.Repeat("t", 24) + "@host y",
		"a://b://c:d@e f",
		"git+ssh://u:p@h\tgit+ssh://u:p@h\n'ftp://u:p@h'<s3://u:p@h>",
		"no url here @ all",
		"://:@",
		"h://u:p@h://v:q@",
		"\u00e9://u:p@h x\u00e9a://\xffu:p\xfe@h",
		`http://web.shop.example/healthz "a@b" :// @`,
	}
	rng := rand.New(rand.NewSource(13))
	alphabet := []string{"a", "Z", "9", "+", ".", "-", ":", "/", "//", "://", "@", "?", "#", " ", "\t", "\n", `"`, "'", "<", ">", "[", "]", "\xff", "é", "https://", "u:p@", strings.Repeat("k", 21)}
	for i := 0; i < 20000; i++ {
		var s strings.Builder
		for n := rng.Intn(24); n >= 0; n-- {
			s.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		cases = append(cases, s.String())
	}
	masked := 0
	for _, c := range cases {
		want := wholeText([]byte(c))
		got := maskUserinfoBytes([]byte(c))
		if !bytes.Equal(got, want) {
			t.Fatalf("%q: masked %q, the patterns over the whole text give %q", c, got, want)
		}
		if s := maskUserinfo(c); s != string(want) {
			t.Fatalf("%q: maskUserinfo gives %q, want %q", c, s, want)
		}
		if !bytes.Equal(want, []byte(c)) {
			masked++
		}
	}
	if masked < 300 {
		t.Fatalf("only %d of %d texts had a credential to mask: the test does not exercise the masking", masked, len(cases))
	}
}
