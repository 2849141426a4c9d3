package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/lab"
)

// newLab returns a network namespace of the test's own (see lab.ForTest).
func newLab(t *testing.T) *lab.Lab {
	t.Helper()
	return lab.ForTest(t, "ctconv-test", "ctconv with the kernel")
}

// seed returns the seed of the random entries, from CTCONV_SEED if set, and
// logs it so that a failure can be repeated.
func seed(t *testing.T) uint64 {
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("CTCONV_SEED"); v != "" {
		s, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("CTCONV_SEED=%d", s)
	return s
}

// TestLiveProc fills a namespace with random entries of every protocol and
// real traffic, and checks that ctconv prints /proc/net/nf_conntrack back
// byte for byte, and that its IPv4 flows survive a trip through ip_conntrack.
func TestLiveProc(t *testing.T) {
	l := newLab(t)
	s := seed(t)
	if err := l.Insert(lab.Random(rand.New(rand.NewPCG(s, s)), 300)); err != nil {
		t.Fatal(err)
	}
	closeAll, err := l.Traffic()
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	table, err := l.Proc()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "nf_conntrack")
	os.WriteFile(file, table, 0o644)
	code, out, errs := ctconv(t, "", "convert", "--from", "proc", "--to", "proc", file)
	if code != 0 || out != string(table) {
		os.WriteFile(filepath.Join(os.TempDir(), "ctconv-live-failed.txt"), table, 0o644)
		t.Fatalf("exit %d, stderr %q; output equal to the table: %v", code, errs, out == string(table))
	}
	flows := parseAll(t, format.Proc, table)
	t.Logf("%d flows", len(flows))
	if len(flows) < 300 {
		t.Errorf("only %d flows in the table", len(flows))
	}

	code, legacy, errs := ctconv(t, "", "convert", "--to", "iplegacy", file)
	if code != 0 {
		t.Fatalf("to iplegacy: exit %d: %s", code, errs)
	}
	code, back, errs := ctconv(t, legacy, "convert", "--from", "iplegacy", "--to", "proc")
	if code != 0 {
		t.Fatalf("back to proc: exit %d: %s", code, errs)
	}
	var want []format.Flow
	for _, f := range flows {
		if f.Family == format.IPv4 {
			f.Fields &^= format.FieldZone | format.FieldOrigZone | format.FieldReplyZone | format.FieldDeltaTime
			f.Zone, f.OrigZone, f.ReplyZone, f.DeltaTime = 0, 0, 0, 0
			want = append(want, f)
		}
	}
	if d := cmp.Diff(want, parseAll(t, format.Proc, []byte(back)), addrEqual); d != "" {
		t.Errorf("proc -> iplegacy -> proc (-want +got):\n%s", d)
	}
}

