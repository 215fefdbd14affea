package access

import (
	"context"
	"fmt"
	"strings"
	"sync"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Missing is one verb on one resource the current identity may not use.
type Missing struct {
	Rule Rule   `json:"rule"`
	Verb string `json:"verb"`
	Name string `json:"name,omitempty"`
	// Reason is the authorizer's, when it gave one.
	Reason string `json:"reason,omitempty"`
}

// String says what is missing: "create on deployments.apps in namespace shop".
func (m Missing) String() string {
	res := m.Rule.Resource
	if m.Rule.Group != "" {
		res += "." + m.Rule.Group
	}
	if m.Name != "" {
		res += " " + m.Name
	}
	where := "in namespace " + m.Rule.Namespace
	if m.Rule.Namespace == "" {
		where = "(cluster-scoped)"
	}
	return fmt.Sprintf("%s on %s %s", m.Verb, res, where)
}

// Review asks the API server, with one SelfSubjectAccessReview per verb
// (and name), which permissions of n the current identity lacks. A review
// the API server does not answer is an error.
func Review(ctx context.Context, c kubernetes.Interface, n *Needs) ([]Missing, error) {
	type ask struct {
		rule Rule
		verb string
		name string
	}
	var asks []ask
	for _, r := range n.Rules {
		names := r.Names
		if len(names) == 0 {
			names = []string{""}
		}
		for _, v := range r.Verbs {
			for _, name := range names {
				asks = append(asks, ask{r, v, name})
			}
		}
	}
	out := make([]*Missing, len(asks))
	errs := make([]error, len(asks))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, a := range asks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			resource, sub, _ := strings.Cut(a.rule.Resource, "/")
			rev := &authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authv1.ResourceAttributes{
				Namespace: a.rule.Namespace, Verb: a.verb, Group: a.rule.Group, Resource: resource, Subresource: sub, Name: a.name}}}
			got, err := c.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, rev, metav1.CreateOptions{})
			if err != nil {
				errs[i] = fmt.Errorf("ask the API server whether kship may %s: %w", Missing{Rule: a.rule, Verb: a.verb, Name: a.name}, err)
				return
			}
			if !got.Status.Allowed {
				out[i] = &Missing{Rule: a.rule, Verb: a.verb, Name: a.name, Reason: got.Status.Reason}
			}
		}()
	}
	wg.Wait()
	var missing []Missing
	for i := range asks {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if out[i] != nil {
			missing = append(missing, *out[i])
		}
	}
	return missing, nil
}
