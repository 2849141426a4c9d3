package format_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/goroutines"
)

// trace reads data with a Scanner made with opts and d, by the iterator
// that fits its format, and writes down all that the Scanner tells after
// each record or error and at the end: a parallel scan must tell the same
// as a serial one. With every > 0, the loop stops after every that many
// steps, and a new loop goes on. The loops of flows take turns:
// FlowsAhead first, whose work copies each batch of flows, and whose
// loop checks that what work made has each flow's copy, then Flows.
func trace(t testing.TB, r io.Reader, d format.Dialect, every int, opts ...format.ScanOption) string {
	t.Helper()
	sc, err := format.NewScanner(r, d, append([]format.ScanOption{format.WithName("in")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	// Bytes is written down after the records of line formats: after a
	// bad line, at the end, or after an XML record over several lines, a
	// serial Scanner's depends on how its buffer moved as it read.
	text := func(rec bool) []byte {
		if f := sc.Dialect().Format; !rec || f == format.XML || f == format.XMLExpect {
			return nil
		}
		return sc.Bytes()
	}
	state := func(rec bool) {
		dl := sc.Dialect()
		fmt.Fprintf(&b, "  line %d %q skipped %d messages %d normalized %d unknown %d others %d notrecords %d blank %d dialect %+v\n",
			sc.Line(), text(rec), sc.Skipped(), sc.Messages(), sc.Normalized(), sc.Unknown(), sc.Others(), sc.NotRecords(), sc.Blank(), dl)
	}
	// step writes a step down, and reports whether the loop is to stop
	// there: at the end of every steps, or an error that ends the records.
	n, fatal := 0, false
	step := func(rec any, err error) (stop bool) {
		var pe *format.ParseError
		switch {
		case errors.As(err, &pe):
			fmt.Fprintf(&b, "bad %s\n", pe)
		case err != nil:
			fmt.Fprintf(&b, "error %v\n", err)
		default:
			fmt.Fprintf(&b, "%+v\n", rec)
		}
		state(err == nil)
		n++
		fatal = err != nil && pe == nil
		return fatal || every > 0 && n%every == 0
	}
	// FlowsAhead's work, on a worker that runs no other at once.
	busy := make([]atomic.Bool, sc.Workers()+1)
	work := func(w int, flows []format.Flow, made *[]format.Flow) {
		if w < 0 || w >= len(busy) || !busy[w].CompareAndSwap(false, true) {
			t.Errorf("worker %d of %d runs, or runs twice at once", w, len(busy))
			return
		}
		defer busy[w].Store(false)
		*made = append((*made)[:0], flows...)
	}
	loops := 0
	fm, err := sc.Detect()
	fmt.Fprintf(&b, "detect %v %v\n", fm, err)
	for more := err == nil; more; {
		more = false
		switch {
		case fm.Statistics():
			for s, err := range sc.Stats() {
				if more = step(s, err); more {
					break
				}
			}
		case fm.Expectations():
			for e, err := range sc.Expects() {
				if more = step(e, err); more {
					break
				}
			}
		case loops%2 == 0:
			for a, err := range format.FlowsAhead(sc, work) {
				if err == nil && (a.Index >= len(*a.Made) || (*a.Made)[a.Index] != *a.Flow) {
					t.Errorf("step %d: what work made tells of no copy of the flow", n)
				}
				if more = step(a.Flow, err); more {
					break
				}
			}
		default:
			for f, err := range sc.Flows() {
				if more = step(f, err); more {
					break
				}
			}
		}
		more = more && !fatal
		loops++
	}
	b.WriteString("end\n")
	state(false)
	return b.String()
}

// captures returns the text captures of testdata: the corpus, pastes,
// conntrackd's, the counters', older producers'.
func captures(t testing.TB) []string {
	var files []string
	for _, root := range []string{"../testdata", "testdata"} {
		filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && (strings.HasSuffix(path, ".txt") || strings.HasSuffix(path, ".xml")) {
				files = append(files, path)
			}
			return nil
		})
	}
	if len(files) < 400 {
		t.Fatalf("only %d captures", len(files))
	}
	return files
}

// TestParallelCaptures reads every capture of testdata in parallel, cut
// into chunks as small as can be (every line that starts a record starts
// a chunk) and of a few sizes, and checks that the Scanner tells all it
// tells serially: the same records, errors at the same positions, counts.
func TestParallelCaptures(t *testing.T) {
	for _, file := range captures(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, strict := range []bool{false, true} {
			d := format.Dialect{Format: format.Auto, Strict: strict}
			want := trace(t, bytes.NewReader(data), d, 0)
			for _, chunk := range []int{1, 2, 100, 4096, 1 << 20} {
				var r io.Reader = bytes.NewReader(data)
				if chunk == 1<<20 {
					r = &lineReader{r: bufio.NewReader(r)} // a live stream: chunks end where the lines read so far end
				}
				got := trace(t, r, d, 0, format.WithWorkers(3), format.WithChunk(chunk))
				if got != want {
					t.Errorf("%s, strict %v, chunks of %d: parallel differs:\n%s", file, strict, chunk, firstDiff(want, got))
				}
			}
		}
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\nserial:   %s\nparallel: %s", i+1, x, y)
		}
	}
	return ""
}

