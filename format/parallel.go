package format

import (
	"bytes"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// WithWorkers makes the Scanner parse on n goroutines at once, so that a
// large input is read on as many cores: it cuts the input into chunks
// between records, by the rule of its format, parses the chunks at once,
// and hands out their records in order, each with the same errors,
// positions, line numbers and counts as a Scanner without it. n below 2,
// the default, parses on the caller's goroutine alone. A chunk is some
// 128 KiB of whole lines, and at most 2n are read ahead, so that a pipe's
// memory stays bounded. A file, an input with ReadAt, Seek and Size (an
// *io.SectionReader over an *os.File, a *bytes.Reader), is cut where it
// is, by the workers in turn, and each worker reads its own chunks: the
// input is copied on every core, into the caches of the core that parses
// it.
//
// The iterators still hand out one record at a time, each valid until the
// next iteration. The Scanner reads the input ahead, on a goroutine of its
// own or a file's workers, which a loop that stops does not stop: until
// the input ends, Reset is called, or the Scanner is garbage, the input is
// the Scanner's. A
// chunk also ends where a Read gives less than asked, as a pipe with no
// more to give at once, so that a live stream's records are not held
// back.
//
// Formats whose records need what comes before them (the table's
// counters, a WithDecoder's encoding) are parsed on one goroutine, and so
// is the rest of an input after a place where no cut between records is
// found cheaply (no cut within a chunk and two of the longest lines the
// Scanner accepts), or where a record read on past its chunk (a pasted
// record wrapped over lines, XML over lines, cut at a pipe's pause).
func WithWorkers(n int) ScanOption {
	return func(s *Scanner) error { s.workers = n; return nil }
}

// chunkSize is the size of a parallel scan's chunks: small enough that a
// chunk, and the records a worker parses from it (Flow is some 400 bytes,
// more than its line), are still in the caches when the worker writes
// them and when the loop reads them, and large enough that the reads,
// cuts and hand-offs of a chunk cost little beside its parsing. With
// chunks of 1 MiB, checking a million flows on two cores took a quarter
// more CPU time than on one, most of it waiting on memory; against 64 KiB,
// 128 KiB take check and stats less CPU time on two cores, and diff and
// convert as much (BENCHMARKS.md).
const chunkSize = 128 << 10

// A par is a parallel scan under way. A goroutine of its own reads
// chunks of whole lines (chunker) into batches, and hands them to n
// workers, each a Scanner of its own that reads records into the batch;
// the iterator hands the batches out in the order they were read. The
// workers of a file cut its chunks themselves, in turn, with no reader.
// There are 2n batches: a batch is read again once handed out, which
// bounds the memory. The goroutines wait while the loop does not take
// records; they end at the end of the input, or once the Scanner is
// garbage.
type par struct {
	over    bool // the parallel scan ended: the Scanner reads on alone
	n       int  // workers
	kind    kind
	each    func(worker int, flows []Flow) // EachFlow's: the workers hand their flows to it
	turns   turns                          // EachFlow's: whose flows may be handed out
	stopped atomic.Bool                    // EachFlow's loop stopped: no more flows are handed out
	work    atomic.Pointer[ahead]          // FlowsAhead's: the workers run it on each batch they read
	running sync.RWMutex                   // FlowsAhead's: held for reading while a worker runs work
	gen     uint64                         // the FlowsAhead loops begun
	file    io.ReaderAt                    // the file whose chunks the workers cut and read, if it is one
	cutting sync.Mutex                     // a file's: the worker that cuts the next chunk holds it
	cut     bool                           // a file's: the last chunk is cut, or the scan ends
	working sync.WaitGroup                 // the batches handed to the workers and not done yet
	free    chan *batch
	jobs    chan *batch
	done    chan *batch
	halt    *halt           // stops the reader, or a file's workers
	exited  chan struct{}   // closed once the reader has stopped, at once for a file, which has none
	cleanup runtime.Cleanup // halts the reader of a Scanner dropped
	rd      chunker         // the reader's, until exited is closed; a file's, under cutting

	ready []*batch // the batches parsed, at their place in the loop's order (loop) modulo its length
	next  int      // the place of the next batch to hand out
	base  state    // of the Scanner after the batches handed out
	text  []byte   // the Scanner's last line at base (Bytes)
	cur   *batch   // the batch being handed out
	i     int      // its next item
}

// A chunker reads an input in chunks of whole lines.
type chunker struct {
	r       io.Reader
	format  Format
	maxLine int
	size    int    // of a chunk
	carry   []byte // what was read past the last chunk
	eof     bool   // the reader is read to its end
	short   bool   // the last Read had no more to give at once
	err     error  // the reader's error, after carry
	line    int    // the lines before the next chunk
	read    int    // the chunks read

	// A file (an input with ReadAt and Size) is cut where it is, and each
	// worker reads its chunk itself: the copy is made on every core, into
	// the caches of the core that parses it.
	at       io.ReaderAt
	off, end int64  // the next chunk's offset, and the file's size
	win      []byte // the bytes around a cut
}

// A file is an input that a parallel scan cuts where it is, and whose
// chunks the workers read themselves: as *io.SectionReader, *bytes.Reader
// and *strings.Reader.
type file interface {
	io.ReaderAt
	io.Seeker
	Size() int64
}

// A batch is a chunk of the input, whole lines, and what a worker read
// from it: records, and the bad lines between them (items, in order).
type batch struct {
	seq     int
	loop    int // its place in the loop's order: seq, or with EachFlow, among the batches not quiet (see turns)
	buf     []byte
	off     int64 // of a file: where buf is in it, and its length
	size    int
	line    int  // the lines of the input before buf, or 0 if rel
	rel     bool // the line numbers of items and states count from buf's start
	last    bool // the input ends with buf
	open    bool // cut where the line after buf was not read yet
	uncut   bool // no cut was found: the Scanner reads on from buf alone
	past    bool // a record read on past buf's end: the cut was wrong
	panic   any  // the reader's or the worker's panic, which the loop raises
	flows   []Flow
	expects []Expect
	n       int // the records read
	items   []item
	states  []state // the items' states that are not their line numbers alone
	end     state   // after the batch
	endText span    // the last line read
	text    []byte  // the records joined from lines, which buf does not hold

	// EachFlow's, of a batch for the loop (see turns): the Scanner's state
	// before it, and its last line (Bytes), which the quiet batches
	// before did not bring the loop; the batches up to it, itself too,
	// whose flows are not all handed out.
	base     state
	baseText []byte
	behind   int

	// FlowsAhead's: the loop whose work ran on the batch's flows (its
	// gen, 0 if none), and what the work made of them, which the batch
	// keeps to be made again.
	worked uint64
	made   any
}

// ahead is the work of a loop of FlowsAhead, the gen-th of its parallel
// scan: a batch that records gen has run run (batch.worked). The batch
// does not hold run, so that the workers, parked, do not keep a loop's
// work, and what it refers to, from the garbage collector.
type ahead struct {
	run func(worker int, flows []Flow, made *any)
	gen uint64
}

// startWork makes the workers run w, the work of a new loop, on the
// batches they read.
func (p *par) startWork(w *ahead) {
	p.gen++
	w.gen = p.gen
	p.work.Store(w)
}

// stopWork makes the workers run FlowsAhead's work no more, once its loop
// ends, and waits for those that run it.
func (p *par) stopWork() {
	p.work.Store(nil)
	p.running.Lock()
	p.running.Unlock()
}

// madeOf runs FlowsAhead's work w on b's flows unless a worker did, and
// keeps what it made, and i, for FlowsAhead to hand out with flow i of b.
func (s *Scanner) madeOf(b *batch, i int, w *ahead) {
	if b.worked != w.gen {
		w.run(s.Workers(), b.flows[:b.n], &b.made)
		b.worked = w.gen
	}
	s.ahead.made, s.ahead.at = b.made, i
}

// workSafe runs FlowsAhead's work, if any, on the flows worker read from
// b, where they were read rightly, keeping a panic in b for the loop to
// raise in b's turn, as scanSafe does.
func (p *par) workSafe(worker int, b *batch) {
	if p.work.Load() == nil || b.uncut || b.past || b.panic != nil || b.n == 0 {
		return
	}
	p.running.RLock()
	defer p.running.RUnlock()
	w := p.work.Load() // not stopped since
	if w == nil {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			b.panic = v
		}
	}()
	w.run(worker, b.flows[:b.n], &b.made)
	b.worked = w.gen
}

