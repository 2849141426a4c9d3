package parquet

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	pq "github.com/parquet-go/parquet-go"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/netaddr"
)

// rowCursor reads the values of a row, a column at a time in the order of
// its kind's schema, as putFlow and its kin write them: the library gives
// a row's values in that order, those of a list's elements one after the
// other. The first value that no record holds sets err, after which the
// cursor reads on (the record is dropped).
type rowCursor struct {
	row    pq.Row
	at     int // the row's next value
	col    int // the next column
	leaves []leaf
	strs   *interner
	err    error
}

// reset starts on row.
func (c *rowCursor) reset(row pq.Row) {
	c.row, c.at, c.col, c.err = row, 0, 0, nil
}

// next returns the value of the next column, which is not a list.
func (c *rowCursor) next() pq.Value {
	c.col++
	if c.at >= len(c.row) || c.row[c.at].Column() != c.col-1 {
		return pq.Value{} // NULL
	}
	v := c.row[c.at]
	c.at++
	return c.typed(v)
}

// typed returns v, a value of the column read last, or NULL where v is not
// of the column's type, as a damaged file can give (parquet-go panics on
// reading it as the type), and then the cursor fails.
func (c *rowCursor) typed(v pq.Value) pq.Value {
	if want := pq.Kind(c.leaves[c.col-1].kind); !v.IsNull() && v.Kind() != want {
		c.fail(errorString("a value of type " + v.Kind().String() + ", not " + want.String()))
		return pq.Value{}
	}
	return v
}

// fail sets the cursor's error, if it has none, to a *ColumnError of the
// column read last.
func (c *rowCursor) fail(err error) {
	if c.err == nil {
		c.err = columnErr(c.leaves[c.col-1].path[0], err)
	}
}

// skip passes over n columns.
func (c *rowCursor) skip(n int) {
	for range n {
		c.next()
	}
}

// str reads a string, and reports whether the column holds one.
func (c *rowCursor) str() (string, bool) {
	v := c.next()
	if v.IsNull() {
		return "", false
	}
	return c.strs.get(v.ByteArray()), true
}

// getStr sets *s, and the bit of fields, to the column's string.
func getStr[S ~uint16 | ~uint32](c *rowCursor, s *string, fields *S, bit S) {
	if v, ok := c.str(); ok {
		*s, *fields = v, *fields|bit
	}
}

// num reads an integer of type T, and reports whether the column holds
// one; one that T does not hold fails.
func num[T ~uint8 | ~uint16 | ~uint32 | ~int32 | ~int64 | ~uint64](c *rowCursor) (T, bool) {
	v := c.next()
	if v.IsNull() {
		return 0, false
	}
	return integer[T](c, v)
}

// integer returns the integer v as a T.
func integer[T ~uint8 | ~uint16 | ~uint32 | ~int32 | ~int64 | ~uint64](c *rowCursor, v pq.Value) (T, bool) {
	// The value is x, or u where it is not negative (unsigned columns).
	unsigned := c.leaves[c.col-1].unsigned
	var x int64
	if v.Kind() == pq.Int32 {
		x = int64(v.Int32())
		if unsigned {
			x = int64(uint32(x))
		}
	} else {
		x = v.Int64()
	}
	neg := x < 0 && !unsigned
	u := uint64(x)
	t := T(x)
	if neg && (t >= 0 || int64(t) != x) || !neg && (t < 0 || uint64(t) != u) {
		n := strconv.FormatUint(u, 10)
		if neg {
			n = strconv.FormatInt(x, 10)
		}
		c.fail(errorString(n + " is out of range"))
		return 0, false
	}
	return t, true
}

// getNum sets *x, and the bit of fields, to the column's integer.
func getNum[T ~uint8 | ~uint16 | ~uint32 | ~int64 | ~uint64, S ~uint16 | ~uint32](c *rowCursor, x *T, fields *S, bit S) {
	if v, ok := num[T](c); ok {
		*x, *fields = v, *fields|bit
	}
}

// getPair sets *x and *y, and the bit of fields, to the integers of two
// columns, where either holds one.
func getPair[T ~uint32, S ~uint16 | ~uint32](c *rowCursor, x, y *T, fields *S, bit S) {
	a, okA := num[T](c)
	b, okB := num[T](c)
	if okA || okB {
		*x, *y, *fields = a, b, *fields|bit
	}
}

