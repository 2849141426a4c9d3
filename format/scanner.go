package format

import (
	"bytes"
	"errors"
	"io"
	"iter"
)

// DefaultMaxLine is the longest line a Scanner accepts unless told
// otherwise. conntrack cuts its lines at 4095 bytes and the kernel's longest
// lines, with a long security context, stay well below this.
const DefaultMaxLine = 64 << 10

const readSize = 64 << 10

// Scanner reads the records of a stream, one line at a time, into a record
// of its own that each iteration overwrites:
//
//	sc, err := format.NewScanner(r, format.Dialect{Format: format.Auto})
//	...
//	for f, err := range sc.Flows() {
//		if err != nil {
//			return err
//		}
//		// use f
//	}
//
// A bad line yields its *ParseError, and a loop that goes on after it
// skips the line. Its memory is bounded by the longest line it accepts
// plus a 64 KiB read buffer (WithWorkers: by the chunks it reads ahead),
// and its results do not depend on how the reader splits the stream.
type Scanner struct {
	r      io.Reader
	given  Format // the format NewScanner was given
	format Format
	// twin: the format given is of flows, and the input may hold its
	// producer's expectations instead, which detect looks for.
	twin    bool
	name    string
	maxLine int
	idle    func() // WithIdle's

	buf        []byte
	start, end int // unread bytes are buf[start:end]
	eof        bool
	short      bool  // the last Read gave less than asked: the input may pause there
	rerr       error // the reader's error, given with bytes not read yet
	line       []byte
	long       int // the length of the last line too long to read
	lineNo     int
	err        error
	ps         lineParser
	dec        *decoder
	tally
	cr       bool   // the last line ended with CR LF
	join     []byte // a record joined from several lines, or a quoted line without its markers
	segs     []seg  // where join's bytes come from; empty for a record of one line, but a quoted one
	phys     []byte // the whole lines that join was made of, for errors
	rejoined bool   // the record's lines were laid out anew: joined, unquoted, or a byte-order mark dropped
	xw       xmlWindow
	mixed    mixed // records of the other kind passed over (older.go)

	own struct {
		f  Flow
		e  Expect
		st Stats
	} // where the iterators read to
	ahead   *aheadState // FlowsAhead's, once called
	pending *ParseError // the bad line the iterator yields next
	flows   []Flow      // where EachFlow reads to

	workers int  // WithWorkers's
	chunk   int  // the size of the chunks a parallel scan parses; 0 for its default
	par     *par // the parallel scan under way (parallel.go)
	bounded bool // the input is a chunk of a larger one (parallel.go)
	open    bool // and the line after the chunk was not read when it was cut
	top     bool // next reads the first line of a record
	past    bool // a record read on past the end of the chunk
	// notFirst: the chunk is not the input's first, though its line
	// numbers may count from its start.
	notFirst bool
}

// A tally counts what a Scanner has read so far besides its records.
type tally struct {
	skipped    int
	unknown    int
	normalized int
	messages   int
	blank      int
	notRecords int
	lines      int  // lines read
	lf         bool // a line ended with LF alone
	footer     bool // an XML document's footer was read
}

// add adds u, of the input after t's, to t.
func (t *tally) add(u tally) {
	t.skipped += u.skipped
	t.unknown += u.unknown
	t.normalized += u.normalized
	t.messages += u.messages
	t.blank += u.blank
	t.notRecords += u.notRecords
	t.lines += u.lines
	t.lf = t.lf || u.lf
	t.footer = t.footer || u.footer
}

// A seg is a piece of a joined record: join[at:at+n] is the bytes
// [col:col+n] of line number line, which is phys[text:text+size].
type seg struct{ at, n, line, col, text, size int }

// A ScanOption configures a Scanner.
type ScanOption func(*Scanner) error

// WithName sets the input's name that errors report, usually a file name.
func WithName(name string) ScanOption {
	return func(s *Scanner) error { s.name = name; return nil }
}

// WithDecoder makes the Scanner read a line-based encoding that is not one
// of this package's formats, such as JSON Lines (see package codec): it
// decodes each line with flow, or with expect when it reads expectations.
// Their errors should be *ParseError, which the Scanner gives the line's
// position. Where a line it rejects starts with JSON's { [ , or ], the
// Scanner reads it as JSON laid out again, but WithStrict: objects over
// many lines, in an array, several on a line, each decoded whole.
func WithDecoder(flow func(line []byte, f *Flow) error, expect func(line []byte, e *Expect) error) ScanOption {
	return func(s *Scanner) error { s.dec = &decoder{flow, expect}; return nil }
}

// A decoder decodes the records of a line-based encoding.
type decoder struct {
	flow   func(line []byte, f *Flow) error
	expect func(line []byte, e *Expect) error
}

// WithIdle makes the Scanner call idle, on the goroutine of the loop over
// its records, when it has handed out the records of all it has read and
// is about to wait for an input that paused: a pipe, a socket, a terminal
// whose last read gave less than asked, as conntrack -E gives its events.
// A loop that hands records on in batches hands on what it has there, and
// one that writes them to a buffer flushes it, so that the records of a
// live stream come out as they come in, not when more come. A file's
// reads give all that is asked but the last: idle comes at most there.
func WithIdle(idle func()) ScanOption {
	return func(s *Scanner) error { s.idle = idle; return nil }
}

// WithMaxLine sets the longest line, in bytes without its newline, that the
// Scanner accepts; longer lines are errors wrapping ErrLineTooLong. The
// default is DefaultMaxLine.
func WithMaxLine(n int) ScanOption {
	return func(s *Scanner) error {
		if n < 1 || n > 1<<30 {
			return errors.New("format: WithMaxLine: want 1 to 2^30 bytes")
		}
		s.maxLine = n
		return nil
	}
}

