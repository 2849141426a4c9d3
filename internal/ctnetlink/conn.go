package ctnetlink

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"sync/atomic"
	"syscall"

	"github.com/mdlayher/socket"
	"golang.org/x/sys/unix"

	"github.com/ctconv/ctconv/format"
)

// Error is a failure of the socket or the kernel's refusal of a request.
// errors.Is(err, os.ErrPermission) tells a caller without CAP_NET_ADMIN in
// the network namespace, and errors.Is(err, ErrNoCtnetlink) a kernel
// without ctnetlink.
type Error struct {
	Op  string // what failed: "socket", "dump", "counters", ...
	Err error  // a syscall.Errno, or the socket's error
}

func (e *Error) Error() string { return "ctnetlink: " + e.Op + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether the error says the kernel has no ctnetlink: no
// nfnetlink (the socket's protocol is not supported) or no
// nf_conntrack_netlink (the subsystem's requests are not).
func (e *Error) Is(target error) bool {
	return target == ErrNoCtnetlink && (errors.Is(e.Err, unix.EPROTONOSUPPORT) || errors.Is(e.Err, unix.EOPNOTSUPP))
}

// ErrNoCtnetlink is what an *Error is when the kernel has no ctnetlink.
var ErrNoCtnetlink = errors.New("ctnetlink: the kernel has no ctnetlink (nfnetlink, nf_conntrack_netlink)")

// Conn is a ctnetlink socket: it dumps the table, or, once it listens,
// receives events.
type Conn struct {
	s      *socket.Conn
	buf    []byte // one datagram
	seq    uint32
	closed atomic.Bool
}

// Dial opens a ctnetlink socket in the network namespace of the calling
// thread.
func Dial() (*Conn, error) {
	s, err := socket.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER, "ctnetlink", nil)
	if err != nil {
		return nil, &Error{Op: "socket", Err: err}
	}
	if err := s.Bind(&unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		s.Close()
		return nil, &Error{Op: "bind", Err: err}
	}
	// Large dump datagrams are cheaper to read; the kernel fills what fits.
	return &Conn{s: s, buf: make([]byte, 1<<16)}, nil
}

// Close closes the socket; a loop over a Scanner blocked on it ends.
func (c *Conn) Close() error {
	c.closed.Store(true)
	return c.s.Close()
}

// DumpFilter asks the kernel for part of the table. Zero values select
// everything.
type DumpFilter struct {
	Family         format.Family // IPv4 or IPv6
	Mark, MarkMask uint32        // flows whose mark&MarkMask is Mark, if MarkMask is not 0
	// Zone, if not 0, selects the flows with a zone of that number, of
	// both directions or of one (kernels since 5.8; older ones send all).
	Zone uint16
}

// Dump asks the kernel for its table and returns the scanner of its
// flows. The connection serves one dump at a time.
func (c *Conn) Dump(filter DumpFilter, d *Decoder) (*Scanner, error) {
	req := c.newRequest(subsysCT<<8|msgGet, unix.NLM_F_DUMP, byte(filter.Family))
	if filter.MarkMask != 0 {
		req = appendU32Attr(req, ctaMark, filter.Mark)
		req = appendU32Attr(req, ctaMarkMask, filter.MarkMask)
	}
	if filter.Zone != 0 {
		req = binary.NativeEndian.AppendUint16(req, 6)
		req = binary.NativeEndian.AppendUint16(req, ctaZone)
		req = binary.BigEndian.AppendUint16(req, filter.Zone)
		req = append(req, 0, 0) // to the 4-byte alignment
	}
	if err := c.send(req, "dump"); err != nil {
		return nil, err
	}
	return &Scanner{c: c, d: d, seq: c.seq, op: "dump"}, nil
}

// newRequest returns the header of a request of type typ (subsystem<<8 |
// message) with flags besides NLM_F_REQUEST, for the address family
// (0 for all), under the next sequence number; the request's attributes
// follow it.
func (c *Conn) newRequest(typ, flags uint16, family byte) []byte {
	c.seq++
	req := make([]byte, 20, 40)
	binary.NativeEndian.PutUint16(req[4:], typ)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|flags)
	binary.NativeEndian.PutUint32(req[8:], c.seq)
	req[16] = family
	return req
}

// send sends a request of newRequest with its attributes.
func (c *Conn) send(req []byte, op string) error {
	binary.NativeEndian.PutUint32(req, uint32(len(req)))
	if err := c.s.Sendto(context.Background(), req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return &Error{Op: op + " request", Err: err}
	}
	return nil
}

func appendU32Attr(b []byte, typ uint16, v uint32) []byte {
	b = binary.NativeEndian.AppendUint16(b, 8)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return binary.BigEndian.AppendUint32(b, v)
}

