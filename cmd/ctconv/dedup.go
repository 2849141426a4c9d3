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
// there. Each tuple is kept whole (40 bytes, 12 more for where it came
// from): memory grows with the table, linearly, and no two tuples are ever
// taken for one.
type tupleSet struct {
	seen  map[tupleKey]origin
	files []string // the inputs, which origins index
	dups  int
	shown []string // the first few duplicates, for the message
}

// tupleKey is one direction's tuple of a flow, with that direction's zone,
// as nf_conntrack hashes it.
type tupleKey struct {
	src, dst      [16]byte
	sport, dport  uint16 // ports, GRE keys; ICMP: type and code, id
	zone          uint16
	family, proto uint8
}

// origin says where the flow of a tuple was read, and in which
// directions the tuple is its.
type origin struct {
	file, line uint32
	dirs       uint8 // 1: original, 2: reply
}

// maxShownDups is how many duplicates the message names.
const maxShownDups = 5

// keys returns f's tuples, original and reply, as the kernel holds them
// after conntrack -I of f's restore line, and whether the zone of the two
// directions is the same.
func keys(f *format.Flow) (orig, reply tupleKey, sameZone bool) {
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
	return tuple(f, &f.Orig, oz), tuple(f, &r, rz), oz == rz
}

func tuple(f *format.Flow, t *format.Tuple, zone uint16) tupleKey {
	k := tupleKey{src: t.Src.As16(), dst: t.Dst.As16(), zone: zone, family: uint8(f.Family), proto: uint8(f.Proto)}
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

// clash returns the flow already held whose tuple f's would clash with,
// as nf_conntrack_hash_check_insert finds it: a tuple equal to one of f's
// in the same direction and zone, or in the other direction, where f's
// two directions share their zone.
func (ids *tupleSet) clash(f *format.Flow) (origin, bool) {
	o, r, same := keys(f)
	for _, k := range [...]struct {
		key tupleKey
		dir uint8
	}{{o, 1}, {r, 2}} {
		if held, ok := ids.seen[k.key]; ok && (held.dirs&k.dir != 0 || same) {
			return held, true
		}
	}
	return origin{}, false
}

// add holds f's tuples, f having been read at line of input file.
func (ids *tupleSet) add(f *format.Flow, file, line int) {
	if ids.seen == nil {
		ids.seen = map[tupleKey]origin{}
	}
	o, r, _ := keys(f)
	for _, k := range [...]struct {
		key tupleKey
		dir uint8
	}{{o, 1}, {r, 2}} {
		held, ok := ids.seen[k.key]
		if !ok {
			held = origin{file: uint32(file), line: uint32(line)}
		}
		held.dirs |= k.dir
		ids.seen[k.key] = held
	}
}

// file returns the index of the input named display, adding it.
func (ids *tupleSet) file(display string) int {
	if n := len(ids.files); n > 0 && ids.files[n-1] == display {
		return n - 1
	}
	ids.files = append(ids.files, display)
	return len(ids.files) - 1
}

// duplicate counts a flow left out, read at line of input file, whose
// identity held has.
func (ids *tupleSet) duplicate(file, line int, held origin) {
	ids.dups++
	if len(ids.shown) == maxShownDups {
		return
	}
	as := "line " + strconv.Itoa(int(held.line))
	if int(held.file) != file {
		as = ids.files[held.file] + ":" + strconv.Itoa(int(held.line))
	}
	ids.shown = append(ids.shown, ids.files[file]+":"+strconv.Itoa(line)+" (as "+as+")")
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
