package config

// DownJobs are the names of the down Jobs of the release's reversible
// migrations: a rollout never runs them, a rollback does.
func (r *Release) DownJobs() map[string]bool {
	out := map[string]bool{}
	for _, m := range r.Spec.Migrations {
		if m.Type == MigrationReversible && m.Down != "" {
			out[m.Down] = true
		}
	}
	return out
}

// MigrationJobs are the names of every migration Job, up and down.
func (r *Release) MigrationJobs() map[string]bool {
	out := map[string]bool{}
	for _, m := range r.Spec.Migrations {
		out[m.Job] = true
		if m.Down != "" {
			out[m.Down] = true
		}
	}
	return out
}
