// Command capture builds network namespaces, fills their connection-tracking
// tables with the entries of lab.Fixed and real loopback traffic, and writes
// what the kernel prints to the corpus folder. Run it as root through
// testdata/corpus/capture.sh.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ctconv/ctconv/internal/lab"
)

func main() {
	out := flag.String("out", "testdata/corpus", "folder to write the captures to")
	flag.Parse()
	if err := capture(*out); err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
}

func capture(out string) error {
	for _, c := range []struct {
		file string
		opts lab.Options
	}{
		{"proc.txt", lab.Options{}},
		{"proc-noacct.txt", lab.Options{NoAccounting: true}},
	} {
		l, err := lab.New("ctconv-capture", c.opts)
		if err != nil {
			return err
		}
		var text []byte
		closeAll, err := fill(l)
		if err == nil {
			text, err = l.Proc()
			closeAll()
		}
		l.Close()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, c.file), text, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %d bytes\n", c.file, len(text))
	}
	return nil
}

// fill inserts the fixed entries and makes traffic; the returned function
// closes the connections left open.
func fill(l *lab.Lab) (func(), error) {
	if err := l.Insert(lab.Fixed()); err != nil {
		return nil, err
	}
	time.Sleep(1100 * time.Millisecond) // let delta-time tick for the inserted entries
	return l.Traffic()
}
