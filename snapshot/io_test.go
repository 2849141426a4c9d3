package snapshot_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/encodetest"
	"github.com/ctconv/ctconv/snapshot"
)

var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

// TestOpenCompressed opens captures compressed with gzip, zstd and bzip2
// (bzip2 -c of the capture), and a compressed snapshot: each reads as the
// capture itself does. A compression or archive that Open knows but does
// not read is a *CompressionError that names it.
func TestOpenCompressed(t *testing.T) {
	data, _ := os.ReadFile("../testdata/corpus/conntrack-L-extended-id.txt")
	snap, _ := snapshotOf(t, data)
	bz2, err := os.ReadFile("testdata/conntrack-L-extended-id.txt.bz2")
	if err != nil {
		t.Fatal(err)
	}
	read := func(b []byte) ([]format.Flow, *snapshot.Input, error) {
		in, err := snapshot.Open(bytes.NewReader(b), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC})
		if err != nil {
			return nil, nil, err
		}
		defer in.Close()
		var flows []format.Flow
		for f, err := range in.Flows() {
			if err != nil {
				return flows, in, err
			}
			flows = append(flows, *f)
		}
		return flows, in, nil
	}
	want, _, err := read(data)
	if err != nil || len(want) == 0 {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, compression, encoding string
		data                        []byte
	}{
		{"gzip", "gzip", "conntrack", encodetest.Gzip(data)},
		{"zstd", "zstd", "conntrack", encodetest.Zstd(data)},
		{"gzip of a snapshot", "gzip", "snapshot", encodetest.Gzip(snap)},
		{"bzip2", "bzip2", "conntrack", bz2},
	} {
		got, in, err := read(c.data)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if in.Compression() != c.compression || in.Encoding().String() != c.encoding {
			t.Errorf("%s: compression %q, encoding %v", c.name, in.Compression(), in.Encoding())
		}
		if d := cmp.Diff(want, got, addrCmp); d != "" {
			t.Errorf("%s: flows differ:\n%s", c.name, d)
		}
	}
	for name, cut := range map[string][]byte{"gzip": encodetest.Gzip(data), "bzip2": bz2} {
		if _, _, err := read(cut[:len(cut)/2]); err == nil || !strings.HasPrefix(err.Error(), name) || !strings.HasSuffix(err.Error(), "(a cut or damaged file?)") {
			t.Errorf("a cut %s file: %v", name, err)
		}
	}
	for _, c := range []struct{ name, magic string }{
		{"xz", "\xfd7zXZ\x00\x00\x04"}, {"lz4", "\x04\x22\x4d\x18\x64\x40"}, {"zip", "PK\x03\x04\x14\x00"},
	} {
		var ce *snapshot.CompressionError
		if _, _, err := read(append([]byte(c.magic), data...)); !errors.As(err, &ce) || ce.Compression != c.name {
			t.Errorf("%s: %v (%T), want a CompressionError", c.name, err, err)
		}
	}
}

