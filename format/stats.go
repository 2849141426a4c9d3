package format

import (
	"bytes"
	"errors"
	"iter"
	"math"
)

// The table's counters. The kernel counts, per CPU, what its connection
// tracking did (found, invalid, insert_failed, drop, early_drop, ...), and
// shows them three ways: over netlink as the CTA_STATS_* attributes, which
// conntrack -S prints one CPU a line; in /proc/net/stat/nf_conntrack, a
// header and one line of hex columns a CPU; and conntrack -C prints the
// table's count. Older conntrack printed -S as a list, one counter a line.

// A Stat names a counter: the kernel's per-CPU CTA_STATS_* attributes, in
// their order and with their numbers, then the table's count and maximum
// (CTA_STATS_GLOBAL_*), then the expectation counters (CTA_STATS_EXP_*).
type Stat uint8

// The counters.
const (
	StatSearched      Stat = iota + 1 // always 0 since Linux 4.9
	StatFound                         // lookups that found an entry
	StatNew                           // always 0 since Linux 4.9
	StatInvalid                       // packets that could not be tracked
	StatIgnore                        // always 0 since Linux 5.10
	StatDelete                        // always 0 since Linux 4.9
	StatDeleteList                    // always 0 since Linux 4.9
	StatInsert                        // always 0 since Linux 4.9
	StatInsertFailed                  // entries that could not be inserted
	StatDrop                          // packets dropped for want of an entry
	StatEarlyDrop                     // entries dropped to make room
	StatError                         // ICMP errors that matched no entry
	StatSearchRestart                 // lookups restarted (Linux 2.6.35 on)
	StatClashResolve                  // clashes resolved (Linux 5.10 on)
	StatChainTooLong                  // hash chains found too long (Linux 5.15 on)
	StatEntries                       // entries in the table
	StatMaxEntries                    // the table's maximum (netlink only)
	StatExpectNew                     // expectations that matched
	StatExpectCreate                  // expectations created
	StatExpectDelete                  // expectations deleted
	numStats
)

// statNames are the counters' names as conntrack -S prints them; for the
// table's count and maximum, as /proc and netlink name them.
var statNames = [numStats]string{
	StatSearched: "searched", StatFound: "found", StatNew: "new", StatInvalid: "invalid",
	StatIgnore: "ignore", StatDelete: "delete", StatDeleteList: "delete_list", StatInsert: "insert",
	StatInsertFailed: "insert_failed", StatDrop: "drop", StatEarlyDrop: "early_drop", StatError: "error",
	StatSearchRestart: "search_restart", StatClashResolve: "clash_resolve", StatChainTooLong: "chaintoolong",
	StatEntries: "entries", StatMaxEntries: "max_entries",
	StatExpectNew: "expect_new", StatExpectCreate: "expect_create", StatExpectDelete: "expect_delete",
}

// procStatNames are the names of /proc/net/stat/nf_conntrack's header where
// they differ from conntrack's.
var procStatNames = [numStats]string{StatClashResolve: "clashres", StatChainTooLong: "chainlength", StatError: "icmp_error"}

// String returns the counter's name as conntrack -S prints it.
func (s Stat) String() string {
	if s > 0 && s < numStats {
		return statNames[s]
	}
	return "stat(" + itoa(uint64(s)) + ")"
}

// MarshalText returns the counter's name.
func (s Stat) MarshalText() ([]byte, error) {
	if s == 0 || s >= numStats {
		return nil, &printError{Msg: "no counter " + s.String()}
	}
	return []byte(statNames[s]), nil
}

// UnmarshalText reads a counter's name, as conntrack -S or the header of
// /proc/net/stat/nf_conntrack print it.
func (s *Stat) UnmarshalText(b []byte) error {
	if st, ok := statByName(b); ok {
		*s = st
		return nil
	}
	return &ParseError{Col: 1, Len: len(b), Err: ErrUnknownName, Msg: "unknown counter " + quote(b), Text: string(b)}
}

