package format_test

import (
	"bytes"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// olderExpectLayouts are older producers' expectation layouts
// (docs/OLDER-PRODUCERS.md, items 4, 5, 7 and 8), each with its synthetic
// file, what its records hold, a pasted line of it, and damaged lines with
// the error each gets.
var olderExpectLayouts = []struct {
	name    string
	file    string // under testdata/pasted/older/
	f       format.Format
	others  int // lines of the other kind that the file holds (2.4's)
	check   func(t *testing.T, es []format.Expect)
	pasted  string // a line of the file as a paste lays it out
	damaged map[string]string
}{
	{
		name: "4: libnetfilter_conntrack 0.9.1, no mask, no master", file: "conntrack-L-expect-libnfct-0.9.txt", f: format.ConntrackExpect,
		check: func(t *testing.T, es []format.Expect) {
			e := es[1]
			if e.Quirks != format.QuirkOldLibnfct || e.Has(format.ExpectMask) || e.Has(format.ExpectMaster) ||
				!e.Has(format.ExpectTimeout|format.ExpectZone|format.ExpectFlagsSet) || e.Timeout != 300 || e.Zone != 1 ||
				e.Flags != format.ExpectPermanent|format.ExpectInactive || e.Proto != format.UDP || e.Tuple.DstPort != 5062 {
				t.Errorf("record 2: %+v", e)
			}
			if es[0].Has(format.ExpectFlagsSet) || es[0].Has(format.ExpectZone) {
				t.Errorf("record 1 has flags or a zone: %+v", es[0])
			}
		},
		pasted: "300  proto=17\tsrc=198.51.100.9 dst=192.0.2.20 sport=0 dport=5062 zone=1   PERMANENT,INACTIVE  ",
		damaged: map[string]string{
			"300 proto=17 src=198.51.100.9 dst=192.0.2.20 sport=0 dport=5062 zone=1 PERMANENT,BOGUS":      `damaged.txt:1:72: flags: unknown flags "PERMANENT,BOGUS"`,
			"300 proto=17 src=198.51.100.9 dst=192.0.2.20 sport=0 dport=5062 zone=1 PERMANENT,":           `damaged.txt:1:72: flags: unknown flags "PERMANENT,"`,
			"300 proto=17 src=198.51.100.9 dst=192.0.2.20 sport=0 dport=5062 zone=1 PERMANENT helper=sip": `damaged.txt:1:82: unexpected "helper=sip" (a line without mask and master, as libnetfilter_conntrack 0.9 printed it, ends with the zone and the flags)`,
			// Flags glued to helper= are of 1.0.0, which printed the mask.
			"300 proto=17 src=198.51.100.9 dst=192.0.2.20 sport=0 dport=5062 zone=1 PERMANENThelper=sip": `damaged.txt:1:72: flags: unknown flags "PERMANENThelper=sip"`,
			"proto=17 src=198.51.100.9 dst=192.0.2.20 sport=0 dport=5062 zone=1":                         `damaged.txt:1:61: mask-src: expected mask-src=, found "zone=1"`,
			"300 proto=17 src=198.51.100.9 dst=192.0.2.256 sport=0 dport=5062":                           `damaged.txt:1:35: dst: malformed IPv4 address "192.0.2.256" (want four numbers 0 to 255, as in 192.0.2.1)`,
		},
	},
	{
		name: "5: libnetfilter_conntrack 1.0.0, flags glued to helper=", file: "conntrack-L-expect-libnfct-1.0.0.txt", f: format.ConntrackExpect,
		check: func(t *testing.T, es []format.Expect) {
			if es[0].Quirks != 0 {
				t.Errorf("record 1, which today's conntrack prints alike, has quirks %v", es[0].Quirks)
			}
			e := es[1]
			if e.Quirks != format.QuirkOldLibnfct || !e.Has(format.ExpectMask|format.ExpectMaster|format.ExpectHelper) ||
				e.Has(format.ExpectClass) || e.Flags != format.ExpectPermanent || e.Helper != "sip" || e.Master.DstPort != 5060 {
				t.Errorf("record 2: %+v", e)
			}
		},
		pasted: "  300 proto=17 src=198.51.100.9 dst=192.0.2.20 sport=0 dport=5062 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=198.51.100.9  master-dst=192.0.2.20 sport=5060 dport=5060 PERMANENThelper=sip",
		damaged: map[string]string{
			"300 proto=17 src=198.51.100.9 dst=192.0.2.20 sport=0 dport=5062 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=198.51.100.9 master-dst=192.0.2.20 sport=5060 dport=5060 PERMANENThelpr=sip": `damaged.txt:1:203: flags: unknown flags "PERMANENThelpr=sip"`,
			"300 proto=17 src=198.51.100.9 dst=192.0.2.20 sport=0 dport=5062 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=198.51.100.9 master-dst=192.0.2.20 sport=5060 dport=5060 PERMANENThelper=":   `damaged.txt:1:212: helper: empty value after helper=`,
		},
	},
	{
		name: "7: /proc/net/ip_conntrack_expect of 2.6.18, no l3proto", file: "proc-ip_conntrack_expect-2.6.18.txt", f: format.ProcExpect,
		check: func(t *testing.T, es []format.Expect) {
			for i, e := range es {
				if e.Quirks != format.QuirkNoL3proto || e.Family != format.IPv4 || e.Has(format.ExpectUse) {
					t.Errorf("record %d: %+v", i+1, e)
				}
			}
			if e := es[1]; e.Has(format.ExpectTimeout) || e.Proto != format.GRE || e.Tuple.SrcPort != 0x1a2b {
				t.Errorf("record 2: %+v", e)
			}
		},
		pasted: "297\tproto=6 src=192.0.2.10 dst=198.51.100.7 sport=0   dport=40120",
		damaged: map[string]string{
			"297 proto=6 src=192.0.2.10 dst=198.51.100.7 sport=0 dport=40120 ftp ": `damaged.txt:1:65: unexpected "ftp" after the tuple, which ends ip_conntrack's expectation lines`,
			"297 proto=6 src=2001:db8::1 dst=198.51.100.7 sport=0 dport=40120 ":    `damaged.txt:1:17: src: IPv6 address "2001:db8::1" in an IPv4-only format`,
			"2x7 proto=6 src=192.0.2.10 dst=198.51.100.7 sport=0 dport=40120 ":     `damaged.txt:1:2: timeout: unexpected 'x' in a number (want seconds, or - for none)`,
		},
	},
	{
		name: "8: /proc/net/ip_conntrack of 2.4.0, EXPECTING: proto=", file: "proc-ip_conntrack-2.4.0.txt", f: format.ProcExpect, others: 2,
		check: func(t *testing.T, es []format.Expect) {
			if e := es[0]; e.Quirks != format.QuirkExpecting || e.Fields != 0 || e.Tuple.DstPort != 40120 {
				t.Errorf("record 1: %+v", e)
			}
		},
		pasted: "   EXPECTING: proto=6 src=198.51.100.7 dst=192.0.2.10 sport=0 dport=40120",
		damaged: map[string]string{
			"EXPECTING: proto=6 src=198.51.100.7 dst=192.0.2.10 sport=0 dport=401200 ": `damaged.txt:1:66: dport: 401200 is out of range (want 0 to 65535)`,
		},
	},
	{
		name: "8: /proc/net/ip_conntrack of 2.4.32, EXPECTING: with use=", file: "proc-ip_conntrack-2.4.32.txt", f: format.ProcExpect, others: 1,
		check: func(t *testing.T, es []format.Expect) {
			if e := es[0]; e.Quirks != format.QuirkExpecting || e.Fields != format.ExpectTimeout|format.ExpectUse || e.Timeout != 297 || e.Use != 1 {
				t.Errorf("record 1: %+v", e)
			}
			if e := es[1]; e.Fields != format.ExpectUse {
				t.Errorf("record 2: %+v", e)
			}
		},
		pasted: "EXPECTING:  297 use=1 proto=6 src=198.51.100.7 dst=192.0.2.10 sport=0 dport=40120",
		damaged: map[string]string{
			"EXPECTING: 297 use=x proto=6 src=198.51.100.7 dst=192.0.2.10 sport=0 dport=40120 ":    `damaged.txt:1:20: use: unexpected 'x' in a number (want 0 to 4294967295)`,
			"EXPECTING: 297 use=1 proto=6 src=198.51.100.7 dst=192.0.2.10 sport=0 dport=40120 ftp": `damaged.txt:1:82: unexpected "ftp" after the tuple, which ends ip_conntrack's expectation lines`,
		},
	},
}

// TestOlderExpectLayouts reads each older producer's expectation layout,
// strict too (it is a producer's exact output), and prints it back byte
// for byte; a pasted line of it reads as the same record, but not strict;
// a damaged line is an error at its bytes.
func TestOlderExpectLayouts(t *testing.T) {
	for _, c := range olderExpectLayouts {
		t.Run(c.name, func(t *testing.T) {
			data := readFile(t, "../testdata/pasted/older/"+c.file)
			var want []byte // the lines of the file of c.f's kind
			for line := range bytes.Lines(data) {
				if c.others == 0 || bytes.HasPrefix(line, []byte("EXPECTING: ")) {
					want = append(want, line...)
				}
			}
			var es []format.Expect
			for _, strict := range []bool{false, true} {
				sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: c.f, Strict: strict}, format.WithName(c.file))
				es = es[:0]
				var got []byte
				pr := format.Dialect{Format: c.f}
				for e, err := range sc.Expects() {
					if err != nil {
						t.Fatalf("strict %v: %v", strict, err)
					}
					es = append(es, *e)
					if got, err = pr.AppendExpect(got, e); err != nil {
						t.Fatal(err)
					}
				}
				if sc.Others() != c.others || sc.Normalized() != 0 {
					t.Errorf("strict %v: %d lines of the other kind, %d normalized; want %d, 0", strict, sc.Others(), sc.Normalized(), c.others)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("strict %v: prints\n%s\nwant\n%s", strict, got, want)
				}
				c.check(t, es)
			}
			buf := make([]byte, 0, 512)
			pr := format.Dialect{Format: c.f}
			for i := range es {
				if n := testing.AllocsPerRun(20, func() { buf, _ = pr.AppendExpect(buf[:0], &es[i]) }); n != 0 {
					t.Errorf("record %d: print allocates %v times", i+1, n)
				}
			}

			if c.others == 0 { // 2.4's files are iplegacy's: TestOlderMixed24
				// Each line alone too: 0.9's first line, without its blank,
				// is ip_conntrack's /proc line laid out again.
				for line := range bytes.Lines(data) {
					sc, _ := format.NewScanner(bytes.NewReader(line), format.Dialect{Format: format.Auto})
					if fm, err := sc.Detect(); fm != c.f || err != nil {
						t.Errorf("%q: detected %v, %v; want %v", line, fm, err, c.f)
					}
				}
			}

			ps := format.Dialect{Format: c.f}
			var e format.Expect
			if err := ps.ParseExpect([]byte(c.pasted), &e); err != nil {
				t.Errorf("pasted: %v", err)
			} else if !slicesContain(es, e) {
				t.Errorf("pasted line reads as %+v, which the file does not hold", e)
			}
			ps.Strict = true
			if ps.ParseExpect([]byte(c.pasted), &e) == nil {
				t.Errorf("strict reads the pasted line")
			}

			for line, want := range c.damaged {
				for _, strict := range []bool{false, true} {
					sc, _ := format.NewScanner(strings.NewReader(line+"\n"), format.Dialect{Format: c.f, Strict: strict}, format.WithName("damaged.txt"))
					n, _, err := readTo(sc.Expects())
					if n > 0 {
						t.Errorf("damaged line %q reads", line)
					}
					if err == nil || err.Error() != want {
						t.Errorf("strict %v: %q: got error\n%v\nwant\n%s", strict, line, err, want)
					}
				}
			}
		})
	}
}

