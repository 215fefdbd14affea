package bluegreen

import (
	"strings"

	"github.com/kship/kship/internal/config"
)

// Aim returns the HTTP smoke checks that reach the active Service by name
// (their URL's host or their Host header is <active> or starts with
// "<active>."), rewritten to reach the preview Service instead, and the
// names of the others: those run after the switch only, in Verify.
func Aim(checks []config.SmokeCheck, active, preview string) ([]config.SmokeCheck, []string) {
	var aimed []config.SmokeCheck
	var after []string
	for _, c := range checks {
		if c.HTTP == nil {
			after = append(after, c.Name)
			continue
		}
		h := *c.HTTP
		hit := false
		if h.Headers != nil {
			hs := make(map[string]string, len(h.Headers))
			for k, v := range h.Headers {
				if strings.EqualFold(k, "Host") {
					if nv, ok := rename(v, active, preview); ok {
						v, hit = nv, true
					}
				}
				hs[k] = v
			}
			h.Headers = hs
		}
		if scheme, rest, ok := strings.Cut(h.URL, "://"); ok {
			authority, path, _ := strings.Cut(rest, "/")
			if nv, ok := rename(authority, active, preview); ok {
				h.URL, hit = scheme+"://"+nv+"/"+path, true
			}
		}
		if !hit {
			after = append(after, c.Name)
			continue
		}
		c.HTTP = &h
		aimed = append(aimed, c)
	}
	return aimed, after
}

// rename replaces the first DNS label of host (with its port, if any)
// when it is active.
func rename(host, active, preview string) (string, bool) {
	if userinfo, h, ok := strings.Cut(host, "@"); ok {
		nh, ok := rename(h, active, preview)
		return userinfo + "@" + nh, ok
	}
	label, rest := host, ""
	if i := strings.IndexAny(host, ".:"); i >= 0 {
		label, rest = host[:i], host[i:]
	}
	if label != active {
		return host, false
	}
	return preview + rest, true
}
