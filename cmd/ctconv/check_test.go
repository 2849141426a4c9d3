package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/internal/corpustest"
	"github.com/ctconv/ctconv/internal/encodetest"
)

func TestCheck(t *testing.T) {
	lines := strings.SplitAfter(string(readFile(t, corpusProc)), "\n")
	damaged := lines[0] + "tcp 6 garbage\n" + lines[1] + strings.Replace(lines[2], "dport=", "dport=x", 1) + lines[3]
	vendor := strings.Replace(lines[0], " use=", " hwid=3 use=", 1)
	pasted := "\t" + strings.Join(strings.Fields(lines[0]), "  ") + " \n" + lines[1]
	csi := strings.Replace(lines[0], " mark=0 ", " mark=0 secctx=a\u009b31m ", 1) // CSI, a C1 control
	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		out   []string // lines of stdout, in order
		err   []string // in stderr
	}{
		{"clean", "", []string{"check", corpusProc}, 0, []string{corpusProc + ": proc, 56 flows, 0 bad lines"}, nil},
		{"damaged", damaged, []string{"check"}, 1, []string{"<stdin>: proc, 3 flows, 2 bad lines"},
			[]string{"<stdin>:2:", "<stdin>:4:"}},
		{"vendor field", vendor, []string{"check", "-"}, 0, []string{"<stdin>: proc, 1 flow, 0 bad lines, 1 unknown field"}, nil},
		{"vendor field, strict", vendor, []string{"check", "--strict", "-"}, 1, []string{"<stdin>: proc, 0 flows, 1 bad line"}, []string{`unknown field "hwid=3"`}},
		{"pasted layout", pasted, []string{"check", "-"}, 0, []string{"<stdin>: proc, 2 flows, 0 bad lines, 1 record in a pasted layout"}, nil},
		{"pasted layout, strict", pasted, []string{"check", "--strict", "-"}, 1, []string{"<stdin>: proc, 1 flow, 1 bad line"}, []string{"<stdin>:1:"}},
		{"C1 control", csi, []string{"check", "-"}, 1, []string{"<stdin>: proc, 0 flows, 1 bad line"}, []string{"<stdin>:1:", "secctx: unexpected control character U+009B"}},
		{"empty", "", []string{"check", "-"}, 0, []string{"<stdin>: empty, 0 flows, 0 bad lines"}, nil},
		{"several", "", []string{"check", corpusProc, "../../testdata/corpus/xml-L.txt", "/nonexistent"}, 1,
			[]string{corpusProc + ": proc, 56 flows, 0 bad lines", "../../testdata/corpus/xml-L.txt: xml, "}, []string{"no such file"}},
	} {
		code, out, errs := ctconv(t, c.stdin, c.args...)
		got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		ok := code == c.code && len(got) == len(c.out)
		for i := 0; ok && i < len(got); i++ {
			ok = strings.HasPrefix(got[i], c.out[i])
		}
		for _, e := range c.err {
			ok = ok && strings.Contains(errs, e)
		}
		if !ok || strings.ContainsRune(errs, 0x9b) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", c.name, code, out, errs)
		}
	}
	// Every corpus file is clean.
	files := corpustest.Paths(t, "*")
	if code, out, errs := ctconv(t, "", append([]string{"check", "--strict", "--tz", "UTC"}, files...)...); code != 0 || strings.Count(out, ", 0 bad lines") != len(files) {
		t.Errorf("corpus: exit %d\n%s%s", code, out, errs)
	}
}

// TestCompressedInput converts a gzip-compressed capture back to its text,
// and reports a cut one.
func TestCompressedInput(t *testing.T) {
	want := readFile(t, corpusProc)
	gzipped := encodetest.Gzip(want)
	gz := filepath.Join(t.TempDir(), "proc.txt.gz")
	os.WriteFile(gz, gzipped, 0o644)
	if code, out, errs := ctconv(t, "", "convert", gz); code != 0 || out != string(want) {
		t.Errorf("gzip: exit %d, stderr %q, same %v", code, errs, out == string(want))
	}
	cut := gzipped[:len(gzipped)/2]
	if code, _, errs := ctconv(t, string(cut), "check", "-"); code != 1 || !strings.Contains(errs, "gzip: unexpected EOF (a cut or damaged file?)") {
		t.Errorf("cut gzip: exit %d, stderr %q", code, errs)
	}
}

// TestCompressedDamaged checks the errors of a damaged gzip input: each
// says gzip once.
func TestCompressedDamaged(t *testing.T) {
	gzipped := encodetest.Gzip(readFile(t, corpusProc))
	badHeader := append([]byte{0x1f, 0x8b, 0}, gzipped[3:]...) // compression method 0
	badSum := bytes.Clone(gzipped)
	badSum[len(badSum)-5] ^= 1 // the CRC-32
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"header":   {badHeader, "ctconv check: <stdin>: gzip: invalid header\n"},
		"checksum": {badSum, "gzip: invalid checksum (a cut or damaged file?)\n"},
	} {
		code, _, errs := ctconv(t, string(c.data), "check", "-")
		if code != 1 || !strings.HasSuffix(errs, c.want) || strings.Contains(errs, "gzip: gzip:") {
			t.Errorf("%s: exit %d, stderr %q, want %q", name, code, errs, c.want)
		}
	}
}

// TestCheckAllocs checks that check's memory work does not grow with the
// records: checking ten times the flows allocates no more objects than a
// fixed allowance more, from text as from a snapshot.
func TestCheckAllocs(t *testing.T) {
	line := strings.SplitAfter(string(readFile(t, corpusProc)), "\n")[0]
	dir := t.TempDir()
	mallocs := func(name string) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		checkCmd([]string{name}, nil, io.Discard, io.Discard)
		runtime.ReadMemStats(&after)
		return after.Mallocs - before.Mallocs
	}
	for _, snap := range []bool{false, true} {
		var got [2]uint64
		for i, n := range []int{1000, 10000} {
			name := filepath.Join(dir, fmt.Sprintf("%d-%v.txt", n, snap))
			if err := os.WriteFile(name, []byte(strings.Repeat(line, n)), 0o644); err != nil {
				t.Fatal(err)
			}
			if snap {
				if code, _, errs := ctconv(t, "", "convert", "--to", "snapshot", "-o", name+".ctsnap", name); code != 0 {
					t.Fatal(errs)
				}
				name += ".ctsnap"
			}
			mallocs(name) // the first run's allocations that stay (pools, tables)
			got[i] = mallocs(name)
		}
		if got[1] > got[0]+1000 {
			t.Errorf("snapshot %v: checking 1000 flows allocates %d objects, 10000 flows %d", snap, got[0], got[1])
		}
	}
}
