package snapshot_test

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

const table = `ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 mark=0 zone=0 use=2
ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.6 dst=192.168.1.9 sport=32776 dport=22 src=192.168.1.9 dst=203.0.113.7 sport=22 dport=32776 [ASSURED] mark=0 zone=0 use=2
`

func Example() {
	// Write: a header, then the records.
	var file bytes.Buffer // an *os.File in real use, so that Close can set the header's count
	w, err := snapshot.NewWriter(&file, snapshot.Header{
		Created: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		Host:    "router",
		Source:  snapshot.Text(format.Proc),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	sc, err := format.NewScanner(strings.NewReader(table), format.Dialect{Format: format.Proc})
	if err != nil {
		fmt.Println(err)
		return
	}
	for f, err := range sc.Flows() {
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := w.WriteFlow(f); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}

	// Read it back and print each flow as the source printed it.
	r, err := snapshot.NewReader(&file)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	h := r.Header()
	fmt.Println(h.Host, h.Source, h.Created.Format(time.DateOnly))
	var line []byte
	for f, err := range r.Flows() {
		if err != nil {
			fmt.Println(err)
			break
		}
		if line, err = (format.Dialect{Format: format.Proc}).Append(line[:0], f); err != nil {
			fmt.Println(err) // a flow /proc cannot show
			continue
		}
		fmt.Print(string(line))
	}
	// Output:
	// router proc 2026-11-25
	// ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 mark=0 zone=0 use=2
	// ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.6 dst=192.168.1.9 sport=32776 dport=22 src=192.168.1.9 dst=203.0.113.7 sport=22 dport=32776 [ASSURED] mark=0 zone=0 use=2
}

// before and after are two captures of a table, a minute apart.
const before = "ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 packets=5 bytes=420 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=51000 packets=4 bytes=3001 [ASSURED] mark=0 zone=0 use=2\n" +
	"ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 packets=1 bytes=60 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 packets=0 bytes=0 mark=0 zone=0 use=2\n"
const after = "ipv4     2 tcp      6 118 TIME_WAIT src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 packets=17 bytes=1420 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=51000 packets=14 bytes=9001 [ASSURED] mark=5 zone=0 use=2\n"

func ExampleNewDiff() {
	old, err := snapshot.Open(strings.NewReader(before), snapshot.Text(format.Auto), format.Dialect{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer old.Close()
	new, err := snapshot.Open(strings.NewReader(after), snapshot.Text(format.Auto), format.Dialect{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer new.Close()
	// A bad option is an error here, before any change. The loop is done
	// with each change before the next, so the Diff may reuse them.
	d, err := snapshot.NewDiff(old, new, snapshot.DiffOptions{Ignore: []string{"counters"}, ReuseChanges: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	for c, err := range d.Changes() {
		if err != nil {
			fmt.Println(err)
			break
		}
		f := cmp.Or(c.New, c.Old)
		fmt.Println(c.Op, f.Proto, f.Orig.Src, "->", f.Orig.Dst)
		for _, fc := range c.Fields {
			fmt.Printf("  %s: %s -> %s\n", fc.Field, fc.Old, fc.New)
		}
	}
	fmt.Printf("%+v\n", d.Summary())
	// Output:
	// changed tcp 192.168.1.10 -> 203.0.113.5
	//   state: ESTABLISHED -> TIME_WAIT
	//   mark: 0 -> 5
	// removed udp 10.0.0.1 -> 10.0.0.53
	// {Added:0 Removed:1 Changed:1 Unchanged:0 Duplicates:0 Unchecked:0}
}

// Checking a snapshot file: EachCount reads and checks every flow, on
// every core, and hands out only how many each batch held, so that the
// flows need not be laid out.
func ExampleReader_EachCount() {
	file, err := os.Open("testdata/v3/bulk.ctsnap")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer file.Close()
	r, err := snapshot.NewReader(file)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	counts := make([]struct {
		n int
		_ [56]byte // a cache line a worker
	}, r.Workers())
	for err := range r.EachCount(func(w, n int) { counts[w].n += n }) {
		fmt.Println("damaged:", err) // the only error, which ends the flows
		return
	}
	total := 0
	for _, c := range counts {
		total += c.n
	}
	fmt.Println(total, "flows, all sound")
	// Output:
	// 10000 flows, all sound
}