func slicesContain(es []format.Expect, e format.Expect) bool {
	for _, x := range es {
		if x == e {
			return true
		}
	}
	return false
}

// TestOlderMixed24: a 2.4 kernel's /proc/net/ip_conntrack lists its
// expectations after its connections. Read for flows (iplegacy, which
// Auto detects), the EXPECTING: lines are passed over and counted, not
// skipped unseen, and a damaged one is a bad line in its own layout; read
// for expectations (proc-expect), the connections are.
func TestOlderMixed24(t *testing.T) {
	for _, file := range []string{"proc-ip_conntrack-2.4.0.txt", "proc-ip_conntrack-2.4.32.txt"} {
		data := readFile(t, "../testdata/pasted/older/"+file)
		var flows, expects []byte
		for line := range bytes.Lines(data) {
			if bytes.HasPrefix(line, []byte("EXPECTING: ")) {
				expects = append(expects, line...)
			} else {
				flows = append(flows, line...)
			}
		}
		sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto})
		if fm, err := sc.Detect(); fm != format.IPLegacy || err != nil {
			t.Fatalf("%s: detected %v, %v; want iplegacy", file, fm, err)
		}
		var got []byte
		var err error
		for f, ferr := range sc.Flows() {
			if err = ferr; err != nil {
				break
			}
			got, _ = format.Dialect{Format: format.IPLegacy}.Append(got, f)
		}
		if err != nil || !bytes.Equal(got, flows) || sc.Others() != bytes.Count(expects, []byte("\n")) {
			t.Errorf("%s: %v, %d EXPECTING: lines passed over; prints\n%s", file, err, sc.Others(), got)
		}

		// Damaged: the EXPECTING: line's error, in its layout.
		bad := bytes.Replace(data, []byte("EXPECTING: "), []byte("EXPECTING: x"), 1)
		sc, _ = format.NewScanner(bytes.NewReader(bad), format.Dialect{Format: format.IPLegacy}, format.WithName(file))
		_, _, err = readTo(sc.Flows())
		line := bytes.Count(flows, []byte("\n")) + 1
		if err == nil || !strings.HasPrefix(err.Error(), file+":"+strconv.Itoa(line)+":12: timeout: ") {
			t.Errorf("%s: damaged EXPECTING: line: %v", file, err)
		}
	}

	// A connection of a later kernel (no trailing space) in proc-expect is
	// no line of a 2.4 file: it is bad, as before.
	sc, _ := format.NewScanner(strings.NewReader("tcp      6 117 SYN_SENT src=192.0.2.1 dst=192.0.2.2 sport=1 dport=2 [UNREPLIED] src=192.0.2.2 dst=192.0.2.1 sport=2 dport=1 use=2\n"), format.Dialect{Format: format.ProcExpect})
	if _, _, err := readTo(sc.Expects()); err == nil || sc.Others() != 0 {
		t.Errorf("a 2.6 connection line in proc-expect: %v, %d passed over", err, sc.Others())
	}
}