// statByName returns the counter named name by conntrack or by /proc.
func statByName(name []byte) (Stat, bool) {
	for s := Stat(1); s < numStats; s++ {
		if string(name) == statNames[s] || string(name) == procStatNames[s] {
			return s, true
		}
	}
	return 0, false
}

// statName reports whether name is a counter's name, by conntrack or by /proc.
func statName(name []byte) bool {
	_, ok := statByName(name)
	return ok
}

// procName returns the counter's name in /proc/net/stat/nf_conntrack.
func (s Stat) procName() string {
	if n := procStatNames[s]; n != "" {
		return n
	}
	return statNames[s]
}

// Stats is one record of the table's counters: one CPU's, as a line of
// conntrack -S or of /proc/net/stat/nf_conntrack, or the table's, as
// conntrack -C and old conntrack -S print them. It holds the counters its
// source printed, and which those were: the source's exact column set.
type Stats struct {
	// CPU is the CPU whose counters these are, or -1 where the source names
	// none: conntrack -C's count, and the conntrack -S of conntrack 1.2 and
	// older (and of later ones on kernels without netlink statistics),
	// which lists the first line of /proc/net/stat/nf_conntrack one counter
	// a line.
	CPU int
	// Netns is the network namespace whose table the counters are of, in
	// a capture of several (as Flow.Netns); "" in a capture of one.
	Netns  string
	values [numStats]uint64
	set    uint32 // the counters printed, by bit
}

// Has reports whether s holds counter st.
func (s *Stats) Has(st Stat) bool { return st < numStats && s.set&(1<<st) != 0 }

// Value returns counter st, and whether s holds it.
func (s *Stats) Value(st Stat) (uint64, bool) {
	if !s.Has(st) {
		return 0, false
	}
	return s.values[st], true
}

// Set sets counter st to v; a Stat that names no counter is ignored.
func (s *Stats) Set(st Stat, v uint64) {
	if st > 0 && st < numStats {
		s.values[st], s.set = v, s.set|1<<st
	}
}

// All returns the counters s holds, in the order of Stat.
func (s *Stats) All() iter.Seq2[Stat, uint64] {
	return func(yield func(Stat, uint64) bool) {
		for st := Stat(1); st < numStats; st++ {
			if s.Has(st) && !yield(st, s.values[st]) {
				return
			}
		}
	}
}

// Expectations reports whether s holds expectation counters only, as
// conntrack -S expect prints them.
func (s *Stats) Expectations() bool {
	const exp = 1<<StatExpectNew | 1<<StatExpectCreate | 1<<StatExpectDelete
	return s.set != 0 && s.set&^exp == 0
}

// procColumns are the columns of /proc/net/stat/nf_conntrack, by kernel:
// before 2.6.35 without search_restart, and with names that changed in
// 5.10 (searched, clashres) and 5.15 (delete_list, chainlength). A
// column's two names share its place.
var procColumns = [...][2]Stat{
	{StatEntries}, {StatSearched, StatClashResolve}, {StatFound}, {StatNew}, {StatInvalid},
	{StatIgnore}, {StatDelete}, {StatDeleteList, StatChainTooLong}, {StatInsert},
	{StatInsertFailed}, {StatDrop}, {StatEarlyDrop}, {StatError}, {StatExpectNew},
	{StatExpectCreate}, {StatExpectDelete}, {StatSearchRestart},
}

// procSep returns the blanks before column i of /proc/net/stat/nf_conntrack,
// its header's and its lines': two after entries and before expect_new
// (column 13 in every layout), one elsewhere.
func procSep(i int) string {
	switch i {
	case 0:
		return ""
	case 1, 13:
		return "  "
	}
	return " "
}

