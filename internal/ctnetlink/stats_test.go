package ctnetlink

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctconv/ctconv/format"
)

// statsMessage encodes a reply of counters of type typ for cpu.
func statsMessage(typ, cpu uint16, attrs ...[]byte) []byte {
	b := make([]byte, 20)
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.BigEndian.PutUint16(b[18:], cpu)
	for _, a := range attrs {
		b = append(b, a...)
	}
	binary.NativeEndian.PutUint32(b, uint32(len(b)))
	return b
}

// kernelStats are replies of Linux 6.18 (x86_64) in a namespace of its
// own, as TestLiveStats reads them: CPU 1's conntrack counters, CPU 1's
// expectation counters, and the table's count and maximum.
var kernelStats = map[string]string{
	"cpu": "640000000401020001000000174d000000000001080002000000000008000400000000000800080000000000080009000000000008000a000000000008000b000000000008000c000000000008000d000000000008000e000000000008000f0000000000",
	"exp": "2c0000000301020002000000174d000000000001080001000000000008000200000000000800030000000000",
	"all": "240000000501020003000000174d00000000000008000100000000000800020000040000",
}

func kernelMessage(t *testing.T, name string) []byte {
	b, err := hex.DecodeString(kernelStats[name])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// show prints s as the CPU and each counter it holds, in order.
func show(s *format.Stats) string {
	b := fmt.Appendf(nil, "cpu %d:", s.CPU)
	for st, v := range s.All() {
		b = fmt.Appendf(b, " %v=%d", st, v)
	}
	return string(b)
}

// TestDecodeStats decodes replies of counters, of the kernel and made up:
// each record holds the counters of the message and no others.
func TestDecodeStats(t *testing.T) {
	for _, c := range []struct {
		name  string
		msg   []byte
		want  string
		newer int // counters of a later kernel, left out
	}{
		{"6.18 CPU", kernelMessage(t, "cpu"),
			"cpu 1: found=0 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0 clash_resolve=0 chaintoolong=0", 0},
		{"6.18 expectations", kernelMessage(t, "exp"), "cpu 1: expect_new=0 expect_create=0 expect_delete=0", 0},
		{"6.18 table", kernelMessage(t, "all"), "cpu -1: entries=0 max_entries=262144", 0},
		{"before 4.9", statsMessage(0x0104, 12,
			attr(1, be32(1)), attr(2, be32(2)), attr(3, be32(3)), attr(4, be32(4)), attr(5, be32(5)), attr(6, be32(6)), attr(7, be32(7)),
			attr(8, be32(8)), attr(9, be32(9)), attr(10, be32(10)), attr(11, be32(11)), attr(12, be32(12)), attr(13, be32(4294967295))),
			"cpu 12: searched=1 found=2 new=3 invalid=4 ignore=5 delete=6 delete_list=7 insert=8 insert_failed=9 drop=10 early_drop=11 error=12 search_restart=4294967295", 0},
		{"a later kernel's counter", statsMessage(0x0104, 0, attr(4, be32(516)), attr(16, be32(9)), attr(0, be32(9))), "cpu 0: invalid=516", 1},
		{"a later kernel's expectation counter", statsMessage(0x0103, 65535, attr(4, be32(1)), attr(3, be32(7))), "cpu 65535: expect_delete=7", 1},
		{"the table's count", statsMessage(0x0105, 3, attr(1, be32(59))), "cpu -1: entries=59", 0},
	} {
		var s format.Stats
		if newer, err := DecodeStats(c.msg, &s); err != nil {
			t.Errorf("%s: %v", c.name, err)
		} else if got := show(&s); got != c.want || newer != c.newer {
			t.Errorf("%s: got  %s, %d newer\nwant %s, %d newer", c.name, got, newer, c.want, c.newer)
		}
	}
}

// TestDecodeStatsErrors decodes damaged replies: each is a *DecodeError.
func TestDecodeStatsErrors(t *testing.T) {
	cpu := kernelMessage(t, "cpu")
	for _, c := range []struct {
		name string
		msg  []byte
	}{
		{"empty", nil},
		{"no nfgenmsg", cpu[:16]},
		{"a flow", message(msgNew, 0, 0, format.IPv4, attr(ctaMark, be32(1)))},
		{"a request's type", statsMessage(subsysExp<<8|msgExpGetStatsCPU, 0, attr(1, be32(1)))},
		{"no counters", statsMessage(0x0104, 0)},
		{"only unknown counters", statsMessage(0x0104, 0, attr(16, be32(1)))},
		{"two bytes", statsMessage(0x0104, 0, attr(4, be16(1)))},
		{"eight bytes", statsMessage(0x0105, 0, attr(1, be64(1)))},
		{"repeated", statsMessage(0x0104, 0, attr(4, be32(1)), attr(4, be32(1)))},
		{"truncated", cpu[:len(cpu)-2]},
		{"attribute length out of range", append(statsMessage(0x0104, 0, attr(4, be32(1))), 200, 0, 4, 0)},
	} {
		var s format.Stats
		_, err := DecodeStats(c.msg, &s)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: %v, want a *DecodeError (%s)", c.name, err, show(&s))
		}
	}
}

// TestErrorIs checks that the errors of the socket and of the kernel's
// refusals tell the cases a caller acts on.
func TestErrorIs(t *testing.T) {
	for _, c := range []struct {
		err                 error
		noCtnetlink, noPerm bool
	}{
		{&Error{Op: "counters", Err: unix.EPERM}, false, true},
		{&Error{Op: "socket", Err: os.NewSyscallError("socket", unix.EPROTONOSUPPORT)}, true, false},
		{&Error{Op: "counters", Err: unix.EOPNOTSUPP}, true, false},
		{&Error{Op: "counters", Err: unix.EINVAL}, false, false},
	} {
		if got := errors.Is(c.err, ErrNoCtnetlink); got != c.noCtnetlink {
			t.Errorf("%v: Is(ErrNoCtnetlink) = %v", c.err, got)
		}
		if got := errors.Is(c.err, os.ErrPermission); got != c.noPerm {
			t.Errorf("%v: Is(os.ErrPermission) = %v", c.err, got)
		}
	}
}
