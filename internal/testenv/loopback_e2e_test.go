package testenv_test

import (
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kship/kship/internal/testenv"
)

// TestEveryListenerIsOnLoopback checks every TCP listener and every bound,
// unconnected UDP socket of every process of the environment (the
// recorded components and all their descendants: the control plane, KWOK,
// the pod runner's pods, Prometheus, the git server, Flux's controllers).
// Several of them bind all interfaces by default.
func TestEveryListenerIsOnLoopback(t *testing.T) {
	env := testenv.Get(t)
	sockets := boundSockets(t)
	pids := recordedPIDs(t, filepath.Join(env.RepoRoot, ".localcluster"))
	listeners := 0
	for _, pid := range descendants(t, pids) {
		fds, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
		for _, fd := range fds {
			link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + fd.Name())
			if err != nil {
				continue
			}
			inode, ok := strings.CutPrefix(link, "socket:[")
			if !ok {
				continue
			}
			addr, ok := sockets[strings.TrimSuffix(inode, "]")]
			if !ok {
				continue
			}
			listeners++
			if !addr.Addr().IsLoopback() {
				t.Errorf("process %d (%s) listens on %s, not on loopback", pid, cmdline(pid), addr)
			}
		}
	}
	if listeners < len(pids) {
		t.Fatalf("found %d listeners for %d components; the scan of /proc does not work", listeners, len(pids))
	}
	t.Logf("%d listeners, all on loopback", listeners)
}

// boundSockets maps socket inodes to local addresses: TCP sockets in
// LISTEN state and UDP sockets bound to a port with no peer.
func boundSockets(t *testing.T) map[string]netip.AddrPort {
	t.Helper()
	out := map[string]netip.AddrPort{}
	for _, f := range []struct {
		path  string
		state string // st column wanted
	}{{"/proc/net/tcp", "0A"}, {"/proc/net/tcp6", "0A"}, {"/proc/net/udp", "07"}, {"/proc/net/udp6", "07"}} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatalf("read %s: %v", f.path, err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 10 || fields[3] != f.state {
				continue
			}
			local, err := procAddr(fields[1])
			if err != nil {
				t.Fatalf("%s: %q: %v", f.path, fields[1], err)
			}
			if remote, _ := procAddr(fields[2]); remote.Port() != 0 || local.Port() == 0 {
				continue // a connected (client) UDP socket
			}
			out[fields[9]] = local
		}
	}
	return out
}

// procAddr parses an address of /proc/net/{tcp,udp}[6]: hex IP (in 32-bit
// words of host byte order, little-endian here) and hex port.
func procAddr(s string) (netip.AddrPort, error) {
	ipHex, portHex, _ := strings.Cut(s, ":")
	raw, err := hex.DecodeString(ipHex)
	if err != nil {
		return netip.AddrPort{}, err
	}
	for i := 0; i+4 <= len(raw); i += 4 { // each 32-bit word is little-endian
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	ip, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), nil
}
