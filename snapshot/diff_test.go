package snapshot_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
	"github.com/ctconv/ctconv/snapshot"
)

// The flows of the diff tests, as /proc prints them.
const (
	flowA = "ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 packets=5 bytes=420 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=51000 packets=4 bytes=3001 [ASSURED] mark=0 zone=0 delta-time=12 use=2"
	flowB = "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 packets=1 bytes=60 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 packets=0 bytes=0 mark=0 zone=0 delta-time=3 use=2"
	flowC = "ipv6     10 icmpv6   58 29 src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:0002 type=128 code=0 id=7 packets=1 bytes=104 src=2001:0db8:0000:0000:0000:0000:0000:0002 dst=2001:0db8:0000:0000:0000:0000:0000:0001 type=129 code=0 id=7 packets=1 bytes=104 mark=0 zone=0 delta-time=1 use=2"
	flowD = "ipv4     2 tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 dport=22 packets=1 bytes=60 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 packets=0 bytes=0 mark=0 zone=0 delta-time=0 use=2"
	// flowA later: TIME_WAIT, more packets, NAT'd to another port,
	// marked, its timeout, delta-time and use moved.
	flowA2 = "ipv4     2 tcp      6 118 TIME_WAIT src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 packets=17 bytes=1420 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=61000 packets=14 bytes=9001 [ASSURED] mark=5 zone=0 delta-time=40 use=1"
	// flowB later: only its timeout and delta-time moved.
	flowB2 = "ipv4     2 udp      17 12 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 packets=1 bytes=60 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 packets=0 bytes=0 mark=0 zone=0 delta-time=20 use=2"
	// flowB in another zone: another flow.
	flowBz = "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 packets=1 bytes=60 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 packets=0 bytes=0 mark=0 zone=7 delta-time=3 use=2"
)

