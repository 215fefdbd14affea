//go:build unix

package input

import "syscall"

// nonBlock opens a file without waiting for a FIFO's writer.
const nonBlock = syscall.O_NONBLOCK