// Listen joins the event groups: new flows, updates, and destroyed flows,
// as conntrack -E reports them, and returns the scanner of the events,
// which d decodes. It sets the receive buffer to bytes, if not 0 (beyond
// net.core.rmem_max when the caller may).
func (c *Conn) Listen(bytes int, d *Decoder) (*Scanner, error) {
	if bytes > 0 {
		if err := c.s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, bytes); err != nil {
			if err := c.s.SetReadBuffer(bytes); err != nil {
				return nil, err
			}
		}
	}
	for _, g := range []int{unix.NFNLGRP_CONNTRACK_NEW, unix.NFNLGRP_CONNTRACK_UPDATE, unix.NFNLGRP_CONNTRACK_DESTROY} {
		if err := c.s.SetsockoptInt(unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, g); err != nil {
			return nil, fmt.Errorf("ctnetlink: join event group %d: %w", g, err)
		}
	}
	return &Scanner{c: c, d: d, events: true, op: "events"}, nil
}

// A Scanner reads the flows of a dump, or the events of a listening Conn,
// one at a time, into a Flow of its own.
type Scanner struct {
	c      *Conn
	d      *Decoder
	seq    uint32
	op     string // the request, for errors
	events bool
	ack    bool   // the reply ends with the kernel's acknowledgment
	msgs   []byte // the rest of the datagram read last
	msg    []byte // the message of the flow decoded last
	err    error
	done   bool
	lost   int
	f      format.Flow // where Flows decodes to
}

// Flows returns an iterator over the flows of the dump, or the events,
// each decoded into a Flow of the Scanner's that the next iteration
// overwrites. An error ends it. Messages that are not flows are skipped.
// An event scanner whose socket overflowed (the reader was too slow:
// events were lost) counts the loss, see Lost, and goes on.
func (s *Scanner) Flows() iter.Seq2[*format.Flow, error] {
	return func(yield func(*format.Flow, error) bool) {
		for s.scan(&s.f) {
			if !yield(&s.f, nil) {
				return
			}
		}
		if s.err != nil {
			yield(nil, s.err)
		}
	}
}

// scan decodes the next flow into f. It returns false at the end of a
// dump, or when an error, s.err, stops the scan.
func (s *Scanner) scan(f *format.Flow) bool {
	for {
		msg, ok := s.next()
		if !ok {
			return false
		}
		s.msg = msg
		err := s.d.Decode(msg, s.events, f)
		if errors.Is(err, ErrNotFlow) {
			continue
		}
		if err != nil {
			return s.fail(err)
		}
		return true
	}
}

// next returns the next message of the reply, or of the events, and false
// at the reply's end (NLMSG_DONE, or the acknowledgment of a request that
// asked for one) or when an error stops the scan. It skips no-ops,
// acknowledgments without an error, and messages of another request.
func (s *Scanner) next() ([]byte, bool) {
	for !s.done {
		if len(s.msgs) == 0 {
			n, _, err := s.c.s.Recvfrom(context.Background(), s.c.buf, 0)
			switch {
			case s.events && errors.Is(err, unix.ENOBUFS):
				s.lost++
				continue
			case err != nil && s.c.closed.Load():
				s.done = true
				return nil, false
			case err != nil:
				return nil, s.fail(&Error{Op: s.op + " receive", Err: err})
			}
			s.msgs = s.c.buf[:n]
		}
		if len(s.msgs) < 16 {
			return nil, s.fail(&DecodeError{Msg: "truncated message header"})
		}
		n := int(binary.NativeEndian.Uint32(s.msgs))
		if n < 16 || n > len(s.msgs) {
			return nil, s.fail(&DecodeError{Msg: fmt.Sprintf("message length %d out of range", n)})
		}
		msg := s.msgs[:n]
		s.msgs = s.msgs[min((n+3)&^3, len(s.msgs)):]
		if !s.events && binary.NativeEndian.Uint32(msg[8:]) != s.seq {
			continue // of an earlier request
		}
		switch binary.NativeEndian.Uint16(msg[4:]) {
		case unix.NLMSG_DONE:
			s.done = true
			return nil, false
		case unix.NLMSG_ERROR:
			if len(msg) >= 20 {
				if errno := -int32(binary.NativeEndian.Uint32(msg[16:])); errno != 0 {
					return nil, s.fail(&Error{Op: s.op, Err: syscall.Errno(errno)})
				}
			}
			if s.ack {
				s.done = true
				return nil, false
			}
			continue
		case unix.NLMSG_NOOP, unix.NLMSG_OVERRUN:
			continue
		}
		return msg, true
	}
	return nil, false
}

func (s *Scanner) fail(err error) bool {
	s.err, s.done = err, true
	return false
}

// Message returns the netlink message of the flow yielded last, valid
// until the next iteration.
func (s *Scanner) Message() []byte { return s.msg }

// Lost returns how often the socket's buffer overflowed: each time, the
// kernel dropped one or more events.
func (s *Scanner) Lost() int { return s.lost }

// Close closes the scanner's connection.
func (s *Scanner) Close() error { return s.c.Close() }
