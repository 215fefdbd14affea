package record

import "context"

// Latest (for the tests) returns the newest revision of a release, or nil, nil when the
// release has none.
func (s *Store) Latest(ctx context.Context, ns, release string) (*Revision, error) {
	metas, err := s.listMeta(ctx, ns, release)
	if err != nil || len(metas) == 0 {
		return nil, err
	}
	return s.Get(ctx, ns, release, metas[0].number)
}