// NewScanner returns a Scanner that reads records of d's format from r,
// with d's Location and Strict. Given Auto, it detects the format from the
// first lines; given a format of flows, it reads the expectations of the
// same producer (Format.ForExpectations) where the first lines are those,
// so that one name reads what a producer lists of either kind.
func NewScanner(r io.Reader, d Dialect, opts ...ScanOption) (*Scanner, error) {
	if d.Format != Auto && !d.Format.parses() {
		return nil, errors.New("format: NewScanner: cannot parse format " + d.Format.String())
	}
	s := &Scanner{r: r, given: d.Format, format: d.Format, twin: hasTwin(d.Format), maxLine: DefaultMaxLine}
	s.ps.Dialect = Dialect{Location: d.Location, Strict: d.Strict}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// hasTwin reports whether f is a format of flows whose producer prints
// expectations in a format of their own.
func hasTwin(f Format) bool { t := f.ForExpectations(); return t != Auto && t != f }

// Flows returns an iterator over the flows of the input, read into a Flow
// of the Scanner's that the next iteration overwrites (copy it to keep it),
// so that reading allocates nothing per line:
//
//	for f, err := range sc.Flows() {
//		if err != nil {
//			return err // or log it and go on: see below
//		}
//		// use f
//	}
//
// A bad line yields its *ParseError, and the iteration goes on with the
// next line if the loop does; any other error, such as the reader's, ends
// it. Flows, Expects and Stats read the same input: call the one that fits
// its format (see Detect).
func (s *Scanner) Flows() iter.Seq2[*Flow, error] { return scanAll(s, &s.own.f, nil) }

// FlowsAhead returns an iterator over the flows of s as s.Flows does,
// having run work on each batch of them first where it was read, each
// flow with what work made of its batch: with WithWorkers, work runs on
// the worker that parsed the batch, while the loop takes the batches
// before, so that what can be made of each flow on its own is made on
// every core, from the caches of the core that parsed it, and the loop
// does in order only what must be done in order.
//
// made is the batch's own: what work left in it when the batch was read
// before (batches are read again, into the same memory), the zero M at
// first, so that work makes its results once and reuses them. worker is
// the number of the goroutine that runs work, below s.Workers()+1, and
// each run on one worker comes after its last. The loop's goroutine is
// worker s.Workers(): it runs work on the batches that were read before
// the loop began, and on each flow alone where the Scanner reads on
// alone, as it does without workers. Once the loop ends, work runs no
// more: the loop waits for the workers that run it. A panic of work is
// raised by the loop, as a panic of the Reader is. work may run on flows
// that the Scanner discards and reads again, where a record ran on past
// its chunk: it must change nothing but made.
func FlowsAhead[M any](s *Scanner, work func(worker int, flows []Flow, made *M)) iter.Seq2[Ahead[M], error] {
	return func(yield func(Ahead[M], error) bool) {
		if s.ahead == nil {
			s.ahead = new(aheadState)
		}
		run := func(worker int, flows []Flow, made *any) {
			m, _ := (*made).(*M) // or what a loop of another M left
			if m == nil {
				m = new(M)
				*made = m
			}
			work(worker, flows, m)
		}
		for f, err := range scanAll(s, &s.ahead.one[0], run) {
			var a Ahead[M]
			if err == nil {
				a = Ahead[M]{Flow: f, Made: s.ahead.made.(*M), Index: s.ahead.at}
			}
			if !yield(a, err) {
				return
			}
		}
	}
}

// Ahead is a flow that FlowsAhead hands out, valid until the next
// iteration, with what its work made of the flow's batch, and the flow's
// index in the batch's flows that work was given.
type Ahead[M any] struct {
	Flow  *Flow
	Made  *M
	Index int
}

// aheadState is what FlowsAhead keeps, apart from the Scanner, whose
// other iterators do not use it: what work made of the batch of the flow
// handed out last, and its index in it, and where the Scanner reads
// alone, the batch of one flow that it reads to and what work made of it.
type aheadState struct {
	made    any
	at      int
	one     [1]Flow
	oneMade any
}

// Expects returns an iterator over the expectations of the input, from a
// stream of one of the expectation formats; see Flows.
func (s *Scanner) Expects() iter.Seq2[*Expect, error] { return scanAll(s, &s.own.e, nil) }

// Stats returns an iterator over the records of the table's counters, from
// a stream of ConntrackStats or ProcStats; see Flows. The header of
// /proc/net/stat/nf_conntrack is not a record: it says what the lines after
// it hold. The lines of conntrack 1.2's -S, a counter a line, are one
// record.
func (s *Scanner) Stats() iter.Seq2[*Stats, error] { return scanAll(s, &s.own.st, nil) }

// EachFlow reads the flows of the input and hands them to each, in
// batches, where they are read: with WithWorkers(n), on n goroutines at
// once and in no order, so that a count or a sum of a large table takes
// every core without moving each flow to the core of the loop. worker is
// the number of the goroutine that calls each, below the Scanner's
// Workers, and each call of one worker comes after its last, so that each
// can add to a slot of its own without locks; flows are valid only during
// the call. The iterator yields, on the caller's goroutine and in the
// order of the input, what Flows yields besides flows: each bad line's
// *ParseError, after which the loop may go on, and an error that ends the
// input.
//
//	counts := make([]struct{ n int; _ [56]byte }, sc.Workers())
//	for err := range sc.EachFlow(func(w int, flows []format.Flow) {
//		counts[w].n += len(flows)
//	}) {
//		// a bad line, or an error that ended the input
//	}
//
// Once the loop ends, each is called no more. By the time a bad line is
// yielded, every flow before it has been handed to each, and some after
// it may have been. A loop that stops ends the reading: the Scanner reads
// no more of the input. A panic of each is raised by the loop, and each is
// called no more.
func (s *Scanner) EachFlow(each func(worker int, flows []Flow)) iter.Seq[error] {
	return func(yield func(error) bool) {
		if s.parallel(kindFlow, each) {
			// A loop that ends by a panic, of its body or raised from a
			// worker, or by runtime.Goexit, stops the workers too.
			defer func() {
				if p := s.par; p != nil && !p.over {
					s.stopEach()
					s.finish()
				}
			}()
			for {
				b, it := s.nextItem()
				if it == nil {
					break // read on alone
				}
				if it.err == nil { // a batch read for Flows, which a loop left
					each(0, b.flows[it.rec:it.rec+1])
				} else if !yield(it.err) {
					s.stopEach()
					s.finish()
					return
				}
			}
		}
		n := 0
		hand := func() {
			if n > 0 {
				each(0, s.flows[:n])
				n = 0
			}
		}
		for {
			if n == len(s.flows) {
				if n < eachBatch {
					s.flows = append(s.flows, Flow{})
				} else {
					hand()
				}
			}
			if s.scan(rec{f: &s.flows[n]}) {
				n++
				continue
			}
			hand()
			err := s.err
			if s.pending != nil {
				err, s.pending = s.pending, nil
			}
			if err == nil {
				return
			}
			if !yield(err) {
				s.finish()
				return
			}
			if err == s.err {
				return
			}
		}
	}
}

// eachBatch is the flows that EachFlow hands out at once where it reads on
// one goroutine.
const eachBatch = 64

// Workers returns the goroutines that read the input at once: WithWorkers's
// n, or 1, as with a WithDecoder, whose records are read in order.
func (s *Scanner) Workers() int {
	if s.dec != nil {
		return 1
	}
	return max(s.workers, 1)
}

// finish makes the Scanner read no more of its input: neither its
// buffer nor the rest of an XML line with records still to read.
func (s *Scanner) finish() {
	s.start, s.end, s.eof, s.rerr = 0, 0, true, nil
	s.xw.src, s.xw.pos, s.xw.back = s.xw.src[:0], 0, 0
}

// scanAll iterates over the records that s reads into r.
func scanAll[T Flow | Expect | Stats](s *Scanner, r *T, work func(int, []Flow, *any)) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		var to rec
		switch r := any(r).(type) {
		case *Flow:
			to.f = r
		case *Expect:
			to.e = r
		case *Stats:
			to.st = r
		}
		var w *ahead // this loop's work
		if work != nil {
			w = &ahead{run: work}
			defer func() { s.ahead.made = nil }()
		}
		if s.parallel(to.kind(), nil) {
			if w != nil {
				s.par.startWork(w)
				defer s.par.stopWork()
			}
			for {
				b, it := s.nextItem()
				if it == nil {
					break // read on alone
				}
				var ok bool
				if it.err != nil {
					ok = yield(nil, it.err)
				} else {
					if w != nil {
						s.madeOf(b, it.rec, w)
					}
					ok = yield(recAt[T](b, it.rec), nil)
				}
				if !ok {
					return
				}
			}
		}
		for {
			if s.scan(to) {
				if w != nil {
					a := s.ahead
					w.run(s.Workers(), a.one[:], &a.oneMade)
					a.made, a.at = a.oneMade, 0
				}
				if !yield(r, nil) {
					return
				}
				continue
			}
			err := s.err
			if s.pending != nil {
				err, s.pending = s.pending, nil
			}
			if err == nil || !yield(nil, err) || err == s.err {
				return
			}
		}
	}
}

