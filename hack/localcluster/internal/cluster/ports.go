package cluster

import (
	"fmt"
	"net"
)

// freePorts returns n distinct loopback TCP ports that were free a moment
// ago. All listeners stay open until every port is chosen, so the ports
// differ from each other.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("choose a free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// newPorts chooses free ports for every component.
func newPorts() (Ports, error) {
	p, err := freePorts(9)
	if err != nil {
		return Ports{}, err
	}
	return Ports{
		Etcd: p[0], EtcdPeer: p[1], APIServer: p[2], Controller: p[3],
		Scheduler: p[4], Kwok: p[5], Ingress: p[6], Prometheus: p[7], PromSD: p[8],
	}, nil
}
