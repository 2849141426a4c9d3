package codec

import (
	"encoding/binary"
	"math"
	"math/bits"
	"net/netip"
	"slices"

	"github.com/ctconv/ctconv/format"
)

// A block of flows laid out by column (docs/SNAPSHOT.md, version 3)
// holds the values a run of flow records would hold, each kind of value
// together: the masks, then the families, and so on, each column of
// integers as wide as its largest value needs. A reader so decodes a
// column in one tight loop, with no call and no branch on the encoding
// of each value, and zstd finds the repeats of a column next to each
// other. Its layout:
//
//	n         uvarint: the flows, 1 to MaxColumnFlows
//	mask      ints: n masks, as a flow record's
//	family    ints: n
//	proto     ints: n
//	addresses uvarint k, then k addresses, each its length (4 or 16) and its bytes
//	orig.src  ints: n, each the number of an address above
//	orig.dst  ints: n
//	orig.l4   ints: one a flow with a layer-4 part (mask bit 2, a protocol of a kind other than none)
//	reply     ints: one a flow with mask bit 28, which of its reply tuple differ from the base
//	reply.src ints: one a reply whose source differs, the number of its address
//	reply.dst ints: one a reply whose destination differs
//	reply.l4  ints: one a reply whose layer-4 part differs
//	fields    for each bit set in any mask, in the order of the bits: a
//	          uvarint length and that many bytes, the field's values for
//	          the flows whose mask has the bit: for a field of integers
//	          one ints of each of its values (of a pair, the first of all,
//	          then the second of all), for a string a uvarint k, k
//	          strings, each a uvarint length and its bytes, and one ints
//	          of their numbers; nothing for a bit with no values
//
// ints is a byte w, 0, 1, 2, 4 or 8, then w bytes a value, little-endian
// (w 0: every value is 0); a signed value is zigzagged (0, -1, 1, -2 as
// 0, 1, 2, 3). A reader skips the field of a bit it does not know by its
// length. A flow with unknown fields (Flow.Extras) has no columns: it
// goes in a block of records.

// MaxColumnFlows is the most flows a block of columns holds.
const MaxColumnFlows = 8192

// The tuple's columns, after the addresses, in their order.
const (
	colOrigSrc = iota
	colOrigDst
	colOrigL4
	colReply
	colReplySrc
	colReplyDst
	colReplyL4
	tupleCols
)

// A ColumnEncoder lays flows out in a block of columns. The zero value is
// ready to use; it keeps its memory from block to block.
type ColumnEncoder struct {
	n, size             int
	union               uint64 // the bits of all masks
	masks, fams, protos intsColumn
	addrs               []netip.Addr
	addrNum             map[netip.Addr]uint64
	tuple               [tupleCols]intsColumn
	vals                [wireVersion + 1][2]intsColumn
	strs                [wireVersion + 1]stringColumn
}

// intsColumn is an ints being laid out: its values, and the width they
// take.
type intsColumn struct {
	vs []uint64
	w  int
}

// add adds v, and returns the bytes the column grew by.
func (c *intsColumn) add(v uint64) int {
	c.vs = append(c.vs, v)
	if w := intsWidth(v); w > c.w {
		grew := (len(c.vs)-1)*(w-c.w) + w
		c.w = w
		return grew
	}
	return c.w
}

func (c *intsColumn) append(dst []byte) []byte {
	dst = append(dst, byte(c.w))
	for _, v := range c.vs {
		switch c.w {
		case 1:
			dst = append(dst, byte(v))
		case 2:
			dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
		case 4:
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		case 8:
			dst = binary.LittleEndian.AppendUint64(dst, v)
		}
	}
	return dst
}

func (c *intsColumn) reset() { c.vs, c.w = c.vs[:0], 0 }

// stringColumn is the strings of a field: each once, and the number of
// the one of each flow.
type stringColumn struct {
	strs []string
	num  map[string]uint64
	of   intsColumn
}

// Len returns the flows added since the last block.
func (c *ColumnEncoder) Len() int { return c.n }

// Size returns the length of the block of the flows added, but for the
// lengths of its columns: a few bytes a column.
func (c *ColumnEncoder) Size() int { return c.size }