// TestParallelEdges cuts small inputs into chunks of every size, and reads
// them with loops that stop and go on, in parallel as serially: records
// that straddle chunks, CR LF, a last line without its newline, records
// joined from lines by a backslash, by conntrack's message that cut them,
// by a paste that wrapped them; XML over many lines, with a quote that
// spans lines; lines too long to read, where the scan reads on alone; a
// reader that fails.
func TestParallelEdges(t *testing.T) {
	tests := edges(t)
	// Readers that give a line, or a byte, at a time, as a live stream
	// does, make the chunks end with the lines read so far.
	readers := []func(io.Reader) io.Reader{
		func(r io.Reader) io.Reader { return r },
		iotest.OneByteReader,
		iotest.HalfReader,
		func(r io.Reader) io.Reader { return &lineReader{r: bufio.NewReader(r)} },
	}
	for i, tt := range tests {
		read := func(opts ...format.ScanOption) string {
			if tt.maxLine > 0 {
				opts = append(opts, format.WithMaxLine(tt.maxLine))
			}
			var r io.Reader = strings.NewReader(tt.in)
			if tt.err != nil {
				r = io.MultiReader(r, failing{tt.err})
			}
			if len(tt.in) < 4096 {
				r = readers[i%len(readers)](r)
			}
			return trace(t, r, format.Dialect{Format: format.Auto}, 3, opts...)
		}
		want := read()
		for _, chunk := range tt.chunks() {
			if got := read(format.WithWorkers(2), format.WithChunk(chunk)); got != want {
				t.Errorf("%s, chunks of %d: parallel differs:\n%s", tt.name, chunk, firstDiff(want, got))
				break
			}
		}
	}
}

// An edge is an input that a parallel scan must read as a serial one.
type edge struct {
	name    string
	in      string
	maxLine int
	err     error // the reader's, after in
}

// chunks returns the chunk sizes to cut e into: every size, of a small
// input; a few, of a large one.
func (e edge) chunks() []int {
	if len(e.in) >= 4096 {
		return []int{1, 2, 3, 100, 1000, 70000}
	}
	var sizes []int
	for chunk := 1; chunk <= len(e.in)+1; chunk++ {
		sizes = append(sizes, chunk)
	}
	return sizes
}

