package format_test

import (
	"bytes"
	"errors"
	"iter"
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
	{file: "033-iptables-tutorial-7.2-zh-blockquote.txt", want: format.IPLegacy},
	{file: "034-iptables-tutorial-7.2-vi-no-assured.txt", want: format.IPLegacy},
	{file: "035-iptables-tutorial-7.2-zh-notes-joined-odd-spaces.txt", want: format.IPLegacy, rejected: []int{1}},
	// Line 2 is an expectation of /proc/net/nf_conntrack_expect pasted
	// among flows: it reads as proc-expect, not as a flow.
	{file: "036-pptp-note-2.6-expect-and-gre-proc.txt", want: format.Proc, rejected: []int{2}},
	{file: "037-keenetic-netmon-test-proc-vendor-tokens.txt", want: format.Proc},
	{file: "038-slb-doc-ko-L-vendor-trailing-fields.txt", want: format.Conntrack},
	{file: "039-nat-lab-fr-L-no-mark-blank-lines.txt", want: format.Conntrack},
	{file: "040-keenetic-dns-test-L-fastnat.txt", want: format.Conntrack},
	{file: "041-netfilter-devel-2024-04-quoted-E-mixed-padding.txt", want: format.Conntrack, rejected: []int{1}},
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
	{file: "050-fedora-magazine-nat-part2-conntrack-S-stats.txt", want: format.ConntrackStats},
	{file: "051-zh-notes-fedora-example-realigned-columns-comments.txt", want: format.Conntrack, rejected: []int{1, 2, 3}},
	{file: "052-netfilter-devel-2025-04-selftest-proc-ipv6.txt", want: format.Proc, rejected: []int{1, 2, 3}},
	// The second round, more/ (its SOURCES.md and RESULTS.md).
	{file: "more/053-istio-troubleshooting-zh-grep-proc.txt", want: format.Proc},
	{file: "more/054-c-netstat-nat-if0-proc-block.txt", want: format.Proc, rejected: []int{1, 8, 9}},
	{file: "more/055-zh-notes-conntrack-tuning-proc-close.txt", want: format.Proc},
	{file: "more/056-zh-openstack-netfilter-blog-proc-html-font-tags.txt", want: format.XML, rejected: []int{1}},
	{file: "more/057-iptables-training-md-proc-secctx.txt", want: format.Proc},
	{file: "more/058-iptables-training-md-L-E-secctx-summaries.txt", want: format.Conntrack},
	{file: "more/059-umbc-nat-lab-E-indented-prompt.txt", want: format.Conntrack},
	{file: "more/060-openshift-pod-netns-doc-E-sh-prompt.txt", want: format.Conntrack},
	{file: "more/061-linux-stable-5.10-udp-assured-commit-E-indented.txt", want: format.Conntrack, rejected: []int{1, 8, 10}},
	{file: "more/062-netfilter-devel-2024-03-flowtable-race-quoted-E.txt", want: format.Conntrack, rejected: []int{1}},
	{file: "more/063-netfilter-devel-2020-04-hw-offload-quoted-backslash-tab.txt", want: format.Proc},
	{file: "more/064-netdev-hw-offload-counters-quoted-mangled.txt", want: format.Proc},
	{file: "more/065-linux-sctp-2019-quoted-wrapped-E-invalid-octets.txt", want: format.Conntrack, rejected: []int{1, 4, 6, 9}},
	{file: "more/066-natlog-cpp-comments-timestamp-E-realigned.txt", f: format.Conntrack, rejected: []int{1, 2, 3, 5, 6, 8, 9, 10, 12, 13, 14, 15, 16, 17, 21, 22, 23, 25, 26, 27, 28, 29, 32, 35, 36, 37, 39, 40, 41, 42, 43}, undetected: true},
	{file: "more/067-go-conntrack-xml-event-fixture-literal-backslash-n.txt", want: format.XML, rejected: []int{1}},
	{file: "more/068-routerd-go-test-extended-mark-single-spaced-dump.txt", want: format.Conntrack, rejected: []int{2}},
	{file: "more/069-sbtest-python-fixture-L.txt", want: format.Conntrack},
	{file: "more/070-insight-go-test-E-unpadded-and-negative-ports.txt", want: format.Conntrack, rejected: []int{5, 6, 7, 8}},
	{file: "more/071-pve-go-test-proc-ipv6-full-form.txt", want: format.Proc, rejected: []int{3}},
	{file: "more/072-rust-test-E-timestamp-and-L-extended-ipv6.txt", want: format.Conntrack, rejected: []int{5}},
	{file: "more/073-python-connection-tracker-test-E-icmpv6.txt", want: format.Conntrack, rejected: []int{7, 8}},
	{file: "more/074-vectra-go-test-proc-dns-table.txt", want: format.Proc},
	{file: "more/075-fluentd-nfct-ruby-test-E-extended.txt", want: format.Conntrack},
	{file: "more/076-zh-geektime-notes-L-extended-secctx.txt", want: format.Conntrack, rejected: []int{1, 6, 9, 12, 13, 14}},
	{file: "more/077-conntrack-E-blog-destroy-wrapped-no-backslash.txt", want: format.Conntrack},
	{file: "more/078-es-nftables-course-L-indented-list.txt", want: format.Conntrack},
	{file: "more/079-nft-lab-dnat-L-secctx-after-summary.txt", want: format.Conntrack, rejected: []int{1, 2}},
	{file: "more/080-fedora-nftables-notrack-notes-L-secctx.txt", want: format.Conntrack},
	{file: "more/081-ovn-kubernetes-doc-ct-entry-secctx.txt", want: format.Conntrack},
	{file: "more/082-ovn-mcp-tool-description-L-single-spaced.txt", want: format.IPLegacy, rejected: []int{1}},
	{file: "more/083-netdev-xfrm-bridge-quoted-wrapped-L.txt", want: format.Conntrack},
	{file: "more/084-go-controlapi-test-proc-counters.txt", want: format.Proc},
	{file: "more/085-python-ct-stats-comments-hash-prefixed.txt", f: format.Conntrack, rejected: []int{1, 2}, undetected: true},
	{file: "more/086-datahunter-zh-proc-wrapped-obfuscated.txt", want: format.Proc, rejected: []int{4}},
	{file: "more/087-sbtest-python-fixture-proc.txt", want: format.Proc},
	{file: "more/088-fluentd-nfct-ruby-test-E-ktimestamp.txt", want: format.Conntrack},
	{file: "more/089-python-conntrack-rewrite-comments-save-entries.txt", f: format.Save, rejected: []int{1, 2}, undetected: true},
	// Line 3, a Keenetic [FASTNAT] row without its timeout, is likely the
	// fixture author's: the captures of 037 keep it.
	{file: "more/090-keenetic-connections-go-test-proc-fastnat-vendor.txt", want: format.Proc, rejected: []int{3}},
	{file: "more/091-go-device-peers-test-L-extended-acct-ipv6.txt", want: format.Conntrack, rejected: []int{2, 3}},
	{file: "more/092-kano-engine-zh-shell-fixture-proc-no-zone.txt", want: format.Proc},
	{file: "more/093-kano-engine-zh-shell-fixture-proc-packets-without-bytes.txt", want: format.Proc, rejected: []int{1, 2}},
	{file: "more/094-python-ipv6-policy-test-L-extended-offload-no-mark.txt", want: format.Conntrack},
	{file: "more/095-js-parse-test-it-L-extended-id-and-E.txt", want: format.Conntrack, rejected: []int{8}},
	{file: "more/096-python-traffic-auditor-test-E-timestamp-id-L-delta-time.txt", want: format.Conntrack, rejected: []int{1, 4}},
	{file: "more/097-atlas-plan-md-sanitized-L-extended-id-unknown-igmp.txt", want: format.Conntrack},
	{file: "more/098-python-net-monitor-test-proc-nat64.txt", want: format.Conntrack},
	{file: "more/099-traffic-go-test-single-spaced-extended-id.txt", want: format.Conntrack},
	{file: "more/100-traffic-go-test-single-spaced-zone-no-id.txt", want: format.Proc},
	{file: "more/101-keenetic-connections-go-test-ipv6-legacy-compressed.txt", want: format.Conntrack},
	{file: "more/102-ovs-netfilter-2026-ftp-helper-L-backslash-aligned.txt", want: format.Conntrack},
	{file: "more/103-cumulus-linux-nat-docs-proc-offload-udp.txt", want: format.Proc},
	{file: "more/104-go-router-mon-test-proc-hw-offload-state-no-timeout.txt", want: format.Proc, rejected: []int{3, 4, 9, 10}},
	{file: "more/105-cloud-api-adaptor-2015-L-vxlan-unreplied-summary-first.txt", want: format.Conntrack},
	{file: "more/106-openwrt-17915-E-extended-destroy-obfuscated.txt", want: format.Conntrack, rejected: []int{1}},
	{file: "more/107-openwrt-17915-E-extended-time-prefix-obfuscated.txt", f: format.Conntrack, rejected: []int{2, 3, 4}, undetected: true},
	{file: "more/108-google-nftables-138-conntrack-S-debian11.txt", want: format.ConntrackStats},
}

