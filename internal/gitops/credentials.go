package gitops

import (
	"context"
	"fmt"
	"os"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/config"
)

// defaultUsername is the username sent with a token when none is given
// (hosts that take a token as the password accept any username).
const defaultUsername = "git"

// auth resolves spec.gitops.credentials into go-git's HTTP basic auth: the
// environment variables kship runs with, or a Secret's username and
// password keys. nil for an open repository. The values stay in the
// returned value: no message kship writes holds them.
func auth(ctx context.Context, typed kubernetes.Interface, c *config.GitCredentials) (transport.AuthMethod, error) {
	if c == nil {
		return nil, nil
	}
	if c.SecretRef != nil {
		return secretAuth(ctx, typed, *c.SecretRef)
	}
	user := defaultUsername
	if c.UsernameEnv != "" {
		if user = os.Getenv(c.UsernameEnv); user == "" {
			return nil, fmt.Errorf("spec.gitops.credentials.usernameEnv: environment variable %s is not set", c.UsernameEnv)
		}
	}
	pass := os.Getenv(c.PasswordEnv)
	if pass == "" {
		return nil, fmt.Errorf("spec.gitops.credentials.passwordEnv: environment variable %s is not set (it holds the token kship pushes with)", c.PasswordEnv)
	}
	return &githttp.BasicAuth{Username: user, Password: pass}, nil
}

func secretAuth(ctx context.Context, typed kubernetes.Interface, ref config.ObjectRef) (transport.AuthMethod, error) {
	if typed == nil {
		return nil, fmt.Errorf("spec.gitops.credentials.secretRef: Secret %s needs a cluster to be read", ref)
	}
	s, err := typed.CoreV1().Secrets(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("spec.gitops.credentials.secretRef: Secret %s: %w", ref, err)
	}
	user, pass := string(s.Data["username"]), string(s.Data["password"])
	if pass == "" {
		return nil, fmt.Errorf("spec.gitops.credentials.secretRef: Secret %s has no key password (it needs username and password, as a Flux GitRepository's secretRef)", ref)
	}
	if user == "" {
		user = defaultUsername
	}
	return &githttp.BasicAuth{Username: user, Password: pass}, nil
}

// credentialsFrom says where c's credentials come from, for messages: the
// Secret or the environment variables, never the values ("" for none).
func credentialsFrom(c *config.GitCredentials) string {
	switch {
	case c == nil:
		return ""
	case c.SecretRef != nil:
		return fmt.Sprintf("Secret %s (spec.gitops.credentials.secretRef)", c.SecretRef)
	case c.UsernameEnv != "":
		return fmt.Sprintf("environment variables %s and %s (spec.gitops.credentials)", c.UsernameEnv, c.PasswordEnv)
	}
	return fmt.Sprintf("environment variable %s (spec.gitops.credentials.passwordEnv)", c.PasswordEnv)
}
