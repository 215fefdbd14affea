package record

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A holder is judged gone only on evidence from this boot and this PID
// namespace: a dead pid of ours is gone; the same dead pid in another PID
// namespace or boot (a container sharing the hostname), an identity without
// those fields, and a live process are not; a pid reused by a later
// process is gone.
func TestHolderGoneOnlyOnProof(t *testing.T) {
	me := Identity()
	m := identityRe.FindStringSubmatch(me)
	if m == nil {
		t.Fatalf("Identity() %q does not carry boot, pid namespace and start time", me)
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	host, _ := os.Hostname()
	ours := func(pid int, boot, ns, started string) string {
		return fmt.Sprintf("%s@%s pid %d (boot %s, pid ns %s, started %s)", m[1], host, pid, boot, ns, started)
	}
	tests := []struct {
		name, identity string
		gone           bool
	}{
		{"this process", me, false},
		{"a dead pid of this boot and namespace", ours(dead, m[4], m[5], "1"), true},
		{"a dead pid of another PID namespace", ours(dead, m[4], "4026530000", "1"), false},
		{"a dead pid of another boot", ours(dead, "0badb007", m[5], "1"), false},
		{"another host", strings.Replace(ours(dead, m[4], m[5], "1"), "@"+host+" ", "@elsewhere ", 1), false},
		{"no boot or namespace", fmt.Sprintf("%s@%s pid %d", m[1], host, dead), false},
		{"our pid, started at another time", ours(os.Getpid(), m[4], m[5], "1"), true},
	}
	for _, tt := range tests {
		if got := HolderGone(tt.identity); got != tt.gone {
			t.Errorf("%s: HolderGone(%q) = %v, want %v", tt.name, tt.identity, got, tt.gone)
		}
	}
}
