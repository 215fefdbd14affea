package main

import (
	"math"
	"sync/atomic"
)

// errorSampler decides which app requests fail. It is deterministic: of any
// run of n consecutive requests, round(n*rate) (±1) fail, spread evenly, so
// DEMO_ERROR_RATE=0.3 gives 30% over a few dozen requests, not only on
// average over thousands.
type errorSampler struct {
	rate float64
	n    atomic.Uint64
}

// next reports whether the next request must fail.
func (s *errorSampler) next() bool {
	if s.rate <= 0 {
		return false
	}
	return errorAt(s.n.Add(1)-1, s.rate)
}

// errorAt reports whether request number n (from 0) fails at the given
// rate: it does when floor((n+1)*rate) steps past floor(n*rate).
func errorAt(n uint64, rate float64) bool {
	if rate >= 1 {
		return true
	}
	if rate <= 0 {
		return false
	}
	return math.Floor(float64(n+1)*rate) > math.Floor(float64(n)*rate)
}