// addr reads an address, or the zero Addr from NULL.
func (c *rowCursor) addr() netip.Addr {
	v := c.next()
	if v.IsNull() {
		return netip.Addr{}
	}
	b := v.ByteArray()
	if a, ok := netaddr.Parse(b); ok {
		return a
	}
	a, err := netip.ParseAddr(string(b)) // one with a zone, or the error
	if err != nil {
		c.fail(err)
	}
	return a
}

// truth reads the column userspace, which is true or NULL: whether the
// record's event was caused by a program.
func (c *rowCursor) truth() bool {
	v := c.next()
	if !v.IsNull() && !v.Boolean() {
		c.fail(errorString("false (true or NULL)"))
	}
	return !v.IsNull()
}

// names reads a list of strings into dst, and reports whether the column
// holds one (not NULL).
func (c *rowCursor) names(dst []string) ([]string, bool) {
	dst = dst[:0]
	l := c.leaves[c.col]
	c.col++
	ok := false
	for c.at < len(c.row) && c.row[c.at].Column() == c.col-1 {
		v := c.row[c.at]
		c.at++
		switch def := uint8(v.DefinitionLevel()); {
		case def == l.maxDef:
			if v = c.typed(v); !v.IsNull() {
				dst = append(dst, c.strs.get(v.ByteArray()))
			}
			ok = true
		case def == l.maxDef-1:
			ok = true // an empty list
		}
	}
	return dst, ok
}

// bits reads a list of names of bits, named by table, and reports
// whether the column holds one.
func (c *rowCursor) bits(buf *[]string, table []string) (uint64, bool) {
	names, ok := c.names(*buf)
	*buf = names
	var bits uint64
next:
	for _, name := range names {
		for i, n := range table {
			if n == name {
				bits |= 1 << i
				continue next
			}
		}
		c.fail(errorString("unknown name " + strconv.Quote(name)))
	}
	return bits, ok
}

// tuple reads the addresses and ports of a tuple (its ICMP fields are
// apart), and reports whether it has ports.
func (c *rowCursor) tuple(t *format.Tuple) bool {
	t.Src, t.Dst = c.addr(), c.addr()
	sport, okS := num[uint16](c)
	dport, okD := num[uint16](c)
	t.SrcPort, t.DstPort = sport, dport
	return okS || okD
}

// icmp reads the ICMP fields of a tuple, and reports whether it has any.
func (c *rowCursor) icmp(t *format.Tuple) bool {
	typ, okT := num[uint8](c)
	code, okC := num[uint8](c)
	id, okI := num[uint16](c)
	t.Type, t.Code, t.ID = typ, code, id
	return okT || okC || okI
}

// interner gives the strings of a file's values: a string read again is
// not copied again, as a table's names and addresses repeat.
type interner struct{ m map[string]string }

// maxInterned bounds the strings an interner keeps: a file of distinct
// strings (secctx, labels) costs a copy each past it, not memory.
const maxInterned = 4096

func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < maxInterned && len(s) <= 64 {
		if in.m == nil {
			in.m = make(map[string]string)
		}
		in.m[s] = s
	}
	return s
}

// join returns names joined by commas.
func join(names []string) string { return strings.Join(names, ",") }

// quirks reads the column quirks, the names of a record's quirks, into q;
// NULL leaves q as it is.
func (c *rowCursor) quirks(q *format.Quirks, buf *[]string) {
	if bits, ok := c.bits(buf, quirkNames[:]); ok {
		*q = format.Quirks(bits)
	}
}

// names holds the lists of names of a row that a reader reads.
type names struct {
	lists        [3][]string // status, labels, quirks; an expectation's flags
	slots, texts []string    // a flow's extras
}

