package evidence

import (
	"crypto/sha256"
	"sort"
)

// longFormLen is the length above which the Redactor keeps a form as a
// longForm (its head, length and SHA-256) instead of the form itself: a
// megabyte Secret value has a few hundred forms of megabytes each.
const longFormLen = 1024

// longHeadLen is how much of a long form is kept and compared before its
// digest is computed.
const longHeadLen = 64

// longForm stands for one form longer than longFormLen: a text holds it at
// i when the text's next n bytes start with head and hash to sum.
type longForm struct {
	head string
	n    int
	sum  [sha256.Size]byte
}

func longFormOf(f string) longForm {
	return longForm{head: f[:longHeadLen], n: len(f), sum: sha256.Sum256([]byte(f))}
}

func formDigest(f string) []byte {
	s := sha256.Sum256([]byte(f))
	return s[:]
}

// matcher finds every known form in a text in one pass: a table of the
// first two bytes of every form rules out almost every position at the
// cost of one lookup, and the forms sharing a position's first four bytes
// are tried longest first (a value containing another is masked whole).
// It runs at a few hundred MB/s however many forms there are, where
// strings.Replacer slows down with each one added.
type matcher struct {
	pair     []bool              // 1<<16 entries: first two bytes of some form
	byPrefix map[uint32][]string // forms by their first four bytes, longest first
	long     map[uint32][]longForm
}

func newMatcher(forms map[string]bool, long map[longForm]bool) *matcher {
	m := &matcher{pair: make([]bool, 1<<16), byPrefix: map[uint32][]string{}, long: map[uint32][]longForm{}}
	for f := range long {
		m.pair[pairOf(f.head, 0)] = true
		k := prefixOf(f.head, 0)
		m.long[k] = append(m.long[k], f)
	}
	for _, fs := range m.long {
		sort.Slice(fs, func(i, j int) bool {
			if fs[i].n != fs[j].n {
				return fs[i].n > fs[j].n
			}
			return fs[i].head < fs[j].head
		})
	}
	for f := range forms {
		if len(f) < MinSecretLen {
			continue
		}
		m.pair[pairOf(f, 0)] = true
		k := prefixOf(f, 0)
		m.byPrefix[k] = append(m.byPrefix[k], f)
	}
	for _, fs := range m.byPrefix {
		sort.Slice(fs, func(i, j int) bool {
			if len(fs[i]) != len(fs[j]) {
				return len(fs[i]) > len(fs[j])
			}
			return fs[i] < fs[j]
		})
	}
	return m
}

func pairOf[T string | []byte](s T, i int) uint16 { return uint16(s[i])<<8 | uint16(s[i+1]) }

func prefixOf[T string | []byte](s T, i int) uint32 {
	return uint32(s[i])<<24 | uint32(s[i+1])<<16 | uint32(s[i+2])<<8 | uint32(s[i+3])
}

// match returns the length of the longest form at s[i:], 0 when none.
func match[T string | []byte](m *matcher, s T, i int) int {
	if !m.pair[pairOf(s, i)] {
		return 0
	}
	k := prefixOf(s, i)
	// Long forms are longer than every other form, so they are tried
	// first; the digest is computed only when the head matches.
	for _, f := range m.long[k] {
		if len(s)-i >= f.n && equalAt(s, i, f.head) && sha256.Sum256([]byte(s[i:i+f.n])) == f.sum {
			return f.n
		}
	}
	for _, f := range m.byPrefix[k] {
		if len(s)-i >= len(f) && equalAt(s, i, f) {
			return len(f)
		}
	}
	return 0
}

func equalAt[T string | []byte](s T, i int, f string) bool {
	for j := 0; j < len(f); j++ {
		if s[i+j] != f[j] {
			return false
		}
	}
	return true
}

// replace returns s with every form replaced by Mask, and whether it
// changed; s itself is returned (not copied) when nothing matched.
func replace[T string | []byte](m *matcher, s T) (T, bool) {
	var out []byte
	last := 0
	for i := 0; i+MinSecretLen <= len(s); {
		n := match(m, s, i)
		if n == 0 {
			i++
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(s))
		}
		out = append(out, s[last:i]...)
		out = append(out, Mask...)
		i += n
		last = i
	}
	if out == nil {
		return s, false
	}
	out = append(out, s[last:]...)
	return T(out), true
}
