package config

import "strings"

// closest returns the known name nearest to s (by edit distance, ignoring
// case), or "" when none is near enough to be a likely typo.
func closest(s string, known []string) string {
	best, bestDist := "", -1
	ls := strings.ToLower(s)
	for _, k := range known {
		if d := editDistance(ls, strings.ToLower(k)); bestDist < 0 || d < bestDist {
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

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
