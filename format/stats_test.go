package format_test

import (
	"bytes"
	"errors"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// statsFiles are the captures of the table's counters: real ones of
// testdata/stats (internal/lab/oracle made them), and the older layouts of
// testdata/stats/older, written from the kernel's and conntrack's sources
// (docs/notes/issue16-producers.md).
var statsFiles = []struct {
	file    string
	f       format.Format
	records int
}{
	{"conntrack-S.txt", format.ConntrackStats, 2},
	{"conntrack-S-before.txt", format.ConntrackStats, 2},
	{"conntrack-S-after.txt", format.ConntrackStats, 2},
	{"conntrack-S-expect.txt", format.ConntrackStats, 2},
	{"conntrack-S-expect-after.txt", format.ConntrackStats, 2},
	{"conntrack-C.txt", format.ConntrackStats, 1},
	{"proc-stat.txt", format.ProcStats, 2},
	{"proc-stat-before.txt", format.ProcStats, 2},
	{"proc-stat-after.txt", format.ProcStats, 2},
	{"older/proc-stat-netdata-161-2016.txt", format.ProcStats, 3},
	{"older/proc-stat-2.6.31.txt", format.ProcStats, 2},
	{"older/proc-stat-3.6.txt", format.ProcStats, 2},
	{"older/proc-stat-5.10.txt", format.ProcStats, 1},
	{"older/conntrack-S-before-4.9.txt", format.ConntrackStats, 2},
	{"older/conntrack-S-4.9.txt", format.ConntrackStats, 2},
	{"older/conntrack-S-list-1.2.txt", format.ConntrackStats, 1},
}

// readStats reads every record of data, in format f (Auto detects it),
// and prints them back with a Writer.
func readStats(t *testing.T, data []byte, d format.Dialect, opts ...format.ScanOption) ([]format.Stats, []byte, *format.Scanner, error) {
	t.Helper()
	sc, err := format.NewScanner(bytes.NewReader(data), d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	fm, err := sc.Detect()
	if err != nil {
		return nil, nil, sc, err
	}
	var out bytes.Buffer
	w := format.NewWriter(&out, format.Dialect{Format: fm})
	var all []format.Stats
	for st, err := range sc.Stats() {
		if err != nil {
			return all, out.Bytes(), sc, err
		}
		all = append(all, *st)
		if err := w.WriteStats(st); err != nil {
			t.Fatalf("record %d: %v", len(all), err)
		}
	}
	return all, out.Bytes(), sc, nil
}

// TestStatsRoundTrip reads each capture of counters, named and detected,
// and prints it back byte for byte; WithStrict reads it too.
func TestStatsRoundTrip(t *testing.T) {
	for _, c := range statsFiles {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "stats", c.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []format.Format{c.f, format.Auto} {
			all, out, sc, err := readStats(t, data, format.Dialect{Format: f, Strict: true})
			if err != nil || len(all) != c.records || sc.Dialect().Format != c.f {
				t.Errorf("%s as %v: %d records of %v, %v; want %d of %v", c.file, f, len(all), sc.Dialect().Format, err, c.records, c.f)
				continue
			}
			if !bytes.Equal(out, data) {
				t.Errorf("%s as %v prints otherwise:\n%s\nwant\n%s", c.file, f, out, data)
			}
		}
	}
}

// TestStatsAgree checks the counters of one moment against each other, as
// conntrack -S, conntrack -S expect, conntrack -C and /proc print them:
// each counter that two of them hold has the same value, CPU by CPU, and
// /proc's entries is conntrack -C's count.
func TestStatsAgree(t *testing.T) {
	read := func(file string) []format.Stats {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "stats", file))
		if err != nil {
			t.Fatal(err)
		}
		all, _, _, err := readStats(t, data, format.Dialect{Format: format.Auto})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return all
	}
	for _, moment := range []string{"", "-after"} {
		proc := read("proc-stat" + moment + ".txt")
		count := read("conntrack-C" + moment + ".txt")
		if n, _ := count[0].Value(format.StatEntries); len(count) != 1 || count[0].CPU != -1 {
			t.Fatalf("conntrack -C%s: %+v", moment, count)
		} else {
			for _, p := range proc {
				if e, _ := p.Value(format.StatEntries); e != n {
					t.Errorf("moment %q: /proc's CPU %d has entries %d, conntrack -C %d", moment, p.CPU, e, n)
				}
			}
		}
		compared := 0
		for _, file := range []string{"conntrack-S" + moment + ".txt", "conntrack-S-expect" + moment + ".txt"} {
			for _, s := range read(file) {
				if s.CPU < 0 || s.CPU >= len(proc) {
					t.Fatalf("%s: CPU %d, /proc has %d", file, s.CPU, len(proc))
				}
				for st, v := range s.All() {
					if pv, ok := proc[s.CPU].Value(st); ok {
						compared++
						if pv != v {
							t.Errorf("%s: CPU %d %v = %d, /proc %d", file, s.CPU, st, v, pv)
						}
					}
				}
			}
		}
		if compared < 20 {
			t.Errorf("moment %q: only %d counters compared", moment, compared)
		}
	}
	// The capture after bare ACKs shows them: invalid rose.
	before, after := read("conntrack-S-before.txt"), read("conntrack-S-after.txt")
	var b, a uint64
	for i := range before {
		v, _ := before[i].Value(format.StatInvalid)
		w, _ := after[i].Value(format.StatInvalid)
		b, a = b+v, a+w
	}
	if a < b+100 {
		t.Errorf("invalid %d before 100 bare ACKs, %d after", b, a)
	}
}

