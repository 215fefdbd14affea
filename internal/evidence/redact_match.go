package evidence

import "sort"

// matcher finds every known form in a text in one pass: a table of the
// first two bytes of every form rules out almost every position at the
// cost of one lookup, and the forms sharing a position's first four bytes
// are tried longest first (a value containing another is masked whole).
// It runs at a few hundred MB/s however many forms there are, where
// strings.Replacer slows down with each one added.
type matcher struct {
	pair     []bool              // 1<<16 entries: first two bytes of some form
	byPrefix map[uint32][]string // forms by their first four bytes, longest first
}

func newMatcher(forms map[string]bool) *matcher {
	m := &matcher{pair: make([]bool, 1<<16), byPrefix: map[uint32][]string{}}
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
	for _, f := range m.byPrefix[prefixOf(s, i)] {
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
