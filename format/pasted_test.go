package format_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// pastedCorpus says, per file of testdata/pasted, what a reader makes of
// it: the format detected, and the lines it rejects, which are those
// SOURCES.md names as damaged or as prose (lines that hold neither a record
// nor a shape the Scanner skips). Every other line is a record that reads,
// or a line skipped and counted (prompts, ^C, fences, blank lines,
// conntrack's messages). A file whose format cannot be detected, because
// none of its lines is a record, is read with the format its producer
// imitated, and every line that looks like a record is rejected; a
// record wrapped over lines is rejected once.
var pastedCorpus = []struct {
	file       string
	f          format.Format // Auto: detected as want
	want       format.Format
	rejected   []int
	undetected bool // Auto fails; read with f
}{
	{file: "001-netlink-876-conntrack-L-prompt.txt", want: format.Conntrack},
	{file: "002-netlink-949-conntrack-L-one.txt", want: format.Conntrack},
	{file: "003-aks-engine-1912-grep-clipped-first-char.txt", want: format.Conntrack, rejected: []int{1, 5}},
	{file: "004-tiesse-imola-manual-p182-pdf-wrapped.txt", want: format.IPLegacy},
	{file: "005-tiesse-imola-manual-p183-pdf-wrapped-states.txt", want: format.Conntrack},
	{file: "006-vultrcoupons-machine-translated-tutorial.txt", f: format.Conntrack, rejected: []int{1}, undetected: true},
	{file: "007-calico-felix-1490-conntrack-E.txt", want: format.Conntrack},
	{file: "008-k8s-101607-stale-tcp-udp-broken-fence.txt", want: format.Conntrack, rejected: []int{3}},
	{file: "009-k8s-126130-klog-tab-indented-D.txt", want: format.Conntrack, rejected: []int{2}},
	{file: "010-k8s-48370-udp-blackhole.txt", want: format.Conntrack},
	{file: "011-conntrack-logger-5-conntrack-E.txt", want: format.Conntrack},
	{file: "012-jc-646-conntrack-L-and-E.txt", want: format.Conntrack},
	{file: "013-stackoverflow-16034698-proc-example-single-spaced.txt", want: format.Proc},
	{file: "014-conntrack-logger-4-E-xml-in-log-line.txt", f: format.XML, rejected: []int{1}, undetected: true},
	{file: "015-moby-8795-diff-prefixed-L.txt", f: format.Conntrack, rejected: []int{1, 2, 3}, undetected: true},
	{file: "016-moby-8795-healthy-host-L-grep.txt", want: format.Conntrack},
	{file: "017-libnetwork-2423-secctx-and-fragment.txt", want: format.Conntrack, rejected: []int{3, 5}},
	{file: "018-nuttx-apps-2356-foreign-conntrack-clone.txt", want: format.Conntrack, rejected: []int{2, 3, 4, 6, 7, 8}},
	{file: "019-luci-5909-openwrt-L-offload.txt", want: format.Conntrack},
	{file: "020-luci-5909-openwrt-proc-mangled-tail.txt", want: format.Proc, rejected: []int{3}},
	{file: "021-pyroute2-1198-vyos-L-udp-offload.txt", want: format.Conntrack},
	{file: "022-ubicloud-1009-L-tcp-offload.txt", want: format.Conntrack},
	{file: "023-vyos-1x-3804-foreign-logger-syslog.txt", f: format.Conntrack, rejected: []int{1, 2, 3, 4}, undetected: true},
	{file: "024-k8s-91216-prow-log-head-cut.txt", want: format.Conntrack, rejected: []int{1, 2}},
	{file: "025-jc-646-description-E-unknown-proto.txt", want: format.Conntrack},
	{file: "026-vyos-1x-3037-conntrack-L-expect.txt", want: format.ConntrackExpect},
	{file: "027-vyos-docs-flowtables-indented-rst.txt", want: format.Conntrack},
	{file: "028-jc-646-E-destroy-burst.txt", want: format.Conntrack},
	{file: "029-cni-plugins-123-L-udp-sudo.txt", want: format.Conntrack},
	{file: "030-s-h-note-E-markdown-indent-padding-lost.txt", want: format.Conntrack},
	{file: "031-kikimo-blog-L-one-line.txt", want: format.Conntrack},
	{file: "032-iptables-tutorial-7.2-zh-translation-backslash-wrap.txt", want: format.IPLegacy},
	{file: "033-iptables-tutorial-7.2-zh-blockquote.txt", f: format.IPLegacy, rejected: []int{1}, undetected: true},
	{file: "034-iptables-tutorial-7.2-vi-no-assured.txt", want: format.IPLegacy},
	{file: "035-iptables-tutorial-7.2-zh-notes-joined-odd-spaces.txt", want: format.IPLegacy, rejected: []int{1}},
	// Line 2 is an expectation of /proc/net/nf_conntrack_expect pasted
	// among flows: it reads as proc-expect, not as a flow.
	{file: "036-pptp-note-2.6-expect-and-gre-proc.txt", want: format.Proc, rejected: []int{2}},
	{file: "037-keenetic-netmon-test-proc-vendor-tokens.txt", want: format.Proc},
	{file: "038-slb-doc-ko-L-vendor-trailing-fields.txt", want: format.Conntrack},
	{file: "039-nat-lab-fr-L-no-mark-blank-lines.txt", want: format.Conntrack},
	{file: "040-keenetic-dns-test-L-fastnat.txt", want: format.Conntrack},
	{file: "041-netfilter-devel-2024-04-quoted-E-mixed-padding.txt", f: format.Conntrack, rejected: []int{1, 2, 3, 4, 5, 6, 7, 8, 9}, undetected: true},
	{file: "042-netfilter-devel-2024-04-E-timestamp-tab.txt", want: format.Conntrack, rejected: []int{1}},
	{file: "043-conntrack-play-md-E-docker.txt", want: format.Conntrack},
	{file: "044-conntrack-play-md-E-xml-pretty-UTF-8.txt", want: format.XML},
	{file: "045-nethsec-test-L-xml-pretty-4space.txt", want: format.XML},
	{file: "046-immortalwrt-blog-zh-L-obfuscated-x.txt", want: format.Conntrack, rejected: []int{2}},
	{file: "047-ubuntu-12.04-ip_conntrack-obfuscated-X.txt", want: format.Conntrack, rejected: []int{2, 4}},
	{file: "048-fedora-magazine-nat-part2-L-single-spaced.txt", want: format.Conntrack},
	// A record that ends after [ASSURED] is what conntrack prints for a
	// flow without a use count (an event, or a flow read from -o save):
	// nothing in it says that the author cut mark= and use=.
	{file: "049-fedora-magazine-nat-part2-src-nat-cut-after-assured.txt", want: format.Conntrack},
	{file: "050-fedora-magazine-nat-part2-conntrack-S-stats.txt", f: format.Conntrack, rejected: []int{2, 3, 4, 5}, undetected: true},
	{file: "051-zh-notes-fedora-example-realigned-columns-comments.txt", want: format.Conntrack, rejected: []int{1, 2, 3}},
	{file: "052-netfilter-devel-2025-04-selftest-proc-ipv6.txt", want: format.Proc, rejected: []int{1, 2, 3}},
}

