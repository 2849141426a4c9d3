package ctnetlink

import (
	"errors"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A batch receives the datagrams of events many at a time, with one
// recvmmsg call for all that are waiting: at the rate a flush sends
// events, a call for each would cost more than decoding it.
type batch struct {
	raw   syscall.RawConn
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	bufs  [][]byte
	n, i  int   // datagrams received, and handed out
	err   error // why receive failed
	errno syscall.Errno
	call  func(fd uintptr) bool // recvmmsg, bound once
}

// mmsghdr is struct mmsghdr of recvmmsg(2).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// The batch's size: datagrams at a time, and the room for each, and the
// batches of a feed. An event is one datagram of less than a page
// (ctnetlink sizes each for its flow).
const (
	batchLen  = 64
	batchRoom = 8 << 10
	batches   = 4
)

// errTruncated is a datagram larger than a batch's room.
var errTruncated = errors.New("an event larger than 8 KiB")

func newBatch(raw syscall.RawConn) *batch {
	b := &batch{raw: raw, hdrs: make([]mmsghdr, batchLen), iovs: make([]unix.Iovec, batchLen), bufs: make([][]byte, batchLen)}
	mem := make([]byte, batchLen*batchRoom)
	for i := range b.hdrs {
		b.bufs[i] = mem[i*batchRoom : (i+1)*batchRoom : (i+1)*batchRoom]
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(batchRoom)
		b.hdrs[i].hdr.Iov = &b.iovs[i]
		b.hdrs[i].hdr.SetIovlen(1)
	}
	b.call = b.recvmmsg
	return b
}

// A feed receives batches on a goroutine of its own, ahead of their
// decoding: the socket is emptied while the events before are decoded
// and printed, on another core, so that the kernel drops fewer.
type feed struct {
	full, free chan *batch
	stop       <-chan struct{} // closed when the socket is
	cur        *batch          // the batch being handed out
}

func newFeed(raw syscall.RawConn, stop <-chan struct{}) *feed {
	f := &feed{full: make(chan *batch, batches), free: make(chan *batch, batches), stop: stop}
	for range batches {
		f.free <- newBatch(raw)
	}
	go f.receive()
	return f
}

// receive receives batches until an error other than an overrun, or the
// socket's close.
func (f *feed) receive() {
	for {
		var b *batch
		select {
		case b = <-f.free:
		case <-f.stop:
			return
		}
		err := b.receive()
		b.err = err // b is the reader's once sent
		select {
		case f.full <- b:
		case <-f.stop:
			return
		}
		if err != nil && !errors.Is(err, unix.ENOBUFS) {
			return
		}
	}
}

// next returns the next datagram, valid until the next call but one, and
// whether it is the first of a batch received, waiting for one if none
// is left. After the socket's close it returns net.ErrClosed.
func (f *feed) next() (msg []byte, first bool, err error) {
	for f.cur == nil || f.cur.i == f.cur.n {
		if f.cur != nil {
			f.free <- f.cur
			f.cur = nil
		}
		var b *batch
		select {
		case b = <-f.full:
		case <-f.stop:
			return nil, false, net.ErrClosed
		}
		if b.err != nil {
			err, b.err = b.err, nil
			f.free <- b
			return nil, false, err
		}
		f.cur, first = b, true
	}
	b := f.cur
	h := &b.hdrs[b.i]
	b.i++
	if h.hdr.Flags&unix.MSG_TRUNC != 0 {
		return nil, first, errTruncated
	}
	return b.bufs[b.i-1][:h.len], first, nil
}

// buffered reports whether datagrams received wait to be handed out.
func (f *feed) buffered() bool {
	return f.cur != nil && f.cur.i < f.cur.n || len(f.full) > 0
}

// receive receives the datagrams waiting, at least one.
func (b *batch) receive() error {
	b.n, b.i, b.errno = 0, 0, 0
	if err := b.raw.Read(b.call); err != nil {
		return err
	}
	if b.errno != 0 {
		b.n = 0
		return b.errno
	}
	return nil
}

// recvmmsg receives the datagrams waiting on fd, if any, as receive's
// RawConn.Read calls it; a method value made once, so that a batch
// received allocates nothing.
func (b *batch) recvmmsg(fd uintptr) bool {
	for i := range b.hdrs {
		b.hdrs[i].hdr.Flags = 0
	}
	r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(len(b.hdrs)), unix.MSG_DONTWAIT, 0, 0)
	for e == unix.EINTR {
		r, _, e = unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(len(b.hdrs)), unix.MSG_DONTWAIT, 0, 0)
	}
	if e == unix.EAGAIN {
		return false // the poller waits until the socket is readable
	}
	b.n, b.errno = int(r), e
	return true
}