// Add adds f to the block, and reports whether it did: a flow with
// unknown fields it leaves, for a block of records, as it does any flow
// once the block holds MaxColumnFlows. A tuple without its addresses is
// an EncodeError, as for EncodeFlow.
func (c *ColumnEncoder) Add(f *format.Flow) (bool, error) {
	if f.Extras.Len() > 0 || c.n == MaxColumnFlows {
		return false, nil
	}
	noReply := noReply(f)
	if err := addressed("flow", &f.Orig); err != nil {
		return false, err
	}
	if !noReply {
		if err := addressed("flow", &f.Reply); err != nil {
			return false, err
		}
	}
	mask := fieldsMask(flowWire, flowLayout, flowFields[:], uint64(f.Fields), f)
	l4 := format.L4None
	if f.Has(format.FieldL4) {
		l4 = f.Proto.Layer4()
	}
	var diff uint64
	if noReply {
		mask |= wireNoReply
	} else if diff = replyDiff(f, l4); diff != 0 {
		mask |= wireReply
	}
	c.n++
	c.union |= mask
	c.size += c.masks.add(mask) + c.fams.add(uint64(f.Family)) + c.protos.add(uint64(f.Proto))
	t := &c.tuple
	c.size += t[colOrigSrc].add(c.addr(f.Orig.Src)) + t[colOrigDst].add(c.addr(f.Orig.Dst))
	if v, ok := l4Value(l4, &f.Orig); ok {
		c.size += t[colOrigL4].add(v)
	}
	if diff != 0 {
		c.size += t[colReply].add(diff)
		if diff&1 != 0 {
			c.size += t[colReplySrc].add(c.addr(f.Reply.Src))
		}
		if diff&2 != 0 {
			c.size += t[colReplyDst].add(c.addr(f.Reply.Dst))
		}
		if diff&4 != 0 {
			v, _ := l4Value(l4, &f.Reply)
			c.size += t[colReplyL4].add(v)
		}
	}
	var v [2]uint64
	for m := mask & flowLayout.values; m != 0; m &= m - 1 {
		b := bits.TrailingZeros64(m)
		fd := &flowFields[b]
		if fd.text != nil {
			c.size += c.strs[b].add(*fd.text(f))
			continue
		}
		fd.load(f, &v)
		for i := range fd.n {
			if fd.signed {
				v[i] = zigzag(int64(v[i]))
			}
			c.size += c.vals[b][i].add(v[i])
		}
	}
	return true, nil
}

// addr returns the number of a in the block's addresses, adding it.
func (c *ColumnEncoder) addr(a netip.Addr) uint64 {
	if n, ok := c.addrNum[a]; ok {
		return n
	}
	if c.addrNum == nil {
		c.addrNum = make(map[netip.Addr]uint64)
	}
	n := uint64(len(c.addrs))
	c.size += 17
	c.addrs = append(c.addrs, a)
	c.addrNum[a] = n
	return n
}

// add adds v, and returns the bytes the column grew by.
func (s *stringColumn) add(v string) (size int) {
	n, ok := s.num[v]
	if !ok {
		if s.num == nil {
			s.num = make(map[string]uint64)
		}
		n = uint64(len(s.strs))
		s.strs = append(s.strs, v)
		s.num[v] = n
		size = binary.MaxVarintLen64 + len(v)
	}
	return size + s.of.add(n)
}

// AppendBlock appends the block of the flows added to dst, and empties
// c for the next.
func (c *ColumnEncoder) AppendBlock(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(c.n))
	dst = c.masks.append(dst)
	dst = c.fams.append(dst)
	dst = c.protos.append(dst)
	dst = binary.AppendUvarint(dst, uint64(len(c.addrs)))
	for _, a := range c.addrs {
		if a.Is4() {
			b := a.As4()
			dst = append(append(dst, 4), b[:]...)
		} else {
			b := a.As16()
			dst = append(append(dst, 16), b[:]...)
		}
	}
	for i := range c.tuple {
		dst = c.tuple[i].append(dst)
	}
	var field []byte
	for m := c.union; m != 0; m &= m - 1 {
		b := bits.TrailingZeros64(m)
		field = field[:0]
		if s := &c.strs[b]; flowFields[b].text != nil {
			field = binary.AppendUvarint(field, uint64(len(s.strs)))
			for _, v := range s.strs {
				field = binary.AppendUvarint(field, uint64(len(v)))
				field = append(field, v...)
			}
			field = s.of.append(field)
		} else if b <= wireVersion {
			for i := range flowFields[b].n {
				field = c.vals[b][i].append(field)
			}
		}
		dst = binary.AppendUvarint(dst, uint64(len(field)))
		dst = append(dst, field...)
	}
	c.reset()
	return dst
}