// An item is a record of a batch, or a bad line, with the Scanner's state
// after it, counted from the batch's start: most items move the line
// numbers on and change nothing else, so their state is only those
// (line, lines), and the rest is in the batch's states (full). An item is
// handed from the core that parsed it to the core of the loop, so it is
// kept small.
type item struct {
	rec   int // the record's index in flows or expects, or -1
	full  int // the index of its state in the batch's states, or -1
	line  int // the Scanner's line number after it
	lines int // its tally's lines
	err   *ParseError
	text  span // the line read (Bytes)
}

// A span is bytes of a batch: buf[from:to], or text[from:to] if joined.
type span struct {
	from, to int
	joined   bool
}

// A state is what a Scanner's methods tell of what it read so far.
type state struct {
	tally
	line   int
	others int
	opts   Options
}

// shift returns s with its line number moved on by off lines.
func (s state) shift(off int) state {
	s.line += off
	return s
}

// movedOn reports whether t is s with only its line numbers moved on.
func (s state) movedOn(t state) bool {
	s.line, s.lines = t.line, t.lines
	return s == t
}

func (s *Scanner) state() state {
	return state{tally: s.tally, line: s.lineNo, others: s.mixed.n, opts: s.ps.p.opts}
}

// then returns the state at, counted from base, counted from the start.
func (base state) then(at state) state {
	base.tally.add(at.tally)
	base.line = at.line
	base.others += at.others
	base.opts |= at.opts
	return base
}

