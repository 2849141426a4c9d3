package ctnetlink_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/internal/lab"
)

// TestLiveListen counts the NEW events of a restore of 3,000 flows: with a
// buffer that holds them, every one comes; with the smallest, the kernel
// drops most, and each event is either read or counted in an Overrun,
// by the kernel's own count. Run with -race, it checks the goroutine that
// receives ahead of the decoding.
func TestLiveListen(t *testing.T) {
	l := lab.ForTest(t, "ctconv-ev", "the events of a restore with the kernel's count of them")
	const n = 3000
	var b strings.Builder
	for i := range n {
		src := fmt.Sprintf("10.4.%d.%d", i/256, i%256)
		fmt.Fprintf(&b, "-A -t 60 -u SEEN_REPLY -s %s -d 10.4.255.254 -r 10.4.255.254 -q %s -p udp --sport 1024 --dport 53 --reply-port-src 53 --reply-port-dst 1024\n", src, src)
	}
	file := filepath.Join(t.TempDir(), "restore.save")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		buffer   int
		overruns bool
	}{{64 << 20, false}, {1, true}} {
		var c *ctnetlink.Conn
		if err := l.Do(func() (err error) { c, err = ctnetlink.Dial(); return err }); err != nil {
			t.Fatal(err)
		}
		sc, err := c.Listen(ctnetlink.Events{Buffer: tc.buffer}, &ctnetlink.Decoder{})
		if err != nil {
			c.Close()
			t.Fatal(err)
		}
		var read, dropped, overruns atomic.Int64
		done := make(chan error, 1)
		go func() {
			for f, err := range sc.Flows() {
				var o *ctnetlink.Overrun
				switch {
				case errors.As(err, &o):
					overruns.Add(1)
					dropped.Add(int64(o.Events))
				case err != nil:
					done <- err
					return
				case f.Event == format.EventNew:
					read.Add(1)
				}
			}
			done <- nil
		}()
		if _, err := l.Conntrack("-R", file); err != nil {
			t.Fatal(err)
		}
		for last := int64(-1); read.Load()+dropped.Load() != last; time.Sleep(300 * time.Millisecond) {
			last = read.Load() + dropped.Load()
		}
		c.Close()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if read.Load()+dropped.Load() != n || (overruns.Load() > 0) != tc.overruns || int64(sc.Overruns()) != overruns.Load() {
			t.Errorf("buffer %d: %d events read, %d dropped in %d overruns (Overruns %d), want %d in all, overruns %v",
				tc.buffer, read.Load(), dropped.Load(), overruns.Load(), sc.Overruns(), n, tc.overruns)
		}
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}
