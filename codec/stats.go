package codec

import (
	"math"
	"strconv"

	"github.com/ctconv/ctconv/format"
)

// The table's counters (format.Stats) as a record of their own kind, in
// JSON Lines and in msgpack.
//
// JSON: one object a line, "cpu" first (the CPU's number, or null where
// the source names none: conntrack -C, the list of conntrack 1.2), then
// each counter the record holds, by its name as conntrack -S prints it
// (format.Stat's String), in format.Stat's order:
//
//	{"cpu":0,"found":0,"invalid":400,"insert":0,...}
//
// A flow's object has "tuple-orig" and an expectation's "tuple"; a
// counters' object has neither, and starts with "cpu" (stats.schema.json).
//
// msgpack: [4, cpu, mask, values...]: cpu an int, -1 where the source
// names none; mask a uint whose bit n says that the record holds the
// counter numbered n in docs/SNAPSHOT.md (format.Stat's value, frozen by
// TestWireNumbering; the per-CPU ones are the kernel's CTA_STATS_*
// numbers); then each counter's value, a uint < 2^32, in the order of the
// bits. A reader skips the values of bits it does not know, after the
// others.

// KindStats is the kind of a record of the table's counters.
const KindStats Kind = 4

// wireStatsVersion is the highest counter's bit version 1 knows.
const wireStatsVersion = 20

// wireStatsNetns is the bit of a counters record's mask that says its
// last value is the counters' namespace (format.Stats.Netns), a str: the
// highest bit this version knows, added after the counters' (a later
// counter takes a bit above it).
const wireStatsNetns = 1 << 32

// AppendJSONStats appends s as one line of JSON, with its newline.
func AppendJSONStats(dst []byte, s *format.Stats) ([]byte, error) {
	w := jsonWriter{b: append(dst, `{"cpu":`...)}
	if s.CPU < 0 {
		w.b = append(w.b, "null"...)
	} else {
		w.int(int64(s.CPU))
	}
	n := 0
	for st, v := range s.All() {
		w.b = append(w.b, ',', '"')
		w.b = append(w.b, st.String()...)
		w.b = append(w.b, '"', ':')
		w.uint(v)
		n++
	}
	if s.Netns != "" { // added within version 1, after the counters
		w.b = append(w.b, `,"netns":`...)
		w.string(s.Netns)
	}
	w.b = append(w.b, '}')
	if n == 0 {
		return dst, &EncodeError{Msg: "a record of the table's counters without counters"}
	}
	return append(w.b, '\n'), w.err
}

// statByJSONName returns the counter that JSON names name: conntrack -S's
// name, not /proc's.
func statByJSONName(name []byte) (format.Stat, bool) {
	var st format.Stat
	if st.UnmarshalText(name) != nil || st.String() != string(name) {
		return 0, false
	}
	return st, true
}

// DecodeStats decodes one line of JSON, as AppendJSONStats writes it, into
// s. Keys it does not know are skipped, so that newer writers can add
// counters; a line without "cpu" or without a counter is an error.
func (d *JSONDecoder) DecodeStats(line []byte, s *format.Stats) error {
	*s = format.Stats{CPU: -1}
	r := &d.r
	r.reset(line)
	cpu, counters := false, 0
	err := r.object("", func(key []byte) error {
		if string(key) == "cpu" {
			if cpu {
				return r.fail(format.ErrDuplicate, "cpu", "duplicate key")
			}
			cpu = true
			if r.ws(); len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "null" {
				r.i += 4
				return nil
			}
			n, err := r.uint("cpu", math.MaxInt32)
			s.CPU = int(n)
			return err
		}
		if string(key) == "netns" {
			if s.Netns != "" {
				return r.fail(format.ErrDuplicate, "netns", "duplicate key")
			}
			v, err := r.str("netns")
			if err == nil && !validNetns(v) {
				err = r.fail(format.ErrSyntax, "netns", "empty, or holds control bytes or invalid UTF-8")
			}
			s.Netns = string(v)
			return err
		}
		st, ok := statByJSONName(key)
		if !ok {
			return r.skip(string(key))
		}
		if s.Has(st) {
			return r.fail(format.ErrDuplicate, st.String(), "duplicate key")
		}
		n, err := r.uint(st.String(), math.MaxUint32)
		s.Set(st, n)
		counters++
		return err
	})
	if err == nil {
		err = r.end()
	}
	switch {
	case err != nil:
		return err
	case !cpu:
		return r.fail(format.ErrMissing, "cpu", `no "cpu": not a record of the table's counters`)
	case counters == 0:
		return r.fail(format.ErrMissing, "", "no counters")
	}
	return nil
}

// EncodeStats writes s as one record.
func (e *MsgpackEncoder) EncodeStats(s *format.Stats) error {
	var mask uint64
	n := 0
	for st, v := range s.All() {
		if v > math.MaxUint32 {
			return &EncodeError{Msg: st.String() + " " + strconv.FormatUint(v, 10) + " is more than the kernel's 32 bits"}
		}
		mask |= 1 << st
		n++
	}
	if n == 0 {
		return &EncodeError{Msg: "a record of the table's counters without counters"}
	}
	if s.Netns != "" {
		mask |= wireStatsNetns
		n++
	}
	e.enc.EncodeArrayLen(3 + n)
	e.enc.EncodeUint(uint64(KindStats))
	e.enc.EncodeInt(int64(max(s.CPU, -1)))
	e.enc.EncodeUint(mask)
	for _, v := range s.All() {
		e.enc.EncodeUint(v)
	}
	if s.Netns != "" {
		e.enc.EncodeString(s.Netns)
	}
	return e.flush()
}

// stats reads the rest of a record of the table's counters.
func (d *MsgpackDecoder) stats(s *format.Stats) error {
	*s = format.Stats{}
	if err := d.element(); err != nil {
		return err
	}
	v, err := d.dec.integer()
	if err != nil {
		return d.wrap(err)
	}
	cpu := int64(v)
	if cpu < -1 || cpu > math.MaxInt32 {
		return corrupt("a CPU of " + strconv.FormatInt(cpu, 10))
	}
	s.CPU = int(cpu)
	mask, err := d.uint(math.MaxUint64)
	if err != nil {
		return err
	}
	if mask == 0 {
		return corrupt("a record of the table's counters without counters")
	}
	for st := format.Stat(1); st <= wireStatsVersion; st++ {
		if mask&(1<<st) == 0 {
			continue
		}
		v, err := d.uint(math.MaxUint32)
		if err != nil {
			return err
		}
		s.Set(st, v)
	}
	if mask&(1<<wireStatsVersion<<1-2) == 0 {
		return errLaterStats // only counters a later writer added
	}
	if mask&wireStatsNetns != 0 {
		v, err := d.bytes(maxString)
		if err != nil {
			return err
		}
		if !validNetns(v) {
			return corrupt("a namespace that is empty, or holds control bytes or invalid UTF-8")
		}
		s.Netns = string(v)
	}
	return d.skipRest()
}

// errLaterStats says that a record of counters holds none this version
// knows: DecodeRecord skips it.
var errLaterStats = corrupt("no counter known")

// validNetns reports whether b is a namespace's name as a record holds
// it: text, not empty (format.Flow.CheckText's rule).
func validNetns(b []byte) bool {
	f := format.Flow{Netns: string(b)}
	field, _ := f.CheckText()
	return len(b) > 0 && field == ""
}
