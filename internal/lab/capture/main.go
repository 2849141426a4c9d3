// Command capture builds network namespaces, fills their connection-tracking
// tables with the entries of lab.Fixed and real loopback traffic, and writes
// what the kernel and conntrack print to the corpus folder: every table
// format, and the events conntrack -E reports meanwhile. Run it as root
// through testdata/corpus/capture.sh.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ctconv/ctconv/internal/lab"
)

func main() {
	out := flag.String("out", "testdata/corpus", "folder to write the captures to")
	bulk := flag.Int("bulk", 0, "instead, capture /proc/net/nf_conntrack of a table of `N` UDP flows (lab.Bulk) to stdout")
	by := flag.String("events", "", "instead, capture the events only, as the conntrack program at `PATH` prints them, each to NAME-VERSION.txt")
	flag.Parse()
	err := error(nil)
	switch {
	case *bulk > 0:
		err = captureBulk(*bulk)
	case *by != "":
		err = captureEvents(*out, *by)
	default:
		err = capture(*out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
}

// events are the conntrack -E runs that listen while the table fills, by
// the file they go to.
var events = map[string][]string{
	"conntrack-E.txt":                        {"-E"},
	"conntrack-E-timestamp.txt":              {"-E", "-o", "timestamp"},
	"conntrack-E-extended-id-ktimestamp.txt": {"-E", "-o", "extended,id,ktimestamp"},
	"xml-E.txt":                              {"-E", "-o", "xml"},
	"xml-E-timestamp.txt":                    {"-E", "-o", "xml,timestamp"},
	"save-E.txt":                             {"-E", "-o", "save"},
	"conntrack-expect-E.txt":                 {"-E", "expect"},
	"xml-expect-E.txt":                       {"-E", "expect", "-o", "xml"},
}

// dumps are the conntrack commands run once the table is full.
var dumps = map[string][]string{
	"conntrack-L.txt":                               {"-L"},
	"conntrack-L-extended.txt":                      {"-L", "-o", "extended"},
	"conntrack-L-id.txt":                            {"-L", "-o", "id"},
	"conntrack-L-extended-id.txt":                   {"-L", "-o", "extended,id"},
	"conntrack-L-ktimestamp.txt":                    {"-L", "-o", "ktimestamp"},
	"conntrack-L-labels.txt":                        {"-L", "-o", "labels"},
	"conntrack-L-extended-id-ktimestamp-labels.txt": {"-L", "-o", "extended,id,ktimestamp,labels"},
	"xml-L.txt":                                     {"-L", "-o", "xml"},
	"xml-L-ktimestamp-labels.txt":                   {"-L", "-o", "xml,ktimestamp,labels"},
	"save-L.txt":                                    {"-L", "-o", "save"},
	"conntrack-expect-L.txt":                        {"-L", "expect"},
	"conntrack-expect-L-ipv6.txt":                   {"-L", "expect", "-f", "ipv6"},
	"xml-expect-L.txt":                              {"-L", "expect", "-o", "xml"},
}

func capture(out string) error {
	files := map[string][]byte{}
	if err := full(files); err != nil {
		return err
	}
	l, err := lab.New("ctconv-capture", lab.Options{NoAccounting: true})
	if err != nil {
		return err
	}
	defer l.Close()
	closeAll, err := fill(l)
	if err != nil {
		return err
	}
	defer closeAll()
	if files["proc-noacct.txt"], err = l.Proc(); err != nil {
		return err
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(out, name), text, 0o644); err != nil {
			return err
		}
		fmt.Printf("%-48s %6d bytes\n", name, len(text))
	}
	return nil
}

// full captures everything from a namespace with accounting and
// timestamps on.
func full(files map[string][]byte) error {
	l, err := lab.New("ctconv-capture", lab.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	stops, err := listenAll(l, "conntrack")
	if err != nil {
		return err
	}
	closeAll, err := fill(l)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := churn(l); err != nil {
		return err
	}
	if files["proc.txt"], err = l.Proc(); err != nil {
		return err
	}
	if files["proc-expect.txt"], err = l.ProcExpect(); err != nil {
		return err
	}
	for name, args := range dumps {
		if files[name], err = l.Conntrack(args...); err != nil {
			return err
		}
	}
	for name, stop := range stops {
		if files[name], err = stop(); err != nil {
			return err
		}
	}
	return nil
}

// listenAll starts conntrack -E, the program at bin, in each form of
// events, keyed by the name of its file, each subscribed when it returns.
func listenAll(l *lab.Lab, bin string) (map[string]func() ([]byte, error), error) {
	stops := map[string]func() ([]byte, error){}
	for name, args := range events {
		stop, err := l.ListenWith(bin, args...)
		if err != nil {
			return nil, err
		}
		stops[name] = stop
	}
	return stops, nil
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

// churn updates, deletes and lets expire some entries, for the events.
func churn(l *lab.Lab) error {
	for _, args := range [][]string{
		{"-U", "-s", "10.0.1.1", "-m", "77"},
		{"-D", "-p", "tcp", "--sport", "40004"},
		{"-D", "-p", "icmp", "--icmp-type", "13"},
		{"-I", "-p", "udp", "-s", "10.9.0.1", "-d", "10.9.0.2", "--sport", "1", "--dport", "2", "-t", "1"},
		{"-I", "-p", "tcp", "-s", "2001:db8::9", "-d", "2001:db8::10", "--sport", "3", "--dport", "4", "--state", "SYN_SENT", "-t", "1"},
	} {
		if _, err := l.Conntrack(args...); err != nil && !strings.Contains(err.Error(), "0 flow entries") {
			return err
		}
	}
	time.Sleep(3 * time.Second) // the two short-lived entries expire
	return nil
}

// captureEvents writes the events of the table's filling as the conntrack
// at bin prints them, another version than the one on PATH, which fills
// the table: conntrack-E.txt is conntrack-E-1.4.9.txt for conntrack
// 1.4.9.
func captureEvents(out, bin string) error {
	v, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return fmt.Errorf("%s --version: %w", bin, err)
	}
	// "conntrack v1.4.9 (conntrack-tools)"
	words := strings.Fields(string(v))
	version, ok := "", len(words) > 1
	if ok {
		version, ok = strings.CutPrefix(words[1], "v")
	}
	if !ok {
		return fmt.Errorf("%s --version: %q shows no version", bin, v)
	}
	l, err := lab.New("ctconv-capture", lab.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	stops, err := listenAll(l, bin)
	if err != nil {
		return err
	}
	closeAll, err := fill(l)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := churn(l); err != nil {
		return err
	}
	for name, stop := range stops {
		text, err := stop()
		if err != nil {
			return err
		}
		name = strings.TrimSuffix(name, ".txt") + "-" + version + ".txt"
		if err := os.WriteFile(filepath.Join(out, name), text, 0o644); err != nil {
			return err
		}
		fmt.Printf("%-48s %6d bytes\n", name, len(text))
	}
	return nil
}

// captureBulk writes the table of n bulk flows to stdout.
func captureBulk(n int) error {
	l, err := lab.New("ctconv-bulk", lab.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	start := time.Now()
	if err := l.Bulk(n, 1); err != nil {
		return err
	}
	text, err := l.Proc()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "capture: %d flows in %v\n", strings.Count(string(text), "\n"), time.Since(start).Round(time.Millisecond))
	_, err = os.Stdout.Write(text)
	return err
}