// setState sets the Scanner's state to at, counted from base.
func (s *Scanner) setState(base, at state) {
	t := base.then(at)
	s.tally, s.lineNo, s.mixed.n, s.ps.p.opts = t.tally, t.line, t.others, t.opts
}

// parallel reports whether the records of kind k are read in parallel,
// starting the parallel scan if it can: from the start of the input, of a
// format detected or given whose records stand on their own. With each,
// the workers hand the flows they read to each (EachFlow).
func (s *Scanner) parallel(k kind, each func(int, []Flow)) bool {
	if s.workers < 2 || s.par != nil && s.par.over {
		return false
	}
	if p := s.par; p != nil {
		if p.kind == k {
			return true
		}
		// An iterator of another kind, after a loop that stopped: as
		// serially, next fails with the error that says which to call,
		// and the Scanner reads no more.
		p.end()
		p.over, p.ready, p.cur, p.rd = true, nil, nil, chunker{}
		return false
	}
	s.par = &par{over: true}
	if s.dec != nil || s.lineNo > 0 || s.err != nil {
		return false
	}
	if f, err := s.Detect(); err != nil || f == Auto || f.kind() != k || f.Statistics() {
		return false
	}
	n := s.workers
	p := &par{n: n, kind: k, each: each, free: make(chan *batch, 2*n), jobs: make(chan *batch, 2*n), done: make(chan *batch, 2*n),
		halt: &halt{quit: make(chan struct{})}, exited: make(chan struct{}), ready: make([]*batch, 2*n)}
	if each != nil {
		p.turns = turns{ok: true, parked: make([]*batch, 2*n), held: make([]*batch, 0, 2*n)}
	}
	// What detection read may be all a live stream has to give for now:
	// its whole lines are handed out without waiting for more (short).
	p.rd = chunker{r: s.r, format: s.format, maxLine: s.maxLine, size: s.chunk, eof: s.eof || s.rerr != nil, err: s.rerr,
		short: true, carry: append([]byte(nil), s.buf[s.start:s.end]...)}
	if p.rd.size <= 0 {
		p.rd.size = chunkSize
	}
	if f, ok := s.r.(file); ok && !p.rd.eof {
		if pos, err := f.Seek(0, io.SeekCurrent); err == nil {
			p.file, p.rd.at, p.rd.off, p.rd.end, p.rd.carry = f, f, pos-int64(len(p.rd.carry)), f.Size(), nil
		}
	}
	s.start = s.end
	for range 2 * n {
		p.free <- new(batch)
	}
	for i := range n {
		w := &Scanner{given: s.format, format: s.format, name: s.name, maxLine: s.maxLine}
		w.ps.Dialect = s.ps.Dialect
		go func() {
			for b := p.job(); b != nil; b = p.job() {
				if p.file != nil && !b.uncut {
					p.readChunk(b)
				}
				if !b.uncut {
					w.scanSafe(b, p.kind, p.each != nil)
				}
				if p.each == nil {
					p.workSafe(i, b)
				}
				woke := true
				if p.each != nil {
					woke = p.handOut(w, i, b)
				} else {
					p.done <- b
					p.working.Done()
				}
				// The loop, or the reader, that b's hand-off readied waits
				// on this core's queue until a worker blocks, which is
				// when no batch is left to read: yield the core to it now,
				// so that the batches come back before they run out.
				if woke || p.file == nil {
					runtime.Gosched()
				}
			}
		}()
	}
	if p.file == nil {
		go p.readAll()
	} else {
		close(p.exited)
	}
	// A Scanner dropped before the end of its input stops its reader,
	// and so its workers.
	p.cleanup = runtime.AddCleanup(s, (*halt).stop, p.halt)
	s.par = p
	return true
}

