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

// choosePodCIDR locks the first block no running environment holds and
// returns its CIDR, lock path and the locked file. The lock lives as long
// as the file is open in any process: up hands it to the KWOK supervisor,
// so there is no moment when the block is chosen but unlocked.
func choosePodCIDR() (cidr, path string, f *os.File, err error) {
	for n := range podCIDRBlocks {
		f, err := lockNB(podCIDRLock(n))
		if err != nil {
			return "", "", nil, err
		}
		if f != nil {
			return podCIDR(n), podCIDRLock(n), f, nil
		}
	}
	return "", "", nil, errors.New("choose a pod CIDR: all 16 blocks of 127.10.0.0/16 are held by running environments")
}

// lockNB locks path if nobody holds it and returns the open, locked file;
// it returns nil when another process holds the lock.
func lockNB(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
