package fuzz

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
	"github.com/ctconv/ctconv/snapshot"
)

// FuzzJSON decodes a JSON line as a flow and as an expectation. What
// decodes encodes to JSON that decodes to the same record and encodes the
// same again; what does not gives a *format.ParseError inside the line.
func FuzzJSON(f *testing.F) {
	for _, c := range corpustest.Captures(f) {
		data, _ := os.ReadFile(c.Golden)
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			f.Add(bytes.Clone(sc.Bytes()))
		}
	}
	// A flow of a capture of several namespaces (snapshot --all-netns).
	f.Add([]byte(`{"family":"ipv4","proto":"udp","proto-num":17,"timeout":29,"tuple-orig":{"src":"10.0.0.1","dst":"10.0.0.2","proto-src-port":1,"proto-dst-port":2},"tuple-reply":{"src":"10.0.0.2","dst":"10.0.0.1","proto-src-port":2,"proto-dst-port":1},"netns":"pid 42"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var d codec.JSONDecoder
		var fl format.Flow
		checkJSON(t, line, d.DecodeFlow(line, &fl), &fl, func(b []byte, v *format.Flow) ([]byte, error) { return codec.AppendJSON(b, v) },
			func(b []byte, v *format.Flow) error { return d.DecodeFlow(b, v) })
		var e format.Expect
		checkJSON(t, line, d.DecodeExpect(line, &e), &e, func(b []byte, v *format.Expect) ([]byte, error) { return codec.AppendJSONExpect(b, v) },
			func(b []byte, v *format.Expect) error { return d.DecodeExpect(b, v) })
	})
}

func checkJSON[R any](t *testing.T, line []byte, err error, r *R, enc func([]byte, *R) ([]byte, error), dec func([]byte, *R) error) {
	if err != nil {
		var pe *format.ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error %v is a %T, not a *format.ParseError", err, err)
		}
		if pe.Col < 1 || pe.Col > len(line)+1 {
			t.Fatalf("column %d outside a line of %d bytes: %v", pe.Col, len(line), err)
		}
		_ = pe.Error()
		return
	}
	out, err := enc(nil, r)
	if err != nil {
		t.Fatalf("decoded but does not encode: %v", err)
	}
	var again R
	if err := dec(out, &again); err != nil {
		t.Fatalf("encoded JSON does not decode: %v\n%s", err, out)
	}
	if d := cmp.Diff(*r, again, cmpOpts...); d != "" {
		t.Fatalf("decode-encode-decode differs:\n%s\n%s", d, out)
	}
	if out2, _ := enc(nil, &again); !bytes.Equal(out, out2) {
		t.Fatalf("encoding again differs:\n%s\n%s", out, out2)
	}
}

// FuzzMsgpack decodes a msgpack stream of records. It never panics, and
// each error wraps codec.ErrCorrupt or is an end of input; each record it
// reads encodes and decodes back to itself.
func FuzzMsgpack(f *testing.F) {
	for _, file := range []string{"proc.txt", "conntrack-L-extended-id-ktimestamp-labels.txt", "xml-E-timestamp.txt", "proc-expect.txt", "conntrack-expect-L-ipv6.txt"} {
		f.Add(msgpackOf(f, "../testdata/corpus/"+file, 6))
	}
	var gap bytes.Buffer // a gap of ctconv watch's, before events
	codec.NewMsgpackEncoder(&gap).EncodeGap(codec.Gap{Events: 1234, Time: time.Unix(1764612000, 5)})
	f.Add(append(gap.Bytes(), msgpackOf(f, "../testdata/corpus/conntrack-E.txt", 3)...))
	// Flows of a capture of several namespaces (snapshot --all-netns).
	var ns bytes.Buffer
	enc := codec.NewMsgpackEncoder(&ns)
	for i, fl := range flowsOf(f, "../testdata/corpus/proc.txt")[:4] {
		fl.Netns = []string{"blue", "pid 42"}[i%2]
		enc.EncodeFlow(&fl)
	}
	enc.EncodeEnd(4)
	f.Add(ns.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := codec.NewMsgpackDecoder(bytes.NewReader(data))
		var fl format.Flow
		var e format.Expect
		for {
			k, err := dec.DecodeRecord(&fl, &e, nil)
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.Is(err, codec.ErrCorrupt) {
					t.Fatalf("error %v (%T) is not corruption", err, err)
				}
				return
			}
			var buf bytes.Buffer
			enc := codec.NewMsgpackEncoder(&buf)
			var fl2 format.Flow
			var e2 format.Expect
			switch k {
			case codec.KindFlow:
				err = enc.EncodeFlow(&fl)
			case codec.KindExpect:
				err = enc.EncodeExpect(&e)
			case codec.KindEnd:
				return
			case codec.KindGap:
				g := dec.Gap()
				enc.EncodeGap(g)
				d := codec.NewMsgpackDecoder(&buf)
				if k, err := d.DecodeRecord(nil, nil, nil); err != nil || k != codec.KindGap || d.Gap().Events != g.Events || !d.Gap().Time.Equal(g.Time) {
					t.Fatalf("gap %+v encodes as %+v, %v", g, d.Gap(), err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("decoded but does not encode: %v", err)
			}
			if _, err := codec.NewMsgpackDecoder(&buf).Decode(&fl2, &e2); err != nil {
				t.Fatalf("encoded record does not decode: %v", err)
			}
			if k == codec.KindFlow {
				if d := cmp.Diff(fl, fl2, cmpOpts...); d != "" {
					t.Fatalf("flow differs after encoding again:\n%s", d)
				}
			} else if d := cmp.Diff(e, e2, cmpOpts...); d != "" {
				t.Fatalf("expectation differs after encoding again:\n%s", d)
			}
		}
	})
}

// flowsOf returns the flows of a corpus file.
func flowsOf(f *testing.F, file string) []format.Flow {
	data, err := os.ReadFile(file)
	if err != nil {
		f.Fatal(err)
	}
	sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto, Location: time.UTC})
	fs, _ := records(sc.Flows())
	return fs
}

// msgpackOf returns the first n records of a corpus file as msgpack.
func msgpackOf(f *testing.F, file string, n int) []byte {
	data, err := os.ReadFile(file)
	if err != nil {
		f.Fatal(err)
	}
	sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto, Location: time.UTC})
	fm, _ := sc.Detect()
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	if fm.Expectations() {
		es, _ := records(sc.Expects())
		for _, e := range es[:min(n, len(es))] {
			enc.EncodeExpect(&e)
		}
	} else {
		fs, _ := records(sc.Flows())
		for _, fl := range fs[:min(n, len(fs))] {
			enc.EncodeFlow(&fl)
		}
	}
	enc.EncodeEnd(uint64(n))
	return buf.Bytes()
}

// FuzzSnapshot opens a snapshot file (of flows, expectations or the
// table's counters). It never panics; it either reads the
// records to a clean end or fails with an error that wraps one of the
// package's three; and it allocates less than the 32 MiB the package
// documents.
func FuzzSnapshot(f *testing.F) {
	for _, file := range []string{"proc.txt", "conntrack-L-extended-id.txt", "xml-L.txt", "conntrack-expect-L.txt"} {
		data, _ := os.ReadFile("../testdata/corpus/" + file)
		lines := bytes.SplitAfterN(data, []byte("\n"), 5)
		f.Add(snapshotOf(f, bytes.Join(lines[:len(lines)-1], nil)))
	}
	counters, _ := filepath.Glob("../testdata/compat/*/stats-proc-stat.ctsnap")
	for _, file := range counters {
		data, _ := os.ReadFile(file)
		f.Add(data)
	}
	// Files as writers wrote them: version 1's of earlier ctconvs, and
	// small ones of the blocks of versions 2 and 3.
	for _, pattern := range []string{"../testdata/compat/*/conntrack-L.ctsnap", "../testdata/compat/*/conntrack-expect-L.ctsnap", "../snapshot/testdata/v[23]/[cef]*.ctsnap"} {
		written, _ := filepath.Glob(pattern)
		for _, file := range written {
			data, _ := os.ReadFile(file)
			f.Add(data)
		}
	}
	hostile, _ := filepath.Glob("../testdata/hostile/*.ctsnap")
	for _, file := range hostile {
		data, _ := os.ReadFile(file)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := allocated()
		defer func() {
			if n := allocated() - before; n > 32<<20 {
				t.Fatalf("reading allocated %d MiB", n>>20)
			}
		}()
		r, err := snapshot.NewReader(bytes.NewReader(data))
		if err == nil {
			switch h := r.Header(); {
			case h.Stats:
				_, err = records(r.Stats())
			case h.Expectations:
				_, err = records(r.Expects())
			default:
				var flows []format.Flow
				flows, err = records(r.Flows())
				eachFlows(t, data, flows, err)
			}
			r.Close()
		}
		if err != nil && !errors.Is(err, snapshot.ErrCorrupt) && !errors.Is(err, snapshot.ErrNotSnapshot) && !errors.Is(err, snapshot.ErrVersion) {
			t.Fatalf("error %v (%T) is none of the package's", err, err)
		}
	})
}

// eachFlows reads a snapshot file of flows with EachFlow and with
// EachCount, and checks that they hand out the flows that Flows yielded,
// want, before the error it ended with, wantErr, and its count, and end
// with the same error.
func eachFlows(t *testing.T, data []byte, want []format.Flow, wantErr error) {
	r, err := snapshot.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read again: %v", err)
	}
	defer r.Close()
	var mu sync.Mutex
	var got []string
	var last error
	for err := range r.EachFlow(func(w int, flows []format.Flow) {
		mu.Lock()
		defer mu.Unlock()
		for i := range flows {
			got = append(got, flows[i].String())
		}
	}) {
		last = err
	}
	wantText := make([]string, len(want))
	for i := range want {
		wantText[i] = want[i].String()
	}
	slices.Sort(got)
	slices.Sort(wantText)
	if !slices.Equal(got, wantText) || fmt.Sprint(last) != fmt.Sprint(wantErr) {
		t.Fatalf("EachFlow handed out %d flows and ended with %v; Flows yielded %d, then %v", len(got), last, len(want), wantErr)
	}
	r, err = snapshot.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read again: %v", err)
	}
	defer r.Close()
	var n atomic.Int64
	last = nil
	for err := range r.EachCount(func(_, k int) { n.Add(int64(k)) }) {
		last = err
	}
	if int(n.Load()) != len(want) || fmt.Sprint(last) != fmt.Sprint(wantErr) {
		t.Fatalf("EachCount counted %d flows and ended with %v; Flows yielded %d, then %v", n.Load(), last, len(want), wantErr)
	}
}

// allocated returns the bytes the program has allocated so far, cheaply
// enough to ask for each input.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// snapshotOf returns a snapshot of a text capture.
func snapshotOf(f *testing.F, text []byte) []byte {
	in, err := snapshot.Open(bytes.NewReader(text), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC})
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	out, err := snapshot.NewOutput(&buf, snapshot.File, format.Dialect{}, snapshot.Header{Source: in.Encoding(), Expectations: in.Expectations()})
	if err != nil {
		f.Fatal(err)
	}
	var rerr error
	if in.Expectations() {
		for e, err := range in.Expects() {
			if rerr = err; err != nil || out.WriteExpect(e) != nil {
				break
			}
		}
	} else {
		for fl, err := range in.Flows() {
			if rerr = err; err != nil || out.Write(fl) != nil {
				break
			}
		}
	}
	if err := out.Close(); err != nil || rerr != nil {
		f.Fatal(err, rerr)
	}
	return buf.Bytes()
}