func (c *ColumnEncoder) reset() {
	c.n, c.size, c.union = 0, 0, 0
	c.masks.reset()
	c.fams.reset()
	c.protos.reset()
	c.addrs = c.addrs[:0]
	clear(c.addrNum)
	for i := range c.tuple {
		c.tuple[i].reset()
	}
	for b := range c.vals {
		c.vals[b][0].reset()
		c.vals[b][1].reset()
		s := &c.strs[b]
		s.strs = s.strs[:0]
		s.of.reset()
		clear(s.num)
	}
}

// intsWidth returns the bytes a value of the bits of all takes: 0, 1, 2,
// 4 or 8.
func intsWidth(all uint64) int {
	switch n := bits.Len64(all); {
	case n == 0:
		return 0
	case n <= 8:
		return 1
	case n <= 16:
		return 2
	case n <= 32:
		return 4
	}
	return 8
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// A ColumnDecoder reads blocks of columns. The zero value is ready to
// use; it keeps its memory, and the strings of the block before, so that
// decoding blocks alike allocates nothing.
type ColumnDecoder struct {
	r                   colReader
	masks, fams, protos []uint64
	addrs               []netip.Addr
	col, diffs          []uint64
	sel, sel2           []int32 // the flows a column has values of
	kinds               []format.Layer4
	counts              [wireVersion + 1]int // the flows with each bit
	sels                [wireVersion + 1][]int32
	every               []int32                      // 0, 1, 2…: the flows of a field that every flow has
	vals                [2][]uint64                  // a field's values
	v                   [2]uint64                    // a record's values of a field, for its set
	strs                [wireVersion + 1][2][]string // a field's strings, and those of the block before
	badText             uint64                       // the bits of fields with a string that fails CheckText
	textNums            [wireVersion + 1][]uint64    // the numbers of those fields' strings, a flow each
	absent              []bool                       // of each string, that the field is absent where it is
	one                 format.Flow                  // a flow of the strings checked
}

// Decode decodes the block b into flows, dst's array where it has room,
// and returns them. Whatever b holds, it returns an error wrapping
// ErrCorrupt rather than flows a block of records could not hold.
func (d *ColumnDecoder) Decode(dst []format.Flow, b []byte) ([]format.Flow, error) {
	flows, _, err := d.decode(dst[:0], b, true)
	if err != nil {
		return dst[:0], err
	}
	return flows, nil
}

// Check reads the block b as Decode does, and returns how many flows it
// holds, or the error Decode returns, without laying the flows out: for
// a reader that only counts them, at a third of Decode's cost.
func (d *ColumnDecoder) Check(b []byte) (int, error) {
	_, n, err := d.decode(nil, b, false)
	return n, err
}

// decode reads and checks the block b, column by column; where lay says,
// it lays each column out in flows, dst's array where it has room, as it
// reads it. Check differs from Decode in that alone, so both find the same
// errors in the same order.
func (d *ColumnDecoder) decode(dst []format.Flow, b []byte, lay bool) ([]format.Flow, int, error) {
	d.r = colReader{b: b}
	r := &d.r
	n := r.uvarint()
	if r.err == nil && (n == 0 || n > MaxColumnFlows) {
		return nil, 0, corrupt("a block of " + itoa(n) + " flows, not 1 to " + itoa(MaxColumnFlows))
	}
	d.masks = r.ints(d.masks, int(n), math.MaxUint64)
	d.fams = r.ints(d.fams, int(n), math.MaxUint8)
	d.protos = r.ints(d.protos, int(n), math.MaxUint8)
	if err := d.readAddrs(); err != nil {
		return nil, 0, err
	}
	if r.err != nil {
		return nil, 0, r.err
	}
	var flows []format.Flow // none when checking
	if lay {
		flows = slices.Grow(dst, int(n))[:n]
		for i := range flows {
			flows[i] = format.Flow{Fields: format.Fields(flowWire.model(d.masks[i])), Family: format.Family(d.fams[i]), Proto: format.Proto(d.protos[i])}
		}
	}
	if cap(d.kinds) < int(n) {
		d.kinds = make([]format.Layer4, n)
	}
	for len(d.every) < int(n) {
		d.every = append(d.every, int32(len(d.every)))
	}
	clear(d.counts[:])
	var union uint64
	// The flows with each bit, counted by runs of the same mask: most
	// flows of a block share a few.
	bad := false
	count := func(mask uint64, run int) {
		bad = bad || mask&wireNoReply != 0 && mask&wireReply != 0
		for m := mask & (1<<(wireVersion+1) - 1); m != 0; m &= m - 1 {
			d.counts[bits.TrailingZeros64(m)] += run
		}
	}
	last, run := d.masks[0], 0
	for _, mask := range d.masks {
		if mask != last {
			count(last, run)
			last, run = mask, 0
		}
		run++
		union |= mask
	}
	if count(last, run); bad {
		return nil, 0, corrupt("a flow without a reply tuple, and with one")
	}
	// The flows of each field that not every flow has.
	var some uint64
	for b, c := range d.counts {
		d.sels[b] = d.sels[b][:0]
		if c > 0 && c < int(n) {
			some |= 1 << b
		}
	}
	if some != 0 {
		for i, mask := range d.masks {
			for m := mask & some; m != 0; m &= m - 1 {
				b := bits.TrailingZeros64(m)
				d.sels[b] = append(d.sels[b], int32(i))
			}
		}
	}
	if union&wireExtras != 0 {
		return nil, 0, corrupt("unknown fields in a block of columns")
	}
	if err := d.tuples(flows); err != nil {
		return nil, 0, err
	}
	d.badText = 0
	for m := union; m != 0; m &= m - 1 {
		if err := d.field(flows, bits.TrailingZeros64(m)); err != nil {
			return nil, 0, err
		}
	}
	if r.err == nil && len(r.b) > 0 {
		return nil, 0, corrupt("bytes after the last column")
	}
	if r.err != nil {
		return nil, 0, r.err
	}
	if d.badText != 0 {
		if err := d.textErr(); err != nil {
			return nil, 0, err
		}
	}
	return flows, int(n), nil
}

// readAddrs reads the block's addresses.
func (d *ColumnDecoder) readAddrs() error {
	r := &d.r
	k := r.uvarint()
	if k > 4*uint64(len(d.masks)) { // so that they take little memory
		return corrupt("more addresses than the block's tuples have")
	}
	d.addrs = d.addrs[:0]
	for range k {
		b := r.next(1)
		if r.err != nil {
			return r.err
		}
		switch a := r.next(int(b[0])); {
		case r.err != nil:
			return r.err
		case len(a) == 4:
			d.addrs = append(d.addrs, netip.AddrFrom4([4]byte(a)))
		case len(a) == 16:
			d.addrs = append(d.addrs, netip.AddrFrom16([16]byte(a)))
		default:
			return corrupt("an address of " + itoa(uint64(len(a))) + " bytes")
		}
	}
	return nil
}

// wireL4 is the mask bit of format.FieldL4: the flow's tuples have a
// layer-4 part.
const wireL4 = 1 << 2

// tuples reads the tuples' columns, and lays them out in flows.
func (d *ColumnDecoder) tuples(flows []format.Flow) error {
	r := &d.r
	n := len(d.masks)
	if err := d.addrCol(n); err != nil {
		return err
	}
	if flows != nil {
		for i, v := range d.col {
			flows[i].Orig.Src = d.addrs[v]
		}
	}
	if err := d.addrCol(n); err != nil {
		return err
	}
	if flows != nil {
		for i, v := range d.col {
			flows[i].Orig.Dst = d.addrs[v]
		}
	}
	// The original layer-4 parts, and the reply's bases.
	kinds := d.kinds[:n]
	d.sel = d.sel[:0]
	for i, mask := range d.masks {
		if kinds[i] = format.L4None; mask&wireL4 != 0 {
			kinds[i] = format.Proto(d.protos[i]).Layer4()
		}
		if kinds[i] != format.L4None {
			d.sel = append(d.sel, int32(i))
		}
	}
	d.col = r.ints(d.col, len(d.sel), math.MaxUint32)
	if flows != nil {
		for j, v := range d.col {
			i := d.sel[j]
			setL4(kinds[i], &flows[i].Orig, v)
		}
	}
	if r.err != nil {
		return r.err
	}
	d.sel = d.sel[:0]
	for i, mask := range d.masks {
		if mask&wireReply != 0 {
			d.sel = append(d.sel, int32(i))
		}
		if flows != nil && mask&wireNoReply == 0 {
			flows[i].Reply = replyBase(&flows[i], kinds[i])
		}
	}
	// Which parts of the replies differ from their bases, and what they are.
	diffs := r.ints(d.diffs, len(d.sel), 7)
	d.diffs = diffs
	for j, v := range diffs {
		if v > 1<<(2+l4Len(kinds[d.sel[j]]))-1 {
			return errRange
		}
	}
	replies := d.sel
	for part := uint64(1); part <= 4; part <<= 1 {
		d.sel2 = d.sel2[:0]
		for j, v := range diffs {
			if v&part != 0 {
				d.sel2 = append(d.sel2, replies[j])
			}
		}
		if part == 4 {
			d.col = r.ints(d.col, len(d.sel2), math.MaxUint32)
		} else if err := d.addrCol(len(d.sel2)); err != nil {
			return err
		}
		if flows == nil {
			continue
		}
		for j, v := range d.col {
			t := &flows[d.sel2[j]].Reply
			switch part {
			case 1:
				t.Src = d.addrs[v]
			case 2:
				t.Dst = d.addrs[v]
			case 4:
				setL4(kinds[d.sel2[j]], t, v)
			}
		}
	}
	return r.err
}

// addrCol reads a column of n numbers of the block's addresses into d.col.
func (d *ColumnDecoder) addrCol(n int) error {
	d.col = d.r.ints(d.col, n, math.MaxUint64)
	for _, v := range d.col {
		if v >= uint64(len(d.addrs)) {
			return errAddrNumber
		}
	}
	return d.r.err
}

var errAddrNumber = corrupt("the number of an address the block does not have")

// field reads the field of mask bit b, and lays it out in the flows that
// have it.
func (d *ColumnDecoder) field(flows []format.Flow, b int) error {
	r := &d.r
	length := r.uvarint()
	if r.err == nil && length > uint64(len(r.b)) {
		return corrupt("a column longer than its block")
	}
	col := r.next(int(length))
	if r.err != nil || b > wireVersion {
		return r.err // a field this version does not know
	}
	fd := &flowFields[b]
	if fd.text == nil && fd.set == nil {
		if len(col) > 0 {
			return corrupt("values of a field that has none")
		}
		return nil
	}
	sel := d.sels[b] // the flows that have the field
	if d.counts[b] == len(d.masks) {
		sel = d.every[:len(d.masks)]
	}
	cr := colReader{b: col}
	var err error
	if fd.text != nil {
		err = d.strings(&cr, flows, b, sel)
	} else {
		for k := range fd.n {
			d.vals[k] = cr.ints(d.vals[k], d.counts[b], fd.max)
		}
		if err = cr.err; err == nil && flows != nil {
			d.apply(fd, flows, sel)
		}
	}
	if err == nil && len(cr.b) > 0 {
		err = corrupt("bytes after the values of a column")
	}
	return err
}

// apply stores the values read of field fd into flows.
func (d *ColumnDecoder) apply(fd *wireField[format.Flow], flows []format.Flow, sel []int32) {
	if fd.apply != nil {
		fd.apply(flows, sel, &d.vals)
		return
	}
	v := &d.v
	for j, i := range sel {
		for k := range fd.n {
			v[k] = d.vals[k][j]
		}
		fd.set(&flows[i], v)
	}
}

// strings reads the strings of the field of bit b, and lays them out in
// the flows that have it (sel): the block's strings of the field, then
// one's number a flow. Each string is checked once, as Flow.CheckText
// checks the field; textErr finds the first flow with one that fails.
func (d *ColumnDecoder) strings(r *colReader, flows []format.Flow, b int, sel []int32) error {
	k := r.uvarint()
	if k > uint64(d.counts[b]) { // so that they take little memory
		return corrupt("more strings than flows have the field")
	}
	old := d.strs[b][0]
	strs := d.strs[b][1][:0]
	fd := &flowFields[b]
	d.absent = d.absent[:0]
	for range k {
		n := r.uvarint()
		if r.err == nil && n > maxString {
			return corrupt("a string of " + itoa(n) + " bytes")
		}
		v := r.next(int(n))
		if r.err != nil {
			return r.err
		}
		s := keptString(old, v)
		d.one = format.Flow{Fields: format.Fields(flowWire.model(1 << b))}
		*fd.text(&d.one) = s
		absent := fd.present != nil && !fd.present(&d.one)
		if field, _ := d.one.CheckText(); !absent && field != "" {
			d.badText |= 1 << b
		}
		strs, d.absent = append(strs, s), append(d.absent, absent)
	}
	d.strs[b] = [2][]string{strs, old}
	d.vals[0] = r.ints(d.vals[0], d.counts[b], math.MaxUint64)
	for _, v := range d.vals[0] {
		if v >= uint64(len(strs)) {
			return corrupt("the number of a string the column does not have")
		}
		if d.absent[v] {
			return corrupt("an empty string where the mask says there is one")
		}
	}
	if d.badText&(1<<b) != 0 {
		d.textNums[b] = append(d.textNums[b][:0], d.vals[0]...)
	}
	if flows != nil {
		for j, v := range d.vals[0] {
			*fd.text(&flows[sel[j]]) = strs[v]
		}
	}
	return r.err
}

// textErr returns the error of the first flow, in order, whose text
// fails Flow.CheckText, of those with a string that fails (badText).
func (d *ColumnDecoder) textErr() error {
	var next [wireVersion + 1]int // each field's next number
	for _, mask := range d.masks {
		if mask&d.badText == 0 {
			continue
		}
		d.one = format.Flow{Fields: format.Fields(flowWire.model(mask & d.badText))}
		for m := mask & d.badText; m != 0; m &= m - 1 {
			b := bits.TrailingZeros64(m)
			*flowFields[b].text(&d.one) = d.strs[b][0][d.textNums[b][next[b]]]
			next[b]++
		}
		if field, why := d.one.CheckText(); why != "" {
			return corrupt(field + ": " + why)
		}
	}
	return nil
}

// keptString returns b as a string: one of old where it is the same.
func keptString(old []string, b []byte) string {
	for _, s := range old {
		if s == string(b) {
			return s
		}
	}
	return string(b)
}

// colReader reads a block of columns; its first error stays.
type colReader struct {
	b   []byte
	err error
}

var errColumnEnds = corrupt("a block of columns ends early")

func (r *colReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errColumnEnds
		return 0
	}
	r.b = r.b[n:]
	return v
}