// procSet returns the counters of a /proc/net/stat/nf_conntrack header
// whose columns are cols, in their order, or false if the kernel never
// printed such a header.
func procSet(cols []Stat) (uint32, bool) {
	if len(cols) != len(procColumns) && len(cols) != len(procColumns)-1 {
		return 0, false
	}
	var set uint32
	for i, st := range cols {
		if st != procColumns[i][0] && st != procColumns[i][1] {
			return 0, false
		}
		set |= 1 << st
	}
	return set, true
}

// statsLayout says how a record of conntrack-stats is printed.
type statsLayout uint8

const (
	statsLines statsLayout = iota // conntrack -S: "cpu=0   \tfound=0 ... "
	statsCount                    // conntrack -C: the count alone
	statsList                     // conntrack 1.2's -S: a counter a line
)

func (s *Stats) layout() statsLayout {
	switch {
	case s.CPU >= 0:
		return statsLines
	case s.set == 1<<StatEntries:
		return statsCount
	}
	return statsList
}

// parseStats parses one line of format fm into s; for a header of
// /proc/net/stat/nf_conntrack it records the columns and returns
// ErrNoRecord.
func (p *parser) parseStats(fm Format, line []byte, s *Stats) error {
	p.relaid = false
	err := p.parseStats1(fm, line, s)
	if err != nil && !errors.Is(err, ErrNoRecord) && !p.strict && p.layout().statsRelayout(fm, line) {
		err = p.parseStats1(fm, p.relay(line), s)
		p.lay.src = nil
	}
	return err
}

func (p *parser) parseStats1(fm Format, line []byte, s *Stats) error {
	p.line, p.pos, p.dir = line, 0, ""
	if fm == ProcStats {
		return p.procStats(s)
	}
	return p.conntrackStats(s)
}

// statsRelayout lays out line, a record of the table's counters that a
// paste laid out otherwise (runs of blanks, the TAB after cpu= turned into
// spaces, the trailing blank lost), as its producer prints it, into l, as
// relayout does for flows. It
// reports false when that changes nothing.
func (l *layout) statsRelayout(fm Format, line []byte) bool {
	toks := l.tokens(line)
	if len(toks) == 0 {
		return false
	}
	tok := func(k int) []byte { return line[toks[k][0]:toks[k][1]] }
	last := toks[len(toks)-1][1]
	switch {
	case fm == ProcStats:
		for k := range toks {
			for range len(procSep(k)) {
				l.pad(toks[k][0], ' ')
			}
			l.emit(line, toks[k][0], toks[k][1])
		}
		if !isHex(tok(0)) {
			break // the header
		}
		if len(toks) == len(procColumns)-1 {
			l.pad(last, ' ') // before 2.6.35
		}
	case len(toks) == 2 && !bytes.HasPrefix(tok(0), []byte("cpu=")):
		// A counter of conntrack 1.2's -S: "%-10s\t\t%-8u".
		l.emit(line, toks[0][0], toks[0][1])
		for n := len(tok(0)); n < 10; n++ {
			l.pad(toks[0][1], ' ')
		}
		l.pad(toks[0][1], '\t')
		l.pad(toks[0][1], '\t')
		l.emit(line, toks[1][0], toks[1][1])
		for n := len(tok(1)); n < 8; n++ {
			l.pad(last, ' ')
		}
	default:
		for k := range toks {
			l.emit(line, toks[k][0], toks[k][1])
			if k == 0 && bytes.HasPrefix(tok(0), []byte("cpu=")) {
				for n := len(tok(0)) - len("cpu="); n < 4; n++ {
					l.pad(toks[0][1], ' ')
				}
				l.pad(toks[0][1], '\t')
			} else if len(toks) > 1 {
				l.pad(toks[k][1], ' ') // after each counter, the last too
			}
		}
	}
	l.cols = append(l.cols, last)
	return !bytes.Equal(l.nbuf, line)
}

func isHex(t []byte) bool {
	for _, c := range t {
		if _, ok := hexDigit(c); !ok {
			return false
		}
	}
	return len(t) > 0
}