// TestOlderLayoutsNotForOthers: a record of an older layout prints in it
// only where the layout holds everything the record has, and the quirks do
// not make other records print otherwise.
func TestOlderLayoutsNotForOthers(t *testing.T) {
	tuple := format.Tuple{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), DstPort: 21}
	for _, c := range []struct {
		name string
		f    format.Format
		e    format.Expect
		want string
	}{
		{"ip_conntrack's layout has no helper", format.ProcExpect,
			format.Expect{Quirks: format.QuirkNoL3proto, Family: format.IPv4, Proto: format.TCP, Tuple: tuple, Fields: format.ExpectHelper, Helper: "ftp"},
			"- l3proto = 2 proto=6 src=192.0.2.1 dst=192.0.2.2 sport=0 dport=21 ftp\n"},
		{"2.4.0's EXPECTING: has no timeout", format.ProcExpect,
			format.Expect{Quirks: format.QuirkExpecting, Family: format.IPv4, Proto: format.TCP, Tuple: tuple, Fields: format.ExpectTimeout, Timeout: 5},
			"5 l3proto = 2 proto=6 src=192.0.2.1 dst=192.0.2.2 sport=0 dport=21 \n"},
		{"2.4.32's EXPECTING:", format.ProcExpect,
			format.Expect{Quirks: format.QuirkExpecting, Family: format.IPv4, Proto: format.TCP, Tuple: tuple, Fields: format.ExpectTimeout | format.ExpectUse, Timeout: 5, Use: 3},
			"EXPECTING: 5 use=3 proto=6 src=192.0.2.1 dst=192.0.2.2 sport=0 dport=21 \n"},
		{"use= belongs to EXPECTING: lines only", format.ProcExpect,
			format.Expect{Quirks: format.QuirkNoL3proto, Family: format.IPv4, Proto: format.TCP, Tuple: tuple, Fields: format.ExpectUse, Use: 3},
			"- proto=6 src=192.0.2.1 dst=192.0.2.2 sport=0 dport=21 \n"},
		{"glued only before a helper", format.ConntrackExpect,
			format.Expect{Quirks: format.QuirkOldLibnfct, Family: format.IPv4, Proto: format.TCP, Tuple: tuple, Mask: tuple, Master: tuple,
				Fields: format.ExpectMask | format.ExpectMaster | format.ExpectFlagsSet, Flags: format.ExpectPermanent},
			"proto=6 src=192.0.2.1 dst=192.0.2.2 sport=0 dport=21 mask-src=192.0.2.1 mask-dst=192.0.2.2 sport=0 dport=21 master-src=192.0.2.1 master-dst=192.0.2.2 PERMANENT\n"},
		{"not glued before class=", format.ConntrackExpect,
			format.Expect{Quirks: format.QuirkOldLibnfct, Family: format.IPv4, Proto: format.TCP, Tuple: tuple, Mask: tuple, Master: tuple,
				Fields: format.ExpectMask | format.ExpectMaster | format.ExpectFlagsSet | format.ExpectClass | format.ExpectHelper, Flags: format.ExpectPermanent, Helper: "ftp"},
			"proto=6 src=192.0.2.1 dst=192.0.2.2 sport=0 dport=21 mask-src=192.0.2.1 mask-dst=192.0.2.2 sport=0 dport=21 master-src=192.0.2.1 master-dst=192.0.2.2 PERMANENT class=0 helper=ftp\n"},
	} {
		pr := format.Dialect{Format: c.f}
		got, err := pr.AppendExpect(nil, &c.e)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	// 0.9.1's layout has no helper: such a record is not printed as if it
	// had none.
	e := format.Expect{Quirks: format.QuirkOldLibnfct, Family: format.IPv4, Proto: format.TCP, Tuple: tuple,
		Fields: format.ExpectTimeout | format.ExpectHelper, Helper: "ftp"}
	pr := format.Dialect{Format: format.ConntrackExpect}
	if got, err := pr.AppendExpect(nil, &e); err == nil {
		t.Errorf("0.9.1's layout with a helper prints %q", got)
	}
}

