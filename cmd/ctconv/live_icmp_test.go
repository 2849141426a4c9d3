package main

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/internal/lab"
)

// TestLiveDerived checks the fields ctconv derives between conntrack's
// listing and its -o save: save prints the original tuple's ICMP type, code
// and id alone, and ctconv makes the reply's as the kernel does; save's -g
// and -n come from the status. On a table of every protocol, every ICMP and
// ICMPv6 type the kernel tracks, NAT, and real echoes, -o save converted to
// conntrack must print what conntrack -L prints, and the listing converted
// to save what -o save prints.
func TestLiveDerived(t *testing.T) {
	l := newLab(t)
	s := seed(t)
	entries := append(lab.Fixed(), lab.Random(rand.New(rand.NewPCG(s, s^0xd1ff)), 200)...)
	for i, typ := range []int{0, 8, 13, 14, 15, 16, 17, 18} {
		entries = append(entries, lab.Entry{"-p", "icmp", "-s", "10.9.0.1", "-d", "10.9.0.2", "--icmp-type", strconv.Itoa(typ),
			"--icmp-code", strconv.Itoa(i % 2), "--icmp-id", strconv.Itoa(1000 + typ), "-t", "300"})
	}
	for i, typ := range []int{128, 129, 139, 140} {
		entries = append(entries, lab.Entry{"-p", "icmpv6", "-s", "2001:db8::1", "-d", "2001:db8::2", "--icmpv6-type", strconv.Itoa(typ),
			"--icmpv6-code", strconv.Itoa(i % 2), "--icmpv6-id", strconv.Itoa(1000 + typ), "-t", "300", "-u", "SEEN_REPLY"})
	}
	entries = append(entries, lab.Entry{"-p", "icmp", "-s", "192.168.9.1", "-d", "203.0.113.9", "-r", "203.0.113.9", "-q", "198.51.100.9",
		"--icmp-type", "8", "--icmp-code", "0", "--icmp-id", "77", "-t", "300"})
	if err := l.Insert(entries); err != nil {
		t.Fatal(err)
	}
	compare := func(what string, keep func(string) bool) {
		t.Helper()
		list, err := l.Conntrack("-L")
		if err != nil {
			t.Fatal(err)
		}
		save, err := l.Conntrack("-L", "-o", "save")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			from, to  string
			src, want []byte
		}{{"save", "conntrack", save, list}, {"conntrack", "save", list, save}} {
			code, got, errs := ctconv(t, string(c.src), "convert", "--from", c.from, "--to", c.to)
			if code != 0 {
				t.Fatalf("%s: --from %s --to %s: exit %d: %s", what, c.from, c.to, code, errs)
			}
			want := unmoved(string(c.want), keep)
			if c.from == "conntrack" {
				// conntrack -L does not show SCTP's verification tags.
				for i, l := range want {
					want[i] = saveVtags.ReplaceAllString(l, "")
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s: nothing to compare in:\n%s", what, c.want)
			}
			if d := cmp.Diff(want, unmoved(got, keep)); d != "" {
				t.Errorf("%s: conntrack -L%s converted to %s differs from what conntrack prints (-want +got):\n%s",
					what, map[string]string{"save": " -o save"}[c.from], c.to, d)
			}
		}
	}
	compare("inserted entries", func(string) bool { return true })

	// The echoes of real traffic; other flows of the traffic change state
	// between two reads.
	closeAll, err := l.Traffic()
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	compare("traffic", func(line string) bool {
		return strings.HasPrefix(line, "icmp") || strings.Contains(line, " -p icmp")
	})
}

var (
	// saveLacks matches what conntrack -L prints and -o save does not
	// carry, and what moves between two reads: the mark, use count,
	// counters, delta-time and helper.
	saveLacks = regexp.MustCompile(` (mark|use|packets|bytes|delta-time)=[0-9]+| helper=\S+`)
	saveVtags = regexp.MustCompile(` --orig-vtag [0-9]+ --reply-vtag [0-9]+`)
	// saveTimeout matches the timeout of a save line.
	saveTimeout = regexp.MustCompile(`^(-[AUD]) -t [0-9]+ `)
)

// unmoved returns the lines of a conntrack -L listing or -o save that keep
// selects, sorted, without their timeouts and what saveLacks matches.
func unmoved(text string, keep func(string) bool) []string {
	var lines []string
	for l := range strings.Lines(text) {
		l = strings.TrimSpace(l)
		if !keep(l) {
			continue
		}
		l = timeoutColumn.ReplaceAllString(saveLacks.ReplaceAllString(l, ""), "$1 ")
		lines = append(lines, saveTimeout.ReplaceAllString(l, "$1 "))
	}
	slices.Sort(lines)
	return lines
}
