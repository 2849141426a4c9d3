package lab

import (
	"strconv"
	"strings"
	"testing"
)

// TestLiveBareACKs checks that BareACKs raises the namespace's invalid
// counter, as conntrack -S sums it over the CPUs, by at least one per ACK,
// and not the error counter (of malformed packets, such as a bad checksum).
func TestLiveBareACKs(t *testing.T) {
	l := ForTest(t, "ctconv-lab", "the table's counters around bare TCP ACKs")
	before := counters(t, l)
	const n = 20
	if err := l.BareACKs(n, 8000); err != nil {
		t.Fatal(err)
	}
	after := counters(t, l)
	if d := after["invalid"] - before["invalid"]; d < n {
		t.Errorf("invalid rose by %d for %d bare ACKs, want at least %d", d, n, n)
	}
	if d := after["error"] - before["error"]; d != 0 {
		t.Errorf("error rose by %d: the ACKs are malformed", d)
	}
}

// counters returns conntrack -S's counters of the lab, summed over the CPUs.
func counters(t *testing.T, l *Lab) map[string]int {
	t.Helper()
	out, err := l.Conntrack("-S")
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]int{}
	for _, f := range strings.Fields(string(out)) {
		name, v, _ := strings.Cut(f, "=")
		if name == "cpu" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("conntrack -S: %q in %q", f, out)
		}
		sums[name] += n
	}
	return sums
}