// edges returns small inputs whose records straddle chunks (see
// TestParallelEdges).
func edges(t *testing.T) []edge {
	conntrack := readLines(t, "../testdata/corpus/conntrack-L.txt", 6)
	proc := readLines(t, "../testdata/corpus/proc.txt", 5)
	xml := readLines(t, "../testdata/corpus/xml-L.txt", 6)
	msg := "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.\n"
	return []edge{
		{name: "lines", in: strings.Join(proc, "")},
		{name: "crlf", in: strings.ReplaceAll(strings.Join(proc, ""), "\n", "\r\n")},
		{name: "no final newline", in: strings.TrimSuffix(strings.Join(conntrack, ""), "\n")},
		{name: "blank lines", in: "\n \n" + strings.Join(conntrack[:2], "\n\n") + "\n\t\n"},
		{name: "bom", in: "\xef\xbb\xbf" + strings.Join(proc, "")},
		{name: "backslash", in: conntrack[0] + wrapAt(conntrack[1], " packets=", " \\\n      ") + wrapAt(conntrack[2], " src=", " \\\n") + conntrack[3]},
		{name: "backslash at the end", in: conntrack[0] + conntrack[1][:40] + " \\\n"},
		{name: "message cuts a record", in: conntrack[0] + conntrack[1][:60] + msg + conntrack[1][60:] + conntrack[2] + msg},
		{name: "pdf wrapped", in: conntrack[0] + wrapAt(conntrack[1], " packets=", "\n") + wrapAt(conntrack[2], " [", "\n") + conntrack[3][:50] + "\n" + conntrack[4]},
		{name: "pdf wrapped, whole", in: conntrack[0] + wrapAt(conntrack[1], " use=", "\n   ") + wrapAt(conntrack[2], " mark=", "\n") + conntrack[3] + wrapAt(conntrack[4], " mark=", "\n")},
		{name: "bad lines", in: conntrack[0] + "garbage\n" + conntrack[1][:30] + "\n" + conntrack[2] + "tcp 6 x\n"},
		{name: "xml", in: strings.Join(xml, "")},
		{name: "xml over lines", in: xml[0] + xml[1] + strings.ReplaceAll(xml[2], "><", ">\n  <") + xml[3] + strings.ReplaceAll(xml[4], "><", ">\n<") + xml[5]},
		{name: "xml quote over lines", in: xml[0] + xml[1] + "<flow a=\"x\n</flow>\n<flow\">" + xml[2] + xml[3] + xml[4]},
		{name: "xml records on a line", in: xml[0] + xml[1] + strings.TrimSuffix(xml[2], "\n") + xml[3] + xml[4]},
		{name: "long lines", in: proc[0] + strings.Repeat("x", 200) + "\n" + proc[1] + strings.Repeat("y ", 150) + "\n" + proc[2], maxLine: 64},
		{name: "reader fails", in: strings.Repeat(strings.Join(proc, ""), 50) + proc[0][:20], err: errors.New("disk on fire")},
		{name: "reader fails after a line", in: strings.Repeat(strings.Join(proc, ""), 50), err: errors.New("disk on fire")},
		{name: "a line longer than a chunk goes", in: strings.Join(proc, "") + strings.Repeat("x", 200<<10) + "\n" + strings.Join(proc, ""), maxLine: 64},
		// Read where they are, the chunks after the first count their
		// lines from their start: a bad record joined from lines names
		// them, and a byte-order mark is the input's first line's only.
		{name: "joined bad record far in", in: strings.Repeat(strings.Join(conntrack, ""), 20) + wrapAt(conntrack[1], " packets=", " \\\n  ")[:150] + " mark=x \\\n use=1\n" + strings.Join(conntrack, "")},
		{name: "byte-order mark far in", in: strings.Repeat(strings.Join(proc, ""), 20) + "\xef\xbb\xbf" + strings.Join(proc, "")},
	}
}

// readLines returns the first n lines of file, each with its newline.
func readLines(t *testing.T, file string, n int) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) < n {
		t.Fatalf("%s: %d lines, want %d", file, len(lines), n)
	}
	return lines[:n]
}

// wrapAt puts wrap in place of the blank before the first sep in line.
func wrapAt(line, sep, wrap string) string {
	i := strings.Index(line, sep)
	return line[:i] + wrap + line[i+1:]
}