// Reset makes s read r, from its start, as the Scanner NewScanner made:
// with the same Dialect and options, but keeping the buffers and strings it
// made, so that reading many inputs one after another does not make them
// again. A parallel scan (WithWorkers) under way stops reading the
// input before: Reset waits for its Read in progress to return, which on
// a live stream with nothing to give is when the stream gives more.
func (s *Scanner) Reset(r io.Reader) {
	if s.par != nil && !s.par.over {
		s.par.end()
	}
	p := &s.ps.p
	ps := lineParser{Dialect: s.ps.Dialect, in: s.ps.in, canon: s.ps.canon}
	ps.p = parser{cursor: cursor{lay: p.lay}, xbuf: p.xbuf[:0]}
	*s = Scanner{r: r, given: s.given, format: s.given, twin: hasTwin(s.given), name: s.name,
		maxLine: s.maxLine, dec: s.dec, workers: s.workers, chunk: s.chunk, buf: s.buf, ps: ps, join: s.join[:0], segs: s.segs[:0], phys: s.phys[:0]}
}

// A rec is where a Scanner reads a record to: one of its fields is set.
type rec struct {
	f  *Flow
	e  *Expect
	st *Stats
}

// setQuirk sets q in the record's quirks.
func (r rec) setQuirk(q Quirks) {
	switch {
	case r.f != nil:
		r.f.Quirks |= q
	case r.e != nil:
		r.e.Quirks |= q
	}
}

// extras returns the number of tokens the record holds that its parser
// did not know.
func (r rec) extras() int {
	if r.f != nil {
		return r.f.Extras.Len()
	}
	return 0
}

func (r rec) kind() kind {
	switch {
	case r.e != nil:
		return kindExpect
	case r.st != nil:
		return kindStats
	}
	return kindFlow
}

