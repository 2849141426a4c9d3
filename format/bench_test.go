package format_test

import (
	"bytes"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

func BenchmarkParse(b *testing.B) {
	for _, s := range samples(b) {
		b.Run(s.name, func(b *testing.B) {
			var r record
			p := format.Dialect{Format: s.f, Location: time.UTC}
			b.SetBytes(int64(len(s.line) + 1))
			b.ReportAllocs()
			for b.Loop() {
				if err := s.parse(p, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, s := range samples(b) {
		b.Run(s.name, func(b *testing.B) {
			var r record
			p := format.Dialect{Format: s.f, Location: time.UTC}
			if err := s.parse(p, &r); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 0, 2048)
			b.SetBytes(int64(len(s.line) + 1))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = s.print(buf[:0], &r)
			}
		})
	}
}

// BenchmarkBaseline parses the same /proc lines the way a user would without
// ctconv: strings.Fields, strconv and netip.ParseAddr.
func BenchmarkBaseline(b *testing.B) {
	for _, s := range samples(b) {
		if s.f != format.Proc {
			continue
		}
		b.Run(s.name, func(b *testing.B) {
			var f format.Flow
			b.SetBytes(int64(len(s.line) + 1))
			b.ReportAllocs()
			for b.Loop() {
				if err := baselineParse(s.line, &f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBaseline checks that the baseline parser reads what ctconv reads, so
// that the benchmarks compare like with like.
func TestBaseline(t *testing.T) {
	for _, s := range samples(t) {
		if s.f != format.Proc {
			continue
		}
		var want, got format.Flow
		if err := new(format.Dialect{Format: format.Proc}).Parse(s.line, &want); err != nil {
			t.Fatal(err)
		}
		if err := baselineParse(s.line, &got); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		want.Fields, want.Quirks, got.Fields = 0, 0, 0
		if want.Orig != got.Orig || want.Reply != got.Reply || want.OrigCounters != got.OrigCounters ||
			want.ReplyCounters != got.ReplyCounters || want.Status != got.Status || want.Timeout != got.Timeout ||
			want.State != got.State || want.Mark != got.Mark || want.Use != got.Use {
			t.Errorf("%s: baseline reads\n%+v\nwant\n%+v", s.name, got, want)
		}
	}
}

// BenchmarkScan reads a stream of real IPv4 and IPv6 /proc lines through a
// Scanner, as the command line does.
func BenchmarkScan(b *testing.B) {
	for _, fam := range []string{"ipv4", "ipv6"} {
		b.Run("proc/"+fam, func(b *testing.B) {
			data := corpusLines(b, "../testdata/corpus/proc.txt", fam, 1<<20)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Proc})
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

// corpusLines returns about size bytes of the lines of file that start with
// prefix, repeated.
func corpusLines(b testing.TB, file, prefix string, size int) []byte {
	data := readFile(b, file)
	var sel []byte
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		if bytes.HasPrefix(l, []byte(prefix)) {
			sel = append(sel, l...)
		}
	}
	out := make([]byte, 0, size+len(sel))
	for len(out) < size {
		out = append(out, sel...)
	}
	return out
}

func baselineParse(line []byte, f *format.Flow) error {
	*f = format.Flow{}
	fields := strings.Fields(string(line))
	if len(fields) < 6 {
		return errors.New("short line")
	}
	fam, err := strconv.ParseUint(fields[1], 10, 8)
	if err != nil {
		return err
	}
	proto, err := strconv.ParseUint(fields[3], 10, 8)
	if err != nil {
		return err
	}
	f.Family, f.Proto = format.Family(fam), format.Proto(proto)
	f.Status = format.StatusConfirmed | format.StatusSeenReply
	rest := fields[4:]
	if t, err := strconv.ParseInt(rest[0], 10, 64); err == nil {
		f.Timeout = t
		rest = rest[1:]
	}
	tuple, counters := &f.Orig, &f.OrigCounters
	tuples := 0
	for _, fld := range rest {
		k, v, ok := strings.Cut(fld, "=")
		if !ok {
			switch fld {
			case "[UNREPLIED]":
				f.Status &^= format.StatusSeenReply
			case "[ASSURED]":
				f.Status |= format.StatusAssured
			default:
				st, err := f.Proto.ParseState(fld)
				if err != nil {
					return errors.New("bad token " + fld)
				}
				f.State = st
			}
			continue
		}
		var n uint64
		switch k {
		case "timeout", "stream_timeout": // GRE's private part
			continue
		case "src", "dst":
			a, err := netip.ParseAddr(v)
			if err != nil {
				return err
			}
			if k == "src" {
				tuples++
				if tuples == 2 {
					tuple, counters = &f.Reply, &f.ReplyCounters
				}
				tuple.Src = a
			} else {
				tuple.Dst = a
			}
			continue
		case "srckey", "dstkey":
			n, err = strconv.ParseUint(v, 0, 16)
		case "type", "code":
			n, err = strconv.ParseUint(v, 10, 8)
		case "sport", "dport", "id", "zone":
			n, err = strconv.ParseUint(v, 10, 16)
		default:
			n, err = strconv.ParseUint(v, 10, 64)
		}
		if err != nil {
			return err
		}
		switch k {
		case "sport", "srckey":
			tuple.SrcPort = uint16(n)
		case "dport", "dstkey":
			tuple.DstPort = uint16(n)
		case "type":
			tuple.Type = uint8(n)
		case "code":
			tuple.Code = uint8(n)
		case "id":
			tuple.ID = uint16(n)
		case "packets":
			counters.Packets = n
		case "bytes":
			counters.Bytes = n
		case "mark":
			f.Mark = uint32(n)
		case "zone":
			f.Zone = uint16(n)
		case "use":
			f.Use = uint32(n)
		case "delta-time":
			f.DeltaTime = n
		}
	}
	return nil
}
