package codec

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// TestRecordEncodesAsMsgpack holds the record's encoding of each value to
// msgpack's encoder's (compact integers), at the bounds of each form: the
// bytes that snapshots hold do not change.
func TestRecordEncodesAsMsgpack(t *testing.T) {
	var uints []uint64
	for _, b := range []uint64{0, 0x7f, 0xff, 0xffff, 0xffffffff} {
		uints = append(uints, b, b+1)
	}
	uints = append(uints, math.MaxUint64)
	var ints []int64
	for _, b := range []int64{0, -1, -32, -33, -128, -129, -1 << 15, -1<<15 - 1, -1 << 31, -1<<31 - 1, math.MinInt64, math.MaxInt64} {
		ints = append(ints, b)
	}
	lens := []int{0, 15, 16, 31, 32, 255, 256, 65535, 65536}
	for _, n := range uints {
		check(t, "uint", func(r *record) { r.EncodeUint(n) }, func(e *msgpack.Encoder) { e.EncodeUint(n) })
	}
	for _, n := range ints {
		check(t, "int", func(r *record) { r.EncodeInt(n) }, func(e *msgpack.Encoder) { e.EncodeInt(n) })
	}
	for _, n := range lens {
		s := strings.Repeat("x", n)
		check(t, "string", func(r *record) { r.EncodeString(s) }, func(e *msgpack.Encoder) { e.EncodeString(s) })
		check(t, "bytes", func(r *record) { r.EncodeBytes([]byte(s)) }, func(e *msgpack.Encoder) { e.EncodeBytes([]byte(s)) })
		check(t, "array", func(r *record) { r.EncodeArrayLen(n) }, func(e *msgpack.Encoder) { e.EncodeArrayLen(n) })
	}
}

func check(t *testing.T, what string, mine func(*record), theirs func(*msgpack.Encoder)) {
	t.Helper()
	var r record
	mine(&r)
	var want bytes.Buffer
	e := msgpack.NewEncoder(&want)
	e.UseCompactInts(true)
	theirs(e)
	if !bytes.Equal(r, want.Bytes()) {
		t.Errorf("%s: % x, msgpack writes % x", what, r[:min(len(r), 9)], want.Bytes()[:min(want.Len(), 9)])
	}
}