// TestStatsPasted reads counters as pastes have them: the TAB after cpu=
// and the trailing blank lost (050 of testdata/pasted), runs of blanks in
// /proc's columns, a list of older conntrack with spaces for its TABs.
// They read as the producer's lines, count as normalised, and WithStrict
// rejects them.
func TestStatsPasted(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{"050, Fedora Magazine",
			"# sudo conntrack -S\ncpu=0 found=0 invalid=130 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=10\n",
			"cpu=0   \tfound=0 invalid=130 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=10 \n"},
		{"/proc, blanks collapsed",
			"entries searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error expect_new expect_create expect_delete search_restart\n" +
				"00000159 0012a6f3 0004b2c1 00001f4e 000000a7 00c1d2e3 00001e90 00001e8f 00001f4d 00000000 00000000 00000000 00000012 00000000 00000004 00000004 00000000\n",
			"entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n" +
				"00000159  0012a6f3 0004b2c1 00001f4e 000000a7 00c1d2e3 00001e90 00001e8f 00001f4d 00000000 00000000 00000000 00000012  00000000 00000004 00000004 00000000\n"},
		{"older list, spaces for the TABs",
			"entries 42\nsearched    41394\n",
			"entries   \t\t42      \nsearched  \t\t41394   \n"},
	} {
		all, out, sc, err := readStats(t, []byte(c.in), format.Dialect{Format: format.Auto})
		if err != nil || string(out) != c.want || sc.Normalized() != len(all) {
			t.Errorf("%s: %v, %d records, %d normalised:\n%q\nwant\n%q", c.name, err, len(all), sc.Normalized(), out, c.want)
		}
		if _, _, _, err := readStats(t, []byte(c.in), format.Dialect{Format: sc.Dialect().Format, Strict: true}); err == nil {
			t.Errorf("%s: WithStrict read it", c.name)
		}
	}
}

