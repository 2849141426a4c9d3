package main

import (
	"bufio"
	"encoding/json"
	"fmt"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// counterSet is a capture of the table's counters: each CPU's, its
// records joined (conntrack -S and -S expect print a CPU's counters in two
// lines), and the table's (conntrack -C's count, conntrack 1.2's list).
type counterSet struct {
	cpus  []int // in the order the capture has them
	byCPU map[int]*format.Stats
	table format.Stats
}

// readCounters reads the counters of an input of them, those of
// namespace netns if it is not "" (see ofNetns).
func readCounters(in *snapshot.Input, netns string) (*counterSet, error) {
	cs := newCounterSet()
	for s, err := range in.Stats() {
		if err != nil {
			return cs, err
		}
		if netns == "" || isOfNetns(s, in.Netns(), netns) {
			cs.add(s)
		}
	}
	return cs, nil
}

func newCounterSet() *counterSet {
	return &counterSet{byCPU: map[int]*format.Stats{}, table: format.Stats{CPU: -1}}
}

func (cs *counterSet) add(s *format.Stats) {
	m := &cs.table
	if s.CPU >= 0 {
		if m = cs.byCPU[s.CPU]; m == nil {
			m = &format.Stats{CPU: s.CPU}
			cs.byCPU[s.CPU] = m
			cs.cpus = append(cs.cpus, s.CPU)
		}
	}
	for st, v := range s.All() {
		m.Set(st, v)
	}
}

// tableWide reports whether st is the table's, not a CPU's: /proc repeats
// the count on every CPU's line.
func tableWide(st format.Stat) bool {
	return st == format.StatEntries || st == format.StatMaxEntries
}

// total returns counter st of the whole table: the sum of the CPUs', or
// the table's value where the capture has no CPU's (or st is the table's).
func (cs *counterSet) total(st format.Stat) (uint64, bool) {
	if v, ok := cs.table.Value(st); ok && (tableWide(st) || !cs.perCPU(st)) {
		return v, true
	}
	var sum uint64
	found := false
	for _, cpu := range cs.cpus {
		if v, ok := cs.byCPU[cpu].Value(st); ok {
			if tableWide(st) {
				return v, true
			}
			sum, found = sum+v, true
		}
	}
	return sum, found
}

// perCPU reports whether some CPU's record holds st.
func (cs *counterSet) perCPU(st format.Stat) bool {
	for _, m := range cs.byCPU {
		if m.Has(st) {
			return true
		}
	}
	return false
}

// counterChange is the change of one counter between two captures: of
// the table, and of each CPU whose value changed.
type counterChange struct {
	Counter string      `json:"counter"`
	Old     uint64      `json:"old"`
	New     uint64      `json:"new"`
	Delta   int64       `json:"delta"`
	CPUs    []cpuChange `json:"cpus,omitempty"`
}

type cpuChange struct {
	CPU   int    `json:"cpu"`
	Old   uint64 `json:"old"`
	New   uint64 `json:"new"`
	Delta int64  `json:"delta"`
}

// statsDiff is what a diff of two captures of counters found.
type statsDiff struct {
	changes   []counterChange
	unchanged int
	only      [2][]format.Stat // the counters only OLD, only NEW holds
	onlyCPUs  [2][]int         // the CPUs only OLD, only NEW has
}

// diffCounters compares every counter both captures hold, in total and
// CPU by CPU (for the CPUs both have).
func diffCounters(old, new *counterSet) *statsDiff {
	d := &statsDiff{}
	for i, pair := range [2][2]*counterSet{{old, new}, {new, old}} {
		for _, cpu := range pair[0].cpus {
			if pair[1].byCPU[cpu] == nil {
				d.onlyCPUs[i] = append(d.onlyCPUs[i], cpu)
			}
		}
	}
	for st := format.StatSearched; st <= format.StatExpectDelete; st++ {
		ov, oldHas := old.total(st)
		nv, newHas := new.total(st)
		switch {
		case !oldHas && !newHas:
			continue
		case !newHas:
			d.only[0] = append(d.only[0], st)
			continue
		case !oldHas:
			d.only[1] = append(d.only[1], st)
			continue
		}
		c := counterChange{Counter: st.String(), Old: ov, New: nv, Delta: int64(nv - ov)}
		if !tableWide(st) {
			for _, cpu := range new.cpus {
				o, ok1 := old.cpuValue(cpu, st)
				n, ok2 := new.cpuValue(cpu, st)
				if ok1 && ok2 && o != n {
					c.CPUs = append(c.CPUs, cpuChange{CPU: cpu, Old: o, New: n, Delta: int64(n - o)})
				}
			}
		}
		if c.Delta == 0 && len(c.CPUs) == 0 {
			d.unchanged++
			continue
		}
		d.changes = append(d.changes, c)
	}
	return d
}

// cpuValue returns counter st of CPU cpu, and whether the capture has it.
func (cs *counterSet) cpuValue(cpu int, st format.Stat) (uint64, bool) {
	if m := cs.byCPU[cpu]; m != nil {
		return m.Value(st)
	}
	return 0, false
}

// print writes the changes, as text or JSON, and the summary; it
// returns the error of writing.
func (d *statsDiff) print(w *bufio.Writer, asJSON bool) error {
	for _, c := range d.changes {
		if asJSON {
			b, _ := json.Marshal(c)
			w.Write(append(b, '\n'))
			continue
		}
		fmt.Fprintf(w, "%-16s %+12d   %d→%d\n", c.Counter, c.Delta, c.Old, c.New)
		for _, cc := range c.CPUs {
			fmt.Fprintf(w, "  cpu=%-10d %+12d   %d→%d\n", cc.CPU, cc.Delta, cc.Old, cc.New)
		}
	}
	if !asJSON && len(d.changes) > 0 {
		fmt.Fprintf(w, "diff: %s changed, %d unchanged\n", plural(len(d.changes), "counter"), d.unchanged)
	}
	return w.Flush()
}

// notes returns what the diff did not compare, for standard error.
func (d *statsDiff) notes(names [2]string) []string {
	var out []string
	for i, sts := range d.only {
		if len(sts) > 0 {
			out = append(out, fmt.Sprintf("%s alone holds %s: not compared", names[i], statList(sts)))
		}
	}
	for i, cpus := range d.onlyCPUs {
		if len(cpus) > 0 {
			out = append(out, fmt.Sprintf("%s alone has %s %v: their counters count in its totals only", names[i], map[bool]string{true: "CPU", false: "CPUs"}[len(cpus) == 1], cpus))
		}
	}
	return out
}

func statList(sts []format.Stat) string {
	var b []byte
	for i, st := range sts {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, st.String()...)
	}
	return string(b)
}

