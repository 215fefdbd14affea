package config

import (
	"strings"

	"github.com/kship/kship/internal/suggest"
)

// closest returns the known name nearest to s (by edit distance, ignoring
// case), or "" when none is near enough to be a likely typo.
func closest(s string, known []string) string {
	best, bestDist := "", -1
	ls := strings.ToLower(s)
	for _, k := range known {
		if d := suggest.Distance(ls, strings.ToLower(k)); bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist >= 0 && bestDist <= max(2, len(s)/3) {
		return best
	}
	return ""
}

// prefixMatch returns a known name that s starts with or that starts with
// s ("maximum" for "max", "smokeChecks" for "smoke"), or "".
func prefixMatch(s string, known []string) string {
	ls := strings.ToLower(s)
	for _, k := range known {
		lk := strings.ToLower(k)
		if len(k) >= 3 && (strings.HasPrefix(ls, lk) || strings.HasPrefix(lk, ls) && len(s) >= 3) {
			return k
		}
	}
	return ""
}