// TestOlderUnnamedProtocols reads conntrack's lines of the protocols that
// an older libnetfilter_conntrack printed as "unknown", without their
// layer-4 part or state (docs/OLDER-PRODUCERS.md, item 12), strict too (it
// is a producer's exact output), and prints them back byte for byte. A
// flow with what that library left out prints with today's name, as do
// the flows of other sources; a damaged line is an error at its bytes.
func TestOlderUnnamedProtocols(t *testing.T) {
	for file, n := range map[string]int{"conntrack-L-libnfct-0.0.99-gre-dccp-unknown.txt": 2, "conntrack-E-libnfct-0.0.82-icmpv6-udplite-gre-unknown.txt": 5} {
		data := readFile(t, "../testdata/pasted/older/"+file)
		if fm, err := format.Detect(data); fm != format.Conntrack || err != nil {
			t.Errorf("%s: detected as %v, %v", file, fm, err)
		}
		var want []byte // the records, without conntrack's message
		for line := range bytes.Lines(data) {
			if !bytes.HasPrefix(line, []byte("conntrack v")) {
				want = append(want, line...)
			}
		}
		for _, strict := range []bool{false, true} {
			sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Conntrack, Strict: strict}, format.WithName(file))
			var got []byte
			unnamed := 0
			for f, err := range sc.Flows() {
				if err != nil {
					t.Fatalf("strict %v: %v", strict, err)
				}
				if f.Quirks&format.QuirkOldLibnfct != 0 {
					unnamed++
					if f.Fields&(format.FieldL4|format.FieldState) != 0 || f.Quirks&format.QuirkUnknownName != 0 {
						t.Errorf("%s: %v, quirks %v, fields %v", file, f.Proto, f.Quirks, f.Fields)
					}
				}
				if got, err = (&format.Dialect{Format: format.Conntrack}).Append(got, f); err != nil {
					t.Fatal(err)
				}
			}
			if string(got) != string(want) {
				t.Errorf("%s, strict %v, printed back:\n%s\nwant:\n%s", file, strict, got, want)
			}
			if unnamed != n || sc.Normalized() != 0 {
				t.Errorf("%s: %d flows unnamed, %d laid out anew", file, unnamed, sc.Normalized())
			}
		}
	}

	var gre format.Flow
	line := "unknown  47 17999 src=192.0.2.10 dst=198.51.100.9 src=198.51.100.9 dst=192.0.2.10 [ASSURED] mark=0 use=1"
	if err := (&format.Dialect{Format: format.Conntrack}).Parse([]byte(line), &gre); err != nil {
		t.Fatal(err)
	}
	var dccp format.Flow
	line = "unknown  33 299 src=192.0.2.11 dst=198.51.100.7 [UNREPLIED] src=198.51.100.7 dst=192.0.2.11 mark=0 use=1"
	if err := (&format.Dialect{Format: format.Conntrack}).Parse([]byte(line), &dccp); err != nil {
		t.Fatal(err)
	}
	withKeys := gre
	withKeys.Fields |= format.FieldL4
	withKeys.Orig.SrcPort, withKeys.Reply.DstPort = 0x1a2b, 0x1a2b
	fromProc := gre
	fromProc.Quirks = format.QuirkUnknownName // a kernel without the GRE tracker
	for _, c := range []struct {
		name string
		f    *format.Flow
		to   format.Format
		want string // "" for a *PrintError
	}{
		{"with its keys, as that library did not print", &withKeys, format.Conntrack,
			"gre      47 17999 src=192.0.2.10 dst=198.51.100.9 srckey=0x1a2b dstkey=0x0 src=198.51.100.9 dst=192.0.2.10 srckey=0x0 dstkey=0x1a2b [ASSURED] mark=0 use=1\n"},
		{"as /proc's unknown", &fromProc, format.Conntrack,
			"gre      47 17999 src=192.0.2.10 dst=198.51.100.9 src=198.51.100.9 dst=192.0.2.10 [ASSURED] mark=0 use=1\n"},
		{"to conntrackd, named", &gre, format.Conntrackd,
			"gre      47 src=192.0.2.10 dst=198.51.100.9 src=198.51.100.9 dst=192.0.2.10 [ASSURED] mark=0 [active since 0s]\n"},
		{"to the kernel's, which prints the keys", &gre, format.Proc, ""},
		// Today's conntrack prints a DCCP flow's ports, zeros only where the
		// kernel tracks it without them: those that library left out are
		// not known.
		{"DCCP to XML", &dccp, format.XML, ""},
		{"DCCP to save", &dccp, format.Save, ""},
		{"DCCP to conntrackd", &dccp, format.Conntrackd, ""},
		{"DCCP to conntrackd's XML", &dccp, format.ConntrackdXML, ""},
		{"DCCP to conntrack", &dccp, format.Conntrack,
			"unknown  33 299 src=192.0.2.11 dst=198.51.100.7 [UNREPLIED] src=198.51.100.7 dst=192.0.2.11 mark=0 use=1\n"},
	} {
		got, err := (&format.Dialect{Format: c.to}).Append(nil, c.f)
		if c.want == "" && !errors.Is(err, format.ErrUnprintable) || c.want != "" && (err != nil || string(got) != c.want) {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}

	for _, c := range []struct{ line, err string }{
		// The library named TCP from the start.
		{"unknown  6 431999 ESTABLISHED src=192.0.2.10 dst=198.51.100.7 sport=40120 dport=22 src=198.51.100.7 dst=192.0.2.10 sport=22 dport=40120 [ASSURED] mark=0 use=1", "1: protocol: conntrack prints protocol 6 as tcp, not unknown"},
		// It printed neither keys nor a state of a protocol it did not name.
		{"unknown  47 17999 src=192.0.2.10 dst=198.51.100.9 srckey=0x1a2b dstkey=0x0 src=198.51.100.9 dst=192.0.2.10 srckey=0x0 dstkey=0x1a2b mark=0 use=1", `51: unknown field "srckey=0x1a2b" (strict mode)`},
		{"unknown  33 299 OPEN src=192.0.2.11 dst=198.51.100.7 [UNREPLIED] src=198.51.100.7 dst=192.0.2.11 mark=0 use=1", `17: original tuple: expected original tuple (src=...), found "OPEN"`},
	} {
		var f format.Flow
		err := (&format.Dialect{Format: format.Conntrack, Strict: true}).Parse([]byte(c.line), &f)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%.40s: %v; want %q", c.line, err, c.err)
		}
	}
}