type failing struct{ err error }

// lineReader reads a line at a time.
type lineReader struct{ r *bufio.Reader }

func (l *lineReader) Read(p []byte) (int, error) {
	line, err := l.r.ReadSlice('\n')
	if len(line) > len(p) {
		return 0, errors.New("lineReader: a line longer than the buffer")
	}
	return copy(p, line), err
}

func (f failing) Read([]byte) (int, error) { return 0, f.err }

// FuzzParallel checks that a parallel scan in chunks of 1 to 64 bytes
// tells all that a serial one does (see trace and eachTrace), of any stream, in loops
// that stop after every 1 to 8 steps and go on; read a line at a time,
// its chunks also end where the lines read so far end.
func FuzzParallel(f *testing.F) {
	files, _ := filepath.Glob("testdata/xml-reserialised/*.xml")
	for _, pattern := range []string{"corpus/*.txt", "pasted/00[4-5]*.txt", "pasted/03[2-5]*.txt", "conntrackd/conntrackd-[ie]*.txt", "pasted/older/*.txt"} {
		more, _ := filepath.Glob("../testdata/" + pattern)
		files = append(files, more...)
	}
	for _, file := range files {
		data, _ := os.ReadFile(file)
		f.Add(data[:min(len(data), 2048)], byte(0), byte(0))
		f.Add(data[:min(len(data), 1024)], byte(37), byte(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk, every byte) {
		d := format.Dialect{Format: format.Auto}
		want := trace(t, bytes.NewReader(data), d, int(every%8), format.WithMaxLine(512))
		var r io.Reader = bytes.NewReader(data)
		if chunk >= 128 {
			r = &lineReader{r: bufio.NewReader(r)} // chunks cut where the lines read so far end
		}
		got := trace(t, r, d, int(every%8), format.WithMaxLine(512), format.WithWorkers(2), format.WithChunk(1+int(chunk%64)))
		if got != want {
			t.Fatalf("chunks of %d: parallel differs:\n%s", 1+chunk%64, firstDiff(want, got))
		}
		want, _ = eachTrace(t, bytes.NewReader(data), d, format.WithMaxLine(512))
		r = bytes.NewReader(data)
		if chunk >= 128 {
			r = &lineReader{r: bufio.NewReader(r)}
		}
		got, _ = eachTrace(t, r, d, format.WithMaxLine(512), format.WithWorkers(2), format.WithChunk(1+int(chunk%64)))
		if got != want {
			t.Fatalf("EachFlow, chunks of %d: parallel differs:\n%s", 1+chunk%64, firstDiff(want, got))
		}
	})
}

// BenchmarkScanWorkers reads 16 MiB of real /proc lines through a Scanner
// with 1 to 4 workers: the time a step, over the time with one, is how
// reading scales with cores (see bench/cores.sh for the command line).
func BenchmarkScanWorkers(b *testing.B) {
	data := corpusLines(b, "../testdata/corpus/proc.txt", "ipv", 16<<20)
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprint("workers=", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Proc}, format.WithWorkers(n))
				if err != nil {
					b.Fatal(err)
				}
				for _, err := range sc.Flows() {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestLiveStream reads a stream that gives a record, then waits until the
// loop has it before it gives the next, as conntrack -E does between
// events: a scan hands each record out as it comes, without waiting for
// the line after it, which may continue a record (wrapsOn), nor, on
// several cores, for a chunk's worth.
func TestLiveStream(t *testing.T) {
	for file, f := range map[string]format.Format{"proc.txt": format.Proc, "conntrack-E.txt": format.Conntrack} {
		lines := readLines(t, "../testdata/corpus/"+file, 5)
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s, %d workers", file, workers), func(t *testing.T) {
				r, w := io.Pipe()
				got := make(chan int)
				go func() {
					defer w.Close()
					for i, line := range lines {
						w.Write([]byte(line))
						select {
						case n := <-got:
							if n != i+1 {
								t.Errorf("after line %d, %d records", i+1, n)
							}
						case <-time.After(10 * time.Second):
							t.Errorf("line %d: no record 10 s after it was written", i+1)
							return
						}
					}
				}()
				sc, err := format.NewScanner(r, format.Dialect{Format: f}, format.WithWorkers(workers))
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, err := range sc.Flows() {
					if err != nil {
						t.Fatal(err)
					}
					n++
					select {
					case got <- n:
					case <-time.After(20 * time.Second):
					}
				}
				if n != len(lines) {
					t.Errorf("%d records, want %d", n, len(lines))
				}
			})
		}
	}
}

