package record

// ConfigKey returns the newest config digest key of revs (newest first, as
// List returns them), nil when no revision has one. Revisions without a
// key (written before kship kept one, or rollback revisions) are skipped,
// so the key outlives them.
func ConfigKey(revs []Revision) []byte {
	for _, r := range revs {
		if len(r.ConfigKey) > 0 {
			return r.ConfigKey
		}
	}
	return nil
}
