package record

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"syscall"
)

var identityRe = regexp.MustCompile(`^(.*)@(\S+) pid (\d+)$`)

// HolderGone reports whether identity ("user@host pid P", as Identity
// writes it) is a kship process on this host that no longer exists: its
// lock can be taken at once, without waiting for the lease to expire.
func HolderGone(identity string) bool {
	m := identityRe.FindStringSubmatch(identity)
	if m == nil {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(m[3])
	if m[2] != host || err != nil || pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
