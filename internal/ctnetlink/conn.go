package ctnetlink

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"strconv"
	"sync/atomic"
	"syscall"
	"unsafe"

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
	stop   chan struct{} // closed by Close
	// lastDrops is the kernel's count of the events it dropped for the
	// socket, read as Close closes it (-1 if unknown), for the scanner of
	// events to report those it had not yet: set before stop closes.
	lastDrops int
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
	return &Conn{s: s, buf: make([]byte, 1<<16), stop: make(chan struct{})}, nil
}

// Close closes the socket; a loop over a Scanner blocked on it ends.
func (c *Conn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.lastDrops = -1
		if raw, err := c.s.SyscallConn(); err == nil {
			if n, ok := newMeminfo(raw).dropped(); ok {
				c.lastDrops = n
			}
		}
		close(c.stop)
	}
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

// Events says how a Conn listens to events.
type Events struct {
	// Buffer is the socket's receive buffer, in bytes: what the kernel
	// holds for a reader that is behind; 0 leaves the system's default
	// (net.core.rmem_default). Root's goes beyond net.core.rmem_max.
	// The kernel charges it only for the events it holds.
	Buffer int
	// MaxBuffer is how far the buffer grows: each overrun doubles it, as
	// conntrackd's NetlinkBufferSizeMaxGrowth does, up to MaxBuffer; 0
	// (or less than Buffer) keeps Buffer.
	MaxBuffer int
	// Reliable asks the kernel to deliver reliably, as conntrackd's
	// NetlinkEventsReliable does (NETLINK_BROADCAST_ERROR and
	// NETLINK_NO_ENOBUFS): while the reader is behind, the kernel keeps
	// destroyed flows, and their DESTROY events, until it can deliver
	// them, and reports no overrun. The kernel may still drop NEW and
	// UPDATE events, which the Scanner counts (see Overrun).
	Reliable bool
}

// Listen joins the event groups: new flows, updates, and destroyed flows,
// as conntrack -E reports them, and returns the scanner of the events,
// which d decodes.
func (c *Conn) Listen(ev Events, d *Decoder) (*Scanner, error) {
	s := &Scanner{c: c, d: d, events: true, op: "events", ev: ev}
	if ev.Buffer > 0 {
		if err := s.setBuffer(ev.Buffer); err != nil {
			return nil, err
		}
	} else if got, err := c.s.ReadBuffer(); err == nil {
		s.buffer = got / 2 // the system's default, to grow from
	}
	if ev.Reliable {
		for _, opt := range []int{unix.NETLINK_BROADCAST_ERROR, unix.NETLINK_NO_ENOBUFS} {
			if err := c.s.SetsockoptInt(unix.SOL_NETLINK, opt, 1); err != nil {
				return nil, &Error{Op: "reliable delivery", Err: err}
			}
		}
	}
	for _, g := range []int{unix.NFNLGRP_CONNTRACK_NEW, unix.NFNLGRP_CONNTRACK_UPDATE, unix.NFNLGRP_CONNTRACK_DESTROY} {
		if err := c.s.SetsockoptInt(unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, g); err != nil {
			return nil, fmt.Errorf("ctnetlink: join event group %d: %w", g, err)
		}
	}
	raw, err := c.s.SyscallConn()
	if err != nil {
		return nil, &Error{Op: "events", Err: err}
	}
	s.mem, s.feed = newMeminfo(raw), newFeed(raw, c.stop)
	return s, nil
}

// setBuffer sets the socket's receive buffer to bytes, beyond
// net.core.rmem_max when the caller may, and keeps the size the kernel
// took: half the double it counts with, at least its minimum.
func (s *Scanner) setBuffer(bytes int) error {
	if err := s.c.s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, bytes); err != nil {
		if err := s.c.s.SetReadBuffer(bytes); err != nil {
			return &Error{Op: "receive buffer", Err: err}
		}
	}
	s.buffer = bytes
	if got, err := s.c.s.ReadBuffer(); err == nil {
		s.buffer = got / 2
	}
	return nil
}

// Buffer returns the socket's receive buffer, in bytes, as the kernel took
// it: less than Events.Buffer where net.core.rmem_max capped it, for a
// caller without CAP_NET_ADMIN, or where it is above MaxBuffer.
func (s *Scanner) Buffer() int { return s.buffer }

// Overrun is the error a Scanner of events yields, and goes on after,
// when the socket's buffer overflowed: the reader was too slow, and the
// kernel dropped events, from there until the reader had emptied the
// buffer.
type Overrun struct {
	// Events is how many events the kernel dropped (the socket's drop
	// count, SK_MEMINFO_DROPS), or -1 on a kernel that does not say.
	Events int
	// Buffer is the receive buffer from now on, in bytes: grown, if the
	// Scanner may grow it (Events.MaxBuffer).
	Buffer int
	// Reliable says that the Scanner asked for reliable delivery
	// (Events.Reliable): the kernel resends the DESTROY events it
	// dropped, and merges the other events it dropped into the next
	// event of their flow.
	Reliable bool
}

