package format_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

// sample is one line of a format, for the allocation tests and benchmarks:
// a flow, or an expectation in the expectation formats.
type sample struct {
	name string // format/protocol/family, as in "proc/tcp/ipv4"
	f    format.Format
	opts format.Options // the options the line shows
	line []byte
}

// record is the flow or expectation of a sample.
type record struct {
	f format.Flow
	e format.Expect
}

// parse parses the sample's line into r.
func (s *sample) parse(p format.Dialect, r *record) error {
	if s.f.Expectations() {
		return p.ParseExpect(s.line, &r.e)
	}
	return p.Parse(s.line, &r.f)
}

// print appends r in the sample's format and options.
func (s *sample) print(dst []byte, r *record) ([]byte, error) {
	pr := format.Dialect{Format: s.f, Options: s.opts, Location: time.UTC}
	if s.f.Expectations() {
		return pr.AppendExpect(dst, &r.e)
	}
	return pr.Append(dst, &r.f)
}

// samples returns the first corpus line of each format, protocol, family
// and set of options.
func samples(t testing.TB) []sample {
	var out []sample
	seen := map[string]bool{}
	type source struct {
		file string
		f    format.Format
	}
	var sources []source
	for _, file := range corpusFiles(t) {
		f, _ := corpustest.FormatOf(file)
		sources = append(sources, source{file, f})
	}
	for _, c := range conntrackdFiles {
		sources = append(sources, source{filepath.Join("..", "testdata", "conntrackd", c.file), c.f})
	}
	for _, src := range sources {
		file, f := src.file, src.f
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			s := sample{f: f, line: bytes.Clone(sc.Bytes())}
			p := format.Dialect{Format: f, Location: time.UTC}
			var r record
			if err := s.parse(p, &r); errors.Is(err, format.ErrNoRecord) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			s.opts = shown(t, p, s.line)
			proto, fam, kind := r.f.Proto, r.f.Family, ""
			if f.Expectations() {
				proto, fam = r.e.Proto, r.e.Family
			}
			if r.f.Quirks&format.QuirkUnknownName != 0 {
				kind = "unknown-"
			}
			name := proto.String()
			if !proto.Named() {
				name = "unknown" // as the kernel names them: one sample for all
			}
			s.name = f.String() + "/" + kind + name + "/" + fam.String()
			if s.opts != 0 {
				s.name += "/" + s.opts.String()
			}
			if !seen[s.name] {
				seen[s.name] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func readFile(t testing.TB, name string) []byte {
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// shown returns conntrack's -o options that line, a record of d's format,
// shows, as a Scanner learns them.
func shown(t testing.TB, d format.Dialect, line []byte) format.Options {
	t.Helper()
	sc, err := format.NewScanner(bytes.NewReader(line), d)
	if err != nil {
		t.Fatal(err)
	}
	if d.Format.Expectations() {
		for range sc.Expects() {
			break
		}
	} else {
		for range sc.Flows() {
			break
		}
	}
	return sc.Dialect().Options
}