// A halt stops a parallel scan's reader, once its Read in progress
// returns.
type halt struct {
	once sync.Once
	quit chan struct{}
}

func (h *halt) stop() { h.once.Do(func() { close(h.quit) }) }

// end stops the parallel scan's reader and waits for it and for the
// workers: the chunker and the input are the Scanner's then, and EachFlow's
// function is called no more.
func (p *par) end() {
	p.halt.stop()
	<-p.exited
	if p.file != nil {
		p.cutting.Lock()
		p.cut = true
		p.cutting.Unlock()
	}
	p.working.Wait()
	p.cleanup.Stop()
}

// nextItem returns the next record or bad line of the parallel scan, and
// its batch, setting the Scanner's state to what it is after it; nil
// where the parallel scan ended, at the end of the input or where the
// Scanner reads on alone.
func (s *Scanner) nextItem() (*batch, *item) {
	p := s.par
	for {
		if p.cur == nil {
			b := p.wait(p.next, s.idle)
			if p.each != nil {
				p.base, p.text = b.base, append(p.text[:0], b.baseText...)
				if v := p.turns.panicked(); v != nil {
					b.panic = v
				}
			}
			if b.panic != nil {
				// Kept for stopEach, and raised again by a loop after.
				p.ready[b.loop%len(p.ready)] = b
				panic(b.panic)
			}
			if b.uncut || b.past {
				s.alone(b)
				return nil, nil
			}
			p.cur, p.i = b, 0
		}
		b := p.cur
		off := 0 // the lines before b, where b counts its own from its start
		if b.rel {
			off = p.base.line
		}
		if p.i < len(b.items) {
			it := &b.items[p.i]
			p.i++
			if it.full >= 0 {
				s.setState(p.base, b.states[it.full].shift(off))
			} else {
				s.lineNo, s.tally.lines = it.line+off, p.base.tally.lines+it.lines
			}
			if it.err != nil {
				it.err.shift(off)
			}
			s.line = b.bytes(it.text)
			return b, it
		}
		s.setState(p.base, b.end.shift(off))
		p.text = append(p.text[:0], b.bytes(b.endText)...)
		s.line, p.base = p.text, s.state()
		p.cur, p.next = nil, p.next+1
		if b.last {
			s.alone(nil)
			return nil, nil
		}
		p.free <- b
	}
}

// recAt returns the record i of b.
func recAt[T Flow | Expect | Stats](b *batch, i int) *T {
	var r *T
	switch p := any(&r).(type) {
	case **Flow:
		*p = &b.flows[i]
	case **Expect:
		*p = &b.expects[i]
	}
	return r
}

func (b *batch) bytes(t span) []byte {
	if t.joined {
		return b.text[t.from:t.to]
	}
	return b.buf[t.from:t.to]
}

// wait returns the batch at its place in the loop's order once it is
// parsed; before it waits for a stream's, it calls idle, if not nil.
func (p *par) wait(loop int, idle func()) *batch {
	at := &p.ready[loop%len(p.ready)]
	for *at == nil {
		var b *batch
		select {
		case b = <-p.done:
		default:
			// Not parsed yet: of a stream, the reader may wait for more
			// (WithIdle).
			if idle != nil && p.file == nil {
				idle()
			}
			b = <-p.done
		}
		p.ready[b.loop%len(p.ready)] = b
	}
	b := *at
	*at = nil
	return b
}

// sent returns the batches handed to the loop, once the parallel scan
// ended (end).
func (p *par) sent() int {
	if p.each != nil {
		return p.turns.sent
	}
	return p.rd.read
}

// job returns the next batch for a worker to read, nil once there is
// none: the reader's, or of a file, its next chunk, cut by the worker.
func (p *par) job() *batch {
	if p.file == nil {
		return <-p.jobs
	}
	var b *batch
	select {
	case b = <-p.free:
	case <-p.halt.quit:
		return nil
	}
	p.cutting.Lock()
	defer p.cutting.Unlock()
	select {
	case <-p.halt.quit: // a Scanner dropped: its file is cut no more
		p.cut = true
	default:
	}
	if p.cut {
		p.free <- b
		return nil
	}
	p.cutSafe(b)
	p.cut = b.last || b.uncut
	p.working.Add(1)
	return b
}

// cutSafe cuts a file's next chunk into b, keeping a panic of its ReadAt
// in b, uncut, for the loop to raise in b's turn.
func (p *par) cutSafe(b *batch) {
	defer func() {
		if v := recover(); v != nil {
			b.panic, b.uncut = v, true
		}
	}()
	p.chunk(b)
}

