package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDelayFirstGC runs delayFirstGC in a process of its own, as main
// does, before any collection: the heap grows to startHeap before the
// first, which sets GOGC back; a GOGC of the environment is kept.
func TestDelayFirstGC(t *testing.T) {
	if os.Getenv("CTCONV_DELAY_GC_CHILD") != "" {
		delayFirstGCChild()
		return
	}
	for _, tc := range []struct{ gogc, want string }{
		{"", "delayed"},
		{"100", "kept"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDelayFirstGC$")
		cmd.Env = slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "GOGC=") })
		cmd.Env = append(cmd.Env, "CTCONV_DELAY_GC_CHILD=1")
		if tc.gogc != "" {
			cmd.Env = append(cmd.Env, "GOGC="+tc.gogc)
		}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "first GC: "+tc.want+"\n") {
			t.Errorf("GOGC=%q: %v\n%s", tc.gogc, err, out)
		}
	}
}

var sink []byte

// delayFirstGCChild is TestDelayFirstGC's process: it prints "first GC:
// delayed" if the heap grew to startHeap with no collection, and GOGC was
// set back once one ran; "kept" if no goal changed.
func delayFirstGCChild() {
	read := func() (goal, gogc, gcs uint64) {
		s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/gc/gogc:percent"}, {Name: "/gc/cycles/total:gc-cycles"}}
		metrics.Read(s)
		return s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64()
	}
	goal0, gogc0, gcs0 := read()
	delayFirstGC(startHeap)
	goal, gogc, _ := read()
	if gogc == gogc0 {
		if goal != goal0 {
			fmt.Printf("goal %d, was %d, with GOGC kept\n", goal, goal0)
			return
		}
		fmt.Println("first GC: kept")
		return
	}
	if gcs0 != 0 || goal < startHeap {
		fmt.Printf("%d collections before; goal %d, want at least %d\n", gcs0, goal, startHeap)
		return
	}
	// Garbage of half startHeap, which GOGC=100 would have collected
	// more than once.
	for range startHeap / 2 / 4096 {
		sink = make([]byte, 4096)
	}
	if _, _, gcs := read(); gcs != 0 {
		fmt.Printf("%d collections within startHeap\n", gcs)
		return
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		runtime.GC()
		if _, gogc, _ := read(); gogc == gogc0 {
			fmt.Println("first GC: delayed")
			return
		}
		time.Sleep(time.Millisecond)
	}
	fmt.Printf("GOGC %d after a collection, want %d\n", gogc, gogc0)
}
