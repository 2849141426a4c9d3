package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// TestStats checks ctconv stats on corpus captures against counts made
// here, flow by flow.
func TestStats(t *testing.T) {
	for _, file := range []string{corpusProc, "../../testdata/corpus/xml-L.txt", "../../testdata/corpus/conntrack-L-extended-id.txt"} {
		sc, _ := format.NewScanner(strings.NewReader(string(readFile(t, file))), format.Dialect{Format: format.Auto, Location: time.UTC})
		want := map[string]int{}
		var packets uint64
		for f, err := range sc.Flows() {
			if err != nil {
				t.Fatal(err)
			}
			want["flows"]++
			want["family "+f.Family.String()]++
			if f.Proto == format.TCP {
				want["tcp"]++
				if f.State == format.TCPEstablished {
					want["tcp ESTABLISHED"]++
				}
			}
			if f.Status&format.StatusAssured != 0 {
				want["assured"]++
			}
			if f.Status&format.StatusSeenReply == 0 {
				want["unreplied"]++
			}
			if f.Orig.Dst.String() == "10.0.0.2" {
				want["to 10.0.0.2"]++
			}
			packets += f.OrigCounters.Packets
		}
		code, out, errs := ctconv(t, "", "stats", "--format", "json", "--tz", "UTC", "--top", "100", file)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", file, code, errs)
		}
		var s stats
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{"flows": s.Flows, "tcp": s.Protocols["tcp"], "tcp ESTABLISHED": s.States["tcp ESTABLISHED"],
			"assured": s.Flags["assured"], "unreplied": s.Flags["unreplied"]}
		for fam, n := range s.Families {
			got["family "+fam] = n
		}
		for _, e := range s.Top["dst"] {
			if e.Value == "10.0.0.2" {
				got["to 10.0.0.2"] = e.Flows
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n got %v\nwant %v", file, got, want)
		}
		if s.Packets != nil && s.Packets.Orig != packets || s.Packets == nil && packets != 0 {
			t.Errorf("%s: packets %+v, want %d", file, s.Packets, packets)
		}
	}
	// Text, filtered, with the table's size.
	code, out, _ := ctconv(t, "", "stats", "--proto", "tcp", "--max", "1000", corpusProc)
	if code != 0 || !strings.Contains(out, "flows                  30\n") || !strings.Contains(out, "table                  30 of 1000 (3.0%)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
