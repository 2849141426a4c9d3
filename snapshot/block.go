package snapshot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"iter"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// Versions 2 and 3 hold the records in blocks, each its own zstd frame of
// msgpack records whose addresses refer back only within it, after a
// block header:
//
//	length     4 bytes  big-endian: of the records decompressed, 1 to maxBlockLen
//	frame      4 bytes  big-endian: of the zstd frame that follows, 1 to maxBlockLen
//	records    the zstd frame, with its content checksum
//
// In version 3, a block's first byte decompressed is its layout: msgpack
// records, or flows by column (codec.ColumnEncoder), which decode in half
// the time. Blocks decode apart from each other, so a Reader decodes them
// on every core and hands out their records in order. Read one after the
// other, the blocks' records are the stream of version 1, the end record
// last.

// Bounds of a block. A writer ends a block at blockRecords records, of
// any kind, or once it holds blockBytes; a reader refuses a block larger
// than maxBlockLen, decompressed or not, or of more records: so that
// decoding one takes little memory whatever the file says, 7 MiB at most
// (its frame, its records decompressed and decoded), and a Reader holds
// decoders+2 blocks at once. 8,192 records a block keep a snapshot
// within a tenth of version 1's size; fewer lose more to the zstd
// history and the back-references that each block starts without.
//
// A writer ends a block of flows by column at columnFlows: 4,096 take 1%
// more bytes than 8,192 (the addresses each block starts without), and
// check in three quarters of their time, a buffer of flows half as
// large to fault in and to keep in the caches (bench/snapshot.sh).
const (
	blockRecords   = 8192
	columnFlows    = 4096
	maxDecoders    = 8 // a Reader's, at most: its memory stays under 70 MiB on any machine
	blockBytes     = 1 << 20
	maxBlockLen    = 2 << 20
	blockHeaderLen = 8
)

// A blockWriter compresses the blocks a Writer's encoding goroutine
// fills and writes them, on a goroutine of its own: a block compresses
// while the next is encoded.
type blockWriter struct {
	w    io.Writer
	zw   *zstd.Encoder
	full chan *bytes.Buffer
	free chan *bytes.Buffer
	done chan error
}

func newBlockWriter(w io.Writer) (*blockWriter, error) {
	// The fastest level: the records' structure has done most of the
	// work, and the default level costs a fifth more time for 6% fewer
	// bytes (bench/snapshot.sh).
	zw, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(maxBlockLen), zstd.WithEncoderCRC(true))
	if err != nil {
		return nil, err
	}
	bw := &blockWriter{w: w, zw: zw, full: make(chan *bytes.Buffer, 1), free: make(chan *bytes.Buffer, 2), done: make(chan error, 1)}
	bw.free <- new(bytes.Buffer)
	bw.free <- new(bytes.Buffer)
	go bw.run()
	return bw, nil
}

func (bw *blockWriter) run() {
	var err error
	var frame []byte
	for b := range bw.full {
		if err == nil {
			frame = bw.zw.EncodeAll(b.Bytes(), append(frame[:0], make([]byte, blockHeaderLen)...))
			binary.BigEndian.PutUint32(frame, uint32(b.Len()))
			binary.BigEndian.PutUint32(frame[4:], uint32(len(frame)-blockHeaderLen))
			_, err = bw.w.Write(frame)
		}
		b.Reset()
		bw.free <- b
	}
	bw.done <- err
}

// buffer returns an empty buffer to encode a block into.
func (bw *blockWriter) buffer() *bytes.Buffer { return <-bw.free }

// write hands a block over to be compressed and written; an error of the
// writing comes from close.
func (bw *blockWriter) write(b *bytes.Buffer) { bw.full <- b }

// close writes what is left and returns the first error.
func (bw *blockWriter) close() error {
	close(bw.full)
	return <-bw.done
}

// blockReader reads the blocks of a file of version 2 or 3 on a goroutine of
// its own, and decodes them on workers, one a core; next hands them out
// in order.
type blockReader struct {
	h       *Header
	layouts bool // the file's blocks start with their layout (version 3)
	workers int
	// start starts the goroutines, at the first block asked for: so that
	// the workers decode each block for what the reader asked, and do not
	// lay out the flows of one that EachCount only counts.
	start func()
	jobs  chan *block // to the workers
	order chan *block // to next, in the order of the file
	free  chan *block
	// Flows that blocks handed out to EachFlow's each gave back, for the
	// next block decoded: so EachFlow decodes into as many buffers of
	// flows as there are workers, not blocks (each up to 3 MiB, which the
	// kernel has to fault in).
	spare chan []format.Flow
	stop  chan struct{}

	// EachFlow's and EachCount's: the workers hand the flows of each
	// block they decode out, while every block before it was sound (gate).
	hand atomic.Pointer[hand]
	gate []chan sound // by seq modulo its length
}

