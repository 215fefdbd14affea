package cluster

import (
	"fmt"
	"net"
	"slices"
)

// freePorts returns n distinct loopback TCP ports that were free a moment
// ago and are none of taken (ports the environment already uses, which are
// free only while their component is down). All listeners stay open until
// every port is chosen, so the ports differ from each other.
func freePorts(n int, taken []*int) ([]int, error) {
	ports := make([]int, 0, n)
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for len(ports) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("choose a free port: %w", err)
		}
		lns = append(lns, ln)
		port := ln.Addr().(*net.TCPAddr).Port
		if slices.ContainsFunc(taken, func(t *int) bool { return *t == port }) {
			continue
		}
		ports = append(ports, port)
	}
	return ports, nil
}