// TestPastedCorpus reads every file of testdata/pasted as ctconv convert
// does: the lines rejected are exactly those pastedCorpus names, each with
// its line and column; every record read prints back in its producer's
// layout equal to the lines it was read from once runs of blanks are made
// one; and a record that needed no new layout and holds no unknown tokens
// reads under WithStrict too, and no other.
func TestPastedCorpus(t *testing.T) {
	files, _ := filepath.Glob("../testdata/pasted/[0-9]*.txt")
	more, _ := filepath.Glob("../testdata/pasted/more/[0-9]*.txt")
	files = append(files, more...)
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
				sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto})
				if _, err := sc.Detect(); !errors.Is(err, format.ErrNoFormat) {
					t.Errorf("detected, %v", err)
				}
			}
			lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
			var rejected []int
			sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: c.f, Location: time.UTC}, format.WithName(name))
			fm, _ := sc.Detect()
			if !c.undetected && fm != c.want {
				t.Errorf("detected %v, want %v", fm, c.want)
			}
			records := 0
			n, u := sc.Normalized(), sc.Unknown() // before the record
			for out, err := range printed(t, sc, fm) {
				n0, u0 := n, u
				n, u = sc.Normalized(), sc.Unknown()
				var pe *format.ParseError
				if errors.As(err, &pe) {
					if pe.File != name || pe.Line < 1 || pe.Line > len(lines) || pe.Col < 1 || pe.Text != lines[pe.Line-1] {
						t.Errorf("error not placed in its line: %v (%q)", pe, pe.Text)
					}
					rejected = append(rejected, pe.Line)
					continue
				} else if err != nil {
					t.Fatal(err)
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
				exact := sc.Normalized() == n0 && sc.Unknown() == u0
				strict := format.Dialect{Format: fm, Strict: true, Location: time.UTC}
				if err := parseAny(strict, in); (err == nil) != exact {
					t.Errorf("line %d: WithStrict: %v; normalised %d, unknown tokens %d", sc.Line(), err, sc.Normalized()-n0, sc.Unknown()-u0)
				}
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

// printed returns an iterator over the records of sc, flows,
// expectations or counters as fm holds, each printed as the Scanner's
// options say, and over the errors of its lines.
func printed(t *testing.T, sc *format.Scanner, fm format.Format) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		pr := format.Dialect{Format: fm, Location: time.UTC}
		// print yields the record that app prints, or the error of its line.
		print := func(err error, app func() ([]byte, error)) bool {
			if err != nil {
				return yield(nil, err)
			}
			out, err := app()
			if err != nil {
				t.Fatalf("line %d: %v", sc.Line(), err)
			}
			return yield(out, nil)
		}
		switch {
		case fm.Statistics():
			for st, err := range sc.Stats() {
				if !print(err, func() ([]byte, error) { return pr.AppendStats(nil, st) }) {
					return
				}
			}
		case fm.Expectations():
			for e, err := range sc.Expects() {
				pr.Options = sc.Dialect().Options
				if !print(err, func() ([]byte, error) { return pr.AppendExpect(nil, e) }) {
					return
				}
			}
		default:
			for f, err := range sc.Flows() {
				pr.Options = sc.Dialect().Options
				if !print(err, func() ([]byte, error) { return pr.Append(nil, f) }) {
					return
				}
			}
		}
	}
}