// hand is where a block's flows go: to flows, or only their number to
// count, which spares a block of columns being laid out.
type hand struct {
	flows func(worker int, flows []format.Flow)
	count func(worker, n int)
}

// sound is what the blocks up to one tell the next: whether all were
// sound (decoded whole, their records within what the header counts, no
// end record yet), and their records and carried counters.
type sound struct {
	ok      bool
	records uint64
	stats   int
}

// A block is one block of a file, as read and decoded: its records, and
// what ended them.
type block struct {
	seq    int
	frame  []byte
	length int
	out    []byte // decompressed

	flows []format.Flow
	exps  []format.Expect
	stats []format.Stats
	gaps  []blockGap
	n     int // flows or expectations

	end      bool   // the block ends with the end record
	endCount uint64 // its count
	eof      bool   // no block but the end of the file
	err      error  // after the records decoded
	laid     bool   // flows holds its flows: not a block of columns only checked
	handed   bool   // its flows were handed to EachFlow's or EachCount's each
	panic    any    // each's, which the loop raises
	ready    chan struct{}
}

// blockGap is a gap record of a block, after its first at records.
type blockGap struct {
	at  int
	gap codec.Gap
}

// Errors of the blocks that the Reader tells with its count.
var (
	errCut    = errors.New("cut")
	errSecond = errors.New("second snapshot")
)

func newBlockReader(r io.Reader, h *Header, version uint16) *blockReader {
	workers := min(runtime.GOMAXPROCS(0), maxDecoders)
	inflight := workers + 2
	br := &blockReader{h: h, layouts: version >= 3, workers: workers, jobs: make(chan *block, inflight), order: make(chan *block, inflight),
		free: make(chan *block, inflight), stop: make(chan struct{}), gate: make([]chan sound, inflight)}
	br.spare = make(chan []format.Flow, inflight)
	for i := range inflight {
		br.free <- &block{ready: make(chan struct{}, 1)}
		br.gate[i] = make(chan sound, 1)
	}
	br.start = sync.OnceFunc(func() {
		go br.feed(r)
		for i := range workers {
			go br.work(i)
		}
	})
	return br
}

// feed reads the blocks and hands them to the workers, and in the same
// order to next, until the end of the file or an error.
func (br *blockReader) feed(r io.Reader) {
	defer close(br.order)
	defer close(br.jobs)
	var head [blockHeaderLen]byte
	for seq := 0; ; seq++ {
		var b *block
		select {
		case b = <-br.free:
		case <-br.stop:
			return
		}
		b.reset()
		b.seq = seq
		n, err := io.ReadFull(r, head[:])
		switch {
		case n == 0 && err == io.EOF:
			b.eof = true
		case err != nil:
			b.err = errCut
		case string(head[:]) == Magic:
			b.err = errSecond
		default:
			b.length = int(binary.BigEndian.Uint32(head[:]))
			size := int(binary.BigEndian.Uint32(head[4:]))
			if b.length == 0 || size == 0 || b.length > maxBlockLen || size > maxBlockLen {
				b.err = corrupt("a block of "+strconv.Itoa(size)+" bytes that decompress to "+strconv.Itoa(b.length)+
					": none, or more than "+strconv.Itoa(maxBlockLen), nil)
				break
			}
			b.frame = grown(b.frame, size)
			if _, err := io.ReadFull(r, b.frame); err != nil {
				b.err = errCut
			}
		}
		last := b.err != nil || b.eof // b is a worker's once handed over
		if last {
			b.ready <- struct{}{}
		} else {
			br.jobs <- b
		}
		br.order <- b
		if last {
			return
		}
	}
}

func (b *block) reset() {
	b.length, b.n, b.end, b.endCount, b.eof, b.err, b.laid, b.handed, b.panic = 0, 0, false, 0, false, nil, false, false, nil
	b.stats, b.gaps = b.stats[:0], b.gaps[:0]
}

// blockDecoder decompresses the blocks of every Reader, as many at once
// as GOMAXPROCS, each into at most maxBlockLen bytes.
var blockDecoder = sync.OnceValue(func() *zstd.Decoder {
	zr, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxWindow(maxBlockLen),
		zstd.WithDecoderMaxMemory(maxBlockLen))
	if err != nil {
		panic(err) // only options that are not valid fail
	}
	return zr
})

