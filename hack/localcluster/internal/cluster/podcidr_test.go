package cluster

import (
	"net/netip"
	"path/filepath"
	"testing"
)

func TestLockNBExcludesASecondHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "block.lock")
	first, err := lockNB(path)
	if err != nil || first == nil {
		t.Fatalf("first lock: %v, %v", first, err)
	}
	if second, err := lockNB(path); err != nil || second != nil {
		t.Fatalf("second lock while held: %v, %v; want nil, nil", second, err)
	}
	first.Close()
	third, err := lockNB(path)
	if err != nil || third == nil {
		t.Fatalf("lock after release: %v, %v", third, err)
	}
	third.Close()
}

func TestPodCIDRBlocksTileTheLoopbackRange(t *testing.T) {
	all := netip.MustParsePrefix("127.10.0.0/16")
	seen := map[string]bool{}
	for n := range podCIDRBlocks {
		p := netip.MustParsePrefix(podCIDR(n))
		if p.Bits() != 20 || !all.Contains(p.Addr()) || p.Masked() != p {
			t.Errorf("block %d = %s, want an aligned /20 inside %s", n, p, all)
		}
		if seen[p.String()] {
			t.Errorf("block %d = %s repeats", n, p)
		}
		seen[p.String()] = true
	}
}
