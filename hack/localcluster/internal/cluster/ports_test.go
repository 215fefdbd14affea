package cluster

import "testing"

// An environment started by an older localcluster keeps its ports; only
// those of components added since are chosen, and none collides.
func TestFillKeepsSetPortsAndChoosesDistinctNewOnes(t *testing.T) {
	var p Ports
	if n, err := p.fill(); err != nil || n != len(p.all()) {
		t.Fatalf("fill of empty Ports = %d, %v; want %d", n, err, len(p.all()))
	}
	seen := map[int]bool{}
	for _, port := range p.all() {
		if *port == 0 || seen[*port] {
			t.Fatalf("ports %+v: zero or repeated %d", p, *port)
		}
		seen[*port] = true
	}
	old := p
	p.Prometheus = 0
	if n, err := p.fill(); err != nil || n != 1 {
		t.Fatalf("fill with one unset = %d, %v; want 1", n, err)
	}
	if p.APIServer != old.APIServer || p.Etcd != old.Etcd {
		t.Errorf("fill changed set ports: %+v, then %+v", old, p)
	}
	for _, port := range []int{p.Etcd, p.EtcdPeer, p.APIServer, p.Controller, p.Scheduler, p.Kwok, p.Ingress, p.PromSD} {
		if port == p.Prometheus {
			t.Errorf("new port %d collides with a set one: %+v", p.Prometheus, p)
		}
	}
}
