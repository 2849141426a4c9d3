package ctnetlink

import (
	"errors"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A batch receives the datagrams of events many at a time, with one
// recvmmsg call for all that are waiting: at the rate a flush sends
// events, a call for each would cost more than decoding it.
type batch struct {
	raw  syscall.RawConn
	hdrs []mmsghdr
	iovs []unix.Iovec
	bufs [][]byte
	n, i int // datagrams received, and handed out
}

// mmsghdr is struct mmsghdr of recvmmsg(2).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// The batch's size: datagrams at a time, and the room for each. An event
// is one datagram of less than a page (ctnetlink sizes each for its
// flow).
const (
	batchLen  = 64
	batchRoom = 16 << 10
)

// errTruncated is a datagram larger than a batch's room.
var errTruncated = errors.New("an event larger than 16 KiB")

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
	return b
}

// next returns the next datagram, valid until the batch is received
// again, waiting for one if none is left.
func (b *batch) next() ([]byte, error) {
	if b.i == b.n {
		if err := b.receive(); err != nil {
			return nil, err
		}
	}
	h := &b.hdrs[b.i]
	b.i++
	if h.hdr.Flags&unix.MSG_TRUNC != 0 {
		return nil, errTruncated
	}
	return b.bufs[b.i-1][:h.len], nil
}

// receive receives the datagrams waiting, at least one.
func (b *batch) receive() error {
	b.n, b.i = 0, 0
	var errno syscall.Errno
	err := b.raw.Read(func(fd uintptr) bool {
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
		b.n, errno = int(r), e
		return true
	})
	switch {
	case err != nil:
		return err
	case errno != 0:
		b.n = 0
		return errno
	}
	return nil
}
