package format_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/lineartest"
)

// TestLinearTime parses lines made to be slow, with n and 16n repeats of
// a piece: the time must grow with n, not with n² (a ratio well under 256;
// times under 50µs count as 50µs, below the noise of a busy machine).
func TestLinearTime(t *testing.T) {
	for _, c := range []struct {
		name        string
		fm          format.Format
		head, piece string
		tail        string
	}{
		{"proc, unknown fields", format.Proc, "ipv4     2 unknown  50 29 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1 mark=0", " x=1", " use=2"},
		{"proc, spaces", format.Proc, "ipv4     2 unknown  50 29 src=10.0.0.1 dst=10.0.0.2", " ", "src=10.0.0.2 dst=10.0.0.1 use=2"},
		{"proc, a long number", format.Proc, "ipv4     2 unknown  50 29 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1 mark=", "0", " use=2"},
		{"conntrack, unknown words", format.Conntrack, "udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2", " [X]", " src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1"},
		{"conntrack, labels", format.Conntrack, "udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1 labels=", "a,", "b"},
		{"xml, unknown elements", format.XML, `<flow><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.1</src><dst>10.0.0.2</dst></layer3><layer4 protonum="50" protoname="unknown"></layer4></meta><meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.2</src><dst>10.0.0.1</dst></layer3><layer4 protonum="50" protoname="unknown"></layer4></meta><meta direction="independent">`, "<x></x>", "<timeout>29</timeout></meta></flow>"},
		{"xml, nesting", format.XML, `<flow>`, "<meta>", "</flow>"},
		{"save, unknown options", format.Save, "-A -t 29 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -p udp --sport 1 --dport 2", " --x 1", ""},
	} {
		line := func(n int) []byte {
			return []byte(c.head + strings.Repeat(c.piece, n) + c.tail)
		}
		parse := func(b []byte) func() {
			// One Scanner for the runs, Reset for each: the best run is
			// one that reuses its buffers (a line read again in its
			// producer's layout needs some), and shows the algorithm's
			// time, not the allocator's.
			var r bytes.Reader
			sc, err := format.NewScanner(&r, format.Dialect{Format: c.fm, Location: time.UTC}, format.WithMaxLine(1<<30))
			if err != nil {
				t.Fatal(err)
			}
			return func() {
				r.Reset(b)
				sc.Reset(&r)
				for _, err := range sc.Flows() { // errors are fine: the time is the question
					if errors.Is(err, format.ErrLineTooLong) {
						t.Errorf("%s: %v", c.name, err)
					}
				}
			}
		}
		lineartest.Check(t, c.name, parse(line(2000)), parse(line(32000)))
	}
}