// TestOpenUTF16 opens captures as Windows PowerShell 5's > and Out-File
// save a command's output, and JSON Lines as they save ctconv's: UTF-16
// with a byte-order mark, in either byte order, CRLF at the line ends.
// Each reads as the same text in UTF-8 with a byte-order mark does, as
// PowerShell's -Encoding utf8 writes it, gzipped or not; a UTF-16 that
// ends in half a character reads to where it ends.
func TestOpenUTF16(t *testing.T) {
	text, _ := os.ReadFile("../testdata/corpus/conntrack-L-extended-id.txt")
	jsonl, _ := os.ReadFile("../testdata/corpus/conntrack-L.jsonl")
	crlf := bytes.ReplaceAll(text, []byte("\n"), []byte("\r\n"))
	read := func(b []byte) ([]string, snapshot.Encoding) {
		in, err := snapshot.Open(bytes.NewReader(b), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer in.Close()
		var got []string
		for f, err := range in.Flows() {
			if err != nil {
				got = append(got, "error: "+err.Error())
				continue
			}
			got = append(got, f.String())
		}
		return got, in.Encoding()
	}
	utf8BOM := func(b []byte) []byte { return append([]byte("\xef\xbb\xbf"), b...) }
	for _, c := range []struct {
		name string
		data []byte
		enc  string
	}{
		{"text", text, "conntrack"},
		{"text with CRLF", crlf, "conntrack"},
		{"JSON Lines", jsonl, "json"},
	} {
		want, enc := read(utf8BOM(c.data))
		if enc.String() != c.enc || len(want) == 0 {
			t.Fatalf("%s in UTF-8 with a byte-order mark: %v, %d flows", c.name, enc, len(want))
		}
		for name, in := range map[string][]byte{
			"UTF-16LE":          encodetest.UTF16(c.data, binary.LittleEndian),
			"UTF-16BE":          encodetest.UTF16(c.data, binary.BigEndian),
			"UTF-16LE, gzip -c": encodetest.Gzip(encodetest.UTF16(c.data, binary.LittleEndian)),
		} {
			if got, enc := read(in); enc.String() != c.enc || !slices.Equal(got, want) {
				t.Errorf("%s in %s: %v\n%q\nwant\n%q", c.name, name, enc, got, want)
			}
		}
	}
	// Half a character at the end: an odd byte, half a surrogate pair.
	for _, tail := range []string{"\x00", "\x3d\xd8"} {
		cut := append(encodetest.UTF16(text, binary.LittleEndian), tail...)
		got, _ := read(cut)
		want, _ := read(utf8BOM(text))
		if len(got) != len(want)+1 || !slices.Equal(got[:len(want)], want) || !strings.Contains(got[len(want)], "\ufffd") {
			t.Errorf("UTF-16 ending in %q: the last of %d records is %q; want the %d of the text and an error", tail, len(got), got[len(got)-1], len(want))
		}
	}
}

// TestOpenJSONLayouts opens JSON Lines as tools lay them out again: jq .
// (an object over many lines), jq -s and json.dump of a list (an array,
// on one line or many), and objects after one another on a line. Each
// reads as the JSON Lines do, its records counted as laid out again, but
// with --strict; an error in a record over many lines is at its line and
// column.
func TestOpenJSONLayouts(t *testing.T) {
	jsonl, _ := os.ReadFile("../testdata/corpus/conntrack-L.jsonl")
	objs := strings.Split(strings.TrimSuffix(string(jsonl), "\n"), "\n")
	var pretty []string
	for _, o := range objs {
		var buf bytes.Buffer
		if err := json.Indent(&buf, []byte(o), "", "  "); err != nil {
			t.Fatal(err)
		}
		pretty = append(pretty, buf.String())
	}
	read := func(b []byte) ([]string, int, error) {
		in, err := snapshot.Open(bytes.NewReader(b), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC})
		if err != nil {
			return nil, 0, err
		}
		defer in.Close()
		var got []string
		for f, err := range in.Flows() {
			if err != nil {
				return got, 0, err
			}
			got = append(got, f.String())
		}
		if in.Encoding() != snapshot.JSON {
			return got, 0, fmt.Errorf("read as %v", in.Encoding())
		}
		return got, in.Counts().Normalized, nil
	}
	want, _, err := read(jsonl)
	if err != nil || len(want) != len(objs) {
		t.Fatalf("JSON Lines: %d flows, %v", len(want), err)
	}
	for name, layout := range map[string]string{
		"jq .":                 strings.Join(pretty, "\n") + "\n",
		"jq -s .":              "[\n" + strings.Join(pretty, ",\n") + "\n]\n",
		"an array on one line": "[" + strings.Join(objs, ",") + "]",
		"jq -c -s .":           "[" + strings.Join(objs, ",") + "]\n",
		"a line of objects":    strings.Join(objs, " ") + "\n",
	} {
		got, normalized, err := read([]byte(layout))
		if err != nil || !slices.Equal(got, want) || normalized != len(want) {
			t.Errorf("%s: %v, %d flows, %d laid out again; want %d", name, err, len(got), normalized, len(want))
		}
	}
	// --strict reads JSON Lines only.
	in, err := snapshot.Open(strings.NewReader(strings.Join(pretty, "\n")), snapshot.Text(format.Auto), format.Dialect{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, err := readTo(in.Flows(), -1); n != 0 || err == nil {
		t.Errorf("strict, jq .: %d flows, %v; want an error", n, err)
	}
	in.Close()
	// An error in the third record of jq's output: on its own line.
	bad := strings.Join(pretty[:2], "\n") + "\n" + strings.Replace(pretty[2], `"proto-num": 6,`, `"proto-num": 6x,`, 1) + "\n"
	_, _, err = read([]byte(bad))
	var pe *format.ParseError
	wantLine := strings.Count(strings.Join(pretty[:2], "\n"), "\n") + 2 + strings.Count(pretty[2][:strings.Index(pretty[2], `"proto-num"`)], "\n")
	if !errors.As(err, &pe) || pe.Line != wantLine || pe.Col != strings.Index(pe.Text, "6x")+2 || pe.Text != `  "proto-num": 6x,` {
		t.Errorf("a bad record over many lines: %v (%q); want an error at line %d, at the x", err, pe.Text, wantLine)
	}
	// An object that never ends is as long as a record may be, soon.
	start := time.Now()
	_, _, err = read([]byte("[{\n" + strings.Repeat(`"a": 1,`+"\n", 1<<20)))
	if !errors.Is(err, format.ErrLineTooLong) || time.Since(start) > 5*time.Second {
		t.Errorf("an object that never ends: %v after %v", err, time.Since(start))
	}
}

// TestOpenZstdWindows opens zstd streams as zstd writes them through a
// pipe, where it cannot fit the window to the input: a window of 32 MiB
// (--ultra -20), 128 MiB (--ultra -22, --long), and pzstd's layout, a
// skippable frame before each frame. Each reads as the capture does. A
// window beyond what zstd -d takes by default is refused with the limit
// and the way around it, not as a damaged file.
func TestOpenZstdWindows(t *testing.T) {
	data, _ := os.ReadFile("../testdata/corpus/conntrack-L.txt")
	want := strings.Count(string(data), "\n")
	for _, c := range []struct {
		name string
		zst  []byte
		err  string
	}{
		{"window of 32 MiB", zstdWindow(t, data, 25), ""},
		{"window of 128 MiB", zstdWindow(t, data, 27), ""},
		{"skippable frame first", append(skippable(0x50, []byte("pzstd")), zstdWindow(t, data, 20)...), ""},
		{"skippable frames between", append(append(skippable(0x5f, nil), zstdWindow(t, data[:len(data)/2], 27)...),
			append(skippable(0x5a, make([]byte, 4)), zstdWindow(t, data[len(data)/2:], 23)...)...), ""},
		{"window of 256 MiB", zstdWindow(t, data, 28), "zstd -d --long=31"},
	} {
		in, err := snapshot.Open(bytes.NewReader(c.zst), snapshot.Text(format.Auto), format.Dialect{})
		n := 0
		if err == nil {
			n, _, err = readTo(in.Flows(), -1)
			if in.Compression() != "zstd" {
				t.Errorf("%s: compression %q", c.name, in.Compression())
			}
			in.Close()
		}
		switch {
		case c.err == "" && (err != nil || n != want):
			t.Errorf("%s: %d flows, %v; want %d", c.name, n, err, want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "damaged")):
			t.Errorf("%s: %v; want an error that says %q", c.name, err, c.err)
		}
	}
}

// zstdWindow returns b compressed in a zstd frame whose header declares a
// window of 1<<log bytes, as zstd declares when it cannot see the input's
// size. A window larger than the data needs changes nothing else.
func zstdWindow(t *testing.T, b []byte, log int) []byte {
	w, err := zstd.NewWriter(nil, zstd.WithSingleSegment(false), zstd.WithEncoderCRC(true))
	if err != nil {
		t.Fatal(err)
	}
	frame := w.EncodeAll(b, nil)
	if frame[4]&0x20 != 0 {
		t.Fatal("a single-segment frame has no window descriptor")
	}
	frame[5] = byte(log-10) << 3 // exponent, no mantissa
	var h zstd.Header
	if err := h.Decode(frame); err != nil || h.WindowSize != 1<<log {
		t.Fatalf("window %d, %v", h.WindowSize, err)
	}
	return frame
}

// skippable returns a zstd skippable frame of the given magic's low byte
// (0x50 to 0x5f) holding payload.
func skippable(low byte, payload []byte) []byte {
	b := []byte{low, 0x2a, 0x4d, 0x18}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

// fakeSource is a Source of the flows of a text.
type fakeSource struct{ sc *format.Scanner }

func (s fakeSource) Flows() iter.Seq2[*format.Flow, error] { return s.sc.Flows() }
func (s fakeSource) Close() error                          { return nil }

// TestInputAnswers reads an Input of each kind to its end, and checks
// what it tells of itself besides its records: the same methods answer
// for text, JSON Lines, a snapshot file and a Source.
func TestInputAnswers(t *testing.T) {
	ext, _ := os.ReadFile("../testdata/corpus/conntrack-L-extended-id.txt")
	first := strings.SplitAfterN(string(ext), "\n", 3)
	pasted := "root@gw:~# conntrack -L -o extended,id\n\n" +
		strings.Replace(first[0], "mark=0 ", "mark=0 hwid=12 ", 1) + // a field of a vendor's
		strings.Replace(first[1], " src=", "  src=", 1) + // a pasted layout
		"conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n"
	older, _ := os.ReadFile("../testdata/pasted/older/proc-ip_conntrack-2.4.32.txt")
	xmlL, _ := os.ReadFile("../testdata/corpus/xml-L.txt")
	xmlE, _ := os.ReadFile("../testdata/corpus/xml-E.txt")
	xmlE = bytes.TrimSuffix(xmlE, []byte("</conntrack>\n")) // conntrack -E -o xml, not interrupted
	expect, _ := os.ReadFile("../testdata/corpus/conntrack-expect-L.jsonl")
	counters, _ := os.ReadFile("../testdata/stats/conntrack-S.txt")
	snap, _ := snapshotOf(t, xmlL) // no footer in its header
	cpus, _, _ := readStats(t, counters, snapshot.Text(format.Auto))
	var withStats bytes.Buffer
	w, err := snapshot.NewWriter(&withStats, snapshot.Header{Source: snapshot.Text(format.XML), Options: format.OptID, Footer: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cpus {
		if err := w.WriteStats(&cpus[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	source := func() *snapshot.Input {
		sc, _ := format.NewScanner(bytes.NewReader(ext), format.Dialect{Format: format.Auto})
		return snapshot.FromSource(fakeSource{sc}, snapshot.Text(format.Conntrack))
	}
	openText := func(b []byte) func() *snapshot.Input {
		return func() *snapshot.Input {
			in, err := snapshot.Open(bytes.NewReader(b), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			return in
		}
	}
	type answers struct {
		Encoding            string
		Expectations, Stats bool
		Header              bool
		Source              string // the header's
		Carried             int
		Options             format.Options
		Line                int
		Counts              snapshot.LineCounts
		Footer              bool
	}
	for _, c := range []struct {
		name string
		in   func() *snapshot.Input
		want answers
	}{
		{"pasted text", openText([]byte(pasted)), answers{Encoding: "conntrack", Options: format.OptExtended | format.OptID, Line: 5,
			Counts: snapshot.LineCounts{Unknown: 1, Normalized: 1, NotRecords: 1, Blank: 1, Messages: 1}, Footer: true}},
		{"2.4 kernel", openText(older), answers{Encoding: "iplegacy", Line: 3, Counts: snapshot.LineCounts{Others: 2}, Footer: true}},
		{"XML listing", openText(xmlL), answers{Encoding: "xml", Line: strings.Count(string(xmlL), "\n"), Footer: true}},
		{"XML events", openText(xmlE), answers{Encoding: "xml", Line: strings.Count(string(xmlE), "\n")}},
		{"JSON of expectations", openText(expect), answers{Encoding: "json", Expectations: true, Line: strings.Count(string(expect), "\n"), Footer: true}},
		{"counters", openText(counters), answers{Encoding: "conntrack-stats", Stats: true, Line: strings.Count(string(counters), "\n"), Footer: true}},
		{"snapshot", openText(snap), answers{Encoding: "snapshot", Header: true, Source: "xml"}},
		{"snapshot with counters", openText(withStats.Bytes()), answers{Encoding: "snapshot", Header: true, Source: "xml", Carried: len(cpus), Footer: true}},
		{"source", source, answers{Encoding: "conntrack", Footer: true}},
	} {
		in := c.in()
		var err error
		switch {
		case in.Expectations():
			_, _, err = readTo(in.Expects(), -1)
		case in.Statistics():
			_, _, err = readTo(in.Stats(), -1)
		default:
			_, _, err = readTo(in.Flows(), -1)
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		h, ok := in.Header()
		got := answers{Encoding: in.Encoding().String(), Expectations: in.Expectations(), Stats: in.Statistics(), Header: ok,
			Carried: len(in.CarriedStats()), Options: in.Options(), Line: in.Line(), Counts: in.Counts(), Footer: in.Footer()}
		if ok {
			got.Source = h.Source.String()
		}
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("%s: answers differ (-want +got):\n%s", c.name, d)
		}
		in.Close()
	}
}

// TestPrefetchBadLines reads text with bad lines, among more flows than a
// batch holds, through a Prefetcher and through the Input: each bad line
// yields its *format.ParseError in its place, a loop that goes on reads
// every flow, and a loop that stops at the first leaves the Input at that
// line, read no further.
func TestPrefetchBadLines(t *testing.T) {
	var text []string
	bad := map[int]bool{2: true, 300: true, 301: true, 700: true}
	for i := 1; i <= 800; i++ {
		if bad[i] {
			text = append(text, "tcp 6 garbage")
		} else {
			text = append(text, flowA)
		}
	}
	want := make([]string, len(text))
	for i, l := range text {
		want[i] = "flow " + strconv.Itoa(i+1)
		if l != flowA {
			want[i] = "error " + strconv.Itoa(i+1)
		}
	}
	for _, prefetch := range []bool{false, true} {
		// read returns what the loop met, going on after errors or not.
		read := func(goOn bool) ([]string, *snapshot.Input) {
			in := open(t, lines(text...))
			var seq iter.Seq2[int, error] = func(yield func(int, error) bool) {
				for _, err := range in.Flows() {
					if !yield(in.Line(), err) {
						return
					}
				}
			}
			if prefetch {
				seq = func(yield func(int, error) bool) {
					for rec, err := range in.Prefetch(nil, false).Flows() {
						line := 0
						if rec != nil {
							line = rec.Line
						}
						if !yield(line, err) {
							return
						}
					}
				}
			}
			var got []string
			for line, err := range seq {
				var pe *format.ParseError
				switch {
				case errors.As(err, &pe):
					got = append(got, "error "+strconv.Itoa(pe.Line))
				case err != nil:
					t.Fatal(err)
				default:
					got = append(got, "flow "+strconv.Itoa(line))
				}
				if err != nil && !goOn {
					break
				}
			}
			return got, in
		}
		got, in := read(true)
		if !slices.Equal(got, want) {
			t.Errorf("prefetch %v, going on: read\n%q\nwant\n%q", prefetch, got, want)
		}
		in.Close()
		got, in = read(false)
		if !slices.Equal(got, want[:2]) || in.Line() != 2 {
			t.Errorf("prefetch %v, stopping: read %q, the input at line %d; want %q, line 2", prefetch, got, in.Line(), want[:2])
		}
		in.Close()
	}
	// A Prefetcher that skips bad lines gives their errors a batch (256
	// flows) ahead, as a report made while reading.
	var ahead, flows, errs []string
	for _, w := range want {
		if strings.HasPrefix(w, "error") {
			errs = append(errs, w)
		} else if flows = append(flows, w); len(flows) == 256 {
			ahead, flows, errs = append(append(ahead, errs...), flows...), nil, nil
		}
	}
	ahead = append(append(ahead, errs...), flows...)
	in := open(t, lines(text...))
	var got []string
	for rec, err := range in.Prefetch(nil, true).Flows() {
		var pe *format.ParseError
		switch {
		case errors.As(err, &pe):
			got = append(got, "error "+strconv.Itoa(pe.Line))
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, "flow "+strconv.Itoa(rec.Line))
		}
	}
	in.Close()
	if !slices.Equal(got, ahead) {
		t.Errorf("skipping bad lines: read\n%q\nwant\n%q", got, ahead)
	}
}