// readAll reads the input into batches for the workers, until its end,
// a batch that is uncut, or stop.
func (p *par) readAll() {
	defer close(p.exited)
	defer close(p.jobs)
	var b *batch
	defer func() {
		// A Reader's panic, raised by the loop in b's turn (scanSafe).
		if v := recover(); v != nil {
			b.panic, b.uncut = v, true
			p.working.Add(1)
			p.jobs <- b
		}
	}()
	for {
		select {
		case b = <-p.free:
		case <-p.halt.quit:
			return
		}
		p.chunk(b)
		// An uncut batch, for the Scanner to read on alone from, goes to
		// the loop in its turn too.
		p.working.Add(1)
		p.jobs <- b
		if b.last || b.uncut {
			return
		}
	}
}

// chunk reads the next chunk into b: whole lines from the input, of at
// least the chunker's size unless the input ends, cut before a line that
// starts a record (cut). Where the input has no more to give at once, as
// a pipe or a live stream, b ends with the lines read so far, open, so
// that no record waits for the next. At stop, b is uncut.
func (p *par) chunk(b *batch) {
	c := &p.rd
	b.seq, b.loop, b.line, b.rel, b.last, b.open, b.uncut, b.past, b.panic, b.worked = c.read, c.read, c.line, false, false, false, false, false, nil, 0
	c.read++
	if c.at != nil {
		p.cutFile(b)
		return
	}
	buf := append(b.buf[:0], c.carry...)
	from := c.size - 1
	limit := c.size + 2*(c.maxLine+1) + readSize
	for {
		if len(buf) >= c.size {
			at, ok := c.cut(buf, from, c.eof)
			if ok {
				c.carry = append(c.carry[:0], buf[at:]...)
				buf = buf[:at]
				break
			}
			if c.eof || len(buf) > limit {
				// No cut: the input's end, or a place to read on alone.
				b.uncut = !c.eof || c.err != nil
				c.carry = c.carry[:0]
				break
			}
			from = at
		} else if c.eof {
			b.uncut = c.err != nil
			c.carry = c.carry[:0]
			break
		}
		// The carry of a short Read, as of a burst longer than a chunk,
		// is not held back for the next Read either.
		if c.short {
			if at := c.openCut(buf); at > 0 {
				c.carry = append(c.carry[:0], buf[at:]...)
				buf, b.open = buf[:at], true
				break
			}
		}
		select {
		case <-p.halt.quit:
			b.uncut = true
			c.carry = c.carry[:0]
			b.buf = buf
			return
		default:
		}
		buf = slices.Grow(buf, max(c.size-len(buf), readSize))
		want := cap(buf) - len(buf)
		n, err := c.readSome(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		c.short = n < want
		if err != nil {
			c.eof = true
			if err != io.EOF {
				c.err = err
			}
		}
	}
	b.buf = buf
	b.last = c.eof && len(c.carry) == 0 && !b.uncut
	c.line += bytes.Count(buf, []byte("\n"))
}

// cutFile cuts the next chunk of a file into b: where it is, for its
// worker to read (readChunk). Where no cut is found, or reading around
// one fails, b is uncut, and the Scanner reads on alone from it.
func (p *par) cutFile(b *batch) {
	c := &p.rd
	b.off = c.off
	to, ok := c.cutAt(c.off, c.off+int64(c.size))
	if !ok {
		b.uncut = true
		return
	}
	b.size, c.off = int(to-b.off), to
	b.last = to == c.end
}

// cutAt returns the offset in the file of the first place, after the line
// that holds the byte before at, where a record starts (cut), reading the
// lines around it; false if there is none within two of the longest lines
// the Scanner reads, or reading fails. from is the chunk's start, a line's.
func (c *chunker) cutAt(from, at int64) (int64, bool) {
	if at >= c.end {
		return c.end, true
	}
	back := min(at-from, 512) // so that a line ends before the cut
	ws := at - back
	limit := at + 2*int64(c.maxLine+1) + readSize
	for n := int64(2 << 10); ; n *= 2 {
		we := min(at+n, c.end)
		c.win = slices.Grow(c.win[:0], int(we-ws))[:we-ws]
		if k, err := c.at.ReadAt(c.win, ws); k < len(c.win) {
			_ = err
			return 0, false
		}
		i := int(back) - 1
		if ws > from {
			// The window starts within a line: look after its first end.
			nl := bytes.IndexByte(c.win, '\n')
			if nl < 0 {
				if we == c.end || we > limit {
					return 0, false
				}
				continue
			}
			i = max(i, nl+1)
		}
		if cut, ok := c.cut(c.win, i, we == c.end); ok {
			return ws + int64(cut), true
		}
		switch {
		case we == c.end:
			return c.end, true // no cut: the file's end is the chunk's
		case we > limit:
			return 0, false
		}
	}
}

// readChunk reads b's chunk of the file. Its lines are counted from its
// start (rel), as the lines before it are not known until the batches
// before are read: the loop adds them. A chunk that cannot be read whole
// is uncut: the Scanner reads on alone from it, and meets what went wrong
// itself. A panic of ReadAt is kept in b for the loop to raise
// (scanSafe).
func (p *par) readChunk(b *batch) {
	defer func() {
		if v := recover(); v != nil {
			b.panic, b.uncut = v, true
		}
	}()
	b.rel = true // b.line is 0: cutFile counts no lines
	b.buf = slices.Grow(b.buf[:0], b.size)[:b.size]
	k, _ := p.file.ReadAt(b.buf, b.off)
	b.uncut = k < b.size
}

// readSome reads into b, as fill does.
func (c *chunker) readSome(b []byte) (int, error) {
	for range 100 {
		n, err := c.r.Read(b)
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

// cut returns the start of the first line in buf after the one at from
// (or after from, if it starts a line) where a record starts, by the rule
// of the format: a line that continues none before it, after one that
// goes on on none after it. It reports false if there is none, with where
// to look on from once buf holds more; at the input's end (eof), the last
// line counts as whole.
func (c *chunker) cut(buf []byte, from int, eof bool) (int, bool) {
	for {
		nl := bytes.IndexByte(buf[from:], '\n')
		if nl < 0 {
			return from, false
		}
		nl += from
		at := nl + 1
		next := buf[at:]
		if i := bytes.IndexByte(next, '\n'); i >= 0 {
			next = next[:i]
		} else if !eof {
			return nl, false
		} else if len(next) == 0 {
			return at, true // the input ends here
		}
		prev := buf[bytes.LastIndexByte(buf[:nl], '\n')+1 : nl]
		if c.ends(prev) && c.starts(bytes.TrimSuffix(next, []byte("\r"))) {
			return at, true
		}
		from = at
	}
}

// openCut returns the end of buf's last whole line if a record may start
// after it, 0 if not: the line after, not read yet, may still continue
// the record before (see batch.open).
func (c *chunker) openCut(buf []byte) int {
	nl := bytes.LastIndexByte(buf, '\n')
	if nl < 0 || !c.ends(buf[bytes.LastIndexByte(buf[:nl], '\n')+1:nl]) {
		return 0
	}
	return nl + 1
}

// ends reports whether prev, a line without its newline, goes on on no
// line after it: it ends with no backslash, holds no conntrack message
// that cut a record, and in XML documents ends a <flow>, for a record
// may span lines there; an event's <flow> of conntrack -E -o xml may have
// " [USERSPACE] portid=N" after it, with no element.
func (c *chunker) ends(prev []byte) bool {
	prev = bytes.TrimSuffix(prev, []byte("\r"))
	if c.format.root() != "" {
		i := bytes.LastIndex(prev, []byte("</flow>"))
		return i >= 0 && bytes.IndexByte(prev[i+len("</flow>"):], '<') < 0
	}
	return continuation(prev) < 0 && conntrackMessage(prev) < 0
}

// starts reports whether line continues no record before it: no
// key=value or [FLAG] that a wrapped paste puts first; in XML documents,
// it starts a <flow>.
func (c *chunker) starts(line []byte) bool {
	if c.format.root() != "" {
		return xmlTagIs(bytes.TrimLeft(line, " \t"), "<flow")
	}
	return !continues(line)
}

// scanSafe is scanChunk, which keeps a panic in b for the loop to raise
// on its own goroutine, where its caller may recover it, as from a
// Scanner without workers: a goroutine of the Scanner's own would end the
// program.
func (w *Scanner) scanSafe(b *batch, k kind, each bool) {
	defer func() {
		if v := recover(); v != nil {
			b.panic = v
		}
	}()
	w.scanChunk(b, k, each)
}

// turns tells whose flows EachFlow's workers may hand out: a batch's, once
// every batch before it is known to have been read rightly, for where a
// record read on past its batch, the Scanner reads on alone from that
// batch, and hands the flows from there out itself. A worker that reads a
// batch before those before it are read leaves its flows in the batch
// (parked), and goes on to the next: the worker that reads the batch
// before hands them out. Waiting for its turn instead, a worker left its
// core idle, and took the other's when it woke, away from its counts in
// its caches.
//
// A batch whose flows are all it holds (quiet: no bad line, not the
// last) does not go to the loop, which would only add its lines to the
// Scanner's state: the turns add them (base), and the batch is read again
// once its flows are handed out. So on a file, whose workers cut its
// chunks too, the workers run alone on their cores, with no goroutine to
// wake for each chunk. The other batches go to the loop, with the state
// before them, in order, once the flows of every batch up to them are
// handed out: a loop has those before an error it yields.
type turns struct {
	mu     sync.Mutex
	next   int      // the seq of the next batch to take its turn
	ok     bool     // every batch before next was read rightly
	parked []*batch // read before their turn, at their seq modulo its length
	base   state    // the Scanner's state after the batches before next
	text   []byte   // and its last line
	sent   int      // the batches for the loop
	busy   int      // the batches whose turn is taken and whose flows are not all handed out
	held   []*batch // the batches for the loop, in order, until the flows up to them are handed out
	panic  any      // each's first panic, which the loop raises
}

// take takes b's turn, adding its state to the turns' if it was read
// rightly (ok), and reports whether b is quiet, which the loop does not
// have.
func (t *turns) take(b *batch, ok bool) (quiet bool) {
	quiet = ok && len(b.items) == 0 && !b.last && t.panic == nil
	if !quiet {
		b.loop, t.sent = t.sent, t.sent+1
		b.base, b.baseText = t.base, append(b.baseText[:0], t.text...)
		b.behind = t.busy + 1
		t.held = append(t.held, b)
	}
	t.busy++
	if ok { // past a batch read wrongly, the loop reads on alone from it
		off := 0
		if b.rel {
			off = t.base.line
		}
		t.base = t.base.then(b.end.shift(off))
		t.text = append(t.text[:0], b.bytes(b.endText)...)
	}
	return quiet
}

// panicked returns each's first panic, nil if none.
func (t *turns) panicked() any {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.panic
}

// handOut hands the flows that worker w read from b to EachFlow's
// function, and the batch to the loop, or to be read again if quiet, in
// b's turn: now, and those of the batches after that were parked, or,
// before b's turn, once it comes. It reports whether it readied the loop.
func (p *par) handOut(w *Scanner, worker int, b *batch) (woke bool) {
	b.flows, w.flows = w.flows, b.flows // b's flows go with b, to whichever worker hands them out
	t := &p.turns
	t.mu.Lock()
	if b.seq != t.next {
		t.parked[b.seq%len(t.parked)] = b
		t.mu.Unlock()
		return false
	}
	for {
		ok := t.ok && b.panic == nil && !b.past && !b.uncut
		t.ok, t.next = ok, t.next+1
		quiet := t.take(b, ok)
		next := t.parked[t.next%len(t.parked)]
		if next != nil && next.seq == t.next {
			t.parked[t.next%len(t.parked)] = nil
		} else {
			next = nil
		}
		t.mu.Unlock()
		if ok && b.n > 0 && !p.stopped.Load() {
			p.call(worker, b.flows[:b.n])
		}
		woke = p.handed(b, quiet) || woke
		if next == nil {
			return woke
		}
		b = next
		t.mu.Lock()
	}
}

// handed ends the hand-out of b's flows: a quiet b is read again, and the
// batches for the loop whose flows, and those of every batch before them,
// are handed out go to it. It reports whether it sent the loop any.
func (p *par) handed(b *batch, quiet bool) (woke bool) {
	t := &p.turns
	t.mu.Lock()
	defer t.mu.Unlock()
	t.busy--
	for _, h := range t.held {
		if h.seq >= b.seq {
			h.behind--
		}
	}
	if quiet {
		p.free <- b // b is the reader's or a worker's from here
		p.working.Done()
	}
	for len(t.held) > 0 && t.held[0].behind == 0 {
		p.done <- t.held[0]
		p.working.Done()
		t.held, woke = t.held[:copy(t.held, t.held[1:])], true
	}
	return woke
}

// call calls EachFlow's function. A panic stops the hand-out, and the
// loop raises it: on the next batch it has, which the turns send it, or
// once the parallel scan ends.
func (p *par) call(worker int, flows []Flow) {
	defer func() {
		if v := recover(); v != nil {
			p.stopped.Store(true)
			t := &p.turns
			t.mu.Lock()
			if t.panic == nil {
				t.panic = v
			}
			t.mu.Unlock()
		}
	}()
	p.each(worker, flows)
}

// scanChunk reads the records of b's chunk, as the Scanner would read them
// at that place of the input, into b; with each, it reads flows into the
// worker's own, for handOut, and keeps only the bad lines as items.
func (w *Scanner) scanChunk(b *batch, k kind, each bool) {
	xw, flows := w.xw.src[:0], w.flows
	*w = Scanner{given: w.given, format: w.format, name: w.name, maxLine: w.maxLine, ps: w.ps, flows: flows,
		buf: b.buf, end: len(b.buf), eof: true, bounded: !b.last, open: b.open, lineNo: b.line, notFirst: b.seq > 0,
		join: w.join[:0], segs: w.segs[:0], phys: w.phys[:0], xw: xmlWindow{src: xw}, mixed: mixed{f: w.mixed.f, e: w.mixed.e}}
	w.ps.p.opts = 0
	b.items, b.states, b.text = b.items[:0], b.states[:0], b.text[:0]
	n := 0
	for {
		var r rec
		if k == kindExpect {
			if n == len(b.expects) {
				b.expects = append(b.expects, Expect{})
			}
			r.e = &b.expects[n]
		} else {
			fs := &b.flows
			if each {
				fs = &w.flows
			}
			if n == len(*fs) {
				if n == 0 {
					// Room for the flows of lines of 128 bytes or more,
					// made once, rather than grown from one by doubling,
					// whose garbage cost page faults.
					*fs = slices.Grow(*fs, len(b.buf)/128+1)
				}
				*fs = append(*fs, Flow{})
			}
			r.f = &(*fs)[n]
		}
		ok := w.scan(r)
		if !ok && w.pending == nil {
			break
		}
		if ok && each && w.pending == nil {
			n++
			continue
		}
		at := w.state()
		it := item{rec: -1, full: -1, line: at.line, lines: at.lines, err: w.pending, text: b.keep(w.line)}
		if len(b.items) == 0 || !b.states[len(b.states)-1].movedOn(at) {
			it.full = len(b.states)
			b.states = append(b.states, at)
		}
		if ok {
			it.rec, n = n, n+1
		}
		w.pending = nil
		b.items = append(b.items, it)
	}
	b.end, b.endText, b.past, b.n = w.state(), b.keep(w.line), w.past, n
	w.buf = nil
}

// keep returns where line, the Scanner's last, is in b: in its chunk, or
// copied to its text.
func (b *batch) keep(line []byte) span {
	if c, cb := cap(line), cap(b.buf); c > 0 && c <= cb && &line[:c][c-1] == &b.buf[:cb][cb-1] {
		from := cb - c
		return span{from: from, to: from + len(line)}
	}
	from := len(b.text)
	b.text = append(b.text, line...)
	return span{from: from, to: len(b.text), joined: true}
}

// stopEach ends the parallel scan of an EachFlow whose loop stopped: the
// workers hand out no more, and the Scanner has the batches back.
func (s *Scanner) stopEach() {
	p := s.par
	p.stopped.Store(true)
	p.end()
	at := p.next
	if p.cur != nil {
		at++
	}
	for ; at < p.sent(); at++ {
		p.wait(at, nil)
	}
	p.over, p.ready, p.cur, p.rd = true, nil, nil, chunker{}
}

// alone makes the Scanner read on alone from batch b, or after the last
// batch if nil, as if it had read the input so far itself.
func (s *Scanner) alone(b *batch) {
	p := s.par
	p.end()
	c := &p.rd
	var rest []byte
	if b != nil {
		if c.at == nil {
			rest = append(rest, b.buf...)
		}
		// The batches after b, none quiet, come to the loop in order.
		for at := b.loop + 1; at < p.sent(); at++ {
			if b := p.wait(at, nil); c.at == nil {
				rest = append(rest, b.buf...)
			}
		}
	}
	switch {
	case c.at != nil:
		// A file is read on from where b starts, or from its end.
		off := c.end
		if b != nil {
			off = b.off
		}
		s.r, s.eof = io.NewSectionReader(c.at, off, c.end-off), b == nil
	case c.err != nil:
		s.r = errReader{c.err}
	}
	rest = append(rest, c.carry...)
	s.buf, s.start, s.end, s.eof = rest, 0, len(rest), s.eof || c.eof && c.err == nil
	s.setState(state{}, p.base)
	s.line = p.text
	p.over, p.ready, p.cur, p.rd = true, nil, nil, chunker{}
	if v := p.turns.panicked(); v != nil {
		panic(v) // each's, after the last batch the loop had
	}
}

// errReader gives its error.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
