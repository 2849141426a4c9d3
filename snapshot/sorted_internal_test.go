package snapshot

import (
	"bytes"
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