// scan reads the next record into r.
func (s *Scanner) scan(r rec) bool {
	f, e, expect := r.f, r.e, r.e != nil
	line, ok := s.next(r.kind())
	for ok {
		perr := s.lineErr(line)
		if perr == nil {
			var err error
			if line, err = s.parseWrapped(line, r); err != nil {
				perr = asParseError(err, line)
				if s.passOver(line, expect, &perr) || r.st != nil && errors.Is(err, ErrNoRecord) {
					line, ok = s.next(r.kind())
					continue
				}
				if s.xmlTolerant() {
					var got bool
					if got, perr = s.xmlScan(line, f, e); !got && perr == nil {
						line, ok = s.next(r.kind())
						continue
					}
				} else if s.jsonLaidOut(line) {
					var got bool
					if got, perr = s.jsonScan(line, r); !got && perr == nil {
						line, ok = s.next(r.kind())
						continue
					}
				}
			} else if s.ps.rewritten {
				s.ps.rewritten = false
				s.normalized++
			} else if s.dec != nil && s.xw.back > 0 { // an object after another on its line
				s.normalized++
			}
			if perr == nil && r.st != nil {
				s.count() // before statsList parses the lines after it
				if s.format == ConntrackStats && r.st.CPU < 0 && !isDigits(bytes.TrimSpace(line)) {
					s.statsList(r.st)
				}
			} else if perr == nil {
				var q *Quirks
				if expect {
					q = &e.Quirks
				} else {
					q = &f.Quirks
					if f.Extras.s != "" {
						s.unknown += f.Extras.Len()
					}
				}
				if s.cr && s.dec == nil {
					*q |= QuirkCRLF
				}
				s.count()
			}
		}
		if perr == nil {
			return true
		}
		s.bad(perr)
		return false
	}
	return false
}

// parse reads line into r.
func (s *Scanner) parse(line []byte, r rec) error {
	switch {
	case s.dec != nil && r.st != nil:
		return &ParseError{Col: 1, Len: len(line), Err: ErrSyntax, Msg: "the decoder reads flows and expectations, not the table's counters", Text: string(line)}
	case s.dec != nil && r.e != nil:
		return s.dec.expect(line, r.e)
	case s.dec != nil:
		return s.dec.flow(line, r.f)
	}
	s.ps.Format = s.format
	switch {
	case r.e != nil:
		return s.ps.ParseExpect(line, r.e)
	case r.st != nil:
		return s.ps.ParseStats(line, r.st)
	}
	return s.ps.Parse(line, r.f)
}

// statsList joins to st, a line of conntrack 1.2's -S (a counter a line),
// the lines after it that list the other counters of its block.
func (s *Scanner) statsList(st *Stats) {
	var next Stats
	for {
		line, ok := s.peekLine()
		if !ok || isDigits(bytes.TrimSpace(line)) || s.ps.ParseStats(line, &next) != nil || next.CPU >= 0 || st.set&next.set != 0 {
			return
		}
		s.physLine()
		for k, v := range next.All() {
			st.Set(k, v)
		}
	}
}

// parseWrapped parses line into f or e, joining to it the lines that
// continue it where a document wrapped the record without a backslash, as
// a PDF re-typesets it. A line continues the record if it starts with a
// key (dport=22, use=2) or a flag ([UNREPLIED]), which no record starts
// with. Such a line joins a record cut short, and one that reads whole
// where it reads with the line too (a paste wrapped before "mark=0
// use=1"); and so does the next, unless the record read before and no
// longer reads with it, nor with the lines after it that continue it (004
// of testdata/pasted ends a record in "[ASSURED]" and "use=2" on the next
// line). It returns the line it parsed last.
func (s *Scanner) parseWrapped(line []byte, r rec) ([]byte, error) {
	err := s.parse(line, r)
	if s.ps.Strict || s.dec != nil || s.format.root() != "" {
		return line, err
	}
	// A record whole on its line takes after it only lines wrapped without
	// a backslash, and only what its parser knows: a line of unknown keys
	// after it is no part of it.
	whole, extras := false, 0
	if len(s.segs) == 0 {
		switch {
		case err != nil && cutShort(err, line):
		case err == nil && r.st == nil && !s.format.endsInUse(): // not a counter's line, nor one of /proc's, which ends in use=
			if yes, unknown := s.wrapsOn(); !yes && !unknown {
				return line, err
			}
			whole, extras = true, r.extras()
		default:
			return line, err
		}
		s.startJoin(line, 0, len(line)) // line is in the read buffer, which peeking moves
	}
	for {
		next, ok := s.peekLine()
		if !ok || !continues(next) || len(s.join)+1+len(next) > s.maxLine || whole && continuation(next) >= 0 {
			break
		}
		n, segs, phys := len(s.join), len(s.segs), len(s.phys)
		s.join = wrapBlank(s.join)
		s.lineNo++
		joined := s.joinLine(next, lead(next))
		s.lineNo--
		if continuation(joined) >= 0 {
			// The wrapped line goes on with a backslash: join what it
			// continues, as a record's first line would. The lines are
			// read: a record that does not read with them is a bad one.
			s.physLine()
			if joined = s.continued(joined); joined == nil {
				return line, err // too long to read
			}
			s.line, s.rejoined = s.join, true
			line, err = joined, s.parse(joined, r)
			continue
		}
		perr := s.parse(joined, r)
		if err == nil && (whole && (perr != nil || r.extras() != extras) || !whole && perr != nil && !s.readsAgain(joined, r)) { // the record read without the line
			s.join, s.segs, s.phys = s.join[:n], s.segs[:segs], s.phys[:phys]
			s.line = s.join
			err = s.parse(s.join, r)
			break
		}
		s.physLine() // the line peeked, now joined
		s.line, s.rejoined = s.join, true
		line, err = joined, perr
	}
	s.ownLine()
	return s.join, err
}

