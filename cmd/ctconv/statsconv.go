package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// Converting the table's counters between conntrack-stats and proc-stats.
// The two show the same counters otherwise: conntrack -S one CPU a line
// with the counters the kernel sends over netlink, conntrack -S expect the
// expectation counters in lines of their own, conntrack -C the table's
// count; /proc/net/stat/nf_conntrack all of them in one line a CPU, with
// the count in every line, and columns the kernel no longer fills (0
// since 4.9, 5.10). So a conversion to proc-stats joins the lines of each
// CPU, and needs the count and the expectation counters; one to
// conntrack-stats splits each line into the three commands' lines, and
// leaves out the columns that conntrack -S of that kernel does not print,
// which are 0. docs/CONVERSIONS.md says what each keeps.

// A statsLossError says that a record of counters cannot be printed in
// the target format without losing counters, or without counters that
// the format needs and the input lacks.
type statsLossError struct {
	CPU      int           // the record's CPU, -1 for none
	To       format.Format // the target
	Counters []format.Stat // the counters lost, or lacking
	Lacking  bool          // the target needs Counters, which the input lacks
	Hint     string        // what would help
}

func (e *statsLossError) Error() string {
	names := make([]string, len(e.Counters))
	for i, st := range e.Counters {
		names[i] = st.String()
	}
	cpu := "the table's counters"
	if e.CPU >= 0 {
		cpu = fmt.Sprintf("CPU %d's counters", e.CPU)
	}
	msg := cpu + ": " + e.To.String() + " has no place for " + strings.Join(names, ", ") + ", left out"
	if e.Lacking {
		msg = cpu + " not printed: " + e.To.String() + " needs " + strings.Join(names, ", ") + ", which the input lacks"
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// statsTargets says where records print that f does not list.
func statsTargets(f format.Format) string {
	if f.Statistics() {
		return "it prints the table's counters; flows print in the other text formats, json or snapshot"
	}
	return "counters print in conntrack-stats, proc-stats, json or snapshot (ctconv stats and ctconv diff read them)"
}

// carry writes the counters that a snapshot of flows carries, where the
// output can keep them: a snapshot, before any flow. Elsewhere they are
// counted, and convert says so.
func (c *converter) carry(stats []format.Stats) {
	if len(stats) == 0 {
		return
	}
	if c.to == snapshot.File && c.out.Count() == 0 {
		for i := range stats {
			if err := c.out.WriteStats(&stats[i]); err != nil {
				c.werr = err
				return
			}
		}
		return
	}
	c.uncarried += len(stats)
}

// writeStats writes the counters read, converted for the target; it
// reports each record it cannot print, and whether all printed.
func (c *converter) writeStats(name string) bool {
	recs := c.counters
	var losses []error
	if f, ok := c.to.Format(); ok {
		recs, losses = convertStats(recs, f)
	}
	for i := range recs {
		if err := c.out.WriteStats(&recs[i]); err != nil {
			if !errors.Is(err, format.ErrUnprintable) {
				c.werr = err
				return false
			}
			losses = append(losses, err)
		}
	}
	for _, err := range losses {
		c.bad.report(fmt.Errorf("ctconv %s: %w", name, err))
	}
	if len(losses) > 0 {
		fmt.Fprintf(c.stderr, "ctconv %s: %s of counters not printed whole in %s\n", name, plural(len(losses), "record"), c.to)
	}
	return len(losses) == 0
}

// fits reports whether every record prints in f as it is.
func fits(recs []format.Stats, f format.Format) bool {
	pr := format.Dialect{Format: f}
	var buf [512]byte
	for i := range recs {
		if _, err := pr.AppendStats(buf[:0], &recs[i]); err != nil {
			return false
		}
	}
	return true
}

// The counters by where they print.
var (
	cpuStats    = statRange(format.StatSearched, format.StatChainTooLong)  // conntrack -S's
	expectStats = statRange(format.StatExpectNew, format.StatExpectDelete) // conntrack -S expect's
)

func statRange(lo, hi format.Stat) []format.Stat {
	var r []format.Stat
	for st := lo; st <= hi; st++ {
		r = append(r, st)
	}
	return r
}

// kernelZero returns the counters of /proc/net/stat/nf_conntrack that the
// kernel whose counters s shows keeps at 0, and does not send over
// netlink, so conntrack -S does not print them. The kernel shows itself
// by the counters: chaintoolong (5.15 on), clash_resolve (5.10 on),
// search_restart without searched (4.9 on). Before 4.9 it sends them all.
func kernelZero(s *format.Stats) []format.Stat {
	switch {
	case s.Has(format.StatChainTooLong):
		return []format.Stat{format.StatNew, format.StatIgnore, format.StatDelete}
	case s.Has(format.StatClashResolve):
		return []format.Stat{format.StatNew, format.StatIgnore, format.StatDelete, format.StatDeleteList}
	case s.Has(format.StatSearchRestart) && !s.Has(format.StatSearched) && !s.Has(format.StatNew):
		return []format.Stat{format.StatSearched, format.StatNew, format.StatDelete, format.StatDeleteList}
	}
	return nil
}

// procColumns returns the columns of /proc/net/stat/nf_conntrack of the
// kernel whose counters s shows.
func procColumns(s *format.Stats) []format.Stat {
	cols := []format.Stat{format.StatEntries, format.StatSearched, format.StatFound, format.StatNew, format.StatInvalid,
		format.StatIgnore, format.StatDelete, format.StatDeleteList, format.StatInsert, format.StatInsertFailed,
		format.StatDrop, format.StatEarlyDrop, format.StatError, format.StatExpectNew, format.StatExpectCreate,
		format.StatExpectDelete, format.StatSearchRestart}
	if s.Has(format.StatClashResolve) || s.Has(format.StatChainTooLong) {
		cols[1] = format.StatClashResolve
	}
	if s.Has(format.StatChainTooLong) {
		cols[7] = format.StatChainTooLong
	}
	if !s.Has(format.StatSearchRestart) {
		cols = cols[:len(cols)-1] // before 2.6.35
	}
	return cols
}

// convertStats returns the records to print in f for recs, and the
// records it cannot print. Records that print as they are, are.
func convertStats(recs []format.Stats, f format.Format) ([]format.Stats, []error) {
	if fits(recs, f) {
		return recs, nil
	}
	if f == format.ProcStats {
		return toProc(recs)
	}
	return toConntrack(recs)
}

// toProc joins the records of each CPU, with the table's count, into
// lines of /proc/net/stat/nf_conntrack.
func toProc(recs []format.Stats) ([]format.Stats, []error) {
	var out []format.Stats
	var losses []error
	cs := newCounterSet()
	for i := range recs {
		if recs[i].CPU < 0 && fits(recs[i:i+1], format.ProcStats) {
			out = append(out, recs[i]) // conntrack 1.2's list: /proc's first line
			continue
		}
		cs.add(&recs[i])
	}
	if v, ok := cs.table.Value(format.StatMaxEntries); ok {
		losses = append(losses, &statsLossError{CPU: -1, To: format.ProcStats, Counters: []format.Stat{format.StatMaxEntries},
			Hint: fmt.Sprintf("max_entries %d: /proc/sys/net/netfilter/nf_conntrack_max holds it", v)})
	}
	count, counted := cs.table.Value(format.StatEntries)
	for _, cpu := range cs.cpus {
		m := cs.byCPU[cpu]
		if counted && !m.Has(format.StatEntries) {
			m.Set(format.StatEntries, count)
		}
		for _, st := range kernelZero(m) {
			if !m.Has(st) {
				m.Set(st, 0)
			}
		}
		var lacking []format.Stat
		for _, st := range procColumns(m) {
			if !m.Has(st) {
				lacking = append(lacking, st)
			}
		}
		if len(lacking) > 0 {
			var from []string
			if slices.Contains(lacking, format.StatEntries) {
				from = append(from, "conntrack -C prints entries")
			}
			if slices.Contains(lacking, format.StatExpectNew) {
				from = append(from, "conntrack -S expect prints the expect_ counters")
			}
			hint := ""
			if len(from) > 0 {
				hint = strings.Join(from, ", ") + ": convert their output with conntrack -S's, together"
			}
			losses = append(losses, &statsLossError{CPU: cpu, To: format.ProcStats, Counters: lacking, Lacking: true, Hint: hint})
			continue
		}
		out = append(out, *m)
	}
	if counted && len(cs.cpus) == 0 {
		losses = append(losses, &statsLossError{CPU: -1, To: format.ProcStats, Counters: []format.Stat{format.StatEntries},
			Hint: "the count alone: /proc's lines are a CPU's counters, with the count"})
	}
	return out, losses
}

// toConntrack splits each record that does not print as conntrack -S
// prints (a line of /proc) into what conntrack -S, conntrack -S expect and
// conntrack -C print, in that order.
func toConntrack(recs []format.Stats) ([]format.Stats, []error) {
	var lines, expects, counts []format.Stats
	var losses []error
	count, counted := uint64(0), false
	for i := range recs {
		s := &recs[i]
		if fits(recs[i:i+1], format.ConntrackStats) {
			switch {
			case s.Expectations():
				expects = append(expects, *s)
			case s.CPU < 0:
				counts = append(counts, *s)
			default:
				lines = append(lines, *s)
			}
			continue
		}
		if v, ok := s.Value(format.StatMaxEntries); ok { // the rest prints
			losses = append(losses, &statsLossError{CPU: s.CPU, To: format.ConntrackStats, Counters: []format.Stat{format.StatMaxEntries},
				Hint: fmt.Sprintf("max_entries %d: /proc/sys/net/netfilter/nf_conntrack_max holds it", v)})
		}
		line := format.Stats{CPU: max(s.CPU, 0)}
		zero := kernelZero(s)
		for _, st := range cpuStats {
			if v, ok := s.Value(st); ok && (v != 0 || !slices.Contains(zero, st)) {
				line.Set(st, v)
			}
		}
		exp := format.Stats{CPU: line.CPU}
		for _, st := range expectStats {
			if v, ok := s.Value(st); ok {
				exp.Set(st, v)
			}
		}
		if v, ok := s.Value(format.StatEntries); ok {
			if counted && v != count {
				losses = append(losses, &statsLossError{CPU: s.CPU, To: format.ConntrackStats, Counters: []format.Stat{format.StatEntries},
					Hint: fmt.Sprintf("entries %d where an earlier line has %d: conntrack -C prints one count", v, count)})
				continue
			}
			count, counted = v, true
		}
		if !empty(&line) {
			lines = append(lines, line)
		}
		if exp.Expectations() {
			expects = append(expects, exp)
		}
	}
	if counted {
		var c format.Stats
		c.CPU = -1
		c.Set(format.StatEntries, count)
		counts = append(counts, c)
	}
	return slices.Concat(lines, expects, counts), losses
}

// empty reports whether s holds no counter.
func empty(s *format.Stats) bool {
	for range s.All() {
		return false
	}
	return true
}