// diffStats compares two captures of the table's counters, with diff(1)'s
// exit statuses.
func (c *command) diffStats(inputs [2]*snapshot.Input, names [2]string, x *format.Filter, asJSON bool) int {
	if inputs[0].Statistics() != inputs[1].Statistics() {
		i := 0
		if inputs[1].Statistics() {
			i = 1
		}
		return c.fail("%s holds the table's counters, %s %s: diff compares two captures of the same kind", names[i], names[1-i], inputKind(inputs[1-i]))
	}
	netns := ""
	if x != nil {
		if netns = x.Netns; *x != (format.Filter{Netns: netns}) {
			return c.fail("filters select flows, and the captures hold the table's counters")
		}
	}
	var sets [2]*counterSet
	for i, in := range inputs {
		var err error
		if sets[i], err = readCounters(in, netns); err != nil {
			if pe, ok := err.(*format.ParseError); ok {
				c.badLine(pe)
				return 2
			}
			return c.fail("%s: %v", names[i], err)
		}
	}
	d := diffCounters(sets[0], sets[1])
	if err := d.print(bufio.NewWriter(c.stdout), asJSON); err != nil {
		if brokenPipe(err) {
			return 1
		}
		writeFailed(c.stderr, "diff", err)
		return 2
	}
	for _, n := range d.notes([2]string{"OLD (" + names[0] + ")", "NEW (" + names[1] + ")"}) {
		fmt.Fprintln(c.stderr, "ctconv diff: "+n)
	}
	if len(d.changes) > 0 {
		return 1
	}
	return 0
}
