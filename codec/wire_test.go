package codec

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// version1 is the wire numbering of version 1 of the msgpack records
// (docs/SNAPSHOT.md), as the files written by it have it: for each type of
// package format that a record carries, the number that stands for each of
// its constants: a bit's number for the sets of bits (Fields,
// ExpectFields, Quirks, ExpectFlags, Status), the value for the others.
// It is the specification: these numbers never change. A new constant
// gets a new number here, and in codec's tables (flowFields, expectFields,
// quirkWire) for the sets that have one; where the order of format's
// constants changes, this test fails, and the sets of bits keep their
// numbers through codec's tables; a changed enumeration needs a table of
// its own.
var version1 = map[string]map[string]uint64{
	"Fields": {
		"FieldTimeout": 0, "FieldState": 1, "FieldL4": 2, "FieldOrigZone": 3,
		"FieldReplyZone": 4, "FieldZone": 5, "FieldOrigCounters": 6,
		"FieldReplyCounters": 7, "FieldStatus": 8, "FieldMark": 9,
		"FieldSecmark": 10, "FieldSecctx": 11, "FieldUse": 12, "FieldID": 13,
		"FieldDeltaTime": 14, "FieldStart": 15, "FieldStop": 16,
		"FieldGRETimeouts": 17, "FieldHelper": 18, "FieldLabels": 19,
		"FieldEventTime": 20, "FieldUserspace": 21, "FieldPortID": 22,
		"FieldProgname": 23, "FieldVtags": 24, "FieldExpires": 29,
		"FieldActiveSince": 30,
	},
	"ExpectFields": {
		"ExpectTimeout": 0, "ExpectMask": 1, "ExpectMaster": 2, "ExpectZone": 3,
		"ExpectFlagsSet": 4, "ExpectClass": 5, "ExpectHelper": 6,
		"ExpectPolicy": 7, "ExpectEventTime": 8, "ExpectUserspace": 9,
		"ExpectPortID": 10, "ExpectProgname": 11, "ExpectUse": 15,
		"ExpectExpires": 17, "ExpectActiveSince": 18,
	},
	"Quirks": {
		"QuirkUnknownName": 0, "QuirkListen": 1, "QuirkTrailingSpace": 2,
		"QuirkUseBeforeMark": 3, "QuirkSignedMark": 4, "QuirkSpacedMicros": 5,
		"QuirkNullState": 6, "QuirkCRLF": 7,
		// In an expectation's second quirks value (expectQuirkWire).
		"QuirkOldLibnfct": 0, "QuirkNoL3proto": 1, "QuirkExpecting": 2,
	},
	"ExpectFlags": {"ExpectPermanent": 0, "ExpectInactive": 1, "ExpectUserspaceFlag": 2},
	"Status": { // the kernel's IPS_* bits
		"StatusExpected": 0, "StatusSeenReply": 1, "StatusAssured": 2,
		"StatusConfirmed": 3, "StatusSrcNAT": 4, "StatusDstNAT": 5,
		"StatusSeqAdjust": 6, "StatusSrcNATDone": 7, "StatusDstNATDone": 8,
		"StatusDying": 9, "StatusFixedTimeout": 10, "StatusTemplate": 11,
		"StatusNATClash": 12, "StatusHelper": 13, "StatusOffload": 14,
		"StatusHWOffload": 15,
	},
	"Family": {"IPv4": 2, "IPv6": 10},
	"Proto": {
		"ICMP": 1, "TCP": 6, "UDP": 17, "DCCP": 33, "GRE": 47, "ICMPv6": 58,
		"SCTP": 132, "UDPLite": 136,
	},
	"State": { // the kernel's numbers
		"TCPNone": 0, "TCPSynSent": 1, "TCPSynRecv": 2, "TCPEstablished": 3,
		"TCPFinWait": 4, "TCPCloseWait": 5, "TCPLastAck": 6, "TCPTimeWait": 7,
		"TCPClose": 8, "TCPSynSent2": 9,
		"SCTPNone": 0, "SCTPClosed": 1, "SCTPCookieWait": 2,
		"SCTPCookieEchoed": 3, "SCTPEstablished": 4, "SCTPShutdownSent": 5,
		"SCTPShutdownRecd": 6, "SCTPShutdownAckSent": 7,
		"SCTPHeartbeatSent": 8, "SCTPHeartbeatAcked": 9,
		"DCCPNone": 0, "DCCPRequest": 1, "DCCPRespond": 2, "DCCPPartOpen": 3,
		"DCCPOpen": 4, "DCCPCloseReq": 5, "DCCPClosing": 6, "DCCPTimeWait": 7,
		"DCCPIgnore": 8, "DCCPInvalid": 9,
	},
	// The table's counters: the bit of a counters record's mask that
	// carries each; the per-CPU ones are the kernel's CTA_STATS_* numbers.
	"Stat": {
		"StatSearched": 1, "StatFound": 2, "StatNew": 3, "StatInvalid": 4,
		"StatIgnore": 5, "StatDelete": 6, "StatDeleteList": 7, "StatInsert": 8,
		"StatInsertFailed": 9, "StatDrop": 10, "StatEarlyDrop": 11, "StatError": 12,
		"StatSearchRestart": 13, "StatClashResolve": 14, "StatChainTooLong": 15,
		"StatEntries": 16, "StatMaxEntries": 17, "StatExpectNew": 18,
		"StatExpectCreate": 19, "StatExpectDelete": 20,
	},
	"Event":  {"EventNone": 0, "EventNew": 1, "EventUpdate": 2, "EventDestroy": 3},
	"Layer4": {"L4None": 0, "L4Ports": 1, "L4Keys": 2, "L4ICMP": 3},
	"Slot": {
		"SlotHeader": 0, "SlotOrig": 1, "SlotOrigZone": 2, "SlotOrigCounters": 3,
		"SlotUnreplied": 4, "SlotReply": 5, "SlotReplyZone": 6,
		"SlotReplyCounters": 7, "SlotFlag": 8, "SlotUnconfirmed": 9,
		"SlotMark": 10, "SlotSecmark": 11, "SlotSecctx": 12, "SlotZone": 13,
		"SlotDeltaTime": 14, "SlotStart": 15, "SlotStop": 16, "SlotHelper": 17,
		"SlotUse": 18, "SlotID": 19, "SlotLabels": 20, "SlotUserspace": 21,
		"SlotExpires": 22, "SlotActiveSince": 23,
	},
}

