package main

import (
	"bufio"
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestConvertLiveStream converts a stream that pauses after each record,
// as conntrack -E gives its events: each record comes out converted
// before the next goes in, on one core and on two, and from conntrack's
// text as from its XML; none is held back until more come, or the stream
// ends.
func TestConvertLiveStream(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range []struct {
		file   string
		header int // the lines before the first record
		args   []string
	}{
		{"conntrack-E.txt", 0, []string{"--to", "json"}},
		{"conntrack-E.txt", 0, []string{"--to", "xml"}},
		{"xml-E.txt", 2, []string{"--to", "conntrack"}},
		{"conntrack-E.txt", 0, []string{"--from", "conntrack", "--to", "json"}},
	} {
		lines := strings.SplitAfter(string(readFile(t, "../../testdata/corpus/"+c.file)), "\n")
		for _, procs := range []int{1, 2} {
			runtime.GOMAXPROCS(procs)
			name := c.file + " " + strings.Join(c.args, " ") + " on " + itoa(procs) + " cores"
			inR, inW := io.Pipe()
			outR, outW := io.Pipe()
			var errb bytes.Buffer
			done := make(chan int)
			go func() {
				code := run(append([]string{"convert"}, append(c.args, "-")...), inR, outW, &errb)
				outW.Close()
				done <- code
			}()
			out := make(chan string)
			go func() {
				sc := bufio.NewScanner(outR)
				sc.Buffer(nil, 1<<20)
				for sc.Scan() {
					out <- sc.Text()
				}
				close(out)
			}()
			inW.Write([]byte(strings.Join(lines[:c.header], "")))
			for i, line := range lines[c.header : c.header+3] {
				inW.Write([]byte(line))
				select {
				case got := <-out:
					if strings.HasPrefix(got, "<?xml") || got == "<conntrack>" {
						got = <-out // the document's start, before its first record
						if got == "<conntrack>" {
							got = <-out
						}
					}
					if got == "" {
						t.Errorf("%s: record %d: an empty line", name, i+1)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("%s: record %d did not come out while the stream paused after it", name, i+1)
				}
			}
			inW.Close()
			for range out {
			}
			if code := <-done; code != 0 {
				t.Errorf("%s: exit %d: %s", name, code, errb.String())
			}
		}
	}
}
