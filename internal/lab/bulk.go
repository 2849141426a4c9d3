package lab

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// bulkPrefix is the IPv6 prefix Bulk routes to the loopback device, as
// IPv6 has only ::1 there.
const bulkPrefix = "fd00:c7c0::/64"

// Bulk fills the table to n entries with UDP flows of real loopback
// traffic, a table the size of a busy router's: clients at some thousands of addresses of 127/8 and, for
// one flow in five, of fd00:c7c0::/64, talk to a few services; most get
// one to three answers, one in seven gets none (the ruleset drops what
// reaches port 9). UDP timeouts are raised to an hour so that the table
// holds still while it is read.
func (l *Lab) Bulk(n int, seed uint64) error {
	for _, s := range [][]string{
		{"sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=3600", "net.netfilter.nf_conntrack_udp_timeout_stream=3600",
			"net.ipv6.ip_nonlocal_bind=1"},
		{"ip", "-6", "route", "add", "local", bulkPrefix, "dev", "lo"},
	} {
		if _, err := l.Exec(nil, s...); err != nil {
			return err
		}
	}
	r := rand.New(rand.NewPCG(seed, 0))
	for {
		// Now and then the kernel gives a client an address and port
		// that an earlier one had: fewer entries than flows.
		b, err := l.Exec(nil, "cat", "/proc/sys/net/netfilter/nf_conntrack_count")
		if err != nil {
			return err
		}
		count, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || count >= n {
			return err
		}
		if err := l.Do(func() error { return bulk(r, n-count) }); err != nil {
			return err
		}
	}
}

// bulk makes n flows.
func bulk(r *rand.Rand, n int) error {
	services := map[bool][]*net.UDPConn{}
	for _, svc := range []string{"127.0.0.1:53", "127.0.0.1:123", "127.0.0.53:53", "127.0.0.1:5353", "[fd00:c7c0::1]:53", "[fd00:c7c0::1]:443"} {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(svc)))
		if err != nil {
			return err
		}
		defer c.Close()
		v6 := c.LocalAddr().(*net.UDPAddr).IP.To4() == nil
		services[v6] = append(services[v6], c)
	}
	hosts := map[bool][]netip.Addr{}
	for range 4000 {
		hosts[false] = append(hosts[false], netip.AddrFrom4([4]byte{127, byte(1 + r.IntN(254)), byte(r.IntN(256)), byte(1 + r.IntN(254))}))
	}
	for range 1000 {
		var b [16]byte
		copy(b[:], netip.MustParsePrefix(bulkPrefix).Addr().AsSlice())
		for i := 8; i < 16; i++ {
			b[i] = byte(r.IntN(256))
		}
		hosts[true] = append(hosts[true], netip.AddrFrom16(b))
	}
	buf := make([]byte, 1500)
	for i := range n {
		v6 := r.IntN(5) == 0
		src := hosts[v6][r.IntN(len(hosts[v6]))]
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0)))
		if err != nil {
			return fmt.Errorf("flow %d: %w", i, err)
		}
		svc := services[v6][r.IntN(len(services[v6]))]
		dst := svc.LocalAddr().(*net.UDPAddr).AddrPort()
		answers := 1 + r.IntN(3)
		if r.IntN(7) == 0 {
			dst, answers = netip.AddrPortFrom(dst.Addr(), 9), 0
		}
		for range max(answers, 1) {
			if _, err := c.WriteToUDPAddrPort(buf[:20+r.IntN(400)], dst); err != nil {
				c.Close()
				return err
			}
			if answers == 0 {
				break
			}
			svc.SetReadDeadline(time.Now().Add(time.Second))
			m, from, err := svc.ReadFromUDPAddrPort(buf)
			if err == nil {
				_, err = svc.WriteToUDPAddrPort(buf[:m], from)
			}
			if err == nil {
				c.SetReadDeadline(time.Now().Add(time.Second))
				_, err = c.Read(buf)
			}
			if err != nil {
				c.Close()
				return fmt.Errorf("flow %d: %w", i, err)
			}
		}
		c.Close()
	}
	return nil
}
