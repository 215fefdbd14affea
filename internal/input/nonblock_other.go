//go:build !unix

package input

// nonBlock is 0 where opening does not block on FIFOs (or they do not
// exist); the check before opening refuses them.
const nonBlock = 0