// TestStatsErrors checks that counters no producer prints are errors, at
// their column.
func TestStatsErrors(t *testing.T) {
	const header = "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
	for _, c := range []struct {
		name string
		f    format.Format
		in   string
		err  error
		at   string // the bytes the error points at
	}{
		{"unknown counter", format.ConntrackStats, "cpu=0   \tfound=0 invented=1 \n", format.ErrUnknownName, "invented"},
		{"counters out of order", format.ConntrackStats, "cpu=0   \tinvalid=0 found=0 \n", format.ErrOrder, "found"},
		{"a /proc name in conntrack -S", format.ConntrackStats, "cpu=0   \tfound=0 icmp_error=0 \n", format.ErrUnknownName, "icmp_error"},
		{"entries in a CPU's line", format.ConntrackStats, "cpu=0   \tfound=0 entries=3 \n", format.ErrUnknownName, "entries"},
		{"value above 32 bits", format.ConntrackStats, "cpu=0   \tfound=4294967296 \n", format.ErrRange, "4294967296"},
		{"no counters", format.ConntrackStats, "cpu=0   \t\n", format.ErrMissing, ""},
		{"no CPU", format.ConntrackStats, "cpu=\tfound=0 \n", format.ErrSyntax, "\t"},
		{"nothing after cpu=", format.ConntrackStats, "cpu=\n", format.ErrSyntax, ""},
		{"a line before the header", format.ProcStats, "00000000  00000000\n", format.ErrMissing, "00000000"},
		{"header of no kernel", format.ProcStats, "entries  found\n", format.ErrSyntax, "entries  found"},
		{"a column too few", format.ProcStats, header + "0000003b  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000028 00000000 00000000 00000000 00000000  00000000 00000004 00000002\n", format.ErrSyntax, ""},
		{"not hex", format.ProcStats, header + "0000003b  0000000g 00000000 00000000 00000000 00000000 00000000 00000000 00000028 00000000 00000000 00000000 00000000  00000000 00000004 00000002 00000000\n", format.ErrSyntax, "0000000g"},
		{"short column", format.ProcStats, header + "3b  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000028 00000000 00000000 00000000 00000000  00000000 00000004 00000002 00000000\n", format.ErrSyntax, "3b"},
	} {
		sc, _ := format.NewScanner(strings.NewReader(c.in), format.Dialect{Format: c.f}, format.WithName("s.txt"))
		_, _, err := readTo(sc.Stats())
		var pe *format.ParseError
		if !errors.As(err, &pe) || !errors.Is(pe, c.err) || pe.File != "s.txt" {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
			continue
		}
		if got := pe.Text[pe.Col-1 : min(pe.Col-1+pe.Len, len(pe.Text))]; c.at != "" && got != c.at {
			t.Errorf("%s: error at %q, want %q: %v", c.name, got, c.at, pe)
		}
	}
}

// TestStatsAllocs pins parsing and printing counters at no allocation.
func TestStatsAllocs(t *testing.T) {
	for _, c := range []struct {
		f      format.Format
		header string
		line   string
	}{
		{format.ConntrackStats, "", "cpu=0   \tfound=0 invalid=400 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0 clash_resolve=0 chaintoolong=0 "},
		{format.ConntrackStats, "", "cpu=1000\tfound=0 invalid=3 "},
		{format.ConntrackStats, "", "59"},
		{format.ConntrackStats, "", "insert_failed\t\t0       "},
		{format.ProcStats, "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart",
			"0000003b  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000028 00000000 00000000 00000000 00000000  00000000 00000004 00000002 00000000"},
	} {
		// A line of /proc/net/stat/nf_conntrack says what it holds only in
		// the header above it, which a Scanner keeps.
		data := c.header + "\n" + strings.Repeat(c.line+"\n", 102)
		sc, err := format.NewScanner(strings.NewReader(data), format.Dialect{Format: c.f})
		if err != nil {
			t.Fatal(err)
		}
		// A record at a time: the header's columns are the input's, read once.
		next, stop := iter.Pull2(sc.Stats())
		p := format.Dialect{Format: c.f}
		line := []byte(c.line)
		buf := make([]byte, 0, 512)
		if n := testing.AllocsPerRun(100, func() {
			st, err, ok := next()
			if !ok || err != nil {
				t.Fatal(err)
			}
			if c.header == "" {
				if err := p.ParseStats(line, st); err != nil {
					t.Fatal(err)
				}
			}
			if buf, err = p.AppendStats(buf[:0], st); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%v %q: %v allocations", c.f, c.line, n)
		}
		stop()
		if string(bytes.TrimSuffix(buf, []byte("\n"))) != c.line {
			t.Errorf("%v: prints %q", c.f, buf)
		}
	}
}