// work decodes the blocks it is given, as worker i, and hands their
// flows out where EachFlow asks it to.
func (br *blockReader) work(i int) {
	var dec blockDecoders
	dec.records = codec.NewMsgpackDecoder(nil)
	for b := range br.jobs {
		to := br.hand.Load()
		lay := to == nil || to.count == nil
		if lay && b.flows == nil {
			select {
			case b.flows = <-br.spare:
			default:
			}
		}
		b.decode(blockDecoder(), &dec, br.h, br.layouts, lay)
		if br.handOut(i, b, to); b.handed && b.flows != nil {
			select {
			case br.spare <- b.flows: // for the next block decoded
			default:
				// Full, where blocks laid out for Flows before kept
				// theirs: these are the collector's.
			}
			b.flows = nil
		}
		b.ready <- struct{}{}
	}
}

// handOut hands b's flows out to where they go, if anywhere, where b and
// every block before it are sound: what the loop would hand out in order,
// and no more. The gate tells the next block how the blocks up to b were.
func (br *blockReader) handOut(worker int, b *block, to *hand) {
	s := sound{ok: true}
	if b.seq > 0 {
		s = <-br.gate[(b.seq-1)%len(br.gate)]
	}
	s.ok = s.ok && b.err == nil && !br.h.Stats && !br.h.Expectations && s.stats+len(b.stats) <= MaxCarriedStats &&
		(br.h.Count == UnknownCount || s.records+uint64(b.n) <= br.h.Count)
	s.records, s.stats = s.records+uint64(b.n), s.stats+len(b.stats)
	if s.ok && to != nil && b.n > 0 {
		func() {
			defer func() {
				if v := recover(); v != nil {
					b.panic, s.ok = v, false
				}
			}()
			if to.count != nil {
				to.count(worker, b.n)
			} else {
				to.flows(worker, b.flows[:b.n])
			}
			b.handed = true
		}()
	}
	s.ok = s.ok && !b.end
	br.gate[b.seq%len(br.gate)] <- s
}

// blockDecoders are a worker's decoders of the two layouts of a block.
type blockDecoders struct {
	records *codec.MsgpackDecoder
	columns codec.ColumnDecoder
}

// The layouts of a block of version 3, its first byte decompressed.
const (
	layoutRecords = 0 // records, as a block of version 2 holds them
	layoutColumns = 1 // flows, by column (codec.ColumnEncoder)
)

// decode decompresses b's frame and decodes its records; layouts says
// that the block starts with its layout, and lay that flows by column
// are to be laid out, not only checked.
func (b *block) decode(zr *zstd.Decoder, decs *blockDecoders, h *Header, layouts, lay bool) {
	var err error
	if cap(b.out) < b.length {
		// What it says, and a quarter more for the blocks after it: a
		// buffer that DecodeAll grows is new memory, to be faulted in.
		b.out = make([]byte, 0, min(b.length+b.length/4, maxBlockLen))
	}
	if b.out, err = zr.DecodeAll(b.frame, b.out[:0]); err != nil {
		b.err = err
		return
	}
	if len(b.out) != b.length {
		b.err = corrupt("a block that says it holds "+strconv.Itoa(b.length)+" bytes holds "+strconv.Itoa(len(b.out)), nil)
		return
	}
	out := b.out
	if layouts {
		switch out[0] {
		case layoutRecords:
			out = out[1:]
		case layoutColumns:
			b.decodeColumns(&decs.columns, h, lay)
			return
		default:
			b.err = corrupt("a block of layout "+strconv.Itoa(int(out[0]))+", which this version does not know", nil)
			return
		}
	}
	b.laid = true
	dec := decs.records
	dec.ResetBytes(out)
	// Room for as many flows or expectations as the block may hold, and
	// the one being decoded: each that counts took 7 bytes at least (an
	// array, its kind, mask, family, protocol, two addresses). The
	// buffers grow once, to what the blocks need.
	if most := min(len(out)/7, blockRecords) + 1; h.Expectations {
		b.exps = grown(b.exps, most)
	} else if !h.Stats {
		b.flows = grown(b.flows, most)
	}
	var st format.Stats
	for records := 1; ; records++ {
		var f *format.Flow
		var e *format.Expect
		switch {
		case h.Stats:
		case h.Expectations:
			e = &b.exps[b.n]
		default:
			f = &b.flows[b.n]
		}
		k, err := dec.DecodeRecord(f, e, &st)
		switch {
		case err == io.EOF:
			return
		case err != nil:
			b.err = err
			return
		case records > blockRecords:
			b.err = corrupt("a block of more than "+strconv.Itoa(blockRecords)+" records", nil)
			return
		case k == codec.KindEnd:
			b.end, b.endCount = true, dec.Count()
			if dec.Buffered() > 0 {
				b.err = corrupt("data after the end record", nil)
			}
			return
		case k == codec.KindGap:
			b.gaps = append(b.gaps, blockGap{at: b.n, gap: dec.Gap()})
		case k == codec.KindStats:
			b.stats = append(b.stats, st)
		default: // a flow or an expectation
			if h.CRLF { // all CR LF
				if f != nil {
					f.Quirks |= format.QuirkCRLF
				} else {
					e.Quirks |= format.QuirkCRLF
				}
			}
			b.n++
		}
	}
}

