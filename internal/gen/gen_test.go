package gen_test

import (
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
)

// TestFlows checks that generated flows print as /proc lines that parse
// back to them, and that the mix is what the package promises.
func TestFlows(t *testing.T) {
	g := gen.New(1)
	var f, back format.Flow
	var line []byte
	count := map[string]int{}
	const n = 20000
	for range n {
		g.Flow(&f)
		var err error
		if line, err = (format.Dialect{Format: format.Proc}).Append(line[:0], &f); err != nil {
			t.Fatal(err)
		}
		if err := new(format.Dialect{Format: format.Proc}).Parse(line[:len(line)-1], &back); err != nil {
			t.Fatalf("%v\n%s", err, line)
		}
		if back != f {
			t.Fatalf("parsed back differs:\n%+v\n%+v", back, f)
		}
		count[f.Proto.String()]++
		count[f.Family.String()]++
		if f.Reply != f.Mirror() {
			count["nat"]++
		}
		if f.Status&format.StatusSeenReply == 0 {
			count["unreplied"]++
		}
	}
	for _, c := range []struct {
		what     string
		min, max float64
	}{
		{"tcp", 0.55, 0.7}, {"udp", 0.28, 0.38}, {"icmp", 0.02, 0.06}, {"icmpv6", 0.005, 0.02},
		{"ipv6", 0.15, 0.25}, {"nat", 0.65, 0.8}, {"unreplied", 0.05, 0.15},
	} {
		if share := float64(count[c.what]) / n; share < c.min || share > c.max {
			t.Errorf("%s: %.3f of the flows, want %.2f to %.2f", c.what, share, c.min, c.max)
		}
	}
	a, b := gen.New(7), gen.New(7)
	var fa, fb format.Flow
	for range 100 {
		a.Flow(&fa)
		b.Flow(&fb)
		if fa != fb {
			t.Fatal("the same seed gives different flows")
		}
	}
}