// next returns the next n bytes.
func (r *colReader) next(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = errColumnEnds
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

// ints reads an ints of n values, each at most max, into dst's array.
func (r *colReader) ints(dst []uint64, n int, max uint64) []uint64 {
	w := r.next(1)
	if r.err != nil {
		return dst[:0]
	}
	if cap(dst) < n {
		dst = make([]uint64, n)
	}
	dst = dst[:n]
	width := int(w[0])
	if width != 0 && width != 1 && width != 2 && width != 4 && width != 8 {
		r.err = corrupt("integers " + itoa(uint64(width)) + " bytes wide")
		return dst[:0]
	}
	b := r.next(n * width)
	if r.err != nil {
		return dst[:0]
	}
	switch width {
	case 0:
		clear(dst)
	case 1:
		for i, v := range b[:len(dst)] {
			dst[i] = uint64(v)
		}
	case 2:
		for i := range dst {
			dst[i] = uint64(binary.LittleEndian.Uint16(b[2*i : 2*i+2]))
		}
	case 4:
		for i := range dst {
			dst[i] = uint64(binary.LittleEndian.Uint32(b[4*i : 4*i+4]))
		}
	case 8:
		for i := range dst {
			dst[i] = binary.LittleEndian.Uint64(b[8*i : 8*i+8])
		}
	}
	if width < 8 && max >= 1<<(8*width)-1 {
		return dst
	}
	for _, v := range dst {
		if v > max {
			r.err = errRange
			return dst[:0]
		}
	}
	return dst
}
