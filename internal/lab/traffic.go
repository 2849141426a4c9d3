package lab

import (
	"errors"
	"io"
	"net"
	"time"
)

// Traffic makes real loopback traffic in the namespace, IPv4 and IPv6:
// TCP connections that finish (TIME_WAIT), stay open (ESTABLISHED), are
// refused (CLOSE) or get no answer (SYN_SENT); UDP with and without replies;
// ICMP and ICMPv6 echoes. It returns a function that closes the connections
// it left open.
func (l *Lab) Traffic() (closeAll func(), err error) {
	var open []io.Closer
	closeAll = func() {
		for _, c := range open {
			c.Close()
		}
	}
	err = l.Do(func() error {
		for _, host := range []string{"127.0.0.1", "::1"} {
			cs, err := tcpTraffic(host)
			open = append(open, cs...)
			if err != nil {
				return err
			}
			if err := udpTraffic(host); err != nil {
				return err
			}
		}
		if err := echo("ip4:icmp", "127.0.0.1", 8); err != nil {
			return err
		}
		if err := echo("ip6:ipv6-icmp", "::1", 128); err != nil {
			return err
		}
		for _, host := range []string{"127.0.0.1", "::1"} {
			c, err := ftp(host)
			if c != nil {
				open = append(open, c)
			}
			if err != nil {
				return err
			}
		}
		c, err := labelled()
		if c != nil {
			open = append(open, c)
		}
		return err
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	return closeAll, nil
}

func tcpTraffic(host string) ([]io.Closer, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, err
	}
	open := []io.Closer{ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 512)
				for {
					n, err := c.Read(buf)
					if err != nil {
						c.Close()
						return
					}
					c.Write(buf[:n])
				}
			}()
		}
	}()
	// Two that finish: the client closes first, so its side waits.
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return open, err
		}
		c.Write([]byte("hello, conntrack"))
		io.ReadFull(c, make([]byte, 16))
		c.Close()
	}
	// One that stays open.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return open, err
	}
	open = append(open, c)
	c.Write([]byte("ping"))
	io.ReadFull(c, make([]byte, 4))
	// One refused: nothing listens on port 1.
	if c, err := net.Dial("tcp", net.JoinHostPort(host, "1")); err == nil {
		c.Close()
		return open, errors.New("port 1 unexpectedly open")
	}
	// One unanswered: the ruleset drops what arrives at port 9.
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(host, "9"), 300*time.Millisecond); err == nil {
		c.Close()
	}
	return open, nil
}

func udpTraffic(host string) error {
	srv, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		return err
	}
	defer srv.Close()
	c, err := net.Dial("udp", srv.LocalAddr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	for range 3 {
		c.Write([]byte("query"))
		buf := make([]byte, 64)
		srv.SetReadDeadline(time.Now().Add(time.Second))
		n, from, err := srv.ReadFrom(buf)
		if err != nil {
			return err
		}
		srv.WriteTo(buf[:n], from)
		c.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := c.Read(buf); err != nil {
			return err
		}
	}
	// Unanswered datagrams.
	for _, port := range []string{"9", "7"} {
		u, err := net.Dial("udp", net.JoinHostPort(host, port))
		if err != nil {
			return err
		}
		u.Write([]byte("anyone?"))
		u.Close()
	}
	return nil
}

// ftp opens an FTP control connection to port 2121 of host, where the
// namespace's FTP helper watches, and asks for a passive data connection,
// PASV for IPv4 and EPSV for IPv6: the server's answer makes the helper
// create an expectation. It returns the connection, which keeps the
// expectation alive.
func ftp(host string) (io.Closer, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "2121"))
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	pasv, reply := "PASV\r\n", "227 Entering Passive Mode (127,0,0,1,39,16).\r\n" // port 10000
	if host != "127.0.0.1" {
		pasv, reply = "EPSV\r\n", "229 Entering Extended Passive Mode (|||10003|)\r\n"
	}
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		c.Write([]byte("220 ctconv\r\n"))
		buf := make([]byte, 64)
		if _, err := c.Read(buf); err != nil {
			done <- err
			return
		}
		_, err = c.Write([]byte(reply))
		done <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 128)
	c.Read(buf)
	c.Write([]byte(pasv))
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = c.Read(buf)
	if err == nil {
		err = <-done
	}
	return c, err
}

// labelled opens a connection to port 8080, which the ruleset labels.
func labelled() (io.Closer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	c, err := net.Dial("tcp", "127.0.0.1:8080")
	if err != nil {
		return nil, err
	}
	c.Write([]byte("labelled"))
	return c, nil
}

// echo sends an ICMP or ICMPv6 echo request to host and waits for the reply.
func echo(network, host string, typ byte) error {
	c, err := net.ListenPacket(network, host)
	if err != nil {
		return err
	}
	defer c.Close()
	msg := []byte{typ, 0, 0, 0, 0xbe, 0xef, 0, 1, 'c', 't', 'c', 'o', 'n', 'v'}
	if typ == 8 { // the kernel computes ICMPv6 checksums itself
		var sum uint32
		for i := 0; i < len(msg); i += 2 {
			sum += uint32(msg[i])<<8 | uint32(msg[i+1])
		}
		sum = sum>>16 + sum&0xffff
		sum += sum >> 16
		msg[2], msg[3] = byte(^sum>>8), byte(^sum)
	}
	dst, err := net.ResolveIPAddr("ip", host)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(msg, dst); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 1500)
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			return err
		}
		if n > 0 && buf[0] != typ { // our own request comes back too
			return nil
		}
	}
}

// BareACKs sends n TCP ACKs that belong to no connection from 127.0.0.1
// to 127.0.0.1:port, with the namespace's nf_conntrack_tcp_loose set to 0:
// the tracker takes up no connection from the middle, so each packet
// raises the table's invalid counter (the answering resets may too).
func (l *Lab) BareACKs(n int, port uint16) error {
	if _, err := l.Exec(nil, "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0"); err != nil {
		return err
	}
	return l.Do(func() error {
		c, err := net.ListenPacket("ip4:tcp", "127.0.0.1")
		if err != nil {
			return err
		}
		defer c.Close()
		dst := &net.IPAddr{IP: net.IPv4(127, 0, 0, 1)}
		for i := range n {
			if _, err := c.WriteTo(bareACK(uint16(40000+i), port), dst); err != nil {
				return err
			}
		}
		return nil
	})
}

// bareACK returns a TCP header with only the ACK flag, from 127.0.0.1:sport
// to 127.0.0.1:dport, its checksum over the IPv4 pseudo-header.
func bareACK(sport, dport uint16) []byte {
	h := []byte{
		byte(sport >> 8), byte(sport), byte(dport >> 8), byte(dport),
		0, 0, 0x10, 0, // sequence number
		0, 0, 0x20, 0, // acknowledgment number
		5 << 4, 0x10, // 5 words, ACK
		0xff, 0xff, // window
		0, 0, 0, 0, // checksum, urgent pointer
	}
	pseudo := append([]byte{127, 0, 0, 1, 127, 0, 0, 1, 0, 6, 0, byte(len(h))}, h...)
	var sum uint32
	for i := 0; i < len(pseudo); i += 2 {
		sum += uint32(pseudo[i])<<8 | uint32(pseudo[i+1])
	}
	for sum>>16 != 0 {
		sum = sum>>16 + sum&0xffff
	}
	h[16], h[17] = byte(^sum>>8), byte(^sum)
	return h
}
