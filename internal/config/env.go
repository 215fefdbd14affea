package config

import (
	"fmt"
	"os"
)

// The release file's URLs and addresses (each HTTP smoke check's url and
// the Prometheus address) may name environment variables, as in
// http://${KSHIP_INGRESS}/healthz, so one release file works on every
// machine. They are expanded with ExpandEnv everywhere kship reads them
// (check probes them, deploy and rollback send to them), the same way: an
// unset variable is refused with the same EnvError, never read as "".
// Nothing else in the file is expanded.

// EnvError is a variable a URL or address names that is not set.
type EnvError struct {
	// Name is the variable.
	Name string
}

func (e *EnvError) Error() string {
	return fmt.Sprintf("environment variable %s is not set: export it where kship runs, or write the value into the release file", e.Name)
}

// ExpandEnv replaces ${VAR} and $VAR in s with their values from lookup
// (os.LookupEnv when nil); the first unset variable is an *EnvError.
func ExpandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var missing string
	out := os.Expand(s, func(name string) string {
		v, ok := lookup(name)
		if !ok && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", &EnvError{Name: missing}
	}
	return out, nil
}

// namesEnv reports whether s names an environment variable.
func namesEnv(s string) bool {
	named := false
	os.Expand(s, func(string) string { named = true; return "" })
	return named
}

// EnvField is one field of the release file that ExpandEnv expands.
type EnvField struct {
	// Path is the field's path, as in spec.verify.smoke[0].http.url.
	Path string
	// Value is the field as written.
	Value string
}

// EnvFields lists the fields of r that are expanded from the environment,
// in file order: each HTTP smoke check's url, then the Prometheus address
// when there are gates.
func EnvFields(r *Release) []EnvField {
	var out []EnvField
	for i, c := range r.Spec.Verify.Smoke {
		if c.HTTP != nil {
			out = append(out, EnvField{Path: fmt.Sprintf("spec.verify.smoke[%d].http.url", i), Value: c.HTTP.URL})
		}
	}
	if m := r.Spec.Verify.Metrics; m != nil && len(m.Gates) > 0 {
		out = append(out, EnvField{Path: "spec.verify.metrics.prometheus.address", Value: m.Prometheus.Address})
	}
	return out
}