// TestPastedCorpus reads every file of testdata/pasted as ctconv convert
// does: the lines rejected are exactly those pastedCorpus names, each with
// its line and column; every record read prints back in its producer's
// layout equal to the lines it was read from once runs of blanks are made
// one; and a record that needed no new layout and holds no unknown tokens
// reads under WithStrict too, and no other.
func TestPastedCorpus(t *testing.T) {
	files, err := filepath.Glob("../testdata/pasted/[0-9]*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(pastedCorpus) {
		t.Errorf("%d files in testdata/pasted, %d in pastedCorpus", len(files), len(pastedCorpus))
	}
	for _, c := range pastedCorpus {
		t.Run(c.file, func(t *testing.T) {
			name := filepath.Join("..", "testdata", "pasted", c.file)
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if c.undetected {
				sc, _ := format.NewScanner(bytes.NewReader(data), format.Auto)
				var de *format.DetectError
				if _, err := sc.Detect(); !errors.As(err, &de) {
					t.Errorf("detected, %v", err)
				}
			}
			lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
			var rejected []int
			sc, _ := format.NewScanner(bytes.NewReader(data), c.f, format.WithName(name), format.WithLocation(time.UTC),
				format.WithSkip(func(pe *format.ParseError) {
					if pe.File != name || pe.Line < 1 || pe.Line > len(lines) || pe.Col < 1 || pe.Text != lines[pe.Line-1] {
						t.Errorf("error not placed in its line: %v (%q)", pe, pe.Text)
					}
					rejected = append(rejected, pe.Line)
				}))
			fm, _ := sc.Detect()
			if !c.undetected && fm != c.want {
				t.Errorf("detected %v, want %v", fm, c.want)
			}
			records := 0
			for {
				n, u := sc.Normalized(), sc.Unknown()
				out, ok := scanPrint(t, sc, fm)
				if !ok {
					break
				}
				records++
				if fm == format.XML {
					continue // TestXMLPasted
				}
				in := sc.Bytes()
				if got, want := strings.Fields(string(out)), strings.Fields(string(in)); !slices.Equal(got, want) {
					t.Errorf("line %d prints otherwise:\n%s\n%s", sc.Line(), in, out)
				}
				if string(in) != strings.TrimSuffix(lines[sc.Line()-1], "\r") {
					continue // joined from lines, which WithStrict does not join
				}
				exact := sc.Normalized() == n && sc.Unknown() == u
				strict := format.Parser{Format: fm, Strict: true, Location: time.UTC}
				var err error
				if fm.Expectations() {
					err = strict.ParseExpect(in, new(format.Expect))
				} else {
					err = strict.Parse(in, new(format.Flow))
				}
				if (err == nil) != exact {
					t.Errorf("line %d: WithStrict: %v; normalised %d, unknown tokens %d", sc.Line(), err, sc.Normalized()-n, sc.Unknown()-u)
				}
			}
			if sc.Err() != nil {
				t.Fatal(sc.Err())
			}
			if !slices.Equal(rejected, c.rejected) {
				t.Errorf("rejected lines %v, want %v", rejected, c.rejected)
			}
			if records == 0 && len(c.rejected) == 0 {
				t.Errorf("no record read")
			}
		})
	}
}

// scanPrint scans the next record, a flow or an expectation as fm holds,
// and prints it as the Scanner's options say.
func scanPrint(t *testing.T, sc *format.Scanner, fm format.Format) ([]byte, bool) {
	pr := format.Printer{Format: fm, Location: time.UTC}
	var out []byte
	var err error
	if fm.Expectations() {
		var e format.Expect
		if !sc.ScanExpect(&e) {
			return nil, false
		}
		pr.Options = sc.Options()
		out, err = pr.AppendExpect(nil, &e)
	} else {
		var f format.Flow
		if !sc.Scan(&f) {
			return nil, false
		}
		pr.Options = sc.Options()
		out, err = pr.Append(nil, &f)
	}
	if err != nil {
		t.Fatalf("line %d: %v", sc.Line(), err)
	}
	return out, true
}