// TestLiveConntrack fills a namespace with random entries of every protocol
// and real traffic, with accounting and timestamps on, and checks ctconv
// against conntrack itself: each of conntrack's outputs converts to its own
// format byte for byte, and the kernel's table and conntrack's XML convert
// to what conntrack -L prints, but for what moves between two reads.
func TestLiveConntrack(t *testing.T) {
	l := newLab(t)
	s := seed(t)
	r := rand.New(rand.NewPCG(s, s^0x5eed))
	events := map[string][]string{
		"conntrack": {"-E"},
		"timestamp": {"-E", "-o", "timestamp"},
		"xml":       {"-E", "-o", "xml"},
		"save":      {"-E", "-o", "save"},
	}
	stops := map[string]func() ([]byte, error){}
	for name, args := range events {
		stop, err := l.Listen(args...)
		if err != nil {
			t.Fatal(err)
		}
		stops[name] = stop // subscribed: Listen waits
	}
	if err := l.Insert(lab.Random(r, 200)); err != nil {
		t.Fatal(err)
	}
	closeAll, err := l.Traffic()
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	if _, err := l.Conntrack("-U", "-s", "10.1.0.0/16", "-m", "99"); err != nil && !strings.Contains(err.Error(), "0 flow entries") {
		t.Logf("update: %v", err)
	}
	time.Sleep(300 * time.Millisecond)

	// Each of conntrack's outputs, through ctconv in its own format.
	for _, c := range []struct {
		format string
		args   []string
	}{
		{"conntrack", []string{"-L"}},
		{"conntrack", []string{"-L", "-o", "extended"}},
		{"conntrack", []string{"-L", "-o", "id"}},
		{"conntrack", []string{"-L", "-o", "extended,id"}},
		{"conntrack", []string{"-L", "-o", "ktimestamp"}},
		{"conntrack", []string{"-L", "-o", "labels"}},
		{"xml", []string{"-L", "-o", "xml"}},
		{"xml", []string{"-L", "-o", "xml,ktimestamp,labels"}},
		{"save", []string{"-L", "-o", "save"}},
		{"conntrack-expect", []string{"-L", "expect"}},
		{"xml-expect", []string{"-L", "expect", "-o", "xml"}},
	} {
		out, err := l.Conntrack(c.args...)
		if err != nil {
			t.Fatal(err)
		}
		sameThroughCtconv(t, strings.Join(c.args, " "), c.format, out)
	}
	for name, stop := range stops {
		out, err := stop()
		if err != nil {
			t.Fatal(err)
		}
		if len(out) < 1000 {
			t.Errorf("conntrack -E (%s) printed only %d bytes", name, len(out))
		}
		f := name
		if name == "timestamp" {
			f = "conntrack"
		}
		sameThroughCtconv(t, "-E "+name, f, out)
	}

	// The kernel's table and conntrack's XML, as conntrack -L.
	list, err := l.Conntrack("-L")
	if err != nil {
		t.Fatal(err)
	}
	proc, err := l.Proc()
	if err != nil {
		t.Fatal(err)
	}
	xml, err := l.Conntrack("-L", "-o", "xml")
	if err != nil {
		t.Fatal(err)
	}
	want := volatile(t, string(list), false)
	for _, c := range []struct {
		from string
		text []byte
		icmp bool // XML has no ICMP type, code and id
	}{{"proc", proc, false}, {"xml", xml, true}} {
		code, got, errs := ctconv(t, string(c.text), "convert", "--tz", "UTC", "--from", c.from, "--to", "conntrack")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.from, code, errs)
		}
		w := want
		if c.icmp {
			w = volatile(t, string(list), true)
		}
		if d := cmp.Diff(w, volatile(t, got, c.icmp)); d != "" {
			t.Errorf("--from %s --to conntrack differs from conntrack -L (-want +got):\n%s", c.from, d)
		}
	}

	// conntrack -L -o extended,id as XML, against conntrack -L -o xml.
	ext, err := l.Conntrack("-L", "-o", "extended,id")
	if err != nil {
		t.Fatal(err)
	}
	xml, err = l.Conntrack("-L", "-o", "xml")
	if err != nil {
		t.Fatal(err)
	}
	code, got, errs := ctconv(t, string(ext), "convert", "--tz", "UTC", "--from", "conntrack", "--to", "xml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if d := cmp.Diff(volatileXML(string(xml)), volatileXML(got)); d != "" {
		t.Errorf("conntrack -o extended,id as XML differs from conntrack -o xml (-want +got):\n%s", d)
	}
}

// sameThroughCtconv checks that ctconv prints text, of format f, back as it
// was.
func sameThroughCtconv(t *testing.T, what, f string, text []byte) {
	t.Helper()
	code, out, errs := ctconv(t, string(text), "convert", "--tz", "UTC", "--from", f)
	if code != 0 || out != string(text) {
		name := filepath.Join(os.TempDir(), "ctconv-live-"+strings.NewReplacer(" ", "_", ",", "_").Replace(what)+".txt")
		os.WriteFile(name, text, 0o644)
		t.Errorf("conntrack %s: exit %d, %s; output equal: %v (input kept in %s)", what, code, errs, out == string(text), name)
	}
}

var (
	volatileTokens = regexp.MustCompile(` (use|delta-time)=[0-9]+| helper=\S+`)
	timeoutColumn  = regexp.MustCompile(`^(\S+ +[0-9]+) [0-9]+ `)
	icmpTokens     = regexp.MustCompile(` type=[0-9]+ code=[0-9]+ id=[0-9]+`)
)

// volatile returns the lines of a conntrack -L listing, sorted, without what
// moves between two reads (timeout, use=, delta-time=) and what /proc does
// not carry (helper=); without ICMP's fields too if icmp is set.
func volatile(t *testing.T, text string, icmp bool) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		l = timeoutColumn.ReplaceAllString(volatileTokens.ReplaceAllString(l, ""), "$1 ")
		if icmp {
			l = icmpTokens.ReplaceAllString(l, "")
		}
		lines = append(lines, l)
	}
	sort.Strings(lines)
	return lines
}

var volatileElements = regexp.MustCompile(`<(timeout|use|deltatime)>[0-9]+</(timeout|use|deltatime)>|<helper>[^<]*</helper>`)

// volatileXML returns the records of conntrack's XML, sorted, without what
// moves between two reads.
func volatileXML(text string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		lines = append(lines, volatileElements.ReplaceAllString(l, ""))
	}
	sort.Strings(lines)
	return lines
}
