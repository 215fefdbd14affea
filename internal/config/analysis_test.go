package config

import (
	"reflect"
	"testing"
)

func TestAnalysisGatesOf(t *testing.T) {
	m := &Metrics{Gates: []Gate{{Name: "error-rate"}, {Name: "p99"}, {Name: "saturation"}}}
	names := func(gs []Gate) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Name)
		}
		return out
	}
	tests := []struct {
		name string
		a    CanaryAnalysis
		m    *Metrics
		want []string
	}{
		{"names none: all", CanaryAnalysis{}, m, []string{"error-rate", "p99", "saturation"}},
		{"names some: those, in the metrics' order", CanaryAnalysis{Gates: []string{"saturation", "error-rate"}}, m, []string{"error-rate", "saturation"}},
		{"names one the metrics lack", CanaryAnalysis{Gates: []string{"latency"}}, m, nil},
		{"no metrics", CanaryAnalysis{}, nil, nil},
	}
	for _, tt := range tests {
		if got := names(tt.a.GatesOf(tt.m)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: GatesOf = %v, want %v", tt.name, got, tt.want)
		}
	}
	if a := (CanaryAnalysis{Gates: []string{"p99"}}); !a.Evaluates("p99") || a.Evaluates("error-rate") {
		t.Errorf("an analysis naming p99 evaluates p99 only")
	}
}