// version1Record is the numbering of the mask bits that are the record's
// own, not a field of the model's, in version 1.
var version1Record = []struct {
	name      string
	bit       uint64
	number    uint
	expect    bool
	isVersion bool // the highest bit the version knows
}{
	{name: "event", bit: wireEvent, number: 25},
	{name: "quirks", bit: wireQuirks, number: 26},
	{name: "extras", bit: wireExtras, number: 27},
	{name: "reply", bit: wireReply, number: 28},
	{name: "no reply", bit: wireNoReply, number: 31},
	{name: "netns", bit: wireNetns, number: 32},
	{name: "quirks 2", bit: wireQuirks2, number: 33, isVersion: true},
	{name: "expect event", bit: wireExpectEvent, number: 12, expect: true},
	{name: "expect quirks", bit: wireExpectQuirks, number: 13, expect: true},
	{name: "expect flags", bit: wireExpectFlags, number: 14, expect: true},
	{name: "expect quirks 2", bit: wireExpectQuirks2, number: 16, expect: true},
}

// TestWireNumbering ties codec's wire tables and the values of format's
// constants to version 1's numbering: every constant of a type that
// records carry has its number, every constant of a set of bits is in its
// wire table exactly once, at the bit version 1 gives it, and no two
// fields of a record share a bit.
func TestWireNumbering(t *testing.T) {
	consts := formatConstants(t)
	if n := uint64(wireStatsVersion); n != slices.Max(slices.Collect(maps.Values(version1["Stat"]))) {
		t.Errorf("the highest counter bit known is %d, version 1's %d", n, slices.Max(slices.Collect(maps.Values(version1["Stat"]))))
	}
	for typ, spec := range version1 {
		got := consts[typ]
		if len(got) == 0 {
			t.Errorf("format has no constants of type %s", typ)
		}
		for name, v := range got {
			want, ok := spec[name]
			if !ok {
				t.Errorf("format.%s (%s) has no number in version1: give it a new one (and, for %s, the same in codec's wire table)", name, typ, strings.Join(slices.Sorted(maps.Keys(wireTables)), ", "))
				continue
			}
			if isSet(typ) {
				want = 1 << want
			}
			if _, tabled := wireTables[typ]; v != want && !tabled {
				t.Errorf("format.%s is %d, version 1 carries it as %d: the files would change meaning", name, v, want)
			}
		}
		for name := range spec {
			if _, ok := got[name]; !ok {
				t.Errorf("version1 numbers format.%s, which format lacks", name)
			}
		}
	}

	for typ, sets := range wireTables {
		byValue := map[uint64]string{}
		for name, v := range consts[typ] {
			byValue[v] = name
		}
		seen := map[string]bool{}
		wires := map[uint64]bool{}
		for _, set := range sets {
			tableWires := map[uint64]bool{}
			for i, p := range set.pairs {
				if i > 0 && p.wire < set.pairs[i-1].wire {
					t.Errorf("%s table: format.%s is listed before a lower wire bit (JSON lists quirks in the table's order)", typ, byValue[p.model])
				}
				name, ok := byValue[p.model]
				switch {
				case !ok:
					t.Errorf("%s table: model bit %#x is no constant of format.%s", typ, p.model, typ)
					continue
				case seen[name]:
					t.Errorf("%s table: format.%s is there twice", typ, name)
				case bits.OnesCount64(p.wire) != 1 || tableWires[p.wire]:
					t.Errorf("%s table: format.%s's wire bit %#x is not a bit of its own", typ, name, p.wire)
				case p.wire != 1<<version1[typ][name]:
					t.Errorf("%s table: format.%s has wire bit %d, version 1 gives it %d", typ, name, bits.TrailingZeros64(p.wire), version1[typ][name])
				}
				seen[name], wires[p.wire], tableWires[p.wire] = true, true, true
				if back := set.model(set.wire(p.model)); back != p.model {
					t.Errorf("%s: format.%s translates back as %#x", typ, name, back)
				}
			}
		}
		for name := range consts[typ] {
			if !seen[name] {
				t.Errorf("%s table: format.%s has no wire bit: records would lose it", typ, name)
			}
		}
		if typ == "Quirks" {
			continue
		}
		// The record's own bits come after the model's.
		for _, r := range version1Record {
			if r.expect != (typ == "ExpectFields") {
				continue
			}
			if r.bit != 1<<r.number {
				t.Errorf("the %s bit is %d, version 1's is %d", r.name, bits.TrailingZeros64(r.bit), r.number)
			}
			if wires[r.bit] {
				t.Errorf("the %s bit is a field's too", r.name)
			}
			version := uint(wireVersion)
			if r.expect {
				version = wireExpectVersion
			}
			if r.isVersion && version != r.number {
				t.Errorf("%s: the highest bit known is %d, version 1's %d", typ, version, r.number)
			}
			wires[r.bit] = true
		}
		// The highest bit of the fields and the record's own is the
		// version's highest.
		version, highest := uint64(wireVersion), uint64(0)
		if typ == "ExpectFields" {
			version = wireExpectVersion
		}
		for w := range wires {
			highest = max(highest, uint64(bits.TrailingZeros64(w)))
		}
		if highest != version {
			t.Errorf("%s: the highest bit known is %d, the highest bit used %d", typ, version, highest)
		}
	}
}

