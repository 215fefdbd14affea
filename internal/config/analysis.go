package config

import "slices"

// Evaluates says whether the analysis evaluates the gate named name: one
// it names, or any when it names none.
func (a *CanaryAnalysis) Evaluates(name string) bool {
	return len(a.Gates) == 0 || slices.Contains(a.Gates, name)
}

// GatesOf are the gates of m the analysis evaluates, in m's order (none
// without m).
func (a *CanaryAnalysis) GatesOf(m *Metrics) []Gate {
	if m == nil {
		return nil
	}
	var out []Gate
	for _, g := range m.Gates {
		if a.Evaluates(g.Name) {
			out = append(out, g)
		}
	}
	return out
}