// wrapsOn reports whether the line after a record that read whole may
// continue it: whether its first token does (continues). It decides on the
// bytes read so far; where they end before the token does, it must read
// on to know (unknown), unless they end with the record's line and the
// last Read gave less than asked: the input may pause there, as a live
// stream does between records, and it says no, so that no record is held
// back until the next comes.
func (s *Scanner) wrapsOn() (yes, unknown bool) {
	rest := s.buf[s.start:s.end]
	rest = rest[lead(rest):]
	tok := firstToken(rest)
	if len(tok) == len(rest) && !s.eof { // the token may go on past the bytes read
		return false, s.start < s.end || !s.short
	}
	return continues(bytes.TrimSuffix(tok, []byte("\r"))), false
}

// readsAgain reports whether joined, a record that read before the line
// peeked last joined it and does not read with it, reads again with lines
// after that one that continue it joined too, as a record whose unknown
// word (kept in Extras) was wrapped to the end of a line reads only with
// the key after it. It looks at the lines without reading them.
func (s *Scanner) readsAgain(joined []byte, r rec) bool {
	_, off, _, _ := s.lineAt(0) // the line joined last
	// joined is s.join, whose bytes past its length are free to build on.
	for off > 0 {
		line, next, ok, err := s.lineAt(off)
		// A reader's error comes again when the line is read.
		if err != nil || !ok || !continues(line) || continuation(line) >= 0 || len(joined)+1+len(line) > s.maxLine {
			return false
		}
		joined = append(wrapBlank(joined), line[lead(line):]...)
		if s.parse(joined, r) == nil {
			return true
		}
		off = next
	}
	return false
}

// wrapBlank appends to b, a record that a line wrapped without a backslash
// continues, the blank the wrap replaced, unless b ends with the blank,
// which the line kept.
func wrapBlank(b []byte) []byte {
	if c := b[len(b)-1]; c == ' ' || c == '\t' {
		return b
	}
	return append(b, ' ')
}

// cutShort reports whether err says that line ends where the record goes
// on: it is placed past the line's last token, or at it, as a vendor's
// bare word that ends a line is (parser.unknown).
func cutShort(err error, line []byte) bool {
	pe, ok := err.(*ParseError)
	line = bytes.TrimRight(line, " \t")
	return ok && pe.Col > bytes.LastIndexAny(line, " \t")+1
}

// continues reports whether line, a line after a record, can only be the
// rest of it: its first token, after any quote markers, is a key=value or
// a [FLAG] other than an event type, and not the proto= that starts
// conntrackd's expectations.
// It runs after most records that read whole (wrapsOn), so it scans by
// hand.
func continues(line []byte) bool {
	tok := firstToken(line[lead(line):])
	if len(tok) > 2 && tok[0] == '[' && tok[len(tok)-1] == ']' && 'A' <= tok[1] && tok[1] <= 'Z' {
		switch string(tok) {
		case "[NEW]", "[UPDATE]", "[DESTROY]":
			return false
		}
		return true
	}
	return isKV(tok) && !kProto.match(tok)
}

// firstToken returns the token that b starts with: up to a blank or a
// line end.
func firstToken(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' {
		i++
	}
	return b[:i]
}

// next returns the next line that may hold a record: it skips the framing
// of XML documents and conntrack's stderr messages, and joins a record that
// such a message cut in two, or that a backslash at the end of a line
// continues on the next (unless strict). A nil line is one that was too
// long.
func (s *Scanner) next(k kind) ([]byte, bool) {
	if (s.format == Auto || s.twin) && s.dec == nil && !s.detect() {
		return nil, false
	}
	if s.err == nil && s.format != Auto && s.format.kind() != k {
		s.err = errors.New("format: the input (" + s.format.String() + ") holds " + kindNames[s.format.kind()] + "; read it with Flows for flows, Expects for expectations, Stats for the table's counters")
	}
	for s.err == nil {
		s.xw.back = 0          // the rest handed out last, if any, was read
		if len(s.xw.src) > 0 { // a line shared by XML records
			if rest, ok := s.xmlRest(); ok {
				return rest, true
			}
		}
		s.segs, s.rejoined = s.segs[:0], false
		s.top = true
		line, ok := s.physLine()
		s.top = false
		if !ok {
			return nil, false
		}
		if line != nil && blank(line) {
			s.blank++ // a table pasted with an empty line around it
			continue
		}
		if len(line) > 0 && line[0] == '>' && s.quotes(line) > 0 {
			if line = s.unquote(line); line == nil {
				s.blank++ // a quoted one
				continue
			}
		}
		if root := s.format.root(); line != nil && root != "" {
			if framing, footer := xmlFraming(line, root); framing {
				s.footer = s.footer || footer
				continue
			}
		}
		// conntrack's messages, in any text format: pastes of /proc's and
		// conntrack's layouts, which read alike, have them too; but only
		// conntrack's own formats have them in the middle of a line.
		cut := false // by a message of conntrack's
		if line != nil && s.dec == nil && (s.format.byConntrack() || mayBeMessage(line)) {
			if i := conntrackMessage(line); i == 0 {
				s.messages++
				continue
			} else if i > 0 && !s.ps.Strict && (blank(line[:i]) || notRecord(line[:i])) {
				s.messages++ // indented, or after ^C, as conntrack -E prints it when interrupted
				continue
			} else if i > 0 && s.format.byConntrack() {
				// conntrack's stderr cut a record: the rest is on the next line.
				s.messages++
				if len(s.segs) == 0 {
					s.startJoin(line, 0, i)
				} else { // a quoted line (unquote): its join ends at the message
					s.join, s.segs[0].n = s.join[:i], i
				}
				switch next, ok := s.physLine(); {
				case !ok: // the input ends in the message: the record is cut
					s.ownLine()
					line = s.join
				case next == nil:
					s.segs, line = s.segs[:0], nil // too long to read
				default:
					line, cut = s.joinLine(next, s.quotes(next)), true
				}
			}
		}
		if line != nil && s.dec == nil && !s.ps.Strict {
			if !cut && notRecord(line) {
				s.notRecords++ // a prompt, ^C, a fence: see notRecord
				continue
			}
			line = s.continued(line)
		}
		return line, true
	}
	return nil, false
}

