package format_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// conntrackdFiles are the captures of conntrackd's cache dumps
// (testdata/conntrackd, made by internal/lab/oracle).
var conntrackdFiles = []struct {
	file    string
	f       format.Format
	records int
}{
	{"conntrackd-i.txt", format.Conntrackd, 60},
	{"conntrackd-e.txt", format.Conntrackd, 60},
	{"alarm-conntrackd-i.txt", format.Conntrackd, 0},
	{"alarm-conntrackd-e.txt", format.Conntrackd, 0},
	{"notrack-conntrackd-i.txt", format.Conntrackd, 0},
	{"notrack-conntrackd-e.txt", format.Conntrackd, 0},
	{"conntrackd-i-expect.txt", format.ConntrackdExpect, 2},
	{"conntrackd-e-expect.txt", format.ConntrackdExpect, 2},
	{"conntrackd-i-x.txt", format.ConntrackdXML, 60},
	{"conntrackd-e-x.txt", format.ConntrackdXML, 60},
	{"conntrackd-i-expect-x.txt", format.ConntrackdXMLExpect, 2},
	{"conntrackd-e-expect-x.txt", format.ConntrackdXMLExpect, 2},
}

// readConntrackd reads every record of data in format f (Auto detects it),
// flows or expectations as the format holds, and prints them back with a
// Writer. It returns the flows read, for the flow formats.
func readConntrackd(t *testing.T, data []byte, d format.Dialect, opts ...format.ScanOption) ([]format.Flow, int, []byte, *format.Scanner, error) {
	t.Helper()
	sc, err := format.NewScanner(bytes.NewReader(data), d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	fm, err := sc.Detect()
	if err != nil {
		return nil, 0, nil, sc, err
	}
	var out bytes.Buffer
	w := format.NewWriter(&out, format.Dialect{Format: fm})
	var flows []format.Flow
	n := 0
	var rerr error
	if fm.Expectations() {
		for e, err := range sc.Expects() {
			if rerr = err; err != nil {
				break
			}
			n++
			if err := w.WriteExpect(e); err != nil {
				t.Fatalf("record %d: %v", n, err)
			}
		}
	} else {
		for fl, err := range sc.Flows() {
			if rerr = err; err != nil {
				break
			}
			n++
			flows = append(flows, *fl)
			if err := w.Write(fl); err != nil {
				t.Fatalf("record %d: %v", n, err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return flows, n, out.Bytes(), sc, rerr
}

func conntrackdCapture(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "conntrackd", file))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestConntrackdRoundTrip reads each capture of conntrackd's caches, with
// its format named and detected, strict and not, and prints it back byte
// for byte.
func TestConntrackdRoundTrip(t *testing.T) {
	for _, c := range conntrackdFiles {
		data := conntrackdCapture(t, c.file)
		want := c.records
		if want == 0 {
			want = bytes.Count(data, []byte("\n"))
		}
		for _, f := range []format.Format{c.f, format.Auto} {
			for _, strict := range []bool{true, false} {
				_, n, out, sc, err := readConntrackd(t, data, format.Dialect{Format: f, Strict: strict})
				if err != nil || n != want || sc.Dialect().Format != c.f {
					t.Errorf("%s as %v (strict %v): %d records of %v, %v; want %d of %v", c.file, f, strict, n, sc.Dialect().Format, err, want, c.f)
					continue
				}
				if !bytes.Equal(out, data) {
					t.Errorf("%s as %v prints otherwise:\n%s\nwant\n%s", c.file, f, out, data)
				}
			}
		}
	}
}

// flowKey is what tells flows of one table apart: the original tuple.
type flowKey struct {
	proto format.Proto
	orig  format.Tuple
}

// agree returns what a and b, two reads of the same flow, say otherwise
// where both have the field.
func agree(a, b *format.Flow) []string {
	var diffs []string
	both := func(fs format.Fields) bool { return a.Has(fs) && b.Has(fs) }
	for _, c := range []struct {
		name string
		has  bool
		eq   bool
	}{
		{"family", true, a.Family == b.Family},
		{"state", both(format.FieldState), a.State == b.State},
		{"reply", a.Reply.Src.IsValid() && b.Reply.Src.IsValid(), a.Reply == b.Reply},
		{"orig zone", both(format.FieldOrigZone), a.OrigZone == b.OrigZone},
		{"reply zone", both(format.FieldReplyZone), a.ReplyZone == b.ReplyZone},
		{"zone", both(format.FieldZone), a.Zone == b.Zone},
		{"status", both(format.FieldStatus), a.Status == b.Status},
		{"mark", both(format.FieldMark), a.Mark == b.Mark},
		{"helper", both(format.FieldHelper), a.Helper == b.Helper},
		{"id", both(format.FieldID), a.ID == b.ID},
		{"l4", a.Proto.Layer4() != format.L4None, a.Has(format.FieldL4) == b.Has(format.FieldL4)},
	} {
		if c.has && !c.eq {
			diffs = append(diffs, c.name)
		}
	}
	return diffs
}

// TestConntrackdAgrees holds the flows of conntrackd -i, and of -i -x, to
// conntrack -L of the same moment (and -o xml), matched by their original
// tuples: wherever both have a field, they agree, and each lists the same
// flows. The flows of the peer's -e are those of -i.
func TestConntrackdAgrees(t *testing.T) {
	read := func(file string, f format.Format) map[flowKey]format.Flow {
		flows, _, _, _, err := readConntrackd(t, conntrackdCapture(t, file), format.Dialect{Format: f})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		m := map[flowKey]format.Flow{}
		n := 0
		for _, fl := range flows {
			if f == format.XML || f == format.ConntrackdXML {
				if fl.Proto.Layer4() == format.L4ICMP {
					continue // XML has no ICMP type, code and id to tell them apart
				}
			}
			m[flowKey{fl.Proto, fl.Orig}] = fl
			n++
		}
		if len(m) != n {
			t.Fatalf("%s: %d flows, %d tuples", file, n, len(m))
		}
		return m
	}
	list, listXML := read("conntrack-L.txt", format.Conntrack), read("conntrack-L-xml.txt", format.XML)
	internal := read("conntrackd-i.txt", format.Conntrackd)
	for _, c := range []struct {
		file string
		f    format.Format
		with map[flowKey]format.Flow
	}{
		{"conntrackd-i.txt", format.Conntrackd, list},
		{"conntrackd-i-x.txt", format.ConntrackdXML, listXML},
		{"conntrackd-e.txt", format.Conntrackd, internal},
		{"conntrackd-e-x.txt", format.ConntrackdXML, read("conntrackd-i-x.txt", format.ConntrackdXML)},
	} {
		got := read(c.file, c.f)
		if len(got) != len(c.with) {
			t.Errorf("%s: %d flows, the table of the same moment %d", c.file, len(got), len(c.with))
		}
		fields := format.Fields(0)
		for k, fl := range got {
			other, ok := c.with[k]
			if !ok && (k.proto == format.GRE || k.proto == format.UDPLite || k.proto == format.DCCP) {
				continue // keys and ports lost in the sync (docs/notes/issue16-producers.md)
			}
			if !ok {
				t.Errorf("%s: %v %v is not in the table of the same moment", c.file, k.proto, k.orig)
				continue
			}
			if d := agree(&fl, &other); d != nil {
				t.Errorf("%s: %v %v differs in %v", c.file, k.proto, k.orig, d)
			}
			fields |= fl.Fields & other.Fields
		}
		for _, fs := range []format.Fields{format.FieldState, format.FieldMark, format.FieldStatus} {
			if fields&fs == 0 {
				t.Errorf("%s: no flow has field %#x on both sides: the test checks nothing of it", c.file, fs)
			}
		}
	}
}

// TestConntrackdErrors reads lines that conntrackd does not print, after a
// good line, and wants a typed error at FILE:LINE:COL.
func TestConntrackdErrors(t *testing.T) {
	const (
		good   = "tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 [active since 3s]\n"
		goodE  = "proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=10000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 sport=43288 dport=2121 class=0 helper=ftp [active since 2s]\n"
		goodX  = `<flow><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.1</src><dst>10.0.0.2</dst></layer3><layer4 protonum="6" protoname="tcp"><sport>1</sport><dport>2</dport></layer4></meta>`
		replyX = `<meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.2</src><dst>10.0.0.1</dst></layer3><layer4 protonum="6" protoname="tcp"><sport>2</sport><dport>1</dport></layer4></meta>`
	)
	for _, c := range []struct {
		f    format.Format
		line string
		want string // the error, after "x.txt:2:"
		err  error
	}{
		{format.Conntrackd, "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [active since 3s]", "1: timeout: conntrackd prints no timeout", format.ErrSyntax},
		{format.Conntrackd, "tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0", "114: active-since: line ends where active-since ([active since ...) was expected (truncated line?)", format.ErrMissing},
		{format.Conntrackd, "tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 packets=1 bytes=60 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [active since 3s]", `66: orig-counters: "packets=1" is a field that conntrackd never prints`, format.ErrOrder},
		{format.Conntrackd, "tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [active since 3s] [expires in 1s]", `126: expires: "[expires in 1s]" is out of place`, format.ErrOrder},
		{format.Conntrackd, "tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [active since 3m]", `122: active since: expected seconds and "s]"`, format.ErrSyntax},
		{format.Conntrackd, "ipv4     2 tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [active since 3s]", "1: family: conntrackd prints no family columns", format.ErrSyntax},
		{format.Conntrackd, "    [NEW] tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [active since 3s]", "1: ", format.ErrSyntax},
		{format.Conntrackd, "tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [active since 3s]", "1: state: no TCP state, which conntrackd prints for every tcp flow", format.ErrMissing},
		{format.Conntrackd, "udp      17 src=10.0.0.1 dst=10.0.0.2 [active since 3s]", "1: no ports, which conntrackd prints for every udp flow", format.ErrMissing},
		{format.Conntrackd, "dccp     33 src=10.0.0.1 dst=10.0.0.2 [active since 3s]", "38: original tuple: no ports, which conntrack prints for every dccp flow", format.ErrMissing},
		{format.ConntrackdExpect, "300 proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=10000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 sport=43288 dport=2121 class=0 helper=ftp [active since 2s]", "1: conntrackd prints no event type, timeout", format.ErrSyntax},
		{format.ConntrackdExpect, "proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=10000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 sport=43288 dport=2121 class=0 helper=ftp", "210: active since: line ends where [active since Ns] was expected", format.ErrMissing},
		{format.ConntrackdExpect, "proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=10000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 sport=43288 dport=2121 class=0 helper=ftp [active since 2s] x", `229: unexpected "x" after [active since Ns]`, format.ErrSyntax},
		{format.ConntrackdXML, goodX + replyX + `<meta direction="independent"><timeout>30</timeout></meta></flow>`, "1: an element conntrackd's XML does not have", format.ErrSyntax},
		{format.ConntrackdXML, `<flow type="new">` + goodX[len("<flow>"):] + replyX + `</flow>`, "1: an element conntrackd's XML does not have", format.ErrSyntax},
		{format.XML, goodX + `<meta direction="reply"><layer3 protonum="0" protoname="unknown"><src></src><dst></dst></layer3><layer4 protonum="0" protoname="unknown"></layer4></meta></flow>`, `246: reply family: want layer3`, format.ErrUnknownName},
	} {
		first := good
		switch {
		case c.f.Expectations():
			first = goodE
		case c.f == format.ConntrackdXML:
			first = goodX + replyX + "<meta direction=\"independent\"><state>ESTABLISHED</state></meta></flow>\n"
		case c.f == format.XML:
			first = goodX + replyX + "<meta direction=\"independent\"><timeout>30</timeout></meta></flow>\n"
		}
		sc, err := format.NewScanner(strings.NewReader(first+c.line+"\n"), format.Dialect{Format: c.f, Strict: true}, format.WithName("x.txt"))
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if c.f.Expectations() {
			n, _, err = readTo(sc.Expects())
		} else {
			n, _, err = readTo(sc.Flows())
		}
		var pe *format.ParseError
		if !errors.As(err, &pe) || n != 1 || !strings.HasPrefix(pe.Error(), "x.txt:2:"+c.want) || !errors.Is(pe, c.err) {
			t.Errorf("%v %q:\n got %d records, %v\nwant x.txt:2:%s (%v)", c.f, c.line, n, err, c.want, c.err)
		}
	}
}

// TestConntrackdPasted reads the lines of conntrackd's text dumps as
// pastes have them, their blanks changed, and prints the lines conntrackd
// printed.
func TestConntrackdPasted(t *testing.T) {
	mangles := []func(string) string{
		func(l string) string { return strings.Join(strings.Fields(l), " ") },            // padding collapsed
		func(l string) string { return "    " + strings.ReplaceAll(l, " ", "\t") + " " }, // TABs, indented, a trailing blank
		func(l string) string { return strings.ReplaceAll(l, " ", "  ") },                // spaces doubled
		func(l string) string { return strings.ReplaceAll(l, " ", "\u00a0") },            // no-break spaces of a web page
	}
	// XML as tools write it out again: other quotes, blanks between
	// elements, <x /> for <x/>.
	xmlMangle := strings.NewReplacer(`"`, `'`, `/>`, ` />`, `</meta><meta`, "</meta>\t<meta", `<flow>`, `<flow> `)
	for _, c := range conntrackdFiles {
		if c.f == format.ConntrackdXML || c.f == format.ConntrackdXMLExpect {
			data := conntrackdCapture(t, c.file)
			pasted := xmlMangle.Replace(string(data))
			for _, f := range []format.Format{c.f, format.Auto} {
				_, _, out, sc, err := readConntrackd(t, []byte(pasted), format.Dialect{Format: f})
				if err != nil || sc.Dialect().Format != c.f || !bytes.Equal(out, data) {
					t.Errorf("%s re-serialised as %v: %v, %v; prints\n%s", c.file, f, sc.Dialect().Format, err, out)
				}
			}
			continue
		}
		if c.f != format.Conntrackd && c.f != format.ConntrackdExpect {
			continue
		}
		data := conntrackdCapture(t, c.file)
		for i, mangle := range mangles {
			var pasted strings.Builder
			for l := range strings.Lines(string(data)) {
				pasted.WriteString(mangle(strings.TrimSuffix(l, "\n")) + "\n")
			}
			for _, f := range []format.Format{c.f, format.Auto} {
				_, _, out, sc, err := readConntrackd(t, []byte(pasted.String()), format.Dialect{Format: f})
				if err != nil || sc.Dialect().Format != c.f || !bytes.Equal(out, data) {
					t.Errorf("%s pasted %d as %v: %v, %v; prints\n%s", c.file, i, f, sc.Dialect().Format, err, out)
				}
			}
		}
	}
}

// TestConntrackdConvert converts conntrackd's flows to every format: a
// flow of -e has no reply tuple, which every format but conntrackd's own
// refuses with a *PrintError; -e's text printed as -x is conntrackd's own
// -e -x; the rest prints lines that read back. A flow of conntrack -L
// printed as conntrackd's is active since its delta-time.
func TestConntrackdConvert(t *testing.T) {
	for _, file := range []string{"conntrackd-i.txt", "conntrackd-e.txt", "alarm-conntrackd-e.txt"} {
		flows, _, _, _, err := readConntrackd(t, conntrackdCapture(t, file), format.Dialect{Format: format.Conntrackd})
		if err != nil {
			t.Fatal(err)
		}
		external := strings.Contains(file, "-e")
		for _, to := range format.Formats() {
			if to.Expectations() || to.Statistics() {
				continue
			}
			var out []byte
			printed := 0
			for i := range flows {
				n := len(out)
				var err error
				out, err = (&format.Dialect{Format: to}).Append(out, &flows[i])
				switch {
				case err == nil:
					printed++
					var back format.Flow
					if err := (&format.Dialect{Format: to, Strict: true}).Parse(out[n:], &back); err != nil {
						t.Errorf("%s to %v: %q does not read back: %v", file, to, out[n:], err)
					}
				case !errors.Is(err, format.ErrUnprintable):
					t.Errorf("%s to %v: %v is not a *PrintError", file, to, err)
				case external && to != format.Conntrackd && to != format.ConntrackdXML && !strings.Contains(err.Error(), "no reply tuple"):
					t.Errorf("%s to %v: %v", file, to, err)
				case !external && !strings.Contains(err.Error(), "no timeout") && to.Shows(&flows[i]):
					t.Errorf("%s to %v: %v", file, to, err)
				}
			}
			// The kernel's formats and conntrack -I need a timeout, which
			// conntrackd does not print.
			timed := to == format.Proc || to == format.IPLegacy || to == format.Restore
			if want := timed || external && to != format.Conntrackd && to != format.ConntrackdXML; want != (printed == 0) {
				t.Errorf("%s to %v: %d of %d flows printed", file, to, printed, len(flows))
			}
			if file == "conntrackd-e.txt" && to == format.ConntrackdXML && string(out) != string(conntrackdCapture(t, "conntrackd-e-x.txt")) {
				t.Errorf("%s as conntrackd-xml is not conntrackd -e -x:\n%s", file, out)
			}
		}
	}
	var f format.Flow
	line := "tcp      6 431997 ESTABLISHED src=::1 dst=::1 sport=51266 dport=33929 packets=4 bytes=300 src=::1 dst=::1 sport=33929 dport=51266 packets=3 bytes=228 [ASSURED] mark=0 delta-time=3 use=1"
	if err := new(format.Dialect{Format: format.Conntrack}).Parse([]byte(line), &f); err != nil {
		t.Fatal(err)
	}
	want := "tcp      6 ESTABLISHED src=::1 dst=::1 sport=51266 dport=33929 src=::1 dst=::1 sport=33929 dport=51266 [ASSURED] mark=0 [active since 3s]\n"
	if out, err := (format.Dialect{Format: format.Conntrackd}).Append(nil, &f); err != nil || string(out) != want {
		t.Errorf("conntrack -L as conntrackd: %q, %v; want %q", out, err, want)
	}
}

// TestConntrackdExpectTimes reads an expectation of ALARM's external
// cache, which has a timer, and prints it back; through conntrack's text
// the times are lost, and conntrackd-expect prints the expectation as
// just cached.
func TestConntrackdExpectTimes(t *testing.T) {
	const line = "proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=10000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 sport=43288 dport=2121 class=0 helper=ftp"
	var e format.Expect
	p := format.Dialect{Format: format.ConntrackdExpect, Strict: true}
	if err := p.ParseExpect([]byte(line+" [expires in 118s] [active since 2s]"), &e); err != nil {
		t.Fatal(err)
	}
	if !e.Has(format.ExpectExpires|format.ExpectActiveSince) || e.Expires != 118 || e.ActiveSince != 2 {
		t.Errorf("times %v %d %d", e.Fields, e.Expires, e.ActiveSince)
	}
	for _, c := range []struct {
		f    format.Format
		want string
	}{
		{format.ConntrackdExpect, line + " [expires in 118s] [active since 2s]\n"},
		{format.ConntrackExpect, line + "\n"},
	} {
		out, err := (&format.Dialect{Format: c.f}).AppendExpect(nil, &e)
		if err != nil || string(out) != c.want {
			t.Errorf("%v: %q, %v; want %q", c.f, out, err, c.want)
		}
	}
	if err := (&format.Dialect{Format: format.ConntrackExpect}).ParseExpect([]byte("300 "+line), &e); err != nil {
		t.Fatal(err)
	}
	if out, err := (&format.Dialect{Format: format.ConntrackdExpect}).AppendExpect(nil, &e); err != nil || string(out) != line+" [active since 0s]\n" {
		t.Errorf("conntrack -L expect as conntrackd's: %q, %v", out, err)
	}
}

// TestConntrackdIncomplete prints flows that conntrackd's caches never hold
// (a TCP flow without its state, TCP or UDP without ports, as events and
// netlink may give them): conntrackd's formats refuse them with a
// *PrintError, as their readers refuse such lines, rather than print what
// does not read back (FuzzNetlink).
func TestConntrackdIncomplete(t *testing.T) {
	p := format.Dialect{Format: format.Conntrack}
	for _, c := range []struct {
		line    string
		formats []format.Format
	}{
		{"tcp      6 120 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1", []format.Format{format.Conntrackd, format.ConntrackdXML}},
		{"udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1", []format.Format{format.Conntrackd, format.ConntrackdXML}},
		// A destroy event has no state, and conntrackd's formats show no
		// event type, which would excuse it.
		{"[DESTROY] tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED]", []format.Format{format.Conntrackd, format.ConntrackdXML}},
		// XML shows no [OFFLOAD], which excuses the missing state.
		{"tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [OFFLOAD] mark=0 use=2", []format.Format{format.ConntrackdXML}},
	} {
		var f format.Flow
		if err := p.Parse([]byte(c.line), &f); err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		switch { // as events and netlink may give them, which conntrack's text does not read
		case f.Proto == format.TCP && f.Has(format.FieldTimeout):
			f.Fields &^= format.FieldTimeout | format.FieldState
		case f.Proto == format.UDP:
			f.Fields &^= format.FieldL4
		}
		for _, fm := range c.formats {
			out, err := (&format.Dialect{Format: fm}).Append(nil, &f)
			if !errors.Is(err, format.ErrUnprintable) {
				t.Errorf("%v: printed %q, %v; want a *PrintError", fm, out, err)
			}
		}
	}
}