// decodeColumns decodes b's flows, laid out by column after the layout,
// or where lay is false only checks them (codec.ColumnDecoder.Check).
func (b *block) decodeColumns(dec *codec.ColumnDecoder, h *Header, lay bool) {
	if h.Stats || h.Expectations {
		b.err = corrupt("a block of flows in a file of "+map[bool]string{false: "counters", true: "expectations"}[h.Expectations], nil)
		return
	}
	if !lay {
		b.n, b.err = dec.Check(b.out[1:])
		return
	}
	b.layColumns(dec, h)
}

// layColumns lays b's flows out from its columns.
func (b *block) layColumns(dec *codec.ColumnDecoder, h *Header) {
	b.flows, b.err = dec.Decode(b.flows[:0], b.out[1:])
	b.n, b.laid = len(b.flows), true
	if h.CRLF && b.err == nil { // all CR LF
		for i := range b.flows {
			b.flows[i].Quirks |= format.QuirkCRLF
		}
	}
}

// grown returns s with n elements, those it had kept: its own array
// where it has the room.
func grown[T any](s []T, n int) []T {
	if n <= cap(s) {
		return s[:n]
	}
	return append(s[:cap(s)], make([]T, n-cap(s))...)
}

// next returns the next block, in the file's order; nil after the last.
func (br *blockReader) next() *block {
	br.start()
	b, ok := <-br.order
	if !ok {
		return nil
	}
	<-b.ready
	return b
}

// release gives a block back to be read into again.
func (br *blockReader) release(b *block) { br.free <- b }

// close stops the reading; the goroutines end once their block is done.
func (br *blockReader) close() {
	select {
	case <-br.stop:
	default:
		close(br.stop)
	}
}

// blockAll iterates over the records of a file of blocks that recs
// returns of each block: flows, expectations, or the records of a file
// of the table's counters, which are not counted.
func blockAll[T any](r *Reader, stats, expect bool, recs func(*block) []T) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if err := r.kindErr(stats, expect); err != nil {
			yield(nil, err)
			return
		}
		r.begun = true
		left := func(b *block) int { return len(recs(b)) }
		for r.fill(left) {
			b, all := r.cur, recs(r.cur)
			if !stats && r.h.Count != UnknownCount && uint64(len(all)-r.i) > r.h.Count-r.count {
				r.err = corrupt("more records than the header's count, "+strconv.FormatUint(r.h.Count, 10), nil)
				break
			}
			for r.i < len(all) {
				i := r.i
				r.i++
				if !stats {
					if len(b.gaps) > 0 {
						r.passGaps(b, i)
					}
					r.count++
				}
				if !yield(&all[i], nil) {
					return
				}
			}
		}
		if r.err != nil {
			yield(nil, r.err)
		}
	}
}

// fill makes r.cur a block with a record left to read, of those that
// left counts, past the blocks read to their end: false after the last,
// or at an error.
func (r *Reader) fill(left func(*block) int) bool {
	for {
		if r.cur != nil {
			if r.i < left(r.cur) {
				return true
			}
			if r.cur.handed && r.i < r.cur.n {
				// Handed out by the workers of an EachFlow or EachCount
				// that stopped before it took the block: its records are
				// counted here.
				r.pass(r.cur)
			}
			r.finish()
		}
		if r.err != nil || r.done {
			return false
		}
		b := r.blocks.next()
		if b == nil || b.eof {
			r.err = corrupt("the records end without their end record (a cut file?)", nil)
			return false
		}
		if !r.h.Stats {
			if r.err = r.carry(b.stats); r.err != nil {
				return false
			}
		}
		r.cur, r.i, r.gi = b, 0, 0
	}
}