// conntrackStats parses a line of conntrack -S ("cpu=0   \tfound=0 ... "),
// of conntrack -C ("59"), or of conntrack 1.2's -S ("found     \t\t0       ").
func (p *parser) conntrackStats(s *Stats) error {
	*s = Stats{CPU: -1}
	line := p.line
	if isDigits(line) {
		n, e := parseUint(line, math.MaxUint32)
		if e != numOK {
			return p.numErr(line, 0, "entries", e, false, "a count")
		}
		s.Set(StatEntries, n)
		return nil
	}
	if listLine(line) {
		return p.statsList(s)
	}
	// "cpu=%-4u\t": a CPU of four digits or more is followed by the TAB.
	if err := p.lit("cpu="); err != nil {
		return err
	}
	start := p.pos
	end := start
	for end < len(line) && line[end] >= '0' && line[end] <= '9' {
		end++
	}
	cpu, e := parseUint(line[start:end], math.MaxInt32)
	if e != numOK {
		return p.numErr(line[start:min(max(end, start+1), len(line))], start, "cpu", e, false, "a CPU's number")
	}
	s.CPU, p.pos = int(cpu), end
	for w := end - start; w < 4; w++ {
		if err := p.lit(" "); err != nil {
			return err
		}
	}
	if err := p.lit("\t"); err != nil {
		return err
	}
	last := Stat(0)
	for p.pos < len(line) {
		start := p.pos
		eq := start
		for eq < len(line) && line[eq] != '=' && line[eq] != ' ' {
			eq++
		}
		st, ok := statByName(line[start:eq])
		if !ok || statNames[st] != string(line[start:eq]) || st >= StatEntries && st <= StatMaxEntries {
			return p.errAt(start, eq, "", ErrUnknownName, "unknown counter "+quote(line[start:eq])+" (conntrack -S prints found=, invalid=, ... expect_new=, ...)")
		}
		if st <= last {
			return p.errAt(start, eq, st.String(), ErrOrder, st.String()+" after "+last.String()+": conntrack -S prints the counters in the kernel's order")
		}
		if eq == len(line) {
			return p.errAt(eq, eq, st.String(), ErrMissing, "line ends after "+quote(line[start:eq])+" (truncated line?)")
		}
		p.pos = eq + 1
		end := p.tokenEnd(p.pos)
		n, e := parseUint(line[p.pos:end], math.MaxUint32)
		if e != numOK {
			return p.numErr(line[p.pos:end], p.pos, st.String(), e, false, "0 to 4294967295")
		}
		s.Set(st, n)
		last = st
		// Every counter ends with a space, the last too.
		if p.pos = end; p.pos == len(line) || line[p.pos] != ' ' {
			return p.errAt(p.pos, p.pos, st.String(), ErrSyntax, "expected a space after each counter, the last too")
		}
		p.pos++
		if p.pos < len(line) && line[p.pos] == ' ' {
			return p.errAt(p.pos, p.pos+1, "", ErrSyntax, "two spaces in a row")
		}
	}
	if last == 0 {
		return p.errAt(p.pos, p.pos, "", ErrMissing, "no counters after the CPU (truncated line?)")
	}
	return nil
}

// listLine reports whether line is laid out as a line of conntrack -S
// 1.2 and older: a counter's name, blanks, two TABs.
func listLine(line []byte) bool {
	end := bytes.IndexAny(line, " \t")
	if end <= 0 {
		return false
	}
	_, ok := statByName(line[:end])
	return ok && bytes.HasPrefix(bytes.TrimLeft(line[end:], " "), []byte("\t\t"))
}

