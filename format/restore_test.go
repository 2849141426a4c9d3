package format_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// TestRestorePrintsWhatLoads prints flows as conntrack -R's input: each
// line holds only what conntrack 1.4.7 and the kernel accept from user
// space, so that a whole file loads. conntrack -I refuses --secmark
// ("Illegal option"), the kernel refuses EXPECTED (EBUSY), and conntrack
// 1.4.7 crashes on a file of two lines or more with --label-add, which is
// printed only with OptLabels.
func TestRestorePrintsWhatLoads(t *testing.T) {
	const (
		labelled   = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=7 use=1 labels=zero-label,bit3-label"
		expected   = "-A -t 29 -u EXPECTED,SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state ESTABLISHED"
		onlyExp    = "-A -t 29 -u EXPECTED -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p udp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1"
		secmark    = "-A -t 29 -u SEEN_REPLY -c 5 -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p udp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1"
		heartbeat  = "ipv4     2 sctp     132 29 HEARTBEAT_SENT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 zone=0 use=2"
		null       = "-A -t 29 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p sctp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state (null) --orig-vtag 5 --reply-vtag 6"
		offloadTCP = "ipv4     2 tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [OFFLOAD] mark=0 zone=0 use=3"
		offloadUDP = "ipv4     2 udp      17 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [HW_OFFLOAD] mark=0 zone=0 use=3"
		tail       = " -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state ESTABLISHED"
	)
	for _, c := range []struct {
		name string
		from format.Format
		line string
		opts format.Options
		want string
	}{
		{"labels left out", format.Conntrack, labelled, 0,
			"-I -t 431999 -u SEEN_REPLY,ASSURED" + tail + " -m 7"},
		{"labels with OptLabels", format.Conntrack, labelled, format.OptLabels,
			"-I -t 431999 -u SEEN_REPLY,ASSURED" + tail + " -m 7 --label-add zero-label,bit3-label"},
		{"EXPECTED left out", format.Save, expected, 0, "-I -t 29 -u SEEN_REPLY" + tail},
		{"EXPECTED alone", format.Save, onlyExp, 0,
			"-I -t 29 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p udp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1"},
		// conntrack -I has no name for SCTP's heartbeat states, which
		// Linux 6.3 and later end in ESTABLISHED.
		{"SCTP heartbeat", format.Proc, heartbeat, 0,
			"-I -t 29 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p sctp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state ESTABLISHED --orig-vtag 0 --reply-vtag 0 -m 0"},
		{"SCTP (null)", format.Save, null, 0,
			"-I -t 29 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p sctp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state ESTABLISHED --orig-vtag 5 --reply-vtag 6"},
		// /proc shows no timeout and no TCP state of offloaded flows: they
		// restore as an established flow that leaves the flow table.
		{"offloaded TCP", format.Proc, offloadTCP, 0,
			"-I -t 432000 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state ESTABLISHED -m 0"},
		{"offloaded UDP", format.Proc, offloadUDP, 0,
			"-I -t 120 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p udp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 -m 0"},
		{"secmark left out", format.Save, secmark, 0,
			"-I -t 29 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p udp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1"},
	} {
		var f format.Flow
		if err := (&format.Dialect{Format: c.from, Location: time.UTC}).Parse([]byte(c.line), &f); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		pr := format.Dialect{Format: format.Restore, Options: c.opts}
		out, err := pr.Append(nil, &f)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := strings.TrimSuffix(string(out), "\n"); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// TestRestoreRefuses reads restore lines that ctconv does not print because
// they do not load: a line with -c (conntrack -I's "Illegal option
// `--secmark'") or -u EXPECTED (the kernel's EBUSY) is a *ParseError. A line
// with --label-add reads with OptLabels, so that it prints back as it was.
func TestRestoreRefuses(t *testing.T) {
	const tail = " -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p udp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1"
	for _, c := range []struct {
		line, field string
	}{
		{"-I -t 29 -u SEEN_REPLY -c 5" + tail, "-c"},
		{"-I -t 29 -u EXPECTED,SEEN_REPLY" + tail, "-u"},
		// conntrack -I refuses DCCP without ports ("you have to specify
		// --sport and --dport"), which restore prints as 0; FuzzRestore.
		{"-I -t 0 -s 0.0.0.0 -d 0.0.0.0 -r 0.0.0.0 -q 0.0.0.0 -p dccp --state OPEN --role client", "--sport"},
	} {
		var f format.Flow
		err := new(format.Dialect{Format: format.Restore}).Parse([]byte(c.line), &f)
		var pe *format.ParseError
		if !errors.As(err, &pe) || pe.Field != c.field {
			t.Errorf("%q: %v, want a *ParseError in %s", c.line, err, c.field)
		}
	}
	p := format.Dialect{Format: format.Restore}
	var f format.Flow
	line := "-I -t 29 -u UNSET" + tail + " -m 0 --label-add a,b"
	if err := p.Parse([]byte(line), &f); err != nil {
		t.Fatal(err)
	}
	if shown(t, p, []byte(line)) != format.OptLabels {
		t.Errorf("options %v after a line with labels, want labels", shown(t, p, []byte(line)))
	}
	out, err := (&format.Dialect{Format: format.Restore, Options: shown(t, p, []byte(line))}).Append(nil, &f)
	if err != nil || string(out) != line+"\n" {
		t.Errorf("printed back as %q, %v", out, err)
	}
}