// pass counts the records of block b, the current one, from r.i to its
// end as read, with the gaps among them: handed out, not yielded.
func (r *Reader) pass(b *block) {
	start := r.count
	for ; r.gi < len(b.gaps) && b.gaps[r.gi].at < b.n; r.gi++ {
		r.count = start + uint64(max(b.gaps[r.gi].at-r.i, 0))
		r.gap(b.gaps[r.gi].gap)
	}
	r.count, r.i = start+uint64(b.n-r.i), b.n
}

// passGaps keeps the gaps of block b, the current one, before its record
// i.
func (r *Reader) passGaps(b *block, i int) {
	for ; r.gi < len(b.gaps) && b.gaps[r.gi].at <= i; r.gi++ {
		r.gap(b.gaps[r.gi].gap)
	}
}

// finish ends the current block, read to its end: its gaps after the
// last record, its error, its end record.
func (r *Reader) finish() {
	b := r.cur
	r.cur = nil
	defer r.blocks.release(b)
	r.passGaps(b, b.n)
	switch {
	case b.err != nil:
		r.err = r.blockErr(b.err)
	case b.end:
		r.done = true
		switch {
		case b.endCount != r.count:
			r.err = corrupt("the end record counts "+strconv.FormatUint(b.endCount, 10)+" records, the file holds "+strconv.FormatUint(r.count, 10), nil)
		case r.h.Count != UnknownCount && r.h.Count != r.count:
			r.err = corrupt("the header counts "+strconv.FormatUint(r.h.Count, 10)+" records, the file holds "+strconv.FormatUint(r.count, 10), nil)
		default:
			// Nothing follows the block of the end record.
			if after := r.blocks.next(); after != nil {
				switch {
				case after.err == errSecond:
					r.err = r.blockErr(errSecond)
				case !after.eof:
					r.err = corrupt("data after the end record", nil)
				}
				r.blocks.release(after)
			}
		}
	}
}

// flowsOf returns the flows of b, a block of flows: laid out now where
// they were only checked, by a worker while a loop of EachCount ran.
func (r *Reader) flowsOf(b *block) []format.Flow {
	if !b.laid && b.err == nil && b.n > 0 {
		b.layColumns(&r.lay, &r.h)
	}
	return b.flows[:b.n]
}

// blockErr returns the error of a block that could not be read, after the
// records before it.
func (r *Reader) blockErr(err error) error {
	after := strconv.FormatUint(r.count, 10) + " records"
	var fe *FileError
	switch {
	case errors.As(err, &fe):
		return err
	case err == errCut:
		return corrupt("the file is cut short after "+after, nil)
	case err == errSecond:
		return corrupt("the file holds a second snapshot after "+after+" (concatenated files?)", nil)
	case errors.Is(err, zstd.ErrCRCMismatch):
		return corrupt("the records' checksum does not match: the file is damaged after "+after, nil)
	case errors.Is(err, codec.ErrCorrupt):
		return corrupt("after "+after, err)
	}
	return corrupt("the compressed records are damaged after "+after, err)
}

// eachBlock hands the flows of a file of blocks out as to says, as
// Reader.EachFlow and EachCount say: the workers hand out the blocks they
// decode while it runs, and the loop, as worker br.workers, those decoded
// before, or after a block that was not sound, in order, up to where the
// file is wrong.
func (r *Reader) eachBlock(to hand) iter.Seq[error] {
	return func(yield func(error) bool) {
		if err := r.kindErr(false, false); err != nil {
			yield(err)
			return
		}
		r.begun = true
		br := r.blocks
		br.hand.Store(&to)
		defer br.hand.Store(nil)
		for r.fill(func(b *block) int { return b.n }) {
			b := r.cur
			if b.panic != nil {
				panic(b.panic)
			}
			if r.h.Count != UnknownCount && uint64(b.n-r.i) > r.h.Count-r.count {
				r.err = corrupt("more records than the header's count, "+strconv.FormatUint(r.h.Count, 10), nil)
				break
			}
			switch {
			case b.handed:
			case to.count != nil:
				to.count(br.workers, b.n-r.i)
			default:
				to.flows(br.workers, r.flowsOf(b)[r.i:])
			}
			r.pass(b)
		}
		if r.err != nil {
			yield(r.err)
		}
	}
}
