package format_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// TestScannerLiveStream reads streams that pause after each record, as
// conntrack -E gives its events, with the format detected, on one
// goroutine and with workers: each record is handed out before the next
// is written, with WithIdle's call before the Scanner waits for it; none
// is held back until more come. conntrack's XML events here end with
// " [USERSPACE] portid=N", after their </flow>.
func TestScannerLiveStream(t *testing.T) {
	for _, file := range []string{"conntrack-E.txt", "xml-E.txt", "conntrack-E-extended-id-ktimestamp.txt", "conntrack-expect-E.txt"} {
		lines := strings.SplitAfter(string(readFile(t, "../testdata/corpus/"+file)), "\n")
		header := 0
		if strings.HasPrefix(lines[0], "<?xml") {
			header = 2
		}
		for _, workers := range []int{1, 2} {
			r, w := io.Pipe()
			idle := make(chan struct{}, 100)
			sc, err := format.NewScanner(r, format.Dialect{Format: format.Auto}, format.WithWorkers(workers), format.WithIdle(func() { idle <- struct{}{} }))
			if err != nil {
				t.Fatal(err)
			}
			records := make(chan error)
			go func() {
				if f, _ := sc.Detect(); f.Expectations() {
					for _, err := range sc.Expects() {
						records <- err
					}
				} else {
					for _, err := range sc.Flows() {
						records <- err
					}
				}
				close(records)
			}()
			w.Write([]byte(strings.Join(lines[:header], "")))
			for i, line := range lines[header : header+3] {
				w.Write([]byte(line))
				select {
				case err := <-records:
					if err != nil {
						t.Fatalf("%s, %d workers: record %d: %v", file, workers, i+1, err)
					}
				case <-time.After(5 * time.Second):
					w.Close()
					t.Fatalf("%s, %d workers: record %d was not handed out while the stream paused after it", file, workers, i+1)
				}
			}
			if len(idle) == 0 {
				t.Errorf("%s, %d workers: no idle call", file, workers)
			}
			w.Close()
			for range records {
			}
		}
	}
}
