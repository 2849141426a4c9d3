package ctnetlink_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/internal/lab"
)

var seeds = flag.String("seeds", "", "write the messages of the live dump as seeds of FuzzNetlink into `DIR`")

// writeSeed writes a netlink message as a seed of a fuzz target into dir,
// named by its hash as go test names them.
func writeSeed(t *testing.T, dir string, msg []byte) {
	sum := sha256.Sum256(msg)
	name := filepath.Join(dir, hex.EncodeToString(sum[:8]))
	if err := os.WriteFile(name, []byte("go test fuzz v1\n[]byte("+strconv.Quote(string(msg))+")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// shape says which fields and kind of flow f is, so that one seed of
// each shape is kept.
func shape(f *format.Flow) string {
	return fmt.Sprint(f.Family, f.Proto, f.Fields, f.Status&(format.StatusSeenReply|format.StatusAssured), f.Event, f.Labels != "")
}

// dump returns the namespace's table, read over netlink.
func dump(t *testing.T, l *lab.Lab) []format.Flow {
	t.Helper()
	labels, err := ctnetlink.LoadLabels()
	if err != nil {
		t.Fatal(err)
	}
	var flows []format.Flow
	seen := map[string]bool{}
	err = l.Do(func() error {
		c, err := ctnetlink.Dial()
		if err != nil {
			return err
		}
		defer c.Close()
		sc, err := c.Dump(ctnetlink.DumpFilter{}, &ctnetlink.Decoder{Labels: labels})
		if err != nil {
			return err
		}
		for f, err := range sc.Flows() {
			if err != nil {
				return err
			}
			flows = append(flows, *f)
			if *seeds != "" && !seen[shape(f)] {
				seen[shape(f)] = true
				writeSeed(t, *seeds, sc.Message())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return flows
}

// print prints flows as a file of p's format.
func print(t *testing.T, flows []format.Flow, p format.Dialect) string {
	t.Helper()
	var b bytes.Buffer
	w := format.NewWriter(&b, p)
	for i := range flows {
		if err := w.Write(&flows[i]); err != nil {
			t.Fatalf("%+v: %v", flows[i], err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	volatileTokens = regexp.MustCompile(` (use|delta-time)=[0-9]+`)
	timeoutColumn  = regexp.MustCompile(`^((?:ipv[46] +[0-9]+ )?\S+ +[0-9]+) [0-9]+ `)
)

// lines returns text's lines, sorted, without what moves between two reads.
func lines(text string, masks ...*regexp.Regexp) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		l = timeoutColumn.ReplaceAllString(volatileTokens.ReplaceAllString(l, ""), "$1 ")
		for _, m := range masks {
			l = m.ReplaceAllString(l, "")
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// TestLiveDump fills a namespace with entries of every protocol, zones,
// marks, labels, a helper and real traffic, and checks that the netlink
// dump prints as conntrack -L, /proc/net/nf_conntrack and conntrack's XML
// of the same table, but for what moves between two reads.
func TestLiveDump(t *testing.T) {
	l := lab.ForTest(t, "ctconv-nl", "the netlink dump with the kernel's other outputs")
	r := rand.New(rand.NewPCG(1, 2))
	if err := l.Insert(append(lab.Fixed(), lab.Random(r, 100)...)); err != nil {
		t.Fatal(err)
	}
	closeAll, err := l.Traffic()
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	// Traffic still moves when it has begun; compare the outputs of
	// consecutive reads a few times.
	for try := 1; ; try++ {
		time.Sleep(200 * time.Millisecond)
		diffs := compare(t, l)
		if len(diffs) == 0 {
			return
		}
		if try == 3 {
			t.Fatal(strings.Join(diffs, "\n"))
		}
		t.Logf("try %d: %d outputs differ, read again:\n%s", try, len(diffs), strings.Join(diffs, "\n"))
	}
}

var (
	saveTimeout = regexp.MustCompile(`^-A -t [0-9]+ `)
	procOnly    = regexp.MustCompile(` zone=0|timeout=[0-9]+, stream_timeout=[0-9]+ `)
	xmlVolatile = regexp.MustCompile(`<(timeout|use|deltatime)>[0-9]+</(timeout|use|deltatime)>`)
)

// compare reads the table over netlink and with conntrack and /proc, and
// returns how they differ.
func compare(t *testing.T, l *lab.Lab) []string {
	var diffs []string
	read := func(args ...string) []byte {
		b, err := l.Exec(nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	list := read("conntrack", "-L", "-o", "extended,id,labels")
	proc := read("cat", "/proc/net/nf_conntrack")
	xml := read("conntrack", "-L", "-o", "xml,id")
	save := read("conntrack", "-L", "-o", "save")
	flows := dump(t, l)
	for _, c := range []struct {
		what string
		want []byte
		p    format.Dialect
		mask []*regexp.Regexp
	}{
		{"conntrack -L -o extended,id,labels", list, format.Dialect{Location: time.UTC, Format: format.Conntrack, Options: format.OptExtended | format.OptID | format.OptLabels}, nil},
		// The kernel tells the GRE timeouts only in /proc, and a zone
		// of 0 over netlink by not telling it.
		{"/proc/net/nf_conntrack", proc, format.Dialect{Format: format.Proc}, []*regexp.Regexp{procOnly}},
		{"conntrack -L -o save", save, format.Dialect{Format: format.Save}, []*regexp.Regexp{saveTimeout}},
		{"conntrack -L -o xml,id", xml, format.Dialect{Format: format.XML, Options: format.OptID}, []*regexp.Regexp{xmlVolatile}},
	} {
		got := print(t, flows, c.p)
		if d := cmp.Diff(lines(string(c.want), c.mask...), lines(got, c.mask...)); d != "" {
			diffs = append(diffs, "netlink dump differs from "+c.what+" (-want +got):\n"+d)
		}
	}
	return diffs
}