// getFlow sets f to the flow of the row at c, whose columns are flowRow's.
func getFlow(c *rowCursor, f *format.Flow, buf *names) error {
	f.Reset()
	c.skip(3) // the capture's: Reader.Meta gives them
	family, _ := c.str()
	if err := f.Family.UnmarshalText([]byte(family)); err != nil {
		c.fail(err)
	}
	c.skip(1) // proto: the name of proto_num
	p, _ := num[uint8](c)
	f.Proto = format.Proto(p)
	if name, ok := c.str(); ok {
		s, ok := state(f.Proto, name)
		if !ok {
			c.fail(errorString("no state of " + protoName(f.Proto) + " is named " + strconv.Quote(name)))
		}
		f.State, f.Fields = s, f.Fields|format.FieldState
	}
	getNum(c, &f.Timeout, &f.Fields, format.FieldTimeout)
	ports := [2]bool{c.tuple(&f.Orig), c.tuple(&f.Reply)}
	getCounters(c, &f.OrigCounters, &f.Fields, format.FieldOrigCounters)
	getCounters(c, &f.ReplyCounters, &f.Fields, format.FieldReplyCounters)
	if bits, ok := c.bits(&buf.lists[0], statusNames[:]); ok {
		f.Status, f.Fields = format.Status(bits), f.Fields|format.FieldStatus
	}
	getNum(c, &f.Mark, &f.Fields, format.FieldMark)
	getNum(c, &f.Zone, &f.Fields, format.FieldZone)
	if labels, ok := c.names(buf.lists[1]); ok {
		buf.lists[1] = labels
		f.Labels, f.Fields = join(labels), f.Fields|format.FieldLabels
	}
	getNum(c, &f.ID, &f.Fields, format.FieldID)
	if name, ok := c.str(); ok {
		if err := f.Event.UnmarshalText([]byte(name)); err != nil || f.Event == format.EventNone {
			c.fail(errorString("unknown event " + strconv.Quote(name)))
		}
	}
	getNum(c, &f.EventTime, &f.Fields, format.FieldEventTime)
	getStr(c, &f.Helper, &f.Fields, format.FieldHelper)
	getStr(c, &f.Secctx, &f.Fields, format.FieldSecctx)
	for i, t := range [...]*format.Tuple{&f.Orig, &f.Reply} {
		icmp := c.icmp(t)
		if icmp && ports[i] {
			c.fail(errorString("both ports and ICMP fields"))
		}
		if icmp || ports[i] {
			f.Fields |= format.FieldL4
		}
	}
	getNum(c, &f.OrigZone, &f.Fields, format.FieldOrigZone)
	getNum(c, &f.ReplyZone, &f.Fields, format.FieldReplyZone)
	getPair(c, &f.GRETimeout, &f.GREStreamTimeout, &f.Fields, format.FieldGRETimeouts)
	getNum(c, &f.Secmark, &f.Fields, format.FieldSecmark)
	getNum(c, &f.DeltaTime, &f.Fields, format.FieldDeltaTime)
	getNum(c, &f.Start, &f.Fields, format.FieldStart)
	getNum(c, &f.Stop, &f.Fields, format.FieldStop)
	getNum(c, &f.Use, &f.Fields, format.FieldUse)
	getPair(c, &f.OrigVtag, &f.ReplyVtag, &f.Fields, format.FieldVtags)
	if c.truth() {
		f.Fields |= format.FieldUserspace
	}
	getNum(c, &f.PortID, &f.Fields, format.FieldPortID)
	getStr(c, &f.Progname, &f.Fields, format.FieldProgname)
	getNum(c, &f.Expires, &f.Fields, format.FieldExpires)
	getNum(c, &f.ActiveSince, &f.Fields, format.FieldActiveSince)
	c.quirks(&f.Quirks, &buf.lists[2])
	buf.slots, _ = c.names(buf.slots)
	buf.texts, _ = c.names(buf.texts)
	if len(buf.slots) != len(buf.texts) {
		c.fail(errorString("an extra needs a known slot and a text, in slot order"))
		buf.slots = nil
	}
	last := format.Slot(0)
	for i, slot := range buf.slots {
		var s format.Slot
		if err := s.UnmarshalText([]byte(slot)); err != nil || s < last || buf.texts[i] == "" {
			c.fail(errorString("an extra needs a known slot and a text, in slot order"))
			break
		}
		f.Extras, last = f.Extras.Add(s, buf.texts[i]), s
	}
	if netns, ok := c.str(); ok {
		if netns == "" {
			c.fail(errorString(`"" (NULL is no namespace)`))
		}
		f.Netns = netns
	}
	if c.err != nil {
		return c.err
	}
	if field, reason := f.CheckText(); field != "" {
		return columnErr(field, errorString(reason))
	}
	return nil
}