func open(t *testing.T, text string) *snapshot.Input {
	t.Helper()
	in, err := snapshot.Open(strings.NewReader(text), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// change is a Change in a form that compares: its op, the flow's original
// tuple, and its fields as text.
type change struct {
	Op     string
	Flow   string
	Fields []string
}

// runDiff returns the changes of old and new, kept until the diff's end,
// which are those a loop that takes each at once sees with
// DiffOptions.ReuseChanges.
func runDiff(t *testing.T, old, new string, opts snapshot.DiffOptions) ([]change, snapshot.Summary) {
	t.Helper()
	d := mustDiff(t, open(t, old), open(t, new), opts)
	var got []change
	cs, derr := changes(d)
	for _, c := range cs {
		got = append(got, changeOf(c))
	}
	if err := derr; err != nil {
		t.Fatal(err)
	}
	opts.ReuseChanges = true
	r := mustDiff(t, open(t, old), open(t, new), opts)
	var reused []change
	for c, err := range r.Changes() {
		if err != nil {
			t.Fatal(err)
		}
		reused = append(reused, changeOf(c))
	}
	if diff := cmp.Diff(got, reused); diff != "" || r.Summary() != d.Summary() {
		t.Fatalf("changes reused differ from those kept (summary %+v, kept %+v):\n%s", r.Summary(), d.Summary(), diff)
	}
	return got, d.Summary()
}

func changeOf(c *snapshot.Change) change {
	f := c.New
	if f == nil {
		f = c.Old
	}
	ch := change{Op: c.Op.String(), Flow: fmt.Sprintf("%v %v:%d", f.Proto, f.Orig.Src, f.Orig.SrcPort)}
	for _, fc := range c.Fields {
		s := fc.Field + " " + fc.Old + "→" + fc.New
		if fc.Counter {
			s += fmt.Sprintf(" %+d", fc.Delta)
		}
		ch.Fields = append(ch.Fields, s)
	}
	return ch
}

func TestDiff(t *testing.T) {
	aChanged := change{"changed", "tcp 192.168.1.10:51000", []string{
		"reply.dport 51000→61000", "state ESTABLISHED→TIME_WAIT", "mark 0→5",
		"orig.packets 5→17 +12", "orig.bytes 420→1420 +1000", "reply.packets 4→14 +10", "reply.bytes 3001→9001 +6000",
	}}
	for _, c := range []struct {
		name     string
		old, new string
		opts     snapshot.DiffOptions
		want     []change
		sum      snapshot.Summary
	}{
		{"same", lines(flowA, flowB, flowC), lines(flowA, flowB, flowC), snapshot.DiffOptions{}, nil, snapshot.Summary{Unchanged: 3}},
		{"volatile fields only", lines(flowB), lines(flowB2), snapshot.DiffOptions{}, nil, snapshot.Summary{Unchanged: 1}},
		{"volatile fields asked for", lines(flowB), lines(flowB2), snapshot.DiffOptions{Volatile: true},
			[]change{{"changed", "udp 10.0.0.1:5353", []string{"timeout 29→12", "delta-time 3→20"}}}, snapshot.Summary{Changed: 1}},
		{"added, removed, changed", lines(flowA, flowB, flowC), lines(flowD, flowA2, flowB),
			snapshot.DiffOptions{},
			[]change{{"added", "tcp 192.168.1.6:32775", nil}, aChanged, {"removed", "icmpv6 2001:db8::1:0", nil}},
			snapshot.Summary{Added: 1, Removed: 1, Changed: 1, Unchanged: 1}},
		{"holding the new capture", lines(flowA, flowB, flowC), lines(flowD, flowA2, flowB),
			snapshot.DiffOptions{HoldNew: true},
			[]change{aChanged, {"removed", "icmpv6 2001:db8::1:0", nil}, {"added", "tcp 192.168.1.6:32775", nil}},
			snapshot.Summary{Added: 1, Removed: 1, Changed: 1, Unchanged: 1}},
		{"ignoring counters and the reply", lines(flowA), lines(flowA2), snapshot.DiffOptions{Ignore: []string{"counters", "reply", "mark"}},
			[]change{{"changed", "tcp 192.168.1.10:51000", []string{"state ESTABLISHED→TIME_WAIT"}}}, snapshot.Summary{Changed: 1}},
		{"ignoring one counter", lines(flowA), lines(flowA2), snapshot.DiffOptions{Ignore: []string{"orig.bytes", "reply.bytes", "reply.dport"}},
			[]change{{"changed", "tcp 192.168.1.10:51000", []string{"state ESTABLISHED→TIME_WAIT", "mark 0→5", "orig.packets 5→17 +12", "reply.packets 4→14 +10"}}},
			snapshot.Summary{Changed: 1}},
		{"zones are identities", lines(flowB), lines(flowBz), snapshot.DiffOptions{},
			[]change{{"added", "udp 10.0.0.1:5353", nil}, {"removed", "udp 10.0.0.1:5353", nil}}, snapshot.Summary{Added: 1, Removed: 1}},
		{"duplicates", lines(flowA, flowB, flowA2), lines(flowB, flowD, flowD, flowB2), snapshot.DiffOptions{},
			[]change{{"duplicate", "tcp 192.168.1.10:51000", nil}, {"added", "tcp 192.168.1.6:32775", nil}, {"duplicate", "tcp 192.168.1.6:32775", nil},
				{"duplicate", "udp 10.0.0.1:5353", nil}, {"removed", "tcp 192.168.1.10:51000", nil}},
			snapshot.Summary{Added: 1, Removed: 1, Unchanged: 1, Duplicates: 3}},
	} {
		got, sum := runDiff(t, c.old, c.new, c.opts)
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("%s: changes differ:\n%s", c.name, d)
		}
		if sum != c.sum {
			t.Errorf("%s: summary %+v, want %+v", c.name, sum, c.sum)
		}
		if sum.Differ() != (len(c.want) > 0) {
			t.Errorf("%s: Differ() = %v", c.name, sum.Differ())
		}
	}
}

func TestDiffSides(t *testing.T) {
	d := mustDiff(t, open(t, lines(flowA)), open(t, lines(flowA2)), snapshot.DiffOptions{})
	cs, derr := changes(d)
	if derr != nil {
		t.Fatal(derr)
	}
	for _, c := range cs {
		if c.Old == nil || c.New == nil || c.Old.State != format.TCPEstablished || c.New.State != format.TCPTimeWait {
			t.Errorf("changed: old %v, new %v", c.Old, c.New)
		}
	}
	for _, opts := range []snapshot.DiffOptions{{}, {HoldNew: true}} {
		d = mustDiff(t, open(t, lines(flowA)), open(t, lines(flowB)), opts)
		cs, derr := changes(d)
		if derr != nil {
			t.Fatal(derr)
		}
		for _, c := range cs {
			if (c.Op == snapshot.Added) != (c.New != nil && c.Old == nil) || (c.Op == snapshot.Removed) != (c.Old != nil && c.New == nil) {
				t.Errorf("%+v: %v with old %v, new %v", opts, c.Op, c.Old != nil, c.New != nil)
			}
		}
	}
}

func TestDiffErrors(t *testing.T) {
	d := mustDiff(t, open(t, lines(flowA)), open(t, lines(flowB, "tcp 6 garbage")), snapshot.DiffOptions{})
	_, derr := changes(d)
	if derr == nil || !strings.HasPrefix(derr.Error(), "2:1: family") {
		t.Errorf("err %v", derr)
	}
}

// TestDiffCorpus diffs every capture of flows in the corpus with itself,
// and with itself through every other encoding, conntrack's XML included:
// no change, and an event stream refused as one.
func TestDiffCorpus(t *testing.T) {
	for _, c := range corpustest.Captures(t) {
		file := c.Path
		data, _ := os.ReadFile(file)
		if in := open(t, string(data)); in.Expectations() {
			continue
		}
		snap, _ := snapshotOf(t, data)
		xml, json := convert(t, string(data))
		for _, other := range []struct {
			name string
			in   func() *snapshot.Input
		}{
			{"itself", func() *snapshot.Input { return open(t, string(data)) }},
			{"its snapshot", func() *snapshot.Input {
				in, err := snapshot.Open(bytes.NewReader(snap), snapshot.Text(format.Auto), format.Dialect{})
				if err != nil {
					t.Fatal(err)
				}
				return in
			}},
			{"its XML", func() *snapshot.Input { return open(t, xml) }},
			{"its XML as JSON", func() *snapshot.Input { return open(t, json) }},
		} {
			for _, hold := range []bool{false, true} {
				d := mustDiff(t, open(t, string(data)), other.in(), snapshot.DiffOptions{HoldNew: hold, Volatile: true})
				var ops []string
				cs, derr := changes(d)
				for _, c := range cs {
					if c.Op != snapshot.Duplicate {
						ops = append(ops, c.Op.String())
					}
				}
				var ee *snapshot.EventsError
				events := strings.Contains(filepath.Base(file), "-E")
				if events && !errors.As(derr, &ee) || !events && derr != nil || len(ops) > 0 {
					t.Errorf("%s against %s: %v, %v", filepath.Base(file), other.name, derr, ops)
				}
			}
		}
	}
}

func TestDiffFields(t *testing.T) {
	names := snapshot.DiffFields()
	for _, want := range []string{"state", "status", "mark", "reply.dst", "reply.sport", "orig.packets", "timeout", "use", "delta-time", "counters"} {
		if !slices.Contains(names, want) {
			t.Errorf("DiffFields lacks %q: %v", want, names)
		}
	}
}

// sortedSnapshot writes the flows of text to a snapshot, sorted or not.
func sortedSnapshot(t *testing.T, text string, sorted bool) *snapshot.Input {
	t.Helper()
	return nsSnapshot(t, text, snapshot.Header{Sorted: sorted}, nil)
}

// TestDiffSorted diffs sorted snapshots, which a Diff streams side by side:
// the same changes as from the text, in identity order.
func TestDiffSorted(t *testing.T) {
	data, _ := os.ReadFile("../testdata/corpus/proc.txt")
	ls := strings.SplitAfter(string(data), "\n")
	old := strings.Join(ls[:40], "") + lines(flowA, flowB, flowC)
	new := strings.Join(ls[5:], "") + lines(flowD, flowA2, flowB2, flowBz)

	s := sortedSnapshot(t, old, true)
	if h, _ := s.Header(); !h.Sorted {
		t.Fatal("the header does not say sorted")
	}
	var prev string
	for f, err := range s.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		zone := f.Zone
		if !f.Has(format.FieldZone) {
			zone = f.OrigZone // the zone of the original direction is the identity's
		}
		k := fmt.Sprintf("%02d %03d %05d %x %x %05d", f.Family, f.Proto, zone, f.Orig.Src.As16(), f.Orig.Dst.As16(), f.Orig.SrcPort)
		if k < prev {
			t.Fatalf("not in order: %s after %s", k, prev)
		}
		prev = k
	}

	want := func() []string {
		ops, err := descriptions(mustDiff(t, open(t, old), open(t, new), snapshot.DiffOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ops)
		return ops
	}()
	got, err := descriptions(mustDiff(t, sortedSnapshot(t, old, true), sortedSnapshot(t, new, true), snapshot.DiffOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("no changes")
	}
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	if !slices.Equal(sorted, want) {
		t.Errorf("sorted snapshots:\n%q\nthe text:\n%q", sorted, want)
	}
	d := mustDiff(t, sortedSnapshot(t, old, true), sortedSnapshot(t, new, true), snapshot.DiffOptions{ReuseChanges: true})
	if reused, err := descriptions(d); err != nil || !slices.Equal(reused, got) {
		t.Errorf("sorted snapshots, changes reused: %v\n%q\nkept:\n%q", err, reused, got)
	}
	// One of them unsorted: the hash join, the same changes.
	mixed, err := descriptions(mustDiff(t, sortedSnapshot(t, old, true), sortedSnapshot(t, new, false), snapshot.DiffOptions{}))
	slices.Sort(mixed)
	if err != nil || !slices.Equal(mixed, want) {
		t.Errorf("a sorted and an unsorted snapshot: %v\n%q\nthe text:\n%q", err, mixed, want)
	}
}

func describe(c *snapshot.Change) string {
	f := c.New
	if f == nil {
		f = c.Old
	}
	s := fmt.Sprintf("%v %v %v:%d>%v:%d z%d", c.Op, f.Proto, f.Orig.Src, f.Orig.SrcPort, f.Orig.Dst, f.Orig.DstPort, f.Zone)
	for _, fc := range c.Fields {
		s += " " + fc.Field + "=" + fc.Old + ">" + fc.New
	}
	return s
}

// Pings between the same two hosts, told apart by their ICMP ids only, out
// of their ids' order, with counters that tell them apart in a diff too.
const (
	ping3 = "ipv4     2 icmp     1 29 src=10.1.0.1 dst=10.1.0.2 type=8 code=0 id=3 packets=3 bytes=252 src=10.1.0.2 dst=10.1.0.1 type=0 code=0 id=3 packets=3 bytes=252 mark=0 zone=0 delta-time=3 use=2"
	ping1 = "ipv4     2 icmp     1 28 src=10.1.0.1 dst=10.1.0.2 type=8 code=0 id=1 packets=1 bytes=84 src=10.1.0.2 dst=10.1.0.1 type=0 code=0 id=1 packets=1 bytes=84 mark=0 zone=0 delta-time=4 use=2"
	ping2 = "ipv4     2 icmp     1 27 src=10.1.0.1 dst=10.1.0.2 type=8 code=0 id=2 packets=2 bytes=168 src=10.1.0.2 dst=10.1.0.1 type=0 code=0 id=2 packets=2 bytes=168 mark=0 zone=0 delta-time=5 use=2"
	// ping1 with another id: another flow.
	ping1b = "ipv4     2 icmp     1 28 src=10.1.0.1 dst=10.1.0.2 type=8 code=0 id=9 packets=1 bytes=84 src=10.1.0.2 dst=10.1.0.1 type=0 code=0 id=9 packets=1 bytes=84 mark=0 zone=0 delta-time=4 use=2"
	ping6a = "ipv6     10 icmpv6   58 29 src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:0002 type=128 code=0 id=20 packets=2 bytes=208 src=2001:0db8:0000:0000:0000:0000:0000:0002 dst=2001:0db8:0000:0000:0000:0000:0000:0001 type=129 code=0 id=20 packets=2 bytes=208 mark=0 zone=0 delta-time=1 use=2"
	ping6b = "ipv6     10 icmpv6   58 29 src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:0002 type=128 code=0 id=10 packets=1 bytes=104 src=2001:0db8:0000:0000:0000:0000:0000:0002 dst=2001:0db8:0000:0000:0000:0000:0000:0001 type=129 code=0 id=10 packets=1 bytes=104 mark=0 zone=0 delta-time=1 use=2"
)

// convert prints the flows of text as XML, as conntrack -L -o xml would
// print them, and that XML as JSON: neither has the ICMP type, code and id.
func convert(t *testing.T, text string) (xml, json string) {
	t.Helper()
	var x bytes.Buffer
	w := format.NewWriter(&x, format.Dialect{Format: format.XML})
	in := open(t, text)
	for f, err := range in.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var j []byte
	in = open(t, x.String())
	for f, err := range in.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		if f.Proto.Layer4() == format.L4ICMP && f.Has(format.FieldL4) {
			t.Fatalf("an ICMP flow of XML has ICMP fields: %+v", f.Orig)
		}
		if j, err = codec.AppendJSON(j, f); err != nil {
			t.Fatal(err)
		}
	}
	return x.String(), string(j)
}

// TestDiffICMPWithoutFields diffs captures against their XML, which lacks
// the ICMP type, code and id: an ICMP flow without them pairs with one of
// the same hosts that has them, in capture order, so that a capture and
// its conversion match, in every direction and held either way, as text,
// as sorted snapshots, and through JSON.
func TestDiffICMPWithoutFields(t *testing.T) {
	proc, _ := os.ReadFile("../testdata/corpus/proc.txt")
	for _, text := range []string{
		lines(ping3, flowA, ping1, ping6a, ping2, flowB, ping6b),
		string(proc) + lines(ping3, ping1, ping2),
	} {
		xml, json := convert(t, text)
		inputs := []struct {
			name string
			in   func() *snapshot.Input
		}{
			{"text", func() *snapshot.Input { return open(t, text) }},
			{"xml", func() *snapshot.Input { return open(t, xml) }},
			{"json", func() *snapshot.Input { return open(t, json) }},
			{"sorted text", func() *snapshot.Input { return sortedSnapshot(t, text, true) }},
			{"sorted xml", func() *snapshot.Input { return sortedSnapshot(t, xml, true) }},
		}
		for _, a := range inputs {
			for _, b := range inputs {
				for _, hold := range []bool{false, true} {
					d := mustDiff(t, a.in(), b.in(), snapshot.DiffOptions{HoldNew: hold})
					got, derr := descriptions(d)
					if derr != nil || len(got) > 0 {
						t.Errorf("%s against %s, holding the new %v: %v\n%s", a.name, b.name, hold, derr, strings.Join(got, "\n"))
					}
					if sum := d.Summary(); sum.Unchanged != strings.Count(text, "\n") {
						t.Errorf("%s against %s, holding the new %v: %+v", a.name, b.name, hold, sum)
					}
				}
			}
		}
	}
}

// TestDiffICMP checks that ICMP flows that both have their ICMP fields
// match on them: another id is another flow.
func TestDiffICMP(t *testing.T) {
	xml, _ := convert(t, lines(ping1))
	xml3, _ := convert(t, lines(ping3, ping1, ping2))
	for _, c := range []struct {
		name     string
		old, new string
		want     []string
		sum      snapshot.Summary
	}{
		{"itself", lines(ping3, ping1, ping2, ping6a), lines(ping3, ping1, ping2, ping6a), nil, snapshot.Summary{Unchanged: 4}},
		{"another id", lines(ping3, ping1, ping2), lines(ping3, ping1b, ping2),
			[]string{"added icmp 10.1.0.1:0>10.1.0.2:0 z0", "removed icmp 10.1.0.1:0>10.1.0.2:0 z0"}, snapshot.Summary{Added: 1, Removed: 1, Unchanged: 2}},
		{"a duplicate", lines(ping1, ping2, ping1), lines(ping1, ping2),
			[]string{"duplicate icmp 10.1.0.1:0>10.1.0.2:0 z0"}, snapshot.Summary{Duplicates: 1, Unchanged: 2}},
		{"a duplicate in the new", lines(ping1, ping2), lines(ping2, ping1, ping3, ping1),
			[]string{"added icmp 10.1.0.1:0>10.1.0.2:0 z0", "duplicate icmp 10.1.0.1:0>10.1.0.2:0 z0"}, snapshot.Summary{Added: 1, Duplicates: 1, Unchanged: 2}},
		{"without fields, in one capture only", lines(flowA), xml3,
			[]string{"added icmp 10.1.0.1:0>10.1.0.2:0 z0", "added icmp 10.1.0.1:0>10.1.0.2:0 z0", "added icmp 10.1.0.1:0>10.1.0.2:0 z0", "removed tcp 192.168.1.10:51000>203.0.113.5:443 z0"},
			snapshot.Summary{Added: 3, Removed: 1}},
		{"without fields, paired once", xml, lines(ping1, ping1b),
			[]string{"added icmp 10.1.0.1:0>10.1.0.2:0 z0"}, snapshot.Summary{Added: 1, Unchanged: 1}},
		{"without fields, a counter moved", lines(ping1), strings.Replace(xml, "<packets>1</packets>", "<packets>2</packets>", 1),
			[]string{"changed icmp 10.1.0.1:0>10.1.0.2:0 z0 orig.packets=1>2"}, snapshot.Summary{Changed: 1}},
	} {
		for _, sorted := range []bool{false, true} {
			for _, opts := range []snapshot.DiffOptions{{}, {HoldNew: true}, {ReuseChanges: true}, {HoldNew: true, ReuseChanges: true}} {
				old, new := open(t, c.old), open(t, c.new)
				if sorted {
					old, new = sortedSnapshot(t, c.old, true), sortedSnapshot(t, c.new, true)
				}
				d := mustDiff(t, old, new, opts)
				got, derr := descriptions(d)
				slices.Sort(got)
				if derr != nil || !slices.Equal(got, c.want) || d.Summary() != c.sum {
					t.Errorf("%s, sorted %v, %+v: %v, %+v\n got %q\nwant %q", c.name, sorted, opts, derr, d.Summary(), got, c.want)
				}
			}
		}
	}
}

// descriptions returns the changes of d described as they come, as a
// loop of a Diff that reuses its changes must take them, and the error
// that ended them.
func descriptions(d *snapshot.Diff) ([]string, error) {
	var got []string
	for c, err := range d.Changes() {
		if err != nil {
			return got, err
		}
		got = append(got, describe(c))
	}
	return got, nil
}

// changes returns the changes of d, and the error that ended them.
func changes(d *snapshot.Diff) ([]*snapshot.Change, error) {
	var cs []*snapshot.Change
	for c, err := range d.Changes() {
		if err != nil {
			return cs, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// mustDiff returns NewDiff's Diff, or fails the test.
func mustDiff(t testing.TB, old, new *snapshot.Input, opts snapshot.DiffOptions) *snapshot.Diff {
	t.Helper()
	d, err := snapshot.NewDiff(old, new, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDiffNATStatus compares save captures with the /proc line of the same
// flow: save tells NAT by -n (SRC_NAT) or -q (none), netlink (here as JSON)
// NAT's setup too (SRC_NAT_DONE, DST_NAT_DONE: every flow that passed a nat
// hook), /proc shows no NAT status. The reply tuple tells NAT, and it is
// the same, so the flows do not differ; a NAT mapping that moved does.
func TestDiffNATStatus(t *testing.T) {
	const (
		saveQ = "-A -t 99 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 192.0.2.1 -p tcp --sport 1000 --dport 80 --reply-port-src 80 --reply-port-dst 2000 --state ESTABLISHED"
		saveN = "-A -t 99 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -n 192.0.2.1 -p tcp --sport 1000 --dport 80 --reply-port-src 80 --reply-port-dst 2000 --state ESTABLISHED"
		proc  = "ipv4     2 tcp      6 99 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=80 src=10.0.0.2 dst=192.0.2.1 sport=80 dport=2000 mark=0 zone=0 use=2"
		moved = "ipv4     2 tcp      6 99 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=80 src=10.0.0.2 dst=192.0.2.7 sport=80 dport=2000 mark=0 zone=0 use=2"
	)
	var f format.Flow
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(proc), &f); err != nil {
		t.Fatal(err)
	}
	f.Status |= format.StatusSrcNAT | format.StatusSrcNATDone | format.StatusDstNATDone
	netlink, err := codec.AppendJSON(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		old, new string
		want     []string
	}{
		{saveQ, proc, nil},
		{strings.TrimSuffix(string(netlink), "\n"), proc, nil},
		{saveN, proc, nil},
		{saveN, saveQ, nil},
		{saveN, moved, []string{"reply.dst"}},
	} {
		d := mustDiff(t, open(t, lines(c.old)), open(t, lines(c.new)), snapshot.DiffOptions{Volatile: true})
		var got []string
		cs, derr := changes(d)
		for _, ch := range cs {
			for _, fc := range ch.Fields {
				got = append(got, fc.Field)
			}
		}
		if derr != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s against %s: %v %v, want %v", c.old, c.new, got, derr, c.want)
		}
	}
}