var utf8BOM = []byte("\xef\xbb\xbf")

// physLine reads the next line of the input, without its line end, and
// counts it. A nil line is one that was too long; false means the end of
// the input, or an error, which s.err then holds.
func (s *Scanner) physLine() ([]byte, bool) {
	line, err := s.readLine()
	if err != nil {
		if err != io.EOF {
			s.err = err
		}
		s.past = s.past || s.bounded && !s.top
		return nil, false
	}
	s.lineNo++
	// A byte-order mark, as Windows editors save a paste.
	if s.lineNo == 1 && !s.notFirst && !s.ps.Strict && bytes.HasPrefix(line, utf8BOM) {
		line, s.rejoined = line[len(utf8BOM):], true
	}
	// Windows line ends, as in captures pasted into documents, are read;
	// CR() and QuirkCRLF tell the caller.
	s.lines++
	if s.cr = len(line) > 0 && line[len(line)-1] == '\r'; !s.cr {
		s.lf = true
	} else {
		line = line[:len(line)-1]
	}
	return line, true
}

// continued joins to line the lines that a backslash at its end continues,
// each without its indentation, as documentation prints a long record:
// "... sport=32775 \" and "     dport=22 ...". The backslash must follow a
// blank, so that the join falls between two tokens and keeps the blanks
// before it. A backslash on the last line stays, for the parser to report.
func (s *Scanner) continued(line []byte) []byte {
	for {
		bs := continuation(line)
		if bs < 0 {
			return line
		}
		if len(s.segs) == 0 {
			s.startJoin(line, 0, len(line)) // line is in the read buffer, which reading moves
		}
		s.rejoined = true
		next, ok := s.physLine()
		if !ok {
			s.ownLine()
			return s.join
		}
		if next == nil {
			s.segs = s.segs[:0]
			return nil // too long: the record cannot be read
		}
		s.join = s.join[:bs]
		last := &s.segs[len(s.segs)-1]
		last.n = bs - last.at
		line = s.joinLine(next, lead(next))
		if len(line) > s.maxLine {
			s.line, s.long = line[:min(len(line), 256)], len(line)
			s.segs = s.segs[:0]
			return nil
		}
	}
}

// continuation returns the index of the backslash that ends line, after
// optional blanks, when a blank precedes it; -1 if there is none.
func continuation(line []byte) int {
	if n := len(line); n == 0 || line[n-1] != '\\' && line[n-1] != ' ' && line[n-1] != '\t' {
		return -1 // most lines, at once
	}
	i := len(bytes.TrimRight(line, " \t")) - 1
	if i < 0 || line[i] != '\\' || i > 0 && line[i-1] != ' ' && line[i-1] != '\t' {
		return -1
	}
	return i
}

// startJoin starts a joined record with bytes from to n of line, the line
// just read.
func (s *Scanner) startJoin(line []byte, from, n int) {
	s.join = append(s.join[:0], line[from:n]...)
	s.phys = append(s.phys[:0], line...)
	s.segs = append(s.segs[:0], seg{n: n - from, line: s.lineNo, col: from, size: len(line)})
	s.line = s.join
}

// quotes returns the length of the quote markers that line starts with
// (quoted), which the Scanner reads the line without: 0 where it reads
// lines as they are (WithStrict, WithDecoder).
func (s *Scanner) quotes(line []byte) int {
	if s.ps.Strict || s.dec != nil {
		return 0
	}
	return quoted(line)
}

// unquote returns line, a line that starts with quote markers, without
// them, as a record joined from it, so that its errors are placed in the
// line as it is; nil for a line of markers and blanks only.
func (s *Scanner) unquote(line []byte) []byte {
	q := quoted(line)
	if blank(line[q:]) {
		return nil
	}
	s.startJoin(line, q, len(line))
	s.rejoined = true
	return s.join
}

// ownLine makes a record joined from one line, which no line after it
// continued, a line of its own again, unless it is a quoted line, whose
// errors its join places past the quote markers.
func (s *Scanner) ownLine() {
	if len(s.segs) == 1 && s.segs[0].col == 0 {
		s.segs = s.segs[:0]
	}
}

// joinLine appends line, the line just read, from byte from on, to the
// joined record, and returns the record.
func (s *Scanner) joinLine(line []byte, from int) []byte {
	s.segs = append(s.segs, seg{at: len(s.join), n: len(line) - from, line: s.lineNo, col: from, text: len(s.phys), size: len(line)})
	s.phys = append(s.phys, line...)
	s.join = append(s.join, line[from:]...)
	s.line = s.join
	return s.join
}

