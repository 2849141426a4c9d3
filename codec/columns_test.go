package codec_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// columnFlows returns the flows of the corpus that columns carry, those
// without unknown fields, and some that take fields no corpus file
// has: a namespace, a negative timeout, no reply tuple.
func columnFlows(t testing.TB) []format.Flow {
	var all []format.Flow
	for _, flows := range corpus(t) {
		for _, f := range flows {
			if f.Extras.Len() == 0 {
				all = append(all, f)
			}
		}
	}
	slices.SortStableFunc(all, func(a, b format.Flow) int { return a.Orig.Src.Compare(b.Orig.Src) }) // a fixed order
	for i, f := range all[:8] {
		f.Netns = []string{"blue", "pid 42"}[i%2]
		if f.Has(format.FieldTimeout) {
			f.Timeout = -int64(i)
		}
		if i%3 == 0 {
			f.Reply = format.Tuple{}
		}
		all = append(all, f)
	}
	return all
}

// columnBlocks lays flows out in blocks of columns.
func columnBlocks(t testing.TB, flows []format.Flow) [][]byte {
	var c codec.ColumnEncoder
	var blocks [][]byte
	for i := range flows {
		ok, err := c.Add(&flows[i])
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			blocks = append(blocks, c.AppendBlock(nil))
			if ok, _ := c.Add(&flows[i]); !ok {
				t.Fatalf("flow %d: not taken by an empty block", i)
			}
		}
	}
	return append(blocks, c.AppendBlock(nil))
}

func TestColumnsRoundTrip(t *testing.T) {
	want := slices.Repeat(columnFlows(t), 4) // blocks full and not
	blocks := columnBlocks(t, want)
	if len(blocks) < 2 {
		t.Fatalf("%d flows in %d blocks: the test wants more than one", len(want), len(blocks))
	}
	var d codec.ColumnDecoder
	var got, flows []format.Flow
	for i, b := range blocks {
		var err error
		if flows, err = d.Decode(flows, b); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		got = append(got, flows...)
	}
	if len(got) != len(want) {
		t.Fatalf("%d flows back of %d", len(got), len(want))
	}
	for i := range want {
		if diff := cmp.Diff(want[i], got[i], addrEqual); diff != "" {
			t.Fatalf("flow %d differs:\n%s", i, diff)
		}
	}
}

