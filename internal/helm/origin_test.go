package helm

import "testing"

// The Helm revision a failed first kship revision goes back to: the newest
// good one before its own Helm revision, another client's; none when
// nothing ran before it (no earlier revision, only failed ones, or an
// uninstall in between).
func TestPrior(t *testing.T) {
	other := func(n int, st string) Revision { return Revision{Number: n, Status: st} }
	kship := func(n int, st string, k int) Revision { return Revision{Number: n, Status: st, KshipRevision: k} }
	for _, tc := range []struct {
		name string
		hist []Revision
		from int
		want int // 0: none
	}{
		{"kship's own first install: nothing before", []Revision{kship(1, StatusFailed, 1)}, 1, 0},
		{"no Helm revision at all", nil, 1, 0},
		{"another client's install, superseded by kship's", []Revision{other(1, StatusSuperseded), kship(2, StatusFailed, 1)}, 1, 1},
		{"another client's install still deployed (kship's write was not recorded)", []Revision{other(1, StatusDeployed)}, 1, 1},
		{"another client's failed upgrade is skipped", []Revision{other(1, StatusSuperseded), other(2, StatusFailed), kship(3, StatusFailed, 1)}, 1, 1},
		{"another client's pending revision is skipped", []Revision{other(1, StatusSuperseded), other(2, StatusPendingUpgrade), kship(3, StatusDeployed, 1)}, 1, 1},
		{"only failed revisions before: none", []Revision{other(1, StatusFailed), kship(2, StatusFailed, 1)}, 1, 0},
		{"uninstalled before kship's install: nothing ran", []Revision{other(1, StatusSuperseded), other(2, StatusUninstalled), kship(3, StatusFailed, 1)}, 1, 0},
		{"the newest good of several", []Revision{other(1, StatusSuperseded), other(2, StatusSuperseded), kship(3, StatusFailed, 1)}, 1, 2},
		{"revisions after kship's own are not before it", []Revision{other(1, StatusSuperseded), kship(2, StatusFailed, 1), other(3, StatusDeployed)}, 1, 1},
	} {
		got := 0
		if p := Prior(tc.hist, tc.from); p != nil {
			got = p.Number
		}
		if got != tc.want {
			t.Errorf("%s: Prior = Helm revision %d, want %d", tc.name, got, tc.want)
		}
	}
}

// Who wrote the Helm revision a rollback goes back to, as kship records it.
func TestWriter(t *testing.T) {
	for _, tc := range []struct {
		rev  Revision
		want string
	}{
		{Revision{Number: 1, Description: "Install complete"}, "installed by another client: Install complete"},
		{Revision{Number: 4, RollbackTo: 1, Description: "Rollback to 1"}, "written by another client: Rollback to 1"},
		{Revision{Number: 2, KshipRevision: 7}, "written by kship revision 7, of which kship keeps no record"},
	} {
		if got := writer(tc.rev); got != tc.want {
			t.Errorf("writer(%+v) = %q, want %q", tc.rev, got, tc.want)
		}
	}
}
