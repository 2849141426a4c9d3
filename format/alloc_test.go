package format_test

import (
	"testing"

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
		"iplegacy/sctp/ipv4", "iplegacy/udplite/ipv4", "iplegacy/dccp/ipv4", "iplegacy/unknown/ipv4"} {
		found := false
		for _, s := range ss {
			found = found || s.name == want
		}
		if !found {
			t.Errorf("no sample of %s in the corpus", want)
		}
	}
	for _, s := range ss {
		var f format.Flow
		if n := testing.AllocsPerRun(100, func() {
			if err := s.f.Parse(s.line, &f); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: parse allocates %v times", s.name, n)
		}
		buf := make([]byte, 0, 1024)
		if n := testing.AllocsPerRun(100, func() {
			var err error
			if buf, err = s.f.Append(buf[:0], &f); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: print allocates %v times", s.name, n)
		}
	}
}
