package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// TestStatsTop checks the top lists of ctconv stats against lists made
// here by counting every flow under the name stats shows: the most flows
// first, and the values with as many in the order of their names, for
// lists cut among many ties and lists of every value.
func TestStatsTop(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "table.txt")
	if err := os.WriteFile(file, table(t, format.Conntrack, 3000, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, _ := format.NewScanner(strings.NewReader(string(readFile(t, file))), format.Dialect{})
	counts := map[string]map[string]int{"src": {}, "dst": {}, "sport": {}, "dport": {}}
	for f, err := range sc.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		counts["src"][f.Orig.Src.String()]++
		counts["dst"][f.Orig.Dst.String()]++
		if f.Proto.Layer4() == format.L4Ports {
			counts["sport"][fmt.Sprintf("%s/%d", f.Proto, f.Orig.SrcPort)]++
			counts["dport"][fmt.Sprintf("%s/%d", f.Proto, f.Orig.DstPort)]++
		}
	}
	for _, n := range []int{0, 1, 7, 100, 1e6} {
		code, out, errs := ctconv(t, "", "stats", "--format", "json", "--top", strconv.Itoa(n), file)
		if code != 0 {
			t.Fatalf("--top %d: exit %d: %s", n, code, errs)
		}
		var s stats
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatal(err)
		}
		for key, m := range counts {
			want := []topEntry{}
			for v, c := range m {
				want = append(want, topEntry{v, c})
			}
			slices.SortFunc(want, func(a, b topEntry) int {
				if a.Flows != b.Flows {
					return b.Flows - a.Flows
				}
				return strings.Compare(a.Value, b.Value)
			})
			want = want[:min(n, len(want))]
			if !slices.Equal(s.Top[key], want) {
				t.Errorf("--top %d, %s:\n got %v\nwant %v", n, key, s.Top[key], want)
			}
		}
	}
}

// TestTally counts values into tallies, through their growth, and
// checks their counts against a map's: 0 and the largest value among
// them, and addresses that differ only by zone or by being an IPv4
// address mapped into IPv6.
func TestTally(t *testing.T) {
	var v4 tally
	want := map[uint32]int{}
	for i := range uint32(100000) {
		v := i * 2654435761 // spread over the 32 bits
		if i%7 == 0 {
			v = i % 10
		}
		v4.add(v, int(i%3+1))
		want[v] += int(i%3 + 1)
	}
	v4.add(math.MaxUint32, 5)
	want[math.MaxUint32] += 5
	if got := maps.Collect(v4.all()); !maps.Equal(got, want) {
		t.Errorf("tally: %d values, want %d", len(got), len(want))
	}
	var addrs addrTally
	wantAddrs := map[netip.Addr]int{}
	for i := range 5000 {
		a := netip.AddrFrom16([16]byte{0xfe, 0x80, 15: byte(i % 200), 14: byte(i % 7)})
		switch i % 3 {
		case 1:
			a = a.WithZone("eth" + strconv.Itoa(i%2))
		case 2:
			a = netip.AddrFrom16(netip.AddrFrom4([4]byte{10, 0, byte(i % 5), byte(i % 11)}).As16())
		}
		addrs.add(a, 1)
		wantAddrs[a]++
	}
	if got := maps.Collect(addrs.all()); !maps.Equal(got, wantAddrs) {
		t.Errorf("addrTally: %d addresses, want %d", len(got), len(wantAddrs))
	}
}

// TestPortCounts counts ports into two portCounts, some past 255 and
// some to exactly 256, as a byte each carries into ints, and checks the
// counts, and those of one merged into the other, against a map's.
func TestPortCounts(t *testing.T) {
	var a, b portCounts
	want := [2]map[uint16]int{{}, {}}
	for i, c := range []*portCounts{&a, &b} {
		for port, n := range map[uint16]int{0: 1, 1: 255, 2: 256, 443: 1000 + i, 511: 513, 512: 255 + i, 65535: 70000} {
			for range n {
				c.add(port)
			}
			want[i][port] = n
		}
	}
	check := func(name string, c *portCounts, want map[uint16]int) {
		t.Helper()
		for port := range 1 << 16 {
			if got := c.count(uint16(port)); got != want[uint16(port)] {
				t.Errorf("%s: port %d: %d flows, want %d", name, port, got, want[uint16(port)])
			}
		}
	}
	check("a", &a, want[0])
	check("b", &b, want[1])
	a.merge(&b)
	for port, n := range want[1] {
		want[0][port] += n
	}
	check("merged", &a, want[0])
}

// TestStatsEmpty summarises captures of an empty table: every line says
// what it counts, "none" where there is nothing to list, and no line ends
// in a blank; --top 0 leaves the top lists out.
func TestStatsEmpty(t *testing.T) {
	for _, file := range []string{"../../testdata/empty/conntrack-L.txt", corpusProc} {
		code, out, errs := ctconv(t, "", "stats", file)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", file, code, errs)
		}
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if strings.TrimRight(line, " ") != line || len(strings.Fields(line)) < 2 {
				t.Errorf("%s: line %q", file, line)
			}
		}
		if empty := strings.Contains(file, "empty"); empty != strings.Contains(out, "\nfamilies               none\n") {
			t.Errorf("%s:\n%s", file, out)
		}
	}
	// --top 0 asks for no top lists, which are left out, not said to be empty.
	if _, out, _ := ctconv(t, "", "stats", "--top", "0", corpusProc); strings.Contains(out, "top ") {
		t.Errorf("--top 0:\n%s", out)
	}
}
