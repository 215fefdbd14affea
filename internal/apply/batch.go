package apply

import (
	"context"
	"sync"

	"github.com/kship/kship/internal/manifest"
)

// applyBatch applies the objects of one phase, up to a.Workers at once,
// after one metadata list per resource and namespace to learn which exist
// and at which resourceVersion. Changes come back in input order; errors
// of all objects are joined.
func (a *Applier) applyBatch(ctx context.Context, s *session, objs []manifest.Object) ([]Change, error) {
	if len(objs) == 0 {
		return nil, nil
	}
	changes := make([]Change, len(objs))
	errs := make([]error, len(objs))
	targets := make([]target, 0, len(objs))
	index := make([]int, 0, len(objs))
	for i, o := range objs {
		t, err := a.resolve(o)
		if err != nil {
			changes[i] = Change{Ref: o.Ref(), Source: o.Source, Action: Failed, Error: err.Error()}
			errs[i] = err
			a.emit(changes[i])
			continue
		}
		targets = append(targets, t)
		index = append(index, i)
	}
	live, err := a.liveVersions(ctx, s, targets)
	if err != nil {
		return applied(changes), err
	}
	forEach(ctx, a.workers(), len(targets), func(j int) {
		t := targets[j]
		ch, err := a.applyOne(ctx, s, t, live[t.key()])
		changes[index[j]], errs[index[j]] = ch, err
		a.emit(ch)
	})
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return applied(changes), collect(errs)
}

// applied drops the empty changes of objects never handled.
func applied(changes []Change) []Change {
	out := changes[:0]
	for _, ch := range changes {
		if ch.Action != "" {
			out = append(out, ch)
		}
	}
	return out
}

// forEach runs fn(0..n-1) on up to workers goroutines; it stops handing
// out work when ctx ends.
func forEach(ctx context.Context, workers, n int, fn func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case work <- i:
		case <-ctx.Done():
			i = n
		}
	}
	close(work)
	wg.Wait()
}
