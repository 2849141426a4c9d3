package duckdb

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// block is a fenced block of docs/FLEET.md: its language (sh or sql), the
// name after it, and its text.
type block struct{ lang, name, text string }

var fence = regexp.MustCompile("(?ms)^```(sh|sql)(?: ([a-z-]+))?\n(.*?)^```$")

// recipe returns the sh and sql blocks of docs/FLEET.md, in order.
func recipe(t *testing.T) []block {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(repo, "docs", "FLEET.md"))
	if err != nil {
		t.Fatal(err)
	}
	var bs []block
	for _, m := range fence.FindAllStringSubmatch(string(doc), -1) {
		bs = append(bs, block{m[1], m[2], m[3]})
	}
	return bs
}

// The recipe's hosts and hours, as its snapshots name them (HOST-HOUR.ctsnap)
// and its directories (host=HOST/hour=2026-12-01THOUR).
var (
	hosts = []string{"a", "b", "c"}
	hours = []string{"10", "11"}
)

// TestFleetRecipe runs docs/FLEET.md as written: its shell steps with the
// ctconv and ctgen of this repository, its SQL in DuckDB, and checks each
// query's answer against the same figures computed from the recipe's
// snapshots with ctconv's own packages.
func TestFleetRecipe(t *testing.T) {
	bin := tools(t)
	dir := t.TempDir()
	db := openDB(t)
	checks := map[string]func(t *testing.T, dir string, rows [][]any){
		"top-talkers":    checkTopTalkers,
		"flows-by-state": checkFlowsByState,
		"nat-moved":      checkNATMoved,
		"near-max":       checkNearMax,
		"captures":       checkCaptures,
	}
	ran := map[string]bool{}
	for _, b := range recipe(t) {
		switch {
		case b.lang == "sh":
			cmd := exec.Command("sh", "-eu", "-c", b.text)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "CTCONV="+repo)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s\n%s", err, b.text, out)
			}
		case b.name == "fleet": // the views, which the queries use
			t.Chdir(dir) // the SQL names the files relative to the recipe's directory
			if _, err := db.Exec(b.text); err != nil {
				t.Fatalf("%v\n%s", err, b.text)
			}
		default:
			check := checks[b.name]
			if check == nil {
				t.Fatalf("docs/FLEET.md: a sql block named %q, which the test does not check", b.name)
			}
			t.Run(b.name, func(t *testing.T) { check(t, dir, query(t, db, b.text)) })
			ran[b.name] = true
		}
	}
	for name := range checks {
		if !ran[name] {
			t.Errorf("docs/FLEET.md has no sql block %q", name)
		}
	}
}

// snap returns the flows of host's snapshot of hour.
func snap(t *testing.T, dir, host, hour string) []format.Flow {
	return flows(t, filepath.Join(dir, host+"-"+hour+".ctsnap"))
}

func checkTopTalkers(t *testing.T, dir string, rows [][]any) {
	type talker struct{ flows, bytes int64 }
	all := map[netip.Addr]talker{}
	for _, host := range hosts {
		for _, f := range snap(t, dir, host, "11") {
			tk := all[f.Orig.Src]
			tk.flows++
			if f.Has(format.FieldOrigCounters | format.FieldReplyCounters) {
				tk.bytes += int64(f.OrigCounters.Bytes + f.ReplyCounters.Bytes)
			}
			all[f.Orig.Src] = tk
		}
	}
	var top []int64
	for _, tk := range all {
		top = append(top, tk.bytes)
	}
	slices.SortFunc(top, func(a, b int64) int { return cmp.Compare(b, a) })
	top = top[:min(10, len(top))]
	if len(rows) != len(top) {
		t.Fatalf("%d rows, want %d", len(rows), len(top))
	}
	for i, r := range rows {
		a, err := netip.ParseAddr(str(r[0]))
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		got := talker{num(t, r[1]), num(t, r[2])}
		if want := all[a]; got != want || got.bytes != top[i] {
			t.Errorf("row %d: %v %+v, want %+v, the %d. largest %d bytes", i, a, got, want, i+1, top[i])
		}
	}
}

func checkFlowsByState(t *testing.T, dir string, rows [][]any) {
	want := map[string]int64{}
	for _, host := range hosts {
		for _, f := range snap(t, dir, host, "11") {
			state := cmp.Or(stateName(&f), "-")
			want[host+" "+state]++
		}
	}
	got := map[string]int64{}
	var order []string
	for _, r := range rows {
		k := str(r[0]) + " " + str(r[1])
		got[k] = num(t, r[2])
		order = append(order, k)
	}
	if !slices.IsSorted(order) {
		t.Errorf("rows not in order of host and state: %q", order)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("flows by host and state:\n got %v\nwant %v", got, want)
	}
}

// moved is a row of the nat-moved query.
type moved struct {
	host, proto             string
	origSrc, origDst        netip.Addr
	origSport, origDport    uint16
	replyBefore, replyAfter netip.AddrPort
}

