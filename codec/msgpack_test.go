package codec_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

func TestMsgpackRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	var all []format.Flow
	for _, flows := range corpus(t) {
		for i := range flows {
			if err := enc.EncodeFlow(&flows[i]); err != nil {
				t.Fatal(err)
			}
		}
		all = append(all, flows...)
	}
	dec := codec.NewMsgpackDecoder(&buf)
	var f format.Flow
	for i, want := range all {
		k, err := dec.Decode(&f, nil)
		if err != nil || k != codec.KindFlow {
			t.Fatalf("record %d: %v, %v", i, k, err)
		}
		if d := cmp.Diff(want, f, addrEqual); d != "" {
			t.Fatalf("record %d differs:\n%s", i, d)
		}
	}
	if _, err := dec.Decode(&f, nil); err != io.EOF {
		t.Errorf("after the last record: %v", err)
	}
}

func TestMsgpackExpectRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	var all []format.Expect
	for file, fm := range expectFiles(t) {
		data, _ := os.ReadFile(file)
		sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: fm, Location: time.UTC})
		for e, err := range sc.Expects() {
			if err != nil {
				break
			}
			enc.EncodeExpect(e)
			all = append(all, *e)
		}
	}
	dec := codec.NewMsgpackDecoder(&buf)
	for i, want := range all {
		var e format.Expect
		if k, err := dec.Decode(nil, &e); err != nil || k != codec.KindExpect {
			t.Fatalf("record %d: %v %v", i, k, err)
		}
		if d := cmp.Diff(want, e, addrEqual); d != "" {
			t.Fatalf("record %d differs:\n%s", i, d)
		}
	}
}

// TestMsgpackFuture reads a stream that a newer writer made: a record of a
// kind this version does not know, and a flow with a field at a mask bit
// above those it knows. Both are skipped, and what it knows reads.
func TestMsgpackFuture(t *testing.T) {
	var f format.Flow
	line := "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=5 zone=0 use=2"
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(line), &f); err != nil {
		t.Fatal(err)
	}
	var cur bytes.Buffer
	codec.NewMsgpackEncoder(&cur).EncodeFlow(&f)

	// A future record: kind 9, with a map in it.
	var fut bytes.Buffer
	e := msgpack.NewEncoder(&fut)
	e.EncodeArrayLen(3)
	e.EncodeUint(9)
	e.EncodeUint(1)
	e.EncodeMap(map[string]any{"future": []any{1, "two"}})
	// The same flow with a field at mask bit 40, after the known ones.
	d := msgpack.NewDecoder(bytes.NewReader(cur.Bytes()))
	n, _ := d.DecodeArrayLen()
	e.EncodeArrayLen(n + 1)
	kind, _ := d.DecodeUint64()
	mask, _ := d.DecodeUint64()
	e.EncodeUint(kind)
	e.EncodeUint(mask | 1<<40)
	for range n - 2 {
		raw, _ := d.DecodeRaw()
		fut.Write(raw)
	}
	e.EncodeString("a value of a field from the future")

	dec := codec.NewMsgpackDecoder(&fut)
	var g format.Flow
	if k, err := dec.Decode(&g, nil); err != nil || k != codec.KindFlow {
		t.Fatalf("%v %v", k, err)
	}
	if diff := cmp.Diff(f, g, addrEqual); diff != "" {
		t.Errorf("differs:\n%s", diff)
	}
}

// TestMsgpackHostile decodes records made to hurt: each gives an error,
// quickly and in little memory, never a panic or an allocation of what a
// length prefix claims.
func TestMsgpackHostile(t *testing.T) {
	deep := []byte{0x93, 0x09, 0x00}
	for range 100000 {
		deep = append(deep, 0x91)
	}
	a := netip.MustParseAddr("10.0.0.1")
	big := format.Flow{Family: format.IPv4, Proto: 17, Orig: format.Tuple{Src: a, Dst: a}, Reply: format.Tuple{Src: a, Dst: a}}
	big.Extras = big.Extras.Add(format.SlotUse, strings.Repeat("x", 40<<10)).Add(format.SlotUse, strings.Repeat("y", 40<<10))
	var bigRec bytes.Buffer
	if err := codec.NewMsgpackEncoder(&bigRec).EncodeFlow(&big); err != nil {
		t.Fatal(err)
	}
	// A flow record starts: kind 1, no fields, IPv4, TCP.
	flow := []byte{0x96, 0x01, 0x00, 0x02, 0x06}
	for _, c := range []struct {
		name string
		in   []byte
		msg  string
	}{
		{"not an array", []byte{0xa3, 'a', 'b', 'c'}, "decoding array length"},
		{"short record", []byte{0x91, 0x01}, "a record with 1 elements, not 2 to 4096"},
		{"string of 4 GiB", append(flow, 0xdb, 0xff, 0xff, 0xff, 0xff), "a string of 4294967295 bytes"},
		{"reference to nothing", append(flow, 0x05, 0x05), "reference to an address not yet carried"},
		{"address of 7 bytes", append(flow, 0xc4, 0x07, 1, 2, 3, 4, 5, 6, 7), "an address of 7 bytes"},
		{"array of 2^32-1", []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}, "a record with 4294967295 elements"},
		{"future field of 4 GiB", append([]byte{0x93, 0x09, 0xc6, 0xff, 0xff, 0xff, 0xff}, make([]byte, 1<<20)...), "a string of 4294967295 bytes"},
		{"future map of 2^31", append([]byte{0x93, 0x09, 0xdf, 0x7f, 0xff, 0xff, 0xff}, make([]byte, 1<<20)...), "too many elements"},
		{"future field nested 100000 deep", deep, "nested too deep"},
		{"extras beyond a line's 64 KiB", bigRec.Bytes(), "more than the record has room for"},
	} {
		dec := codec.NewMsgpackDecoder(bytes.NewReader(c.in))
		var f format.Flow
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := dec.Decode(&f, nil)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, codec.ErrCorrupt) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want %q", c.name, err, c.msg)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
			t.Errorf("%s: allocated %d bytes", c.name, n)
		}
	}
}

// TestMsgpackAddressRing sends more distinct addresses than the table of
// back-references holds, with repeats just inside and just outside its
// reach, and checks that every address comes back.
func TestMsgpackAddressRing(t *testing.T) {
	var flows []format.Flow
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
	for i := range 70000 {
		f := format.Flow{Family: format.IPv4, Proto: 17}
		f.Orig.Src, f.Orig.Dst = addr(i), addr(i/2)                             // new, then seen lately
		f.Reply.Src, f.Reply.Dst = addr(max(i-32767, 0)), addr(max(i-32768, 0)) // at the table's edge
		flows = append(flows, f)
	}
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	for i := range flows {
		if err := enc.EncodeFlow(&flows[i]); err != nil {
			t.Fatal(err)
		}
	}
	dec := codec.NewMsgpackDecoder(&buf)
	var f format.Flow
	for i, want := range flows {
		if _, err := dec.Decode(&f, nil); err != nil {
			t.Fatalf("flow %d: %v", i, err)
		}
		if f.Orig != want.Orig || f.Reply != want.Reply {
			t.Fatalf("flow %d: %v %v, want %v %v", i, f.Orig, f.Reply, want.Orig, want.Reply)
		}
	}
}