// statsList parses a line of conntrack 1.2's -S: a counter of the
// first line of /proc/net/stat/nf_conntrack, "%-10s\t\t%-8u", named as
// /proc names it.
func (p *parser) statsList(s *Stats) error {
	line := p.line
	end := bytes.IndexAny(line, " \t")
	st, ok := statByName(line[:end])
	if !ok || st.procName() != string(line[:end]) || st == StatMaxEntries {
		return p.errAt(0, end, "", ErrUnknownName, "unknown counter "+quote(line[:end])+" (want a column of /proc/net/stat/nf_conntrack)")
	}
	p.pos = end
	for w := end; w < 10; w++ {
		if err := p.lit(" "); err != nil {
			return err
		}
	}
	if err := p.lit("\t\t"); err != nil {
		return err
	}
	start := p.pos
	end = p.tokenEnd(start)
	n, e := parseUint(line[start:end], math.MaxUint32)
	if e != numOK {
		return p.numErr(line[start:end], start, st.String(), e, false, "0 to 4294967295")
	}
	for w := end - start; w < 8; w++ {
		if end == len(line) || line[end] != ' ' {
			return p.errAt(end, end, st.String(), ErrSyntax, "expected the value padded to 8 columns with spaces")
		}
		end++
	}
	if end != len(line) {
		return p.errAt(end, len(line), "", ErrSyntax, "unexpected "+quote(line[end:])+" after the value")
	}
	s.Set(st, n)
	return nil
}

// statsHead is what the last header of /proc/net/stat/nf_conntrack said,
// for the lines after it.
type statsHead struct {
	cols uint32 // its counters
	cpu  int    // the CPU of the next line
}

// procStats parses a line of /proc/net/stat/nf_conntrack: the header,
// whose columns it keeps for the lines after it, or one CPU's line of
// "%08x" columns.
func (p *parser) procStats(s *Stats) error {
	line := p.line
	if !isHex(line[:p.tokenEnd(0)]) {
		return p.procHeader()
	}
	if p.head.cols == 0 {
		return p.errAt(0, p.tokenEnd(0), "", ErrMissing, "a line of counters before the header (entries  searched found ...)")
	}
	*s = Stats{CPU: p.head.cpu}
	cols := procLayout(p.head.cols)
	for i, st := range cols {
		if err := p.lit(procSep(i)); err != nil {
			return err
		}
		start := p.pos
		end := p.tokenEnd(start)
		if end-start < 8 {
			return p.errAt(start, end, st.procName(), ErrSyntax, "expected 8 hex digits or more, found "+quote(line[start:end]))
		}
		var n uint64
		for _, c := range line[start:end] {
			d, ok := hexDigit(c)
			if !ok || n > math.MaxUint32>>4 {
				return p.errAt(start, end, st.procName(), ErrSyntax, "malformed counter "+quote(line[start:end])+" (want %08x)")
			}
			n = n<<4 | uint64(d)
		}
		if end-start > 8 && line[start] == '0' {
			return p.errAt(start, end, st.procName(), ErrSyntax, "a counter of more than 8 digits with a leading zero")
		}
		s.Set(st, n)
		p.pos = end
	}
	// Kernels before 2.6.35 end the line with a blank.
	if p.head.cols&(1<<StatSearchRestart) == 0 {
		if err := p.lit(" "); err != nil {
			return err
		}
	}
	if p.pos != len(line) {
		return p.errAt(p.pos, len(line), "", ErrSyntax, "unexpected "+quote(line[p.pos:])+" after the last column")
	}
	p.head.cpu++
	return nil
}

// procHeader parses the header of /proc/net/stat/nf_conntrack and keeps
// its columns; a header starts the CPUs' lines over.
func (p *parser) procHeader() error {
	var cols [len(procColumns)]Stat
	n := 0
	line := p.line
	for p.pos < len(line) && n < len(cols) {
		if err := p.lit(procSep(n)); err != nil {
			return p.errAt(p.pos, p.pos+1, "header", ErrSyntax, "the header's blanks are not the kernel's (two after entries and before expect_new, one elsewhere)")
		}
		end := p.tokenEnd(p.pos)
		st, ok := statByName(line[p.pos:end])
		if !ok || st.procName() != string(line[p.pos:end]) {
			return p.errAt(p.pos, end, "header", ErrUnknownName, "unknown column "+quote(line[p.pos:end])+" in the header")
		}
		cols[n], p.pos = st, end
		n++
	}
	set, ok := procSet(cols[:n])
	if !ok || p.pos != len(line) {
		return p.errAt(0, len(line), "header", ErrSyntax, "not a header of /proc/net/stat/nf_conntrack that a kernel printed")
	}
	p.head.cols, p.head.cpu = set, 0
	return &ParseError{Col: 1, Len: len(line), Err: ErrNoRecord, Msg: "the header of /proc/net/stat/nf_conntrack, not a record", Text: string(line)}
}

