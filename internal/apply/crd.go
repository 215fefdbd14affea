package apply

import (
	"context"
	"fmt"
	"time"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/wait"
)

// crdTimeout bounds the wait for CRDs to become Established.
const crdTimeout = 2 * time.Minute

// establishCRDs waits (watching) until the applied CRDs are Established,
// then resets the REST mapper so the kinds they define resolve.
func (a *Applier) establishCRDs(ctx context.Context, crds []manifest.Object) error {
	if len(crds) == 0 {
		return nil
	}
	refs := make([]manifest.Ref, 0, len(crds))
	for _, c := range crds {
		refs = append(refs, c.Ref())
	}
	w := &wait.Waiter{Clients: a.Clients, Sink: a.Sink, Now: a.Now, Stage: a.Stage}
	if _, err := w.Wait(ctx, refs, wait.Options{Timeout: crdTimeout}); err != nil {
		return fmt.Errorf("wait for CustomResourceDefinitions to be established: %w", err)
	}
	a.Clients.Mapper.Reset()
	return nil
}
