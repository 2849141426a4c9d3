// Package lineartest checks in tests that work grows linearly with its
// input: the linear-time tests of format and codec share it.
package lineartest

import (
	"testing"
	"time"
)

// Check times small and large, the same work on an input and on one 16
// times its size, each as the best of seven runs, and fails t if the large
// one takes more than 64 times as long: linear work takes about 16 times,
// quadratic 256. Times under 50µs count as 50µs, below the noise of a busy
// machine.
func Check(t testing.TB, name string, small, large func()) {
	t.Helper()
	ts, tl := best(small), best(large)
	if ratio := float64(tl) / float64(max(ts, 50*time.Microsecond)); ratio > 64 {
		t.Errorf("%s: 16 times the input takes %.0f times as long (%v, %v)", name, ratio, ts, tl)
	}
}

// best returns the least time of seven runs of fn.
func best(fn func()) time.Duration {
	d := time.Duration(1 << 62)
	for range 7 {
		start := time.Now()
		fn()
		d = min(d, time.Since(start))
	}
	return d
}
