package format_test

import (
	"net/netip"
	"testing"

	"github.com/ctconv/ctconv/format"
)

func TestFilter(t *testing.T) {
	var f format.Flow
	line := "ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 packets=5 bytes=420 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=61000 packets=4 bytes=3001 [ASSURED] mark=6 zone=3 delta-time=12 use=2"
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(line), &f); err != nil {
		t.Fatal(err)
	}
	prefix := netip.MustParsePrefix
	for _, c := range []struct {
		name string
		x    format.Filter
		want bool
	}{
		{"nothing", format.Filter{}, true},
		{"family", format.Filter{Family: new(format.IPv4)}, true},
		{"other family", format.Filter{Family: new(format.IPv6)}, false},
		{"proto", format.Filter{Proto: new(format.TCP)}, true},
		{"other proto", format.Filter{Proto: new(format.UDP)}, false},
		{"state", format.Filter{State: new(format.TCPEstablished)}, true},
		{"other state", format.Filter{State: new(format.TCPTimeWait)}, false},
		{"src prefix", format.Filter{Src: prefix("192.168.0.0/16")}, true},
		{"src is not dst", format.Filter{Src: prefix("203.0.113.5/32")}, false},
		{"dst", format.Filter{Dst: prefix("203.0.113.5/32")}, true},
		{"addr in the reply", format.Filter{Addr: prefix("198.51.100.1/32")}, true},
		{"addr nowhere", format.Filter{Addr: prefix("10.0.0.0/8")}, false},
		{"sport", format.Filter{SrcPort: new(uint16(51000))}, true},
		{"dport", format.Filter{DstPort: new(uint16(443))}, true},
		{"the reply's port is not the original's", format.Filter{DstPort: new(uint16(61000))}, false},
		{"port either way", format.Filter{Port: new(uint16(51000))}, true},
		{"zone", format.Filter{Zone: new(uint16(3))}, true},
		{"zone 0", format.Filter{Zone: new(uint16(0))}, false},
		{"mark", format.Filter{Mark: new(uint32(6))}, true},
		{"mark under mask", format.Filter{Mark: new(uint32(2)), MarkMask: 2}, true},
		{"mark 0 is a mark", format.Filter{Mark: new(uint32(0))}, false},
		{"a mask of 0 compares every bit", format.Filter{Mark: new(uint32(2)), MarkMask: 0}, false},
		{"zero values set nothing", format.Filter{Src: netip.Prefix{}, Status: 0, MarkMask: 5}, true},
		{"other mark", format.Filter{Mark: new(uint32(1)), MarkMask: 1}, false},
		{"status", format.Filter{Status: format.StatusAssured | format.StatusSeenReply}, true},
		{"unreplied", format.Filter{NotStatus: format.StatusSeenReply}, false},
		{"all at once", format.Filter{Family: new(format.IPv4), Proto: new(format.TCP), Src: prefix("192.168.1.10/32"), DstPort: new(uint16(443)), Status: format.StatusAssured}, true},
	} {
		if got := c.x.Match(&f); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// A capture of one table names no namespace: it may be blue's.
	if !(&format.Filter{Netns: "blue"}).Match(&f) {
		t.Error("a flow that names no namespace does not match Netns blue")
	}
	f.Netns = "blue"
	for ns, want := range map[string]bool{"": true, "blue": true, "red": false, "pid 1": false} {
		if got := (&format.Filter{Netns: ns}).Match(&f); got != want {
			t.Errorf("a flow of blue, Filter{Netns: %q}: %v, want %v", ns, got, want)
		}
	}
	x := format.Filter{Family: new(format.IPv4), Proto: new(format.TCP), Src: prefix("192.168.0.0/16"), Addr: prefix("198.51.100.0/24"), Port: new(uint16(443)), Zone: new(uint16(3)), Mark: new(uint32(6)), MarkMask: 7, Status: format.StatusAssured, Netns: "blue"}
	if n := testing.AllocsPerRun(100, func() { x.Match(&f) }); n != 0 {
		t.Errorf("Match allocates %v times", n)
	}
}
