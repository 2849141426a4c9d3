package format

import (
	"net/netip"
	"testing"
)

// TestCompleteShortcut checks complete's shortcut against its full checks,
// incomplete, on a grid of the fields they look at, in every key=value
// dialect: both accept the same flows.
func TestCompleteShortcut(t *testing.T) {
	fields := [...]Fields{FieldTimeout, FieldState, FieldL4, FieldSecctx, FieldHelper}
	ok := 0
	for _, d := range [...]*dialect{procDialect, legacyDialect, conntrackDialect, conntrackdDialect} {
		for _, fam := range [...]Family{0, IPv4, IPv6, 7} {
			for _, proto := range [...]Proto{TCP, UDP, ICMP, ICMPv6, GRE, DCCP, SCTP, 253} {
				for set := range 1 << len(fields) {
					for _, st := range [...]State{0, 3, 200} {
						for _, reply := range [...]bool{false, true} {
							for _, status := range [...]Status{0, StatusOffload} {
								for _, q := range [...]Quirks{0, QuirkUnknownName} {
									for _, secctx := range [...]string{"a b", "ab"} {
										f := Flow{Family: fam, Proto: proto, State: st, Status: status, Quirks: q, Secctx: secctx, Helper: "c d"}
										for i, fl := range fields {
											if set&(1<<i) != 0 {
												f.Fields |= fl
											}
										}
										f.Orig.Src = netip.MustParseAddr("10.0.0.1")
										if reply {
											f.Reply.Src = netip.MustParseAddr("10.0.0.2")
										}
										got, want := d.complete(&f), d.incomplete(&f)
										if (got == nil) != (want == nil) {
											t.Fatalf("%s: complete says %v, incomplete %v: %+v", d.format, got, want, f)
										}
										if got == nil {
											ok++
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	if ok == 0 {
		t.Fatal("complete accepted no flow of the grid")
	}
}
