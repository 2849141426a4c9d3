package fuzz

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

// FuzzColumns decodes a block of flows laid out by column (version 3 of
// the snapshot format). What does not decode is corruption; what does
// lays out again as a block that decodes to the same flows, and each
// flow is, as the format says, the flow its msgpack record gives back.
// Check, which lays no flow out, finds what Decode finds.
func FuzzColumns(f *testing.F) {
	for _, path := range corpustest.Paths(f, "*") {
		var c codec.ColumnEncoder
		for _, fl := range flowsOf(f, path) {
			if c.Len() == 64 {
				break
			}
			c.Add(&fl)
		}
		if c.Len() > 0 {
			f.Add(c.AppendBlock(nil))
		}
	}
	// Flows of several namespaces, one without a reply tuple.
	var c codec.ColumnEncoder
	for i, fl := range flowsOf(f, "../testdata/corpus/proc.txt")[:4] {
		fl.Netns = []string{"blue", "pid 42"}[i%2]
		if i == 3 {
			fl.Reply = format.Tuple{}
		}
		c.Add(&fl)
	}
	f.Add(c.AppendBlock(nil))
	// Text that Flow.CheckText fails: a helper of a control byte in a
	// later flow, a label name that is empty, a progname that is not UTF-8.
	for i, fl := range flowsOf(f, "../testdata/corpus/proc.txt")[:6] {
		switch i {
		case 2:
			fl.Fields, fl.Helper = fl.Fields|format.FieldHelper, "ftp\x1b"
		case 3:
			fl.Fields, fl.Labels = fl.Fields|format.FieldLabels, "a,,b"
		case 4:
			fl.Fields, fl.Progname = fl.Fields|format.FieldProgname, "\xff"
		default:
			fl.Fields, fl.Helper = fl.Fields|format.FieldHelper, "ftp"
		}
		c.Add(&fl)
	}
	f.Add(c.AppendBlock(nil))
	f.Fuzz(func(t *testing.T, block []byte) {
		var d codec.ColumnDecoder
		flows, err := d.Decode(nil, block)
		// Check, which lays nothing out, finds what Decode finds.
		if n, cerr := (&codec.ColumnDecoder{}).Check(block); n != len(flows) || (cerr == nil) != (err == nil) || err != nil && cerr.Error() != err.Error() {
			t.Fatalf("Check: %d flows, %v; Decode: %d flows, %v", n, cerr, len(flows), err)
		}
		if err != nil {
			if !errors.Is(err, codec.ErrCorrupt) {
				t.Fatalf("error %v (%T) is not corruption", err, err)
			}
			return
		}
		var c codec.ColumnEncoder
		var records bytes.Buffer
		enc := codec.NewMsgpackEncoder(&records)
		for i := range flows {
			if ok, err := c.Add(&flows[i]); !ok || err != nil {
				t.Fatalf("flow %d decoded but is not laid out again: %v, %v", i, ok, err)
			}
			if err := enc.EncodeFlow(&flows[i]); err != nil {
				t.Fatalf("flow %d decoded but does not encode as a record: %v", i, err)
			}
		}
		again, err := (&codec.ColumnDecoder{}).Decode(nil, c.AppendBlock(nil))
		if err != nil {
			t.Fatalf("laid out again, does not decode: %v", err)
		}
		dec := codec.NewMsgpackDecoder(&records)
		for i := range flows {
			if diff := cmp.Diff(flows[i], again[i], cmpOpts...); diff != "" {
				t.Fatalf("flow %d laid out again differs:\n%s", i, diff)
			}
			var r format.Flow
			if _, err := dec.Decode(&r, nil); err != nil {
				t.Fatalf("flow %d: its record does not decode: %v", i, err)
			}
			if diff := cmp.Diff(flows[i], r, cmpOpts...); diff != "" {
				t.Fatalf("flow %d: its record gives back another flow:\n%s", i, diff)
			}
		}
	})
}