// TestColumnsLikeRecords holds the columns to the records: a flow comes
// back from a block of columns as from its record.
func TestColumnsLikeRecords(t *testing.T) {
	flows := columnFlows(t)
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	for i := range flows {
		enc.EncodeFlow(&flows[i])
	}
	dec := codec.NewMsgpackDecoder(&buf)
	var cd codec.ColumnDecoder
	i := 0
	for _, b := range columnBlocks(t, flows) {
		got, err := cd.Decode(nil, b)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got {
			var r format.Flow
			if _, err := dec.Decode(&r, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(r, g, addrEqual); diff != "" {
				t.Fatalf("flow %d: columns and record differ:\n%s", i, diff)
			}
			i++
		}
	}
}

func TestColumnsExtras(t *testing.T) {
	var with format.Flow
	for _, flows := range corpus(t) {
		for _, f := range flows {
			if f.Extras.Len() > 0 {
				with = f
			}
		}
	}
	if with.Extras.Len() == 0 {
		t.Skip("no corpus flow has unknown fields")
	}
	var c codec.ColumnEncoder
	if ok, err := c.Add(&with); ok || err != nil || c.Len() != 0 {
		t.Errorf("a flow with unknown fields: Add %v, %v, Len %d; want false, nil, 0", ok, err, c.Len())
	}
}

// TestColumnsCorrupt decodes blocks that are not sound, and checks them:
// Check finds what Decode finds.
func TestColumnsCorrupt(t *testing.T) {
	flows := columnFlows(t)[:40]
	good := columnBlocks(t, flows)[0]
	var d codec.ColumnDecoder
	if _, err := d.Decode(nil, good); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Check(good); n != len(flows) || err != nil {
		t.Fatalf("Check: %d flows, %v; want %d", n, err, len(flows))
	}
	// corrupt says whether b decodes, and checks, as corrupt alike.
	corrupt := func(b []byte) error {
		_, err := d.Decode(nil, b)
		if !errors.Is(err, codec.ErrCorrupt) {
			return fmt.Errorf("Decode: %v, want corruption", err)
		}
		if n, cerr := d.Check(b); n != 0 || cerr == nil || cerr.Error() != err.Error() {
			return fmt.Errorf("Check: %d flows, %v; Decode: %v", n, cerr, err)
		}
		return nil
	}
	// Every block cut short.
	for n := range len(good) {
		if err := corrupt(good[:n]); err != nil {
			t.Fatalf("cut to %d of %d bytes: %v", n, len(good), err)
		}
	}
	one := func(f format.Flow) []byte { return columnBlocks(t, []format.Flow{f})[0] }
	base := flows[0]
	base.Reply.Src = netip.MustParseAddr("192.0.2.99") // a NAT: the reply's column
	noNetns := base
	noNetns.Netns = "x"
	labels := base
	labels.Fields |= format.FieldLabels
	labels.Labels = "a"
	// Two flows of one namespace, "x".
	twoNetns := columnBlocks(t, []format.Flow{noNetns, noNetns})[0]
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"no flows", []byte{0}},
		{"too many flows", append(bytes.Clone([]byte{0x81, 0x40}), good[1:]...)},
		{"bytes after", append(bytes.Clone(good), 0)},
		{"a width of 3", append([]byte{1, 3}, one(base)[2:]...)},
		{"an address of 5 bytes", replace(one(base), []byte{4, 192, 0, 2, 99}, []byte{5, 192, 0, 2, 99})},
		{"an empty namespace", replace(one(noNetns), []byte{1, 'x'}, []byte{0, 0})},
		{"a label of a control byte", replace(one(labels), []byte{1, 'a'}, []byte{1, 0x9b})},
		// The namespaces "" and "", both flows of the first.
		{"an empty namespace listed twice", replace(twoNetns, []byte{1, 1, 'x'}, []byte{2, 0, 0})},
		{"more strings than flows", replace(one(labels), []byte{1, 1, 'a'}, []byte{2, 1, 'a', 1, 'b'})},
		{"more addresses than tuples", []byte{1, 0, 1, 2, 1, 6, 5, 4, 1, 2, 3, 4}}, // one flow of no fields, IPv4, TCP, 5 addresses
		// A flow of IPv4, TCP, from 1.2.3.4 to itself, mask bits 28 and 31.
		{"no reply and a reply", []byte{1, 4, 0, 0, 0, 0x90, 1, 2, 1, 6, 1, 4, 1, 2, 3, 4, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}},
	} {
		if err := corrupt(c.b); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// A string that no flow has is not a flow's: the block is sound. The
	// labels' column of two flows of "a": 4 bytes, a string, "a", numbers
	// 0 bytes wide; then of "a" and a control byte, of which the flows
	// have the first.
	two := columnBlocks(t, []format.Flow{labels, labels})[0]
	unused := replace(two, []byte{4, 1, 1, 'a', 0}, []byte{6, 2, 1, 'a', 1, 0x9b, 0})
	got, err := d.Decode(nil, unused)
	if err != nil || len(got) != 2 || got[1].Labels != "a" {
		t.Fatalf("a string no flow has: %d flows, %v", len(got), err)
	}
	if n, err := d.Check(unused); n != 2 || err != nil {
		t.Fatalf("a string no flow has: Check: %d flows, %v", n, err)
	}
}

// replace returns b with its only old replaced by new.
func replace(b, old, new []byte) []byte {
	if bytes.Count(b, old) != 1 {
		panic("replace: not once")
	}
	return bytes.Replace(b, old, new, 1)
}

func TestColumnsAllocs(t *testing.T) {
	blocks := columnBlocks(t, columnFlows(t))
	var d codec.ColumnDecoder
	var flows []format.Flow
	for _, b := range blocks { // the decoder's memory grows to the blocks'
		flows, _ = d.Decode(flows, b)
	}
	b := blocks[len(blocks)-1]
	if n := testing.AllocsPerRun(10, func() { flows, _ = d.Decode(flows, b) }); n != 0 {
		t.Errorf("decoding a block again: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(10, func() { d.Check(b) }); n != 0 {
		t.Errorf("checking a block again: %v allocations, want 0", n)
	}
}

// BenchmarkColumns decodes the same flows from a block of columns and
// from records, side by side, and checks the block of columns.
func BenchmarkColumns(b *testing.B) {
	flows := columnFlows(b)
	if len(flows) > codec.MaxColumnFlows {
		flows = flows[:codec.MaxColumnFlows]
	}
	block := columnBlocks(b, flows)[0]
	b.Run("columns", func(b *testing.B) {
		var d codec.ColumnDecoder
		var out []format.Flow
		b.ReportAllocs()
		for b.Loop() {
			out, _ = d.Decode(out, block)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(flows)), "ns/flow")
	})
	b.Run("check", func(b *testing.B) {
		var d codec.ColumnDecoder
		b.ReportAllocs()
		for b.Loop() {
			d.Check(block)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(flows)), "ns/flow")
	})
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	for i := range flows {
		enc.EncodeFlow(&flows[i])
	}
	records := buf.Bytes()
	b.Run("records", func(b *testing.B) {
		dec := codec.NewMsgpackDecoder(nil)
		out := make([]format.Flow, len(flows))
		b.ReportAllocs()
		for b.Loop() {
			dec.ResetBytes(records)
			for i := range out {
				dec.Decode(&out[i], nil)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(flows)), "ns/flow")
	})
}
