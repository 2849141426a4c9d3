package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// startHeap is the heap a run may grow to before its first collection.
// Go collects first at 4 MB, which a command reading on two cores passes
// in its first milliseconds, with its batches: that collection finds
// almost everything alive, and on the way costs the workers its write
// barriers and the page faults of scanning memory not yet written. Most
// runs of ctconv need no more than this, and so collect never.
const startHeap = 32 << 20

// delayFirstGC lets the heap grow to goal bytes before the first
// collection, then, once that collection has run, sets GOGC back, as the
// Go compiler does: a short run collects no garbage it will not make. A
// GOGC that the environment sets is left as it is.
func delayFirstGC(goal uint64) {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	now, percent := s[0].Value.Uint64(), s[1].Value.Uint64()
	if now == 0 || now >= goal || percent == 0 {
		return
	}
	old := debug.SetGCPercent(int(percent * goal / now))
	runtime.AddCleanup(new([64]byte), func(old int) { debug.SetGCPercent(old) }, old)
}