// TestWireLayer4 holds the layer-4 part of each protocol to version 1's:
// a record carries one value for it, or none, as the protocol number
// says, so a protocol that gained a layer-4 part would misread the records
// written before.
func TestWireLayer4(t *testing.T) {
	v1 := map[format.Proto]format.Layer4{
		format.TCP: format.L4Ports, format.UDP: format.L4Ports, format.UDPLite: format.L4Ports,
		format.SCTP: format.L4Ports, format.DCCP: format.L4Ports, format.GRE: format.L4Keys,
		format.ICMP: format.L4ICMP, format.ICMPv6: format.L4ICMP,
	}
	for p := range 256 {
		if got, want := format.Proto(p).Layer4(), v1[format.Proto(p)]; got != want {
			t.Errorf("protocol %d has layer-4 part %d, version 1's records %d", p, got, want)
		}
	}
}

// wireTables are the wire tables of the sets of bits that have one: their
// bits are carried in version 1's numbering, whatever format's values.
var wireTables = map[string][]*wireSet{"Fields": {flowWire}, "ExpectFields": {expectWire}, "Quirks": {quirkWire, expectQuirkWire}}

func isSet(typ string) bool {
	return slices.Contains([]string{"Fields", "ExpectFields", "Quirks", "ExpectFlags", "Status"}, typ)
}