func checkNATMoved(t *testing.T, dir string, rows [][]any) {
	type identity struct {
		host                 string
		proto                format.Proto
		zone                 int // -1: none
		origSrc, origDst     netip.Addr
		origSport, origDport uint16
	}
	ported := func(f *format.Flow) bool {
		return f.Has(format.FieldL4) && f.Proto != format.ICMP && f.Proto != format.ICMPv6
	}
	key := func(host string, f *format.Flow) identity {
		zone := -1
		if f.Has(format.FieldZone) {
			zone = int(f.Zone)
		}
		return identity{host, f.Proto, zone, f.Orig.Src, f.Orig.Dst, f.Orig.SrcPort, f.Orig.DstPort}
	}
	var want []moved
	for _, host := range hosts {
		before := map[identity][]format.Flow{}
		for _, f := range snap(t, dir, host, "10") {
			if ported(&f) {
				before[key(host, &f)] = append(before[key(host, &f)], f)
			}
		}
		for _, g := range snap(t, dir, host, "11") {
			if !ported(&g) {
				continue
			}
			for _, f := range before[key(host, &g)] {
				if f.Reply.Src != g.Reply.Src || f.Reply.Dst != g.Reply.Dst || f.Reply.SrcPort != g.Reply.SrcPort || f.Reply.DstPort != g.Reply.DstPort {
					want = append(want, moved{host, protoName(&f), f.Orig.Src, f.Orig.Dst, f.Orig.SrcPort, f.Orig.DstPort,
						netip.AddrPortFrom(f.Reply.Dst, f.Reply.DstPort), netip.AddrPortFrom(g.Reply.Dst, g.Reply.DstPort)})
				}
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("the recipe's hosts have no NAT mapping that moved: the query is not tested")
	}
	var got []moved
	for i, r := range rows {
		m := moved{host: str(r[0]), proto: str(r[1]), origSport: uint16(num(t, r[3])), origDport: uint16(num(t, r[5]))}
		var errs [4]error
		m.origSrc, errs[0] = netip.ParseAddr(str(r[2]))
		m.origDst, errs[1] = netip.ParseAddr(str(r[4]))
		m.replyBefore, errs[2] = addrPort(str(r[6]))
		m.replyAfter, errs[3] = addrPort(str(r[7]))
		for _, err := range errs {
			if err != nil {
				t.Fatalf("row %d: %v", i, err)
			}
		}
		got = append(got, m)
	}
	order := func(a, b moved) int { return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	slices.SortFunc(got, order)
	slices.SortFunc(want, order)
	if !slices.Equal(got, want) {
		t.Errorf("NAT mappings moved:\n got %v\nwant %v", got, want)
	}
	t.Logf("%d NAT mappings moved", len(got))
}

// addrPort reads the query's ADDR:PORT, where ADDR may be IPv6 without
// brackets.
func addrPort(s string) (netip.AddrPort, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("%q: no port", s)
	}
	a, err := netip.ParseAddr(s[:i])
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(s[i+1:], 10, 16)
	return netip.AddrPortFrom(a, uint16(p)), err
}

func checkNearMax(t *testing.T, dir string, rows [][]any) {
	type near struct {
		host, hour string
		flows, max int64
		used       float64
	}
	var want []near
	for _, host := range hosts {
		var max int64
		for s, err := range capture(t, filepath.Join(dir, host+"-counters.jsonl")).Stats() {
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := s.Value(format.StatMaxEntries); ok {
				max = int64(v)
			}
		}
		for _, hour := range hours {
			n := int64(len(snap(t, dir, host, hour)))
			if max > 0 && float64(n) >= 0.8*float64(max) {
				want = append(want, near{host, "2026-12-01T" + hour, n, max, math.Round(float64(n)/float64(max)*1000) / 1000})
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("no host of the recipe is near its maximum: the query is not tested")
	}
	var got []near
	for _, r := range rows {
		used, _ := r[4].(float64)
		got = append(got, near{str(r[0]), str(r[1]), num(t, r[2]), num(t, r[3]), used})
	}
	slices.SortStableFunc(want, func(a, b near) int { return cmp.Compare(b.used, a.used) })
	if !slices.Equal(got, want) {
		t.Errorf("hosts near their maximum:\n got %+v\nwant %+v", got, want)
	}
}

func checkCaptures(t *testing.T, dir string, rows [][]any) {
	var want []string
	for _, host := range hosts {
		for _, hour := range hours {
			name := filepath.Join(dir, host+"-"+hour+".ctsnap")
			h, ok := capture(t, name).Header()
			at := time.Date(2026, 12, 1, atoi(t, hour), 0, 0, 0, time.UTC)
			if !ok || h.Host != host || !h.Created.Equal(at) {
				t.Fatalf("%s: header %+v, want host %s, created %v", name, h, host, at)
			}
			want = append(want, line(h.Host, h.Created.UTC(), h.Source, len(snap(t, dir, host, hour))))
		}
	}
	var got []string
	for _, r := range rows {
		at, _ := r[1].(time.Time)
		got = append(got, line(r[0], at.UTC(), r[2], num(t, r[3])))
	}
	if !slices.Equal(got, want) {
		t.Errorf("captures:\n got %q\nwant %q", got, want)
	}
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
