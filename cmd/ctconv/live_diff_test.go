package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/internal/lab"
)

// TestLiveDiff captures a namespace's table, adds, deletes and changes a
// known set of entries with conntrack (a NAT mapping that moved, a mark),
// captures it again, and checks that ctconv diff reports that set and
// nothing more, in text and in JSON, from /proc and from conntrack -L, and
// from conntrack -L before to its XML after. conntrack's XML has no ICMP
// type, code and id: pings between the same two hosts pair by order, and
// each table's XML matches its conntrack -L but for volatile fields.
func TestLiveDiff(t *testing.T) {
	l := newLab(t)
	s := seed(t)
	// Background: random entries that stay as they are.
	if err := l.Insert(lab.Random(rand.New(rand.NewPCG(s, s)), 100)); err != nil {
		t.Fatal(err)
	}
	if err := l.Insert([]lab.Entry{
		{"-p", "tcp", "-s", "198.18.0.1", "-d", "198.18.0.2", "--sport", "1000", "--dport", "80", "--state", "ESTABLISHED", "-t", "600"},
		{"-p", "udp", "-s", "198.18.0.3", "-d", "198.18.0.4", "--sport", "5353", "--dport", "53", "-t", "600"},
		{"-p", "tcp", "-s", "198.18.0.5", "-d", "198.18.0.6", "--sport", "1001", "--dport", "443", "--state", "ESTABLISHED", "-t", "600"},
		{"-p", "icmp", "-s", "198.18.0.7", "-d", "198.18.0.8", "--icmp-type", "8", "--icmp-code", "0", "--icmp-id", "99", "-t", "600"},
		// Pings of the same hosts, one of them marked later.
		{"-p", "icmp", "-s", "198.18.0.11", "-d", "198.18.0.12", "--icmp-type", "8", "--icmp-code", "0", "--icmp-id", "5", "-t", "600"},
		{"-p", "icmp", "-s", "198.18.0.11", "-d", "198.18.0.12", "--icmp-type", "8", "--icmp-code", "0", "--icmp-id", "3", "-t", "600"},
		{"-p", "icmp", "-s", "198.18.0.11", "-d", "198.18.0.12", "--icmp-type", "8", "--icmp-code", "0", "--icmp-id", "9", "-t", "600"},
		{"-p", "icmpv6", "-s", "2001:db8::1", "-d", "2001:db8::2", "--icmpv6-type", "128", "--icmpv6-code", "0", "--icmpv6-id", "4", "-t", "600"},
		{"-p", "icmpv6", "-s", "2001:db8::1", "-d", "2001:db8::2", "--icmpv6-type", "128", "--icmpv6-code", "0", "--icmpv6-id", "2", "-t", "600"},
	}); err != nil {
		t.Fatal(err)
	}
	capture := func() map[string][]byte {
		proc, err := l.Proc()
		if err != nil {
			t.Fatal(err)
		}
		list, err := l.Conntrack("-L")
		if err != nil {
			t.Fatal(err)
		}
		xml, err := l.Conntrack("-L", "-o", "xml")
		if err != nil {
			t.Fatal(err)
		}
		return map[string][]byte{"proc": proc, "conntrack": list, "xml": xml}
	}
	before := capture()
	for _, args := range [][]string{
		{"-D", "-s", "198.18.0.1"},
		{"-D", "-s", "198.18.0.5"}, // the NAT mapping moves: to another address and port
		{"-I", "-p", "tcp", "-s", "198.18.0.5", "-d", "198.18.0.6", "--sport", "1001", "--dport", "443",
			"-r", "198.18.0.6", "-q", "203.0.113.77", "--reply-port-src", "443", "--reply-port-dst", "61001", "--state", "ESTABLISHED", "-t", "600"},
		{"-U", "-s", "198.18.0.7", "-m", "42"},
		{"-U", "-p", "icmp", "-s", "198.18.0.11", "--icmp-type", "8", "--icmp-code", "0", "--icmp-id", "3", "-m", "7"},
		{"-I", "-p", "tcp", "-s", "198.18.0.9", "-d", "198.18.0.10", "--sport", "1002", "--dport", "22", "--state", "SYN_SENT", "-t", "600"},
	} {
		if _, err := l.Conntrack(args...); err != nil {
			t.Fatal(err)
		}
	}
	after := capture()

	wantText := []*regexp.Regexp{
		regexp.MustCompile(`^\+ tcp +6 \d+ SYN_SENT src=198\.18\.0\.9 dst=198\.18\.0\.10 sport=1002 dport=22 `),
		regexp.MustCompile(`^- tcp +6 \d+ ESTABLISHED src=198\.18\.0\.1 dst=198\.18\.0\.2 sport=1000 dport=80 `),
		regexp.MustCompile(`^~ icmp +1 \d+ src=198\.18\.0\.11 dst=198\.18\.0\.12 (type=8 code=0 id=3 )?.* \| mark 0→7$`),
		regexp.MustCompile(`^~ icmp +1 \d+ src=198\.18\.0\.7 dst=198\.18\.0\.8 (type=8 code=0 id=99 )?.* \| mark 0→42$`),
		regexp.MustCompile(`^~ tcp +6 \d+ ESTABLISHED src=198\.18\.0\.5 dst=198\.18\.0\.6 sport=1001 dport=443 .* \| reply\.dst 198\.18\.0\.5→203\.0\.113\.77, reply\.dport 1001→61001$`),
		regexp.MustCompile(`^diff: 1 added, 1 removed, 3 changed, \d+ unchanged$`),
	}
	dir := t.TempDir()
	for _, source := range []string{"proc", "conntrack", "conntrack-xml"} {
		old, new := filepath.Join(dir, source+"-before.txt"), filepath.Join(dir, source+"-after.txt")
		oldSource, newSource, _ := strings.Cut(source, "-")
		if newSource == "" {
			newSource = oldSource
		}
		os.WriteFile(old, before[oldSource], 0o644)
		os.WriteFile(new, after[newSource], 0o644)

		code, out, errs := ctconv(t, "", "diff", old, new)
		if code != 1 {
			t.Errorf("%s: exit %d, stderr %q", source, code, errs)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		// The changes' order is the capture's: sorted, by all but the
		// timeout, which differs by a second between flows inserted a
		// second apart (and swapped the two pings' lines). The summary
		// comes last.
		slices.SortFunc(lines[:len(lines)-1], func(a, b string) int { return strings.Compare(withoutTimeout(a), withoutTimeout(b)) })
		if len(lines) != len(wantText) {
			t.Errorf("%s: %d lines, want %d:\n%s", source, len(lines), len(wantText), out)
		} else {
			for i, re := range wantText {
				if !re.MatchString(lines[i]) {
					t.Errorf("%s: line %q does not match %s", source, lines[i], re)
				}
			}
		}

		code, out, _ = ctconv(t, "", "diff", "--format", "json", old, new)
		if code != 1 {
			t.Errorf("%s json: exit %d", source, code)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			var c struct {
				Op   string
				Flow struct {
					TupleOrig struct{ Src string } `json:"tuple-orig"`
				}
				Changes []struct {
					Field    string
					Old, New any
				}
			}
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				t.Fatalf("%s json: %v\n%s", source, err, line)
			}
			s := c.Op + " " + c.Flow.TupleOrig.Src
			for _, ch := range c.Changes {
				s += " " + ch.Field + "=" + jsonValue(ch.Old) + "→" + jsonValue(ch.New)
			}
			got = append(got, s)
		}
		slices.Sort(got)
		want := []string{
			"added 198.18.0.9",
			"changed 198.18.0.11 mark=0→7",
			"changed 198.18.0.5 reply.dst=198.18.0.5→203.0.113.77 reply.dport=1001→61001",
			"changed 198.18.0.7 mark=0→42",
			"removed 198.18.0.1",
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s json:\n got %q\nwant %q", source, got, want)
		}

		// A capture against itself: nothing, exit status 0.
		for _, form := range []string{"text", "json"} {
			if code, out, errs := ctconv(t, "", "diff", "--format", form, old, old); code != 0 || out != "" {
				t.Errorf("%s against itself, %s: exit %d, output %q, stderr %q", source, form, code, out, errs)
			}
		}
	}

	// Each table's conntrack -L against its XML, either way: nothing but
	// volatile fields (the timeouts of two reads).
	for i, c := range []map[string][]byte{before, after} {
		list, xml := filepath.Join(dir, "list"+itoa(i)+".txt"), filepath.Join(dir, "list"+itoa(i)+".xml")
		os.WriteFile(list, c["conntrack"], 0o644)
		os.WriteFile(xml, c["xml"], 0o644)
		for _, args := range [][]string{{list, xml}, {xml, list}} {
			if code, out, errs := ctconv(t, "", append([]string{"diff"}, args...)...); code != 0 || out != "" {
				t.Errorf("%s against %s: exit %d, output %q, stderr %q", filepath.Base(args[0]), filepath.Base(args[1]), code, out, errs)
			}
			code, out, errs := ctconv(t, "", append([]string{"diff", "--include-volatile", "--format", "json"}, args...)...)
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				var ch struct {
					Op      string
					Changes []struct{ Field string }
				}
				json.Unmarshal([]byte(line), &ch)
				for _, f := range ch.Changes {
					if f.Field != "timeout" && f.Field != "use" && f.Field != "delta-time" {
						t.Errorf("%s against %s, volatile fields included: exit %d: %s", filepath.Base(args[0]), filepath.Base(args[1]), code, line)
					}
				}
				if line != "" && (ch.Op != "changed" || len(ch.Changes) == 0) || code > 1 {
					t.Errorf("%s against %s, volatile fields included: exit %d, stderr %q: %s", filepath.Base(args[0]), filepath.Base(args[1]), code, errs, line)
				}
			}
		}
	}
}

// withoutTimeout returns a line of diff, "+ tcp      6 431999 ...", without
// its flow's timeout.
func withoutTimeout(line string) string {
	sign, flow, _ := strings.Cut(line, " ")
	return sign + " " + timeoutColumn.ReplaceAllString(flow, "$1 ")
}

func jsonValue(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}
