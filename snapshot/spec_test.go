package snapshot_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// TestSpecReader reads the snapshots of testdata/compat/ with specReader,
// a reader written from docs/SNAPSHOT.md alone, and with a
// snapshot.Reader: both must read the same header and the same records
// (compared as their JSON, which holds every field). So the document is
// a specification a reader can be written from, and says what ctconv
// does.
func TestSpecReader(t *testing.T) {
	files, _ := filepath.Glob("../testdata/compat/*/*.ctsnap")
	blocks, _ := filepath.Glob("testdata/v[23]/*.ctsnap")
	files = append(files, blocks...)
	if len(files) == 0 {
		t.Fatal("no compatibility snapshots")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		spec, err := readSpec(data)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		r, err := snapshot.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		h := r.Header()
		got := map[string]any{
			"created": h.Created.UnixNano(), "host": h.Host, "kernel": h.Kernel,
			"source": h.Source.String(), "options": h.Options.String(), "location": h.Location,
			"crlf": h.CRLF, "footer": h.Footer, "tool": h.Tool, "expectations": h.Expectations,
			"sorted": h.Sorted, "count": h.Count, "stats": h.Stats, "netns": h.Netns,
		}
		for key, v := range got {
			if fmt.Sprint(spec.header[key]) != fmt.Sprint(v) {
				t.Errorf("%s: header %s: the spec reads %v, snapshot.Reader %v", file, key, spec.header[key], v)
			}
		}
		var js []byte
		for _, c := range r.CarriedStats() { // the counters before the flows
			js, _ = codec.AppendJSONStats(js, &c)
		}
		switch {
		case h.Stats:
			for st, serr := range r.Stats() {
				if err = serr; err != nil {
					break
				}
				js, _ = codec.AppendJSONStats(js, st)
			}
		case h.Expectations:
			for e, eerr := range r.Expects() {
				if err = eerr; err != nil {
					break
				}
				js, _ = codec.AppendJSONExpect(js, e)
			}
		default:
			for f, ferr := range r.Flows() {
				if err = ferr; err != nil {
					break
				}
				js, _ = codec.AppendJSON(js, f)
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		r.Close()
		if !bytes.Equal(spec.json, js) {
			t.Errorf("%s: the spec reads other records:\n%s\nsnapshot.Reader:\n%s", file, firstDiff(spec.json, js), firstDiff(js, spec.json))
		}
	}
}

func firstDiff(a, b []byte) []byte {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range la {
		if i >= len(lb) || !bytes.Equal(la[i], lb[i]) {
			return la[i]
		}
	}
	return nil
}

type specFile struct {
	header map[string]any
	json   []byte // the records, as JSON Lines
}

// The numbering of docs/SNAPSHOT.md, by bit: the model's fields.
var (
	specFlowFields = [...]format.Fields{
		format.FieldTimeout, format.FieldState, format.FieldL4, format.FieldOrigZone,
		format.FieldReplyZone, format.FieldZone, format.FieldOrigCounters, format.FieldReplyCounters,
		format.FieldStatus, format.FieldMark, format.FieldSecmark, format.FieldSecctx, format.FieldUse,
		format.FieldID, format.FieldDeltaTime, format.FieldStart, format.FieldStop,
		format.FieldGRETimeouts, format.FieldHelper, format.FieldLabels, format.FieldEventTime,
		format.FieldUserspace, format.FieldPortID, format.FieldProgname, format.FieldVtags,
	}
	specExpectFields = [...]format.ExpectFields{
		format.ExpectTimeout, format.ExpectMask, format.ExpectMaster, format.ExpectZone,
		format.ExpectFlagsSet, format.ExpectClass, format.ExpectHelper, format.ExpectPolicy,
		format.ExpectEventTime, format.ExpectUserspace, format.ExpectPortID, format.ExpectProgname,
	}
	specQuirks = [...]format.Quirks{
		format.QuirkUnknownName, format.QuirkListen, format.QuirkTrailingSpace, format.QuirkUseBeforeMark,
		format.QuirkSignedMark, format.QuirkSpacedMicros, format.QuirkNullState, format.QuirkCRLF,
	}
)

// readSpec reads a snapshot file as docs/SNAPSHOT.md specifies it.
func readSpec(b []byte) (*specFile, error) {
	version := uint16(0)
	if len(b) >= 24 && string(b[:8]) == "\x89CTSNAP\n" {
		version = binary.BigEndian.Uint16(b[8:])
	}
	if version < 1 || version > 3 {
		return nil, fmt.Errorf("not a snapshot of version 1 to 3")
	}
	count := binary.BigEndian.Uint64(b[12:])
	l := int(binary.BigEndian.Uint32(b[20:]))
	if crc32.Checksum(b[8:24+l], crc32.MakeTable(crc32.Castagnoli)) != binary.BigEndian.Uint32(b[24+l:]) {
		return nil, fmt.Errorf("header checksum")
	}
	s := &specFile{header: map[string]any{"count": count, "created": int64(0), "options": "", "crlf": false,
		"footer": false, "expectations": false, "sorted": false, "host": "", "kernel": "", "location": "", "tool": "", "stats": false, "netns": ""}}
	d := msgpack.NewDecoder(bytes.NewReader(b[24 : 24+l]))
	n, err := d.DecodeMapLen()
	for range n {
		var key string
		if key, err = d.DecodeString(); err != nil {
			return nil, err
		}
		var v any
		switch key {
		case "created":
			v, err = d.DecodeInt64()
		case "crlf", "footer", "expectations", "sorted", "stats":
			v, err = d.DecodeBool()
		case "pad":
			err = d.Skip()
			continue
		default:
			v, err = d.DecodeString()
		}
		if err != nil {
			return nil, fmt.Errorf("header %s: %v", key, err)
		}
		s.header[key] = v
	}
	zr, err := zstd.NewReader(nil)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	// The streams of records, each with its own addresses: version 1's
	// one frame, or the blocks of versions 2 and 3.
	var streams [][]byte
	rest := b[28+l:]
	if version == 1 {
		records, err := zr.DecodeAll(rest, nil)
		if err != nil {
			return nil, err
		}
		streams = append(streams, records)
	}
	for version >= 2 && len(rest) > 0 {
		if len(rest) < 8 {
			return nil, fmt.Errorf("a cut block header")
		}
		length, size := binary.BigEndian.Uint32(rest), binary.BigEndian.Uint32(rest[4:])
		if length == 0 || length > 2<<20 || size == 0 || size > 2<<20 || int(size) > len(rest)-8 {
			return nil, fmt.Errorf("a block of %d bytes, of %d decompressed", size, length)
		}
		records, err := zr.DecodeAll(rest[8:8+size], nil)
		if err != nil || len(records) != int(length) {
			return nil, fmt.Errorf("a block of %d bytes decompressed, not %d: %v", len(records), length, err)
		}
		if version == 3 {
			switch records[0] {
			case 0:
				records = records[1:]
			case 1:
				if records, err = specColumns(records[1:]); err != nil {
					return nil, err
				}
			default:
				return nil, fmt.Errorf("a block of layout %d", records[0])
			}
		}
		streams, rest = append(streams, records), rest[8+size:]
	}
	expectations := s.header["expectations"] == true
	held := uint64(0) // flows and expectations: counter records are not counted
	for i, records := range streams {
		r := &specRecords{d: msgpack.NewDecoder(bytes.NewReader(records)), crlf: s.header["crlf"] == true}
		for block := 0; ; block++ {
			if _, err := r.d.PeekCode(); err == io.EOF {
				break // the end of a block before the last
			}
			if block == 8192 {
				return nil, fmt.Errorf("a block of more than 8192 records")
			}
			end, counted, err := r.record(expectations, &s.json)
			if err != nil {
				return nil, fmt.Errorf("record %d: %v", held, err)
			}
			if counted {
				held++
			}
			if end >= 0 {
				if uint64(end) != held || count != 1<<64-1 && count != held {
					return nil, fmt.Errorf("the end record counts %d, the header %d, the file holds %d", end, count, held)
				}
				if _, err := r.d.PeekCode(); err != io.EOF || i != len(streams)-1 {
					return nil, fmt.Errorf("data after the end record")
				}
				return s, nil
			}
		}
	}
	return nil, fmt.Errorf("no end record")
}

// specColumns returns the flow records that a block of columns of
// version 3, after its layout, stands for.
func specColumns(b []byte) ([]byte, error) {
	r := &specCols{b: b}
	n := int(r.uvarint())
	masks, fams, protos := r.ints(n), r.ints(n), r.ints(n)
	addrs := make([]netip.Addr, r.uvarint())
	for i := range addrs {
		addrs[i], _ = netip.AddrFromSlice(r.next(int(r.next(1)[0])))
	}
	src, dst := r.ints(n), r.ints(n)
	kinds := make([]uint64, n)
	for i := range n {
		if masks[i]&(1<<2) != 0 {
			kinds[i] = specL4(format.Proto(protos[i]))
		}
	}
	origL4 := r.ints(count(n, func(i int) bool { return kinds[i] != 0 }))
	diffs := r.ints(count(n, func(i int) bool { return masks[i]&(1<<28) != 0 }))
	var parts [3][]uint64 // the reply's source, destination, layer-4 values
	for p := range parts {
		parts[p] = r.ints(count(len(diffs), func(j int) bool { return diffs[j]&(1<<p) != 0 }))
	}
	// The fields, each a list of values of every flow that has it.
	var union uint64
	for _, m := range masks {
		union |= m
	}
	fields := map[int][][]any{}
	for m := union; m != 0; m &= m - 1 {
		bit := bits.TrailingZeros64(m)
		c := &specCols{b: r.next(int(r.uvarint()))}
		has := count(n, func(i int) bool { return masks[i]&(1<<bit) != 0 })
		vals := make([][]any, has)
		switch bit {
		case 11, 18, 19, 23, 32: // strings
			strs := make([]string, c.uvarint())
			for k := range strs {
				strs[k] = string(c.next(int(c.uvarint())))
			}
			for j, v := range c.ints(has) {
				vals[j] = []any{strs[v]}
			}
		case 2, 21, 28, 31: // none
		default:
			width := 1
			if bit == 6 || bit == 7 || bit == 17 || bit == 24 {
				width = 2
			}
			for range width {
				for j, v := range c.ints(has) {
					if bit == 0 || bit == 20 || bit == 29 || bit == 30 { // signed, zigzagged
						vals[j] = append(vals[j], int64(v>>1)^-int64(v&1))
					} else {
						vals[j] = append(vals[j], v)
					}
				}
			}
		}
		if len(c.b) > 0 || c.err != nil {
			return nil, fmt.Errorf("field %d: %d bytes left, %v", bit, len(c.b), c.err)
		}
		fields[bit] = vals
	}
	if len(r.b) > 0 || r.err != nil {
		return nil, fmt.Errorf("a block of columns: %d bytes left, %v", len(r.b), r.err)
	}
	// The records, their addresses literal.
	var out bytes.Buffer
	e := msgpack.NewEncoder(&out)
	addr := func(num uint64) []byte { return addrs[num].AsSlice() }
	at := map[string]int{}
	next := func(key string) int { at[key]++; return at[key] - 1 }
	for i := range n {
		rec := []any{uint64(1), masks[i], fams[i], protos[i], addr(src[i]), addr(dst[i])}
		if kinds[i] != 0 {
			rec = append(rec, origL4[next("l4")])
		}
		if masks[i]&(1<<28) != 0 {
			diff := diffs[next("diff")]
			rec = append(rec, diff)
			for p, part := range parts {
				if diff&(1<<p) != 0 {
					v := part[next(fmt.Sprint("part", p))]
					if p < 2 {
						rec = append(rec, addr(v))
					} else {
						rec = append(rec, v)
					}
				}
			}
		}
		for bit := range 64 {
			if masks[i]&(1<<bit) != 0 {
				if vals := fields[bit]; len(vals) > 0 {
					rec = append(rec, vals[next(fmt.Sprint("bit", bit))]...)
				}
			}
		}
		if err := e.Encode(rec); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

func count(n int, has func(int) bool) int {
	c := 0
	for i := range n {
		if has(i) {
			c++
		}
	}
	return c
}

// specCols reads the parts of a block of columns.
type specCols struct {
	b   []byte
	err error
}

func (c *specCols) next(n int) []byte {
	if n > len(c.b) {
		c.err, n = fmt.Errorf("cut"), len(c.b)
	}
	b := c.b[:n]
	c.b = c.b[n:]
	return b
}

func (c *specCols) uvarint() uint64 {
	v, n := binary.Uvarint(c.b)
	if n <= 0 {
		c.err, n = fmt.Errorf("a bad uvarint"), 0
	}
	c.b = c.b[n:]
	return v
}

func (c *specCols) ints(n int) []uint64 {
	w := int(c.next(1)[0])
	b := c.next(n * w)
	vs := make([]uint64, n)
	for i := range vs {
		for k := range w {
			vs[i] |= uint64(b[i*w+k]) << (8 * k)
		}
	}
	return vs
}

type specRecords struct {
	d     *msgpack.Decoder
	addrs []netip.Addr // every address carried
	left  int          // elements left in the record
	crlf  bool
	err   error
}

func (r *specRecords) uint() uint64 {
	r.left--
	v, err := r.d.DecodeUint64()
	if r.err == nil {
		r.err = err
	}
	return v
}

func (r *specRecords) int() int64 {
	r.left--
	v, err := r.d.DecodeInt64()
	if r.err == nil {
		r.err = err
	}
	return v
}

func (r *specRecords) str() string {
	r.left--
	v, err := r.d.DecodeString()
	if r.err == nil {
		r.err = err
	}
	return v
}

func (r *specRecords) addr() netip.Addr {
	r.left--
	var a netip.Addr
	c, err := r.d.PeekCode()
	switch {
	case err != nil:
	case c <= 0x7f || c >= 0xcc && c <= 0xcf:
		var back uint64
		if back, err = r.d.DecodeUint64(); err == nil && back < uint64(len(r.addrs)) && back < 1<<16 {
			a = r.addrs[len(r.addrs)-1-int(back)]
		}
	default:
		var b []byte
		if b, err = r.d.DecodeBytes(); err == nil {
			a, _ = netip.AddrFromSlice(b)
		}
	}
	if !a.IsValid() && err == nil {
		err = fmt.Errorf("a bad address")
	}
	if r.err == nil {
		r.err = err
	}
	r.addrs = append(r.addrs, a)
	return a
}

// specL4 is the kind of layer-4 part of protocol p: 0 none, 1 ports, 2
// keys, 3 ICMP.
func specL4(p format.Proto) uint64 {
	switch p {
	case 6, 17, 136, 132, 33:
		return 1
	case 47:
		return 2
	case 1, 58:
		return 3
	}
	return 0
}

func (r *specRecords) l4(kind uint64, t *format.Tuple) {
	if kind == 0 {
		return
	}
	setSpecL4(kind, t, r.uint())
}

func setSpecL4(kind uint64, t *format.Tuple, v uint64) {
	switch kind {
	case 1, 2:
		t.SrcPort, t.DstPort = uint16(v>>16), uint16(v)
	case 3:
		t.Type, t.Code, t.ID = uint8(v>>24), uint8(v>>16), uint16(v)
	}
}

// specICMPBase is the base reply's ICMP type of original type t.
func specICMPBase(p format.Proto, t uint8) uint8 {
	switch {
	case p == 1 && (t == 8 || t == 13 || t == 15 || t == 17), p == 58 && (t == 128 || t == 139):
		return t + 1
	case p == 1 && (t == 14 || t == 16 || t == 18), p == 58 && (t == 129 || t == 140):
		return t - 1
	case p == 1 && t == 0:
		return 8
	}
	return t
}

// record reads a record and appends it to js as JSON; for the end record,
// it returns its count, -1 otherwise.
func (r *specRecords) record(expectations bool, js *[]byte) (end int64, counted bool, err error) {
	n, err := r.d.DecodeArrayLen()
	if err != nil {
		return 0, false, err
	}
	r.left = n
	end = -1
	switch kind := r.uint(); kind {
	case 3:
		end = int64(r.uint())
	case 4: // the table's counters: [4, cpu, mask, values in the order of the bits 1 to 20, then 32's]
		s := format.Stats{CPU: int(r.int())}
		mask := r.uint()
		for bit := 1; bit <= 20; bit++ {
			if mask&(1<<bit) != 0 {
				s.Set(format.Stat(bit), r.uint())
			}
		}
		if mask&(1<<32) != 0 {
			s.Netns = r.str()
		}
		if r.err == nil {
			*js, r.err = codec.AppendJSONStats(*js, &s)
		}
	case 1:
		counted = true
		if expectations {
			return 0, false, fmt.Errorf("a flow among expectations")
		}
		var f format.Flow
		r.flow(&f)
		if r.err == nil {
			*js, r.err = codec.AppendJSON(*js, &f)
		}
	case 2:
		counted = true
		var x format.Expect
		r.expect(&x)
		if r.err == nil {
			*js, r.err = codec.AppendJSONExpect(*js, &x)
		}
	}
	for ; r.left > 0 && r.err == nil; r.left-- {
		r.err = r.d.Skip()
	}
	return end, counted, r.err
}

func (r *specRecords) flow(f *format.Flow) {
	mask := r.uint()
	f.Family, f.Proto = format.Family(r.uint()), format.Proto(r.uint())
	f.Orig.Src, f.Orig.Dst = r.addr(), r.addr()
	kind := uint64(0)
	if mask&(1<<2) != 0 {
		kind = specL4(f.Proto)
	}
	r.l4(kind, &f.Orig)
	f.Reply = format.Tuple{Src: f.Orig.Dst, Dst: f.Orig.Src}
	switch kind {
	case 1, 2:
		f.Reply.SrcPort, f.Reply.DstPort = f.Orig.DstPort, f.Orig.SrcPort
	case 3:
		f.Reply.Type, f.Reply.Code, f.Reply.ID = specICMPBase(f.Proto, f.Orig.Type), f.Orig.Code, f.Orig.ID
	}
	if mask&(1<<28) != 0 {
		diff := r.uint()
		if diff&1 != 0 {
			f.Reply.Src = r.addr()
		}
		if diff&2 != 0 {
			f.Reply.Dst = r.addr()
		}
		if diff&4 != 0 {
			r.l4(kind, &f.Reply)
		}
	}
	for bit := range 28 {
		if mask&(1<<bit) == 0 {
			continue
		}
		if bit < len(specFlowFields) {
			f.Fields |= specFlowFields[bit]
		}
		switch bit {
		case 0:
			f.Timeout = r.int()
		case 1:
			f.State = format.State(r.uint())
		case 3:
			f.OrigZone = uint16(r.uint())
		case 4:
			f.ReplyZone = uint16(r.uint())
		case 5:
			f.Zone = uint16(r.uint())
		case 6:
			f.OrigCounters = format.Counters{Packets: r.uint(), Bytes: r.uint()}
		case 7:
			f.ReplyCounters = format.Counters{Packets: r.uint(), Bytes: r.uint()}
		case 8:
			f.Status = format.Status(r.uint())
		case 9:
			f.Mark = uint32(r.uint())
		case 10:
			f.Secmark = uint32(r.uint())
		case 11:
			f.Secctx = r.str()
		case 12:
			f.Use = uint32(r.uint())
		case 13:
			f.ID = uint32(r.uint())
		case 14:
			f.DeltaTime = r.uint()
		case 15:
			f.Start = r.uint()
		case 16:
			f.Stop = r.uint()
		case 17:
			f.GRETimeout, f.GREStreamTimeout = uint32(r.uint()), uint32(r.uint())
		case 18:
			f.Helper = r.str()
		case 19:
			f.Labels = r.str()
		case 20:
			f.EventTime = r.int()
		case 22:
			f.PortID = uint32(r.uint())
		case 23:
			f.Progname = r.str()
		case 24:
			f.OrigVtag, f.ReplyVtag = uint32(r.uint()), uint32(r.uint())
		case 25:
			f.Event = format.Event(r.uint())
		case 26:
			f.Quirks = specQuirkSet(r.uint())
		case 27:
			r.left--
			n, err := r.d.DecodeArrayLen()
			if err != nil {
				r.err = err
				return
			}
			f.Extras = format.Extras{}
			for range n / 2 {
				r.left += 2
				f.Extras = f.Extras.Add(format.Slot(r.uint()), r.str())
			}
		}
	}
	// The bits after 28, their values after the others'.
	if mask&(1<<29) != 0 {
		f.Fields, f.Expires = f.Fields|format.FieldExpires, r.int()
	}
	if mask&(1<<30) != 0 {
		f.Fields, f.ActiveSince = f.Fields|format.FieldActiveSince, r.int()
	}
	if mask&(1<<31) != 0 {
		f.Reply = format.Tuple{}
	}
	if mask&(1<<32) != 0 {
		f.Netns = r.str()
	}
	if r.crlf {
		f.Quirks |= format.QuirkCRLF
	}
}

func specQuirkSet(v uint64) format.Quirks {
	var q format.Quirks
	for bit, quirk := range specQuirks {
		if v&(1<<bit) != 0 {
			q |= quirk
		}
	}
	return q
}

func (r *specRecords) expect(x *format.Expect) {
	mask := r.uint()
	x.Family, x.Proto = format.Family(r.uint()), format.Proto(r.uint())
	kind := specL4(x.Proto)
	x.Tuple.Src, x.Tuple.Dst = r.addr(), r.addr()
	r.l4(kind, &x.Tuple)
	for bit := range 15 {
		if mask&(1<<bit) == 0 {
			continue
		}
		if bit < len(specExpectFields) {
			x.Fields |= specExpectFields[bit]
		}
		switch bit {
		case 0:
			x.Timeout = r.int()
		case 1:
			x.Mask.Src, x.Mask.Dst = r.addr(), r.addr()
			r.l4(kind, &x.Mask)
		case 2:
			master := r.uint()
			x.MasterL4 = format.Layer4(master)
			x.Master.Src, x.Master.Dst = r.addr(), r.addr()
			r.l4(master, &x.Master)
		case 3:
			x.Zone = uint16(r.uint())
		case 5:
			x.Class = uint32(r.uint())
		case 6:
			x.Helper = r.str()
		case 7:
			x.Policy = r.str()
		case 8:
			x.EventTime = r.int()
		case 10:
			x.PortID = uint32(r.uint())
		case 11:
			x.Progname = r.str()
		case 12:
			x.Event = format.Event(r.uint())
		case 13:
			x.Quirks = specQuirkSet(r.uint())
		case 14:
			x.Flags = format.ExpectFlags(r.uint())
		}
	}
	if r.crlf {
		x.Quirks |= format.QuirkCRLF
	}
}
