package format_test

import (
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// TestZeroAlloc pins that parsing into a reused Flow and printing into a
// reused buffer allocate nothing, for every protocol and family.
func TestZeroAlloc(t *testing.T) {
	ss := samples(t)
	for _, want := range []string{"proc/tcp/ipv4", "proc/tcp/ipv6", "proc/udp/ipv4", "proc/udp/ipv6",
		"proc/udplite/ipv4", "proc/udplite/ipv6", "proc/icmp/ipv4", "proc/icmpv6/ipv6", "proc/sctp/ipv4",
		"proc/gre/ipv4", "proc/dccp/ipv4", "proc/dccp/ipv6", "proc/unknown/ipv4", "proc/unknown-icmpv6/ipv6", "proc/unknown/ipv6", "proc/unknown-dccp/ipv4",
		"iplegacy/tcp/ipv4", "iplegacy/udp/ipv4", "iplegacy/icmp/ipv4", "iplegacy/gre/ipv4",
		"iplegacy/sctp/ipv4", "iplegacy/udplite/ipv4", "iplegacy/dccp/ipv4", "iplegacy/unknown/ipv4",
		"conntrack/tcp/ipv4", "conntrack/tcp/ipv6", "conntrack/udp/ipv4", "conntrack/icmpv6/ipv6",
		"conntrack/tcp/ipv4/extended,id,ktimestamp,labels", "conntrack/tcp/ipv4/timestamp",
		"xml/tcp/ipv4", "xml/tcp/ipv6", "xml/icmp/ipv4", "xml/tcp/ipv4/ktimestamp,labels", "xml/tcp/ipv4/timestamp",
		"save/tcp/ipv4", "save/tcp/ipv6", "save/icmp/ipv4", "save/sctp/ipv4", "save/gre/ipv4",
		"proc-expect/tcp/ipv4", "proc-expect/tcp/ipv6", "conntrack-expect/tcp/ipv4", "conntrack-expect/tcp/ipv6",
		"xml-expect/tcp/ipv4", "xml-expect/tcp/ipv6",
		"conntrackd/tcp/ipv4", "conntrackd/tcp/ipv6", "conntrackd/gre/ipv4", "conntrackd/icmp/ipv4",
		"conntrackd-expect/tcp/ipv4", "conntrackd-expect/tcp/ipv6", "conntrackd-xml/tcp/ipv4", "conntrackd-xml/tcp/ipv6",
		"conntrackd-xml-expect/tcp/ipv4", "conntrackd-xml-expect/tcp/ipv6"} {
		found := false
		for _, s := range ss {
			found = found || s.name == want
		}
		if !found {
			t.Errorf("no sample of %s in the corpus", want)
		}
	}
	for _, s := range ss {
		var r record
		p := format.Dialect{Format: s.f, Location: time.UTC}
		if n := testing.AllocsPerRun(100, func() {
			if err := s.parse(p, &r); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: parse allocates %v times", s.name, n)
		}
		buf := make([]byte, 0, 2048)
		if n := testing.AllocsPerRun(100, func() {
			var err error
			if buf, err = s.print(buf[:0], &r); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: print allocates %v times", s.name, n)
		}
	}
}