// place gives perr, an error in the record just read, its position in the
// input: in a record joined from several lines, the line and column of
// the bad bytes, and that line as the text.
func (s *Scanner) place(perr *ParseError) {
	perr.File = s.name
	if perr.Line == 0 { // XML records spanning lines say which
		perr.Line = s.lineNo
	}
	if perr.Col == 1 && len(perr.Text) >= len(utf8BOM) && perr.Text[:len(utf8BOM)] == string(utf8BOM) { // kept by WithStrict, or further in
		perr.Field, perr.Msg, perr.Err, perr.Len = "", "a byte-order mark, which an editor saves and no producer prints", ErrSyntax, len(utf8BOM)
	}
	if q := quoted([]byte(perr.Text)); perr.Col == 1 && q > 0 && s.ps.Strict { // read past but WithStrict
		perr.Field, perr.Msg, perr.Err, perr.Len = "", "a quote marker, which a reply by mail adds and no producer prints", ErrSyntax, q
	}
	if len(s.segs) == 0 {
		return
	}
	at := max(perr.Col-1, 0)
	g := s.segs[len(s.segs)-1]
	for _, h := range s.segs {
		if at < h.at+h.n {
			g = h
			break
		}
	}
	off := min(max(at-g.at, 0), g.n)
	perr.Line, perr.Col = g.line, g.col+off+1
	perr.Len = max(min(perr.Len, g.n-off), 1)
	perr.Text = string(s.phys[g.text : g.text+g.size])
	if perr.Msg == "" && perr.Err != nil {
		perr.Msg = perr.Err.Error()
	}
	if s.segs[0].line < s.lineNo {
		perr.joined.at, perr.joined.from, perr.joined.to = len(perr.Msg), s.segs[0].line, s.lineNo
		perr.Msg += joinedNote(perr.joined.from, perr.joined.to)
	}
}

// blank reports whether line holds nothing but spaces and tabs. It looks
// at a record's first byte only: the Scanner asks it of every line.
func blank(line []byte) bool { return len(skipBlanks(line)) == 0 }

// allBlank reports whether every line of b is blank.
func allBlank(b []byte) bool {
	for line := range bytes.Lines(b) {
		if !blank(bytes.TrimRight(line, "\r\n")) {
			return false
		}
	}
	return true
}

// asParseError returns err as a *ParseError, wrapping an error of another
// kind from a Decoder.
func asParseError(err error, line []byte) *ParseError {
	if pe, ok := err.(*ParseError); ok {
		return pe
	}
	return &ParseError{Col: 1, Len: len(line), Err: err, Msg: err.Error(), Text: string(line)}
}

// lineErr returns the error of a line too long to read, nil otherwise.
func (s *Scanner) lineErr(line []byte) *ParseError {
	if line != nil {
		return nil
	}
	return &ParseError{Col: s.maxLine + 1, Err: ErrLineTooLong,
		Msg:  "line longer than " + itoa(uint64(s.maxLine)) + " bytes (" + itoa(uint64(s.long)) + ")",
		Text: string(s.line)}
}

// bad places the error of a line and keeps it for the iterator to yield.
func (s *Scanner) bad(perr *ParseError) {
	s.place(perr)
	s.skipped++
	s.pending = perr
}

// detect reads until the buffer holds the lines Detect looks at, or the end
// of the input, and detects the format from them: any, or, given a format
// of flows (twin), its producer's expectations only.
func (s *Scanner) detect() bool {
	// Wait for as many lines as Detect looks at, so that the answer does not
	// depend on how the reader splits the stream; given a format of flows,
	// for the first, which tells them from expectations. An input that
	// paused after whole lines, as a live stream does between its records,
	// is detected from those where they say their format whatever comes
	// after (conntrack -E's events do), so that its first records are not
	// held back until more come.
	n := detectLines
	if s.twin {
		n = 1
	}
	sure := Auto // the format a paused input's lines say, which the prefix below holds
	for !s.eof && s.end-s.start < detectBytes {
		end, lines := detectPrefix(s.buf[s.start:s.end], n)
		if lines == n {
			break
		}
		if lines > 0 && s.paused() {
			if f, ok, _ := detect(s.buf[s.start : s.start+end]); ok {
				sure = f
				break
			}
		}
		if err := s.fill(); err != nil {
			s.rerr = err // for the reading to meet, after the lines before
			break
		}
	}
	prefix := s.buf[s.start:min(s.end, s.start+detectBytes)]
	if i := bytes.LastIndexByte(prefix, '\n'); i >= 0 && (!s.eof || len(prefix) < s.end-s.start) {
		prefix = prefix[:i+1] // whole lines; else the start of a long first line
	}
	// No more lines than the reads waited for, so that the answer does
	// not depend on how much more a read gave.
	end, _ := detectPrefix(prefix, n)
	prefix = prefix[:end]
	if allBlank(prefix) && (s.eof || s.rerr != nil) && len(prefix) == s.end-s.start {
		s.twin = false
		if s.rerr != nil && s.end == s.start {
			s.err = s.rerr // nothing was read before it
			return false
		}
		return true // empty input, or blank lines only
	}
	f, err := sure, error(nil)
	if f == Auto {
		f, err = Detect(prefix)
	}
	if s.twin {
		s.twin = false
		if err == nil && f == s.format.ForExpectations() {
			s.format = f
		}
		return true
	}
	if err != nil {
		first, _, _ := bytes.Cut(prefix, []byte("\n"))
		n := len(first)
		if de, ok := err.(*detectError); ok && de.Prefix != "" && bytes.HasPrefix(first, []byte(de.Prefix)) {
			n = len(de.Prefix) // underlined: what stands before the record
		}
		s.err = &ParseError{File: s.name, Line: 1, Col: 1, Len: n, Err: err, Msg: err.Error(), Text: string(first)}
		return false
	}
	s.format = f
	return true
}

// peekLine returns the next line of the input without its line end and
// without reading it, or false at the end of the input or where the line
// is longer than the Scanner accepts. It may move the read buffer.
func (s *Scanner) peekLine() ([]byte, bool) {
	line, _, ok, err := s.lineAt(0)
	if err != nil {
		s.err = err
	}
	return line, ok
}

