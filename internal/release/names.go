package release

import (
	"fmt"

	"github.com/kship/kship/internal/record"
)

// showManifestsCommand is the shell command printing a revision's manifests
// from its revision Secret (record stores them gzip-compressed under
// manifests.yaml.gz).
func showManifestsCommand(ns, name string, number int) string {
	return fmt.Sprintf(`kubectl -n %s get secret %s -o jsonpath='{.data.manifests\.yaml\.gz}' | base64 -d | gunzip`,
		ns, record.SecretName(name, number))
}
