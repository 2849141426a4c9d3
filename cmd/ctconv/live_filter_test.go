package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/lab"
)

// TestLiveFilter checks ctconv's filters against conntrack's: on a table of
// random entries of every protocol, each filter selects the flows that
// conntrack -L with the same options lists.
func TestLiveFilter(t *testing.T) {
	l := newLab(t)
	s := seed(t)
	if err := l.Insert(append(lab.Fixed(), lab.Random(rand.New(rand.NewPCG(s, s^1)), 300)...)); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "all.txt")
	for _, c := range []struct{ conntrack, ctconv string }{
		{"-p tcp", "--proto tcp"},
		{"-p udp", "--proto 17"},
		{"-f ipv6", "--family ipv6"},
		{"-s 10.0.0.0/16", "--src 10.0.0.0/16"},
		{"-d 10.1.0.0/16", "--dst 10.1.0.0/16"},
		{"-s 10.0.0.1", "--src 10.0.0.1"},
		{"-p tcp --sport 40003", "--proto tcp --sport 40003"},
		{"-p udp --dport 53", "--proto udp --dport 53"},
		{"--mark 5", "--mark 5"},
		{"--mark 4/0x4", "--mark 4/0x4"},
		{"-w 5", "--zone 5"},
		{"-w 0", "--zone 0"},
		{"-u ASSURED", "--status ASSURED"},
		{"-u SEEN_REPLY", "--status SEEN_REPLY"},
		{"-u SEEN_REPLY,ASSURED", "--status ASSURED,SEEN_REPLY"},
		{"-p tcp --state ESTABLISHED", "--state ESTABLISHED"},
		{"-p sctp --state ESTABLISHED", "--proto sctp --state ESTABLISHED"},
		{"-p tcp -s 10.0.0.0/8 --dport 80 -u SEEN_REPLY", "--proto tcp --src 10.0.0.0/8 --dport 80 --status SEEN_REPLY"},
	} {
		// The table as it is now, beside conntrack's filter of it: a
		// listing made once, before all the filters, held flows of lab.Fixed
		// (of 25 and 30 s) that had gone when a slow run came to the later
		// filters. Flows that may time out between the reads of a filter
		// (lab.Fixed has one of a second) are left out of the comparisons.
		all, err := l.Conntrack("-L")
		if err != nil {
			t.Fatal(err)
		}
		expiring := map[string]bool{}
		for _, f := range parseAll(t, format.Conntrack, all) {
			if f.Timeout < 10 {
				expiring[identity(&f)] = true
			}
		}
		os.WriteFile(file, all, 0o644)
		want, err := l.Conntrack(append([]string{"-L"}, strings.Fields(c.conntrack)...)...)
		if err != nil {
			t.Fatalf("conntrack -L %s: %v", c.conntrack, err)
		}
		w := without(identities(t, want), expiring)
		switch {
		case len(want) == 0:
			t.Errorf("conntrack -L %s lists nothing: a filter that tests nothing", c.conntrack)
		case len(w) == 0:
			t.Logf("conntrack -L %s lists only flows about to time out: the filter is not tested in this run", c.conntrack)
		}
		// The listing in a file, and the table over netlink, where the
		// kernel filters the families, marks and zones.
		for _, source := range []string{file, netlinkSource} {
			var code int
			var got, errs string
			l.Do(func() error {
				code, got, errs = ctconv(t, "", append(append([]string{"convert", "--tz", "UTC", "--to", "conntrack"}, strings.Fields(c.ctconv)...), source)...)
				return nil
			})
			if code != 0 {
				t.Fatalf("ctconv %s %s: exit %d: %s", c.ctconv, source, code, errs)
			}
			if g := without(identities(t, []byte(got)), expiring); !slices.Equal(w, g) {
				t.Errorf("conntrack -L %s lists %d flows, ctconv convert %s %s %d:\nonly conntrack: %v\nonly ctconv: %v",
					c.conntrack, len(w), c.ctconv, source, len(g), minus(w, g), minus(g, w))
			}
		}
	}
}

// identities returns the sorted identities of the flows of a conntrack -L
// listing.
func identity(f *format.Flow) string {
	return fmt.Sprintf("%v %v %v:%d %v:%d %d/%d/%d", f.Proto, f.Family, f.Orig.Src, f.Orig.SrcPort, f.Orig.Dst, f.Orig.DstPort, f.Orig.Type, f.Orig.ID, f.Zone)
}

// identities returns the sorted identities of a conntrack -L listing.
func identities(t *testing.T, text []byte) []string {
	var ids []string
	for _, f := range parseAll(t, format.Conntrack, text) {
		ids = append(ids, identity(&f))
	}
	slices.Sort(ids)
	return ids
}

// without returns ids but those in leave.
func without(ids []string, leave map[string]bool) []string {
	return slices.DeleteFunc(ids, func(id string) bool { return leave[id] })
}

func minus(a, b []string) []string {
	var d []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			d = append(d, x)
		}
	}
	return d
}