// lineAt returns the line that starts off bytes after the Scanner's
// position, as peekLine does, and the offset of the line after it (0 past
// the input's end), or the reader's error. Looking past the end of a
// chunk cut before its next line was read, it marks the cut wrong (past).
func (s *Scanner) lineAt(off int) (line []byte, next int, ok bool, err error) {
	for {
		from := s.start + off
		if i := bytes.IndexByte(s.buf[from:s.end], '\n'); i >= 0 {
			return bytes.TrimSuffix(s.buf[from:from+i], []byte("\r")), off + i + 1, i <= s.maxLine, nil
		}
		if s.eof || s.end-from > s.maxLine {
			s.past = s.past || s.open && from == s.end
			return s.buf[from:s.end], 0, from < s.end && s.end-from <= s.maxLine, nil
		}
		if err := s.fill(); err != nil {
			return nil, 0, false, err
		}
	}
}

// readLine returns the next line without its newline. A line longer than
// maxLine is returned as nil, with its first bytes in s.line and its length
// in s.long, and the rest of it is skipped.
func (s *Scanner) readLine() ([]byte, error) {
	tooLong := false
	for {
		if i := bytes.IndexByte(s.buf[s.start:s.end], '\n'); i >= 0 {
			line := s.buf[s.start : s.start+i]
			s.start += i + 1
			if tooLong {
				s.long += len(line)
				return nil, nil
			}
			if len(line) > s.maxLine {
				s.line, s.long = line[:min(len(line), 256)], len(line)
				return nil, nil
			}
			s.line = line
			return line, nil
		}
		if s.eof {
			if s.start == s.end {
				if tooLong {
					return nil, nil
				}
				return nil, io.EOF
			}
			line := s.buf[s.start:s.end] // the last line has no newline
			s.start = s.end
			if tooLong {
				s.long += len(line)
				return nil, nil
			}
			if len(line) > s.maxLine {
				s.line, s.long = line[:min(len(line), 256)], len(line)
				return nil, nil
			}
			s.line = line
			return line, nil
		}
		if s.end-s.start > s.maxLine {
			// Too long: keep the start for the error, drop the rest.
			if !tooLong {
				s.line = append(s.line[:0:0], s.buf[s.start:s.start+256]...)
				tooLong, s.long = true, 0
			}
			s.long += s.end - s.start
			s.start, s.end = 0, 0
		}
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
}

// paused reports whether the input may pause after the bytes read: the
// last Read gave less than asked, and they end with a line.
func (s *Scanner) paused() bool {
	return s.short && s.end > s.start && s.buf[s.end-1] == '\n'
}

// fill reads more input into the buffer. A reader's error that came with
// bytes is the next fill's, so that the bytes are read first.
func (s *Scanner) fill() error {
	if s.rerr != nil {
		return s.rerr
	}
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	if want := s.end + readSize; want > len(s.buf) {
		nb := make([]byte, max(want, min(2*len(s.buf), s.maxLine+1+readSize)))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	if s.short && s.idle != nil {
		s.idle()
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.short = n < len(s.buf)-s.end
		s.end += n
		if err == io.EOF {
			s.eof = true
			return nil
		}
		if err != nil && n > 0 {
			s.rerr = err
			return nil
		}
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}

// Detect detects the input's format, if the Scanner was given Auto, from
// its first lines, and returns it; given a format of flows, the format of
// its producer's expectations where the first line is one (NewScanner).
// The iterators detect it on their first step; Detect tells beforehand
// which of Flows, Expects and Stats to call.
func (s *Scanner) Detect() (Format, error) {
	if (s.format == Auto || s.twin) && s.dec == nil && s.err == nil {
		s.detect()
	}
	return s.format, s.err
}

// Dialect returns the Dialect of the text read so far, which a Writer
// prints the records back with as they were: the format (with Auto, the one
// detected, once the first line has been read), the options the lines
// show, whether every line ended with CR LF, and whether an XML document
// ended without its footer (</conntrack>), as conntrack -E's does unless
// interrupted.
func (s *Scanner) Dialect() Dialect {
	d := s.ps.Dialect
	d.Format, d.Options = s.format, s.ps.p.opts
	d.CRLF = s.lines > 0 && !s.lf
	d.NoFooter = s.format.root() != "" && s.dec == nil && !s.footer
	return d
}

// Line returns the number of the line read last: of a record joined from
// several lines, the last of them.
func (s *Scanner) Line() int { return s.lineNo }

// Bytes returns the line read last, without its newline; a record joined
// from several lines, joined. It is valid until the next iteration.
func (s *Scanner) Bytes() []byte { return s.line }

// Skipped returns the number of bad lines yielded so far, with their
// *ParseError, by the iterators.
func (s *Scanner) Skipped() int { return s.skipped }

// Messages returns the number of conntrack's stderr messages ("N flow
// entries have been shown.") met and skipped in the input.
func (s *Scanner) Messages() int { return s.messages }

// count counts the record just parsed if it was laid out anew.
func (s *Scanner) count() {
	if s.dec == nil && (s.ps.p.relaid || s.rejoined) {
		s.normalized++
	}
}

// Normalized returns the number of records read so far that were not in
// their producer's exact layout (runs of blanks, TABs, indentation, trailing
// blanks, padding lost, quote markers of a reply by mail, as pasted
// captures have them; XML as tools re-serialise it) and were read laid out
// as the producer prints them, which is how the records print. WithStrict
// rejects them instead.
func (s *Scanner) Normalized() int { return s.normalized }

// Unknown returns the number of tokens kept in Flow.Extras so far.
func (s *Scanner) Unknown() int { return s.unknown }

// NotRecords returns the number of lines skipped that are not records and
// hold no data, as pasted captures have them around their records: shell
// prompts with the commands typed, ^C, markdown fences. A Scanner made
// WithStrict skips none of them, nor joins lines that a backslash
// continues.
func (s *Scanner) NotRecords() int { return s.notRecords }

// Blank returns the number of blank lines skipped: empty, or of spaces and
// tabs only. They hold no record, and printing the records leaves them out.
func (s *Scanner) Blank() int { return s.blank }
