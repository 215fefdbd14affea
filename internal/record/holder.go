package record

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// Identity returns the holder identity kship writes into its locks and
// revisions for the running process: "user@host pid N (boot B, pid ns I,
// started S)". Hostname and pid alone are not one process: containers share
// hostnames and every PID namespace has its own pid 1. The boot id, the
// PID namespace's inode and the process's start time (in clock ticks after
// boot) make it one, so HolderGone never judges a process of another
// container, namespace or boot, nor a later process that reused the pid.
func Identity() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	id := fmt.Sprintf("%s@%s pid %d", name, host, os.Getpid())
	if p, ok := self(); ok {
		id += fmt.Sprintf(" (boot %s, pid ns %s, started %s)", p.boot, p.pidNS, p.started)
	}
	return id
}

// proc is what tells one process from every other on a machine.
type proc struct{ boot, pidNS, started string }

// self reads this process's proc; ok is false when /proc does not say.
func self() (proc, bool) {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return proc{}, false
	}
	ns, ok := pidNamespace()
	started, err := startTime(os.Getpid())
	if !ok || err != nil {
		return proc{}, false
	}
	b := strings.TrimSpace(string(boot))
	if i := strings.IndexByte(b, '-'); i > 0 {
		b = b[:i]
	}
	return proc{boot: b, pidNS: ns, started: started}, true
}

// pidNamespace is the inode of this process's PID namespace.
func pidNamespace() (string, bool) {
	link, err := os.Readlink("/proc/self/ns/pid")
	if err != nil || !strings.HasPrefix(link, "pid:[") {
		return "", false
	}
	return strings.TrimSuffix(strings.TrimPrefix(link, "pid:["), "]"), true
}

// startTime is field 22 of /proc/<pid>/stat: when the process started, in
// clock ticks after boot.
func startTime(pid int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return "", errors.New("unreadable stat")
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return "", errors.New("short stat")
	}
	return fields[19], nil
}

var identityRe = regexp.MustCompile(`^(.*)@(\S+) pid (\d+) \(boot (\w+), pid ns (\d+), started (\d+)\)$`)

// HolderGone reports whether identity (as Identity writes it) is a process
// of this boot and this PID namespace that no longer exists (or whose pid
// now belongs to a process started at another time): its lock can be taken
// at once, without waiting for the lease to expire. Anything else — another
// boot, another PID namespace, another host, an identity without those
// fields — proves nothing, and the lease's own renewal time decides.
func HolderGone(identity string) bool {
	m := identityRe.FindStringSubmatch(identity)
	if m == nil {
		return false
	}
	me, ok := self()
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(m[3])
	if !ok || m[2] != host || m[4] != me.boot || m[5] != me.pidNS || err != nil || pid <= 0 {
		return false
	}
	if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		return true
	}
	started, err := startTime(pid)
	return err == nil && started != m[6]
}
