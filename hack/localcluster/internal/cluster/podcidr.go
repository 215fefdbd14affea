package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// podCIDRBlocks is how many /20 blocks of 127.10.0.0/16 environments on one
// machine can use at once.
const podCIDRBlocks = 16

// podCIDR returns the pod CIDR of block n: 127.10.(16n).0/20.
func podCIDR(n int) string { return fmt.Sprintf("127.10.%d.0/20", 16*n) }

// podCIDRLock is the lock file of block n, shared by all environments on
// the machine. The KWOK supervisor holds it as long as it runs, so two
// environments never hand out the same loopback pod IP (their pod runners
// would fight over the addresses).
func podCIDRLock(n int) string {
	return filepath.Join(os.TempDir(), "kship-localcluster", fmt.Sprintf("podcidr-%d.lock", n))
}

// choosePodCIDR returns the first block no running environment holds.
func choosePodCIDR() (cidr, lock string, err error) {
	for n := range podCIDRBlocks {
		free, err := lockFree(podCIDRLock(n))
		if err != nil {
			return "", "", err
		}
		if free {
			return podCIDR(n), podCIDRLock(n), nil
		}
	}
	return "", "", errors.New("choose a pod CIDR: all 16 blocks of 127.10.0.0/16 are held by running environments")
}

// lockFree reports whether path can be locked now (and unlocks it again).
func lockFree(path string) (bool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return false, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return false, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("lock %s: %w", path, err)
	}
	return true, nil
}