// procLayout returns the columns of /proc/net/stat/nf_conntrack with the
// counters set, in their order.
func procLayout(set uint32) []Stat {
	var cols [len(procColumns)]Stat
	n := 0
	for _, c := range procColumns {
		for _, st := range c {
			if st != 0 && set&(1<<st) != 0 {
				cols[n] = st
				n++
				break
			}
		}
	}
	return cols[:n]
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// appendProcHeader appends the header of /proc/net/stat/nf_conntrack with
// the counters of set, and its newline.
func appendProcHeader(dst []byte, set uint32) []byte {
	for i, st := range procLayout(set) {
		dst = append(dst, procSep(i)...)
		dst = append(dst, st.procName()...)
	}
	return append(dst, '\n')
}

// appendStats appends s as a record of format fm with its newline(s).
func appendStats(dst []byte, s *Stats, fm Format) ([]byte, error) {
	if s.set == 0 {
		return dst, &printError{Format: fm, Msg: "no counters"}
	}
	if fm == ProcStats {
		cols := procLayout(s.set)
		if set, ok := procSet(cols); !ok || set != s.set {
			return dst, &printError{Format: fm, Msg: "the counters are not the columns of a /proc/net/stat/nf_conntrack (it has entries and every counter but max_entries, in one kernel's names)"}
		}
		for i, st := range cols {
			dst = append(dst, procSep(i)...)
			dst = appendHex8(dst, s.values[st])
		}
		if s.set&(1<<StatSearchRestart) == 0 {
			dst = append(dst, ' ')
		}
		return append(dst, '\n'), nil
	}
	switch s.layout() {
	case statsCount:
		return append(appendUint(dst, s.values[StatEntries]), '\n'), nil
	case statsList:
		if s.Has(StatMaxEntries) {
			return dst, &printError{Format: fm, Msg: "conntrack 1.2's -S lists no " + StatMaxEntries.String()}
		}
		for _, st := range procLayout(s.set) {
			v := s.values[st]
			start := len(dst)
			dst = append(dst, st.procName()...)
			for len(dst)-start < 10 {
				dst = append(dst, ' ')
			}
			dst = append(dst, "\t\t"...)
			start = len(dst)
			dst = appendUint(dst, v)
			for len(dst)-start < 8 {
				dst = append(dst, ' ')
			}
			dst = append(dst, '\n')
		}
		return dst, nil
	}
	dst = append(dst, "cpu="...)
	start := len(dst)
	dst = appendUint(dst, uint64(s.CPU))
	for len(dst)-start < 4 {
		dst = append(dst, ' ')
	}
	dst = append(dst, '\t')
	for st, v := range s.All() {
		if st >= StatEntries && st <= StatMaxEntries {
			return dst, &printError{Format: fm, Msg: "conntrack -S prints no " + st.String() + " in a CPU's line"}
		}
		dst = append(dst, statNames[st]...)
		dst = append(dst, '=')
		dst = appendUint(dst, v)
		dst = append(dst, ' ')
	}
	return append(dst, '\n'), nil
}

func appendHex8(dst []byte, v uint64) []byte {
	const hex = "0123456789abcdef"
	n := 8
	for v>>(4*n) != 0 {
		n++
	}
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, hex[v>>(4*i)&15])
	}
	return dst
}