// TestParallelReset stops reading a parallel scan after a few records,
// and resets the Scanner, then the reader, to read it again from its
// start: after Reset, the scan's goroutines read no more of it, which the
// race detector would see, and the last reading is whole.
func TestParallelReset(t *testing.T) {
	data := corpusLines(t, "../testdata/corpus/proc.txt", "ipv", 4<<20)
	want := bytes.Count(data, []byte("\n"))
	r := bytes.NewReader(data)
	sc, err := format.NewScanner(r, format.Dialect{Format: format.Proc}, format.WithWorkers(2), format.WithChunk(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		n := 0
		for _, err := range sc.Flows() {
			if err != nil {
				t.Fatal(err)
			}
			if n++; i < 2 && n == 10 {
				break
			}
		}
		if i == 2 && n != want {
			t.Errorf("%d flows after Reset, want %d", n, want)
		}
		sc.Reset(r)
		r.Reset(data)
	}
}

// TestParallelDropped drops a Scanner after a few records of a parallel
// scan, of a file and of a stream: once it is garbage, the scan's
// goroutines end, its three workers and a stream's reader.
func TestParallelDropped(t *testing.T) {
	data := corpusLines(t, "../testdata/corpus/proc.txt", "ipv", 4<<20)
	for _, tc := range []struct {
		name string
		r    io.Reader
	}{
		{"file", bytes.NewReader(data)},
		{"stream", streamOnly{bytes.NewReader(data)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sc *format.Scanner
			g := goroutines.Start(func() {
				var err error
				sc, err = format.NewScanner(tc.r, format.Dialect{Format: format.Proc}, format.WithWorkers(3), format.WithChunk(64<<10))
				if err != nil {
					t.Fatal(err)
				}
				for range sc.Flows() {
					break
				}
			})
			if n := g.Count(); n < 3 {
				t.Fatalf("%d goroutines of the scan, want 3 or more", n)
			}
			sc = nil
			g.Dropped(t)
		})
	}
}

// TestParallelOtherKind stops a parallel loop over flows, then asks the
// Scanner for expectations and counters: as serially, each says that the
// input holds flows, and so does a loop over flows after them. (A
// parallel scan handed out its batch's flows as expectations: an index
// out of range, and a nil *Stats without an error.)
func TestParallelOtherKind(t *testing.T) {
	data := strings.Repeat(strings.Join(readLines(t, "../testdata/corpus/proc.txt", 5), ""), 100)
	read := func(opts ...format.ScanOption) (out string) {
		defer func() {
			if r := recover(); r != nil {
				out += fmt.Sprint("panic: ", r)
			}
		}()
		sc, err := format.NewScanner(strings.NewReader(data), format.Dialect{Format: format.Auto}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for range sc.Flows() {
			break
		}
		for e, err := range sc.Expects() {
			fmt.Fprintf(&b, "expects: %v %v\n", e != nil, err)
			break
		}
		for s, err := range sc.Stats() {
			fmt.Fprintf(&b, "stats: %v %v\n", s != nil, err)
			break
		}
		for f, err := range sc.Flows() {
			fmt.Fprintf(&b, "flows: %v %v\n", f != nil, err)
			break
		}
		fmt.Fprintf(&b, "line %d", sc.Line())
		return b.String()
	}
	want := read()
	for _, chunk := range []int{1, 100, 4096} {
		if got := read(format.WithWorkers(2), format.WithChunk(chunk)); got != want {
			t.Errorf("chunks of %d:\nserial:\n%s\nparallel:\n%s", chunk, want, got)
		}
	}
}

// burst gives its data as fast as asked, then waits until released.
type burst struct {
	data    []byte
	release chan struct{}
}

func (b *burst) Read(p []byte) (int, error) {
	if len(b.data) > 0 {
		n := copy(p, b.data)
		b.data = b.data[n:]
		return n, nil
	}
	<-b.release
	return 0, io.EOF
}

// TestParallelBurst reads a live stream that gives a burst of records at
// once, more than a chunk, or the lines a format is detected by, and then
// nothing for a while: every record of the burst is handed out before
// the stream gives more, as a serial Scanner hands them out. (The chunks
// after the first of a burst, and the lines read to detect the format,
// waited for the next Read.)
func TestParallelBurst(t *testing.T) {
	lines := strings.Join(readLines(t, "../testdata/corpus/proc.txt", 5), "")
	for _, tt := range []struct {
		name  string
		in    string
		d     format.Format
		chunk int
	}{
		{"more than a chunk", strings.Repeat(lines, 1000), format.Proc, 0},
		{"more than a small chunk", strings.Repeat(lines, 10), format.Proc, 1000},
		{"the lines detected", strings.Repeat(lines, 4), format.Auto, 0},
	} {
		for _, workers := range []int{1, 2} {
			b := &burst{data: []byte(tt.in), release: make(chan struct{})}
			sc, err := format.NewScanner(b, format.Dialect{Format: tt.d}, format.WithWorkers(workers), format.WithChunk(tt.chunk))
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Count(tt.in, "\n")
			all := make(chan struct{})
			done := make(chan int)
			go func() {
				n := 0
				for _, err := range sc.Flows() {
					if err != nil {
						t.Error(err)
						break
					}
					if n++; n == want {
						close(all)
					}
				}
				done <- n
			}()
			select {
			case <-all:
			case <-time.After(5 * time.Second):
				t.Errorf("%s, %d workers: the burst's records wait for the stream to give more", tt.name, workers)
			}
			close(b.release)
			if n := <-done; n != want {
				t.Errorf("%s, %d workers: %d records, want %d", tt.name, workers, n, want)
			}
		}
	}
}

// dataErr gives the rest of its data and its error in one Read, as
// io.Reader allows (a gzip.Reader's checksum error, a network read).
type dataErr struct {
	data []byte
	err  error
}

func (d *dataErr) Read(p []byte) (int, error) {
	n := copy(p, d.data)
	if d.data = d.data[n:]; len(d.data) == 0 {
		return n, d.err
	}
	return n, nil
}

// TestReadWithError reads a stream whose last Read gives lines and an
// error at once: the lines' records come first, then the error, serially
// as in parallel. (A serial Scanner dropped the lines.)
func TestReadWithError(t *testing.T) {
	lines := readLines(t, "../testdata/corpus/proc.txt", 5)
	clines := readLines(t, "../testdata/corpus/conntrack-L.txt", 5)
	for _, tt := range []struct {
		in string
		d  format.Format
	}{
		{strings.Join(lines, ""), format.Proc},
		{strings.Join(lines, "") + lines[0][:30], format.Proc},
		{strings.Repeat(strings.Join(lines, ""), 4), format.Auto},
		{strings.Join(lines, ""), format.Auto},
		{strings.Join(clines, ""), format.Conntrack},
		{"", format.Auto},
		{"", format.Conntrack},
	} {
		for _, opts := range [][]format.ScanOption{nil, {format.WithWorkers(2)}} {
			sc, err := format.NewScanner(&dataErr{[]byte(tt.in), errors.New("disk on fire")}, format.Dialect{Format: tt.d}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sc.Detect(); tt.in == "" && (err == nil || err.Error() != "disk on fire") {
				t.Errorf("%s, nothing read: Detect says %v, not the reader's error", tt.d, err)
			}
			n, last := 0, error(nil)
			for _, err := range sc.Flows() {
				if err != nil {
					last = err
					continue
				}
				n++
			}
			if want := strings.Count(tt.in, "\n"); n != want || last == nil || last.Error() != "disk on fire" {
				t.Errorf("%s, %d lines, %d options: %d records, then %v; want %d, then the reader's error", tt.d, want, len(opts), n, last, want)
			}
		}
	}
}

// A panicReader gives data, 64 KiB a Read, then panics.
type panicReader struct {
	data  []byte
	reads int // before the panic
}

func (r *panicReader) Read(p []byte) (int, error) {
	if r.reads == 0 {
		panic("boom")
	}
	r.reads--
	n := copy(p[:min(len(p), 64<<10)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestParallelReadAtFails reads a file whose reads fail past a place, in
// chunks of a few sizes: the reader or a worker meets the failure first,
// around a cut or in a chunk, and the Scanner reads on alone from there,
// as a serial Scanner reads the file.
func TestParallelReadAtFails(t *testing.T) {
	data, _ := manyLines(t, 100)
	for _, at := range []int{0, 300, len(data) / 3, len(data)/3 + 1, len(data) - 1} {
		f := io.NewSectionReader(failAt{data, at}, 0, int64(len(data)))
		for _, chunk := range []int{1, 100, 1000, 4096} {
			want := trace(t, streamOnly{io.NewSectionReader(f, 0, f.Size())}, format.Dialect{}, 0)
			if !strings.Contains(want, "disk on fire") {
				t.Fatalf("failing at %d: a serial scan meets no failure:\n%s", at, want)
			}
			got := trace(t, io.NewSectionReader(f, 0, f.Size()), format.Dialect{}, 0, format.WithWorkers(2), format.WithChunk(chunk))
			if got != want {
				t.Errorf("failing at %d, chunks of %d: parallel differs:\n%s", at, chunk, firstDiff(want, got))
			}
			want, _ = eachTrace(t, streamOnly{io.NewSectionReader(f, 0, f.Size())}, format.Dialect{})
			got, _ = eachTrace(t, io.NewSectionReader(f, 0, f.Size()), format.Dialect{}, format.WithWorkers(2), format.WithChunk(chunk))
			if got != want {
				t.Errorf("EachFlow failing at %d, chunks of %d: parallel differs:\n%s", at, chunk, firstDiff(want, got))
			}
		}
	}
}

// A failAt is a file whose reads fail past byte at.
type failAt struct {
	data []byte
	at   int
}

func (f failAt) ReadAt(b []byte, off int64) (int, error) {
	if int(off)+len(b) <= f.at {
		return copy(b, f.data[off:]), nil
	}
	return copy(b, f.data[min(int(off), f.at):f.at]), errors.New("disk on fire")
}

// TestParallelPanic reads from a Reader that panics once some chunks are
// read, which a parallel scan does on a goroutine of its own: the loop
// raises the panic, after the records read before it, where the caller
// can recover it, as from a Scanner without workers.
func TestParallelPanic(t *testing.T) {
	data := corpusLines(t, "../testdata/corpus/proc.txt", "ipv", 4<<20)
	for _, workers := range []int{1, 2, 4} {
		n := 0
		v := func() (v any) {
			defer func() { v = recover() }()
			sc, err := format.NewScanner(&panicReader{data: data, reads: 20}, format.Dialect{Format: format.Proc}, format.WithWorkers(workers))
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range sc.Flows() {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			return nil
		}()
		if v != "boom" || n == 0 {
			t.Errorf("%d workers: %d records, then %v; want some, then the Reader's panic", workers, n, v)
		}
	}
}
