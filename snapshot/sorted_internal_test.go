package snapshot

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// TestDiffUnsorted checks that a snapshot whose header says sorted, and
// whose flows are not, is an error of the diff, not a wrong answer.
func TestDiffUnsorted(t *testing.T) {
	text := "ipv4     2 udp      17 29 src=10.0.0.2 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.2 sport=53 dport=5353 mark=0 zone=0 use=2\n" +
		"ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 mark=0 zone=0 use=2\n"
	snap := func(lie bool) *Input {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, Header{Source: Text(format.Proc), Sorted: true})
		if err != nil {
			t.Fatal(err)
		}
		if lie {
			w.sort = nil // the flows go out as they come
		}
		in, _ := Open(strings.NewReader(text), Text(format.Proc), format.Dialect{})
		for f, err := range in.Flows() {
			if err != nil {
				t.Fatal(err)
			}
			w.WriteFlow(f)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		out, err := Open(&buf, File, format.Dialect{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	d, err := NewDiff(snap(false), snap(true), DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for _, err := range d.Changes() {
		last = err
	}
	if last == nil || !strings.Contains(last.Error(), "the new capture is not in identity order") {
		t.Errorf("err %v", last)
	}
}

// BenchmarkSortedNetns sorts a million identities of three namespaces, as
// a sorted Writer does before it writes: each comparison of two
// namespaces reads their names (BENCHMARKS.md).
func BenchmarkSortedNetns(b *testing.B) {
	s := newStore()
	var ns netnsNames
	for i := range 1 << 20 {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		f := format.Flow{Family: format.IPv4, Proto: format.TCP, Netns: []string{"blue", "red", "green"}[i%3]}
		f.Orig.Src, f.Orig.Dst = a, a
		k := keyOf(&f, ns.id(f.Netns))
		s.keys.add(k)
		s.refs.add(recordRef{})
	}
	for b.Loop() {
		s.sorted(&ns)
	}
}