// getCounters sets *n, and the bit of fields, to the packets and bytes of
// two columns, where either holds a number.
func getCounters(c *rowCursor, n *format.Counters, fields *format.Fields, bit format.Fields) {
	packets, okP := num[uint64](c)
	bytes, okB := num[uint64](c)
	if okP || okB {
		*n, *fields = format.Counters{Packets: packets, Bytes: bytes}, *fields|bit
	}
}

// getExpect sets x to the expectation of the row at c, whose columns are
// expectRow's.
func getExpect(c *rowCursor, x *format.Expect, buf *names) error {
	*x = format.Expect{}
	c.skip(3) // the capture's
	family, _ := c.str()
	if err := x.Family.UnmarshalText([]byte(family)); err != nil {
		c.fail(err)
	}
	c.skip(1) // proto
	p, _ := num[uint8](c)
	x.Proto = format.Proto(p)
	if name, ok := c.str(); ok {
		if err := x.Event.UnmarshalText([]byte(name)); err != nil || x.Event == format.EventNone {
			c.fail(errorString("unknown event " + strconv.Quote(name)))
		}
	}
	getNum(c, &x.EventTime, &x.Fields, format.ExpectEventTime)
	getNum(c, &x.Timeout, &x.Fields, format.ExpectTimeout)
	for i, t := range [...]*format.Tuple{&x.Tuple, &x.Mask, &x.Master} {
		ports := c.tuple(t)
		icmp := c.icmp(t)
		if ports && icmp {
			c.fail(errorString("both ports and ICMP fields"))
		}
		if i == 1 && (ports || icmp || t.Src.IsValid() || t.Dst.IsValid()) {
			x.Fields |= format.ExpectMask
		}
	}
	if name, ok := c.str(); ok {
		l4 := slices.Index(layer4Names[:], name)
		if l4 < 0 {
			c.fail(errorString("unknown kind " + strconv.Quote(name) + " (want none, ports, keys or icmp)"))
		}
		x.MasterL4, x.Fields = format.Layer4(max(l4, 0)), x.Fields|format.ExpectMaster
	}
	getNum(c, &x.Zone, &x.Fields, format.ExpectZone)
	if bits, ok := c.bits(&buf.lists[0], expectFlagNames[:]); ok {
		x.Flags, x.Fields = format.ExpectFlags(bits), x.Fields|format.ExpectFlagsSet
	}
	getNum(c, &x.Class, &x.Fields, format.ExpectClass)
	getText(c, &x.Helper, &x.Fields, format.ExpectHelper)
	getText(c, &x.Policy, &x.Fields, format.ExpectPolicy)
	if c.truth() {
		x.Fields |= format.ExpectUserspace
	}
	getNum(c, &x.PortID, &x.Fields, format.ExpectPortID)
	getText(c, &x.Progname, &x.Fields, format.ExpectProgname)
	getNum(c, &x.Use, &x.Fields, format.ExpectUse)
	getNum(c, &x.Expires, &x.Fields, format.ExpectExpires)
	getNum(c, &x.ActiveSince, &x.Fields, format.ExpectActiveSince)
	c.quirks(&x.Quirks, &buf.lists[2])
	return c.err
}

// getText is getStr of a name that text formats print: "" (as JSON Lines
// take it), or text (isText).
func getText(c *rowCursor, s *string, fields *format.ExpectFields, bit format.ExpectFields) {
	getStr(c, s, fields, bit)
	if *fields&bit != 0 && *s != "" && !isText(*s) {
		c.fail(errorString("holds control bytes or invalid UTF-8: " + strconv.Quote(*s)))
	}
}

// getStats sets s to the record of the table's counters of the row at c,
// whose columns are statsRow's.
func getStats(c *rowCursor, s *format.Stats) error {
	*s = format.Stats{CPU: -1}
	c.skip(3) // the capture's
	if cpu, ok := num[int32](c); ok {
		if cpu < 0 {
			c.fail(errorString("negative (NULL is the table's)"))
		}
		s.CPU = int(cpu)
	}
	if netns, ok := c.str(); ok {
		if !isText(netns) {
			c.fail(errorString("empty, or holds control bytes or invalid UTF-8"))
		}
		s.Netns = netns
	}
	n := 0
	for st := 1; st < statCount; st++ {
		if v, ok := num[uint64](c); ok {
			s.Set(format.Stat(st), v)
			n++
		}
	}
	if n == 0 && c.err == nil {
		return columnErr("entries", errorString("a row without counters"))
	}
	return c.err
}
