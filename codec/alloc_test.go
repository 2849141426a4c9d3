package codec_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

// sample is one record of the corpus: a flow or an expectation.
type sample struct {
	name string
	flow *format.Flow
	exp  *format.Expect
}

// samples returns the first IPv4 and the first IPv6 record of each corpus
// file, in a fixed order.
func samples(t testing.TB) []sample {
	files := append(corpustest.Paths(t, "*"), conntrackdFiles(t)...)
	var ss []sample
	for _, file := range files {
		data, _ := os.ReadFile(file)
		sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto, Location: time.UTC})
		fm, _ := sc.Detect()
		seen := map[format.Family]bool{}
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		add := func(s sample, fam format.Family) {
			if !seen[fam] {
				seen[fam] = true
				s.name = name + "/" + fam.String()
				ss = append(ss, s)
			}
		}
		if fm.Expectations() {
			for e, err := range sc.Expects() {
				if err != nil {
					t.Fatal(err)
				}
				e := *e
				add(sample{exp: &e}, e.Family)
			}
		} else {
			for f, err := range sc.Flows() {
				if err != nil {
					t.Fatal(err)
				}
				f := *f
				add(sample{flow: &f}, f.Family)
			}
		}
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].name < ss[j].name })
	return ss
}

func (s sample) appendJSON(dst []byte) ([]byte, error) {
	if s.exp != nil {
		return codec.AppendJSONExpect(dst, s.exp)
	}
	return codec.AppendJSON(dst, s.flow)
}

func (s sample) decodeJSON(d *codec.JSONDecoder, line []byte, f *format.Flow, e *format.Expect) error {
	if s.exp != nil {
		return d.DecodeExpect(line, e)
	}
	return d.DecodeFlow(line, f)
}

func (s sample) encodeMsgpack(enc *codec.MsgpackEncoder) error {
	if s.exp != nil {
		return enc.EncodeExpect(s.exp)
	}
	return enc.EncodeFlow(s.flow)
}

// msgpackStream returns n copies of the sample's record as a msgpack stream.
func (s sample) msgpackStream(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	for range n {
		if err := s.encodeMsgpack(enc); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.EncodeEnd(uint64(n)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// msgpackLoop decodes a stream of copies of one record again and again.
type msgpackLoop struct {
	data []byte
	r    bytes.Reader
	dec  *codec.MsgpackDecoder
	f    format.Flow
	e    format.Expect
}

func newMsgpackLoop(data []byte) *msgpackLoop {
	l := &msgpackLoop{data: data}
	l.r.Reset(data)
	l.dec = codec.NewMsgpackDecoder(&l.r)
	return l
}

func (l *msgpackLoop) next(t testing.TB) {
	k, err := l.dec.Decode(&l.f, &l.e)
	if k == codec.KindEnd {
		l.r.Reset(l.data)
		l.dec.Reset(&l.r)
		k, err = l.dec.Decode(&l.f, &l.e)
	}
	if err != nil || (k != codec.KindFlow && k != codec.KindExpect) {
		t.Fatalf("decode: kind %v, %v", k, err)
	}
}

// TestCodecZeroAlloc pins that JSON and msgpack encode and decode an entry,
// into reused buffers and structs, without allocating.
func TestCodecZeroAlloc(t *testing.T) {
	ss := samples(t)
	fams := map[string]bool{}
	for _, s := range ss {
		fams[s.name[strings.LastIndexByte(s.name, '/')+1:]] = true
	}
	if !fams["ipv4"] || !fams["ipv6"] {
		t.Fatalf("the corpus lacks a family: %v", fams)
	}
	for _, s := range ss {
		buf, err := s.appendJSON(make([]byte, 0, 4096))
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { buf, _ = s.appendJSON(buf[:0]) }); n != 0 {
			t.Errorf("%s: JSON encode allocates %v times", s.name, n)
		}
		var d codec.JSONDecoder
		var f format.Flow
		var e format.Expect
		if n := testing.AllocsPerRun(100, func() {
			if err := s.decodeJSON(&d, buf, &f, &e); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: JSON decode allocates %v times", s.name, n)
		}
		enc := codec.NewMsgpackEncoder(io.Discard)
		if n := testing.AllocsPerRun(100, func() {
			if err := s.encodeMsgpack(enc); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: msgpack encode allocates %v times", s.name, n)
		}
		l := newMsgpackLoop(s.msgpackStream(t, 64))
		l.next(t)
		if n := testing.AllocsPerRun(1000, func() { l.next(t) }); n != 0 {
			t.Errorf("%s: msgpack decode allocates %v times", s.name, n)
		}
	}
}

func BenchmarkJSONEncode(b *testing.B) {
	for _, s := range samples(b) {
		b.Run(s.name, func(b *testing.B) {
			buf, _ := s.appendJSON(make([]byte, 0, 4096))
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = s.appendJSON(buf[:0])
			}
		})
	}
}

func BenchmarkJSONDecode(b *testing.B) {
	for _, s := range samples(b) {
		b.Run(s.name, func(b *testing.B) {
			line, _ := s.appendJSON(nil)
			var d codec.JSONDecoder
			var f format.Flow
			var e format.Expect
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				if err := s.decodeJSON(&d, line, &f, &e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMsgpackEncode(b *testing.B) {
	for _, s := range samples(b) {
		b.Run(s.name, func(b *testing.B) {
			data := s.msgpackStream(b, 64)
			enc := codec.NewMsgpackEncoder(io.Discard)
			b.SetBytes(int64(len(data) / 64))
			b.ReportAllocs()
			for b.Loop() {
				if err := s.encodeMsgpack(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMsgpackDecode(b *testing.B) {
	for _, s := range samples(b) {
		b.Run(s.name, func(b *testing.B) {
			data := s.msgpackStream(b, 64)
			l := newMsgpackLoop(data)
			b.SetBytes(int64(len(data) / 64))
			b.ReportAllocs()
			for b.Loop() {
				l.next(b)
			}
		})
	}
}