func (o *Overrun) Error() string {
	lost := "events"
	if o.Events >= 0 {
		lost = strconv.Itoa(o.Events) + " events"
	}
	if o.Reliable {
		return "ctnetlink: the socket's buffer was full: the kernel could not deliver " + lost + " at once (it resends DESTROY events, and merges the others into their flow's next event)"
	}
	return "ctnetlink: the socket's buffer overflowed: the kernel dropped " + lost
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
	f      format.Flow // where Flows decodes to

	// Events only:
	ev       Events
	mem      *meminfo // the kernel's count of what it dropped
	feed     *feed    // the datagrams received
	buffer   int      // the receive buffer set, 0 for the system's default
	overruns int
	drops    int // the kernel's count of dropped events when last asked
}

// Flows returns an iterator over the flows of the dump, or the events,
// each decoded into a Flow of the Scanner's that the next iteration
// overwrites. Messages that are not flows are skipped. An error ends it,
// but for an *Overrun of an event scanner, after which the loop may go
// on: the events that follow come after a gap.
func (s *Scanner) Flows() iter.Seq2[*format.Flow, error] {
	return func(yield func(*format.Flow, error) bool) {
		for {
			for s.scan(&s.f) {
				if !yield(&s.f, nil) {
					return
				}
			}
			if s.err == nil {
				return
			}
			_, overrun := s.err.(*Overrun)
			if !yield(nil, s.err) || !overrun {
				return
			}
			s.err, s.done = nil, false
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
			var err error
			first := false
			if s.events {
				s.msgs, first, err = s.feed.next()
			} else {
				var n int
				n, _, err = s.c.s.Recvfrom(context.Background(), s.c.buf, 0)
				s.msgs = s.c.buf[:max(n, 0)]
			}
			switch {
			case s.events && errors.Is(err, unix.ENOBUFS):
				return nil, s.fail(s.overrun())
			case err == nil && first:
				// The kernel goes on dropping after the ENOBUFS that tells
				// of an overrun, until the buffer is empty, and says nothing
				// with --reliable: its count tells of every event it dropped,
				// once a batch.
				if drops, ok := s.mem.dropped(); ok && drops > s.drops {
					return nil, s.fail(s.overrun())
				}
			case err != nil && s.c.closed.Load():
				if s.events && s.c.lastDrops > s.drops { // those since the last batch
					return nil, s.fail(s.overrun())
				}
				s.done = true
				return nil, false
			case err != nil:
				return nil, s.fail(&Error{Op: s.op + " receive", Err: err})
			}
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

// overrun counts an overrun, and the events the kernel dropped since the
// last one, and grows the buffer if it may.
func (s *Scanner) overrun() *Overrun {
	s.overruns++
	o := &Overrun{Events: -1, Reliable: s.ev.Reliable}
	drops, ok := s.mem.dropped()
	if s.c.closed.Load() {
		drops, ok = s.c.lastDrops, s.c.lastDrops >= 0
	}
	if ok {
		o.Events, s.drops = drops-s.drops, drops
	}
	if grown := min(s.buffer*2, s.ev.MaxBuffer); grown > s.buffer && !s.c.closed.Load() {
		s.setBuffer(grown)
	}
	o.Buffer = s.buffer
	return o
}

// A meminfo reads the kernel's count of the events it dropped for a
// socket (SK_MEMINFO_DROPS of SO_MEMINFO), with what the system call
// needs made once, as a Scanner reads it for each batch.
type meminfo struct {
	raw   syscall.RawConn
	info  [16]uint32 // SK_MEMINFO_VARS is 9 on Linux 6.18
	size  uint32
	errno syscall.Errno
	call  func(fd uintptr) // getsockopt, bound once
}

func newMeminfo(raw syscall.RawConn) *meminfo {
	m := &meminfo{raw: raw}
	m.call = m.getsockopt
	return m
}

func (m *meminfo) getsockopt(fd uintptr) {
	_, _, m.errno = unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO, uintptr(unsafe.Pointer(&m.info[0])), uintptr(unsafe.Pointer(&m.size)), 0)
}

// dropped returns the count, and whether the kernel gave it.
func (m *meminfo) dropped() (int, bool) {
	m.size = uint32(len(m.info) * 4)
	if err := m.raw.Control(m.call); err != nil || m.errno != 0 || m.size <= skMeminfoDrops*4 {
		return 0, false
	}
	return int(m.info[skMeminfoDrops]), true
}

// MaxBuffer is the largest receive buffer the kernel takes: it doubles
// the int it is given, up to the most an int32 holds.
const MaxBuffer = math.MaxInt32 / 2

// skMeminfoDrops is the index of the drop count in SO_MEMINFO's answer
// (linux/sock_diag.h).
const skMeminfoDrops = 8

// Buffered reports whether events that the Scanner has received wait to
// be yielded: a caller that shows each event as it comes flushes its
// output when none does, once for a burst.
func (s *Scanner) Buffered() bool {
	return len(s.msgs) > 0 || s.feed != nil && s.feed.buffered()
}

// Overruns returns how often the socket's buffer overflowed.
func (s *Scanner) Overruns() int { return s.overruns }

// Close closes the scanner's connection.
func (s *Scanner) Close() error { return s.c.Close() }

// EventSize is the most that an event takes of a socket's buffer, for
// sizing one: the kernel charges each event the memory of its datagram,
// about 1.25 KiB for an IPv4 flow's, up to 2.25 KiB for the largest.
const EventSize = 2 << 10

// BufferFor returns the receive buffer that holds n events. The kernel
// doubles the size it is given, for its bookkeeping, and counts the
// events' memory against the double.
func BufferFor(n int) int { return n * EventSize / 2 }
