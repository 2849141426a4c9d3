package goroutines_test

import (
	"sync"
	"testing"

	"github.com/ctconv/ctconv/internal/goroutines"
)

// TestGroup counts the goroutines started within Start, and those they
// start, and not those started before or beside it.
func TestGroup(t *testing.T) {
	stop := make(chan struct{})
	var running sync.WaitGroup
	wait := func() { running.Done(); <-stop }
	running.Add(1)
	go wait() // before: not of the group
	running.Add(3)
	g := goroutines.Start(func() {
		go wait()
		go func() {
			go wait() // started by one of the group
			wait()
		}()
	})
	running.Add(1)
	go wait() // after: not of the group
	running.Wait()
	if n := g.Count(); n != 3 {
		t.Errorf("%d goroutines of the group, want 3", n)
	}
	close(stop)
	g.Ended(t)
	if n := goroutines.Start(func() {}).Count(); n != 0 {
		t.Errorf("%d goroutines of an empty group", n)
	}
}