// formatConstants returns the exported constants of package format's
// types that version1 numbers, by type and name, with their values: read
// from the source, so that a constant added there is seen here.
func formatConstants(t *testing.T) map[string]map[string]uint64 {
	t.Helper()
	files, _ := filepath.Glob("../format/*.go")
	fset := token.NewFileSet()
	var src strings.Builder
	src.WriteString("package format\n")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, b, 0)
		if err != nil {
			t.Fatal(err)
		}
		text := func(n ast.Node) string {
			file := fset.File(n.Pos())
			return string(b[file.Offset(n.Pos()):file.Offset(n.End())])
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || len(g.Specs) == 0 {
				continue
			}
			switch s := g.Specs[0].(type) {
			case *ast.TypeSpec:
				for _, spec := range g.Specs {
					if ts := spec.(*ast.TypeSpec); version1[ts.Name.Name] != nil {
						src.WriteString("type " + text(ts) + "\n")
					}
				}
			case *ast.ValueSpec:
				if id, ok := s.Type.(*ast.Ident); ok && g.Tok == token.CONST && version1[id.Name] != nil {
					src.WriteString(text(g) + "\n")
				}
			}
		}
	}
	file, err := parser.ParseFile(fset, "consts.go", src.String(), 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, src.String())
	}
	pkg, err := new(types.Config).Check("format", fset, []*ast.File{file}, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, src.String())
	}
	consts := map[string]map[string]uint64{}
	for _, name := range pkg.Scope().Names() {
		c, ok := pkg.Scope().Lookup(name).(*types.Const)
		if !ok || !c.Exported() {
			continue
		}
		typ := c.Type().(*types.Named).Obj().Name()
		v, _ := constant.Uint64Val(c.Val())
		if consts[typ] == nil {
			consts[typ] = map[string]uint64{}
		}
		consts[typ][name] = v
	}
	return consts
}

var sinkMask uint64

// BenchmarkWireTranslate measures what the wire table costs a flow
// record: its mask translated to the wire and back, as a writer and a
// reader do.
func BenchmarkWireTranslate(b *testing.B) {
	m := uint64(format.FieldTimeout | format.FieldState | format.FieldL4 | format.FieldOrigCounters |
		format.FieldReplyCounters | format.FieldStatus | format.FieldMark | format.FieldZone |
		format.FieldUse | format.FieldDeltaTime | format.FieldSecctx)
	for b.Loop() {
		sinkMask += flowWire.model(flowWire.wire(m))
		m ^= sinkMask & 1
	}
}
