package validate

import (
	"fmt"
	"strconv"
	"strings"
)

// defaultKubeVersion is the newest Kubernetes version kship knows (that of
// its k8s.io modules), assumed offline when no version is given.
const defaultKubeVersion = "1.37"

// kubeVersion is a Kubernetes minor release; the zero value is "never".
type kubeVersion struct{ major, minor int }

// parseKubeVersion reads "1.37", "v1.37.2" or "1.37+".
func parseKubeVersion(s string) (kubeVersion, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return kubeVersion{}, fmt.Errorf("invalid Kubernetes version %q: write it like 1.37", s)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.TrimRight(parts[1], "+"))
	if err1 != nil || err2 != nil || major < 1 {
		return kubeVersion{}, fmt.Errorf("invalid Kubernetes version %q: write it like 1.37", s)
	}
	return kubeVersion{major, minor}, nil
}

// CheckKubeVersion reports whether s is a target Kubernetes version the
// API-version check reads ("1.37", "v1.37.2", "1.37+"); the error says how
// to write one. kship check uses it to refuse a bad --kube-version before
// it starts.
func CheckKubeVersion(s string) error {
	_, err := parseKubeVersion(s)
	return err
}

func mustVersion(s string) kubeVersion {
	if s == "" {
		return kubeVersion{}
	}
	v, err := parseKubeVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

func (v kubeVersion) isZero() bool { return v.major == 0 }

func (v kubeVersion) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

// atLeast reports whether v is at or after release o; false for a zero o.
func (v kubeVersion) atLeast(o kubeVersion) bool {
	if o.isZero() {
		return false
	}
	return v.major > o.major || (v.major == o.major && v.minor >= o.minor)
}

// resolveKubeVersion sets the target version: Input.KubeVersion, else the
// cluster's /version, else the newest known. A bad value is reported and
// the default used.
func (r *run) resolveKubeVersion() {
	r.version, r.versionNote = mustVersion(defaultKubeVersion), "offline: assumed the newest version kship knows, "+defaultKubeVersion
	switch {
	case r.in.KubeVersion != "":
		v, err := parseKubeVersion(r.in.KubeVersion)
		if err != nil {
			r.add(IDAPIVersion, Fail, nil, nil, "the target version given: "+r.in.KubeVersion, "%v", err)
			return
		}
		r.version, r.versionNote = v, "target version given: "+v.String()
	case r.in.Clients != nil && r.in.Clients.Discovery != nil:
		info, err := r.in.Clients.Discovery.ServerVersion()
		if err != nil {
			r.add(IDAPIVersion, Warn, nil, nil, "GET /version of the cluster", "could not read the cluster's version (%v): assumed %s", err, defaultKubeVersion)
			return
		}
		v, err := parseKubeVersion(info.Major + "." + info.Minor)
		if err != nil {
			v, err = parseKubeVersion(info.GitVersion)
		}
		if err != nil {
			r.add(IDAPIVersion, Warn, nil, nil, "GET /version of the cluster", "could not parse the cluster's version %q: assumed %s", info.GitVersion, defaultKubeVersion)
			return
		}
		r.version, r.versionNote = v, "version read from the cluster: "+info.GitVersion
	}
}
