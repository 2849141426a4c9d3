package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ctconv/ctconv/format"
)

// A tupleSet holds the tuples of the flows a restore file holds so far, as
// the kernel's table keys them: conntrack -I of a flow one of whose tuples
// the table holds fails ("Such conntrack exists"), and conntrack -R stops
// there. Each tuple is kept whole, so that no two are ever taken for one,
// and compact (an IPv4 tuple in 16 bytes, an IPv6 one in 40, 8 more for
// where it came from): memory grows with the table, linearly.
type tupleSet struct {
	v4    map[tupleKey[[4]byte]]origin
	v6    map[tupleKey[[16]byte]]origin
	files []restoreInput // the inputs, which origins index
	dups  int
	shown []string // the first few duplicates, for the message
}

// tupleKey is one direction's tuple of a flow of one family, with that
// direction's zone, as nf_conntrack hashes it.
type tupleKey[A [4]byte | [16]byte] struct {
	src, dst     A
	sport, dport uint16 // ports, GRE keys; ICMP: type and code, id
	zone         uint16
	proto        uint8
}

// origin says where the flow of a tuple was read (its input's index in
// files, and its line or record there), and in which directions the tuple
// is its: bits 0 and 1 for the original and the reply, the line from bit
// 2, the input from bit 42.
type origin uint64

const (
	dirOrig, dirReply origin = 1, 2
	lineShift                = 2
	fileShift                = 42
)

func (o origin) file() int { return int(o >> fileShift) }
func (o origin) line() int { return int(o >> lineShift & (1<<(fileShift-lineShift) - 1)) }

// restoreInput names an input, whose positions are lines, or records of a
// snapshot.
type restoreInput struct {
	name    string
	records bool
}

// maxShownDups is how many duplicates the message names.
const maxShownDups = 5

// tuples returns f's tuples, original and reply, as the kernel holds them
// after conntrack -I of f's restore line, and whether the zone of the two
// directions is the same.
func tuples[A [4]byte | [16]byte](f *format.Flow, addr func(t *format.Tuple) (src, dst A)) (orig, reply tupleKey[A], sameZone bool) {
	var oz, rz uint16
	switch {
	case f.Has(format.FieldZone):
		oz, rz = f.Zone, f.Zone
	default:
		if f.Has(format.FieldOrigZone) {
			oz = f.OrigZone
		}
		if f.Has(format.FieldReplyZone) {
			rz = f.ReplyZone
		}
	}
	// conntrack -I sends the original's ICMP part alone; the kernel makes
	// the reply's from it.
	r := f.Reply
	if f.Proto.Layer4() == format.L4ICMP {
		m := f.Mirror()
		r.Type, r.Code, r.ID = m.Type, m.Code, m.ID
	}
	key := func(t *format.Tuple, zone uint16) tupleKey[A] {
		k := tupleKey[A]{zone: zone, proto: uint8(f.Proto)}
		k.src, k.dst = addr(t)
		if f.Has(format.FieldL4) {
			switch f.Proto.Layer4() {
			case format.L4Ports, format.L4Keys:
				k.sport, k.dport = t.SrcPort, t.DstPort
			case format.L4ICMP:
				k.sport, k.dport = uint16(t.Type)<<8|uint16(t.Code), t.ID
			}
		}
		return k
	}
	return key(&f.Orig, oz), key(&r, rz), oz == rz
}

func addr4(t *format.Tuple) (src, dst [4]byte)   { return t.Src.As4(), t.Dst.As4() }
func addr16(t *format.Tuple) (src, dst [16]byte) { return t.Src.As16(), t.Dst.As16() }

// clash returns the origin of the flow already held whose tuple f's would
// clash with, as nf_conntrack_hash_check_insert finds it: a tuple equal to
// one of f's in the same direction and zone, or in the other direction,
// where f's two directions share their zone.
func (ids *tupleSet) clash(f *format.Flow) (origin, bool) {
	if !f.Reply.Src.IsValid() {
		return 0, false // conntrackd -e's: no line of restore, as its printer says
	}
	if f.Family == format.IPv4 {
		return clash(ids.v4, f, addr4)
	}
	return clash(ids.v6, f, addr16)
}

func clash[A [4]byte | [16]byte](m map[tupleKey[A]]origin, f *format.Flow, addr func(*format.Tuple) (A, A)) (origin, bool) {
	o, r, same := tuples(f, addr)
	if held, ok := m[o]; ok && (held&dirOrig != 0 || same) {
		return held, true
	}
	if held, ok := m[r]; ok && (held&dirReply != 0 || same) {
		return held, true
	}
	return 0, false
}

// add holds f's tuples, f having been read at line of input file.
func (ids *tupleSet) add(f *format.Flow, file, line int) {
	at := origin(file)<<fileShift | origin(line)<<lineShift
	if f.Family == format.IPv4 {
		if ids.v4 == nil {
			ids.v4 = map[tupleKey[[4]byte]]origin{}
		}
		add(ids.v4, f, addr4, at)
		return
	}
	if ids.v6 == nil {
		ids.v6 = map[tupleKey[[16]byte]]origin{}
	}
	add(ids.v6, f, addr16, at)
}

func add[A [4]byte | [16]byte](m map[tupleKey[A]]origin, f *format.Flow, addr func(*format.Tuple) (A, A), at origin) {
	o, r, _ := tuples(f, addr)
	for _, k := range [...]struct {
		key tupleKey[A]
		dir origin
	}{{o, dirOrig}, {r, dirReply}} {
		held, ok := m[k.key]
		if !ok {
			held = at
		}
		m[k.key] = held | k.dir
	}
}

// file returns the index of the input named name, adding it; records says
// that its positions are records of a snapshot, not lines.
func (ids *tupleSet) file(name string, records bool) int {
	in := restoreInput{name, records}
	if n := len(ids.files); n > 0 && ids.files[n-1] == in {
		return n - 1
	}
	ids.files = append(ids.files, in)
	return len(ids.files) - 1
}

// position names line (or record) of input file.
func (ids *tupleSet) position(file, line int) string {
	in := ids.files[file]
	if in.records {
		return in.name + " record " + strconv.Itoa(line)
	}
	return in.name + ":" + strconv.Itoa(line)
}

// duplicate counts a flow left out, read at line of input file, whose
// identity held has.
func (ids *tupleSet) duplicate(file, line int, held origin) {
	ids.dups++
	if len(ids.shown) == maxShownDups {
		return
	}
	as := ids.position(held.file(), held.line())
	if held.file() == file {
		as = "line " + strconv.Itoa(held.line())
		if ids.files[file].records {
			as = "record " + strconv.Itoa(held.line())
		}
	}
	ids.shown = append(ids.shown, ids.position(file, line)+" (as "+as+")")
}

// report says how many flows were left out, and which.
func (ids *tupleSet) report(w io.Writer, cmd string) {
	if ids.dups == 0 {
		return
	}
	more := ""
	if n := ids.dups - len(ids.shown); n > 0 {
		more = fmt.Sprintf(", and %d more", n)
	}
	fmt.Fprintf(w, "ctconv %s: left out %d flow(s) whose identity an earlier one has, which conntrack -R would refuse (\"Such conntrack exists\") and stop at; the first of each is kept: %s%s\n",
		cmd, ids.dups, strings.Join(ids.shown, ", "), more)
}
