package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/snapshot"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		text string
	}{
		{"1", 1, "1 bytes"},
		{"1536", 1536, "1536 bytes"},
		{"1K", 1 << 10, "1 KiB"},
		{"1kb", 1 << 10, "1 KiB"},
		{"2mib", 2 << 20, "2 MiB"},
		{"1k", 1 << 10, "1 KiB"},
		{"3KiB", 3 << 10, "3 KiB"},
		{"1M", 1 << 20, "1 MiB"},
		{"256MB", 256 << 20, "256 MiB"},
		{"1G", 1 << 30, "1 GiB"},
		{"1024M", 1 << 30, "1 GiB"},
	} {
		n, err := parseSize(tc.in)
		if err != nil || n != tc.want || sizeText(n) != tc.text {
			t.Errorf("parseSize(%q) = %d, %v (%q), want %d (%q)", tc.in, n, err, sizeText(n), tc.want, tc.text)
		}
	}
	for _, in := range []string{"", "K", "-1", "1T", "2G", "2048M", "1073741825", "1.5M", "1 M", "0x10", "1MiBs"} {
		if n, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, n)
		}
	}
}

// TestOverrunText: what watch says of an overrun, by what the kernel said
// and what the buffer became.
func TestOverrunText(t *testing.T) {
	for _, tc := range []struct {
		ov   ctnetlink.Overrun
		was  int
		want string
	}{
		{ctnetlink.Overrun{Events: 12, Buffer: 4 << 20}, 2 << 20, "the kernel dropped 12 events; the socket's buffer is now 4 MiB (--max-buffer)"},
		{ctnetlink.Overrun{Events: 12, Buffer: 2 << 20}, 2 << 20, "the kernel dropped 12 events (raise --buffer, or try --reliable)"},
		{ctnetlink.Overrun{Events: -1, Buffer: 2 << 20}, 2 << 20, "the kernel dropped events (raise --buffer, or try --reliable)"},
		{ctnetlink.Overrun{Events: 3, Buffer: 2 << 20, Reliable: true}, 2 << 20, "the kernel could not deliver 3 events at once: it resends DESTROY events, and merges the others into their flow's next event (raise --buffer)"},
	} {
		if got := overrunText(&tc.ov, tc.was); got != tc.want {
			t.Errorf("%+v after %d:\n got %s\nwant %s", tc.ov, tc.was, got, tc.want)
		}
	}
}

// TestGapsText: snapshot --info lists the first gaps of a capture, and
// counts them all.
func TestGapsText(t *testing.T) {
	at := time.Date(2026, 12, 1, 19, 0, 0, 5, time.UTC)
	gap := func(after uint64, events int64) snapshot.Gap {
		return snapshot.Gap{After: after, Events: events, Time: at}
	}
	for _, tc := range []struct {
		gaps []snapshot.Gap
		want string
	}{
		{[]snapshot.Gap{gap(10, 1000)}, "1, where the kernel dropped 1000 events (ctconv watch was behind): after records 10 (1000 at 2026-12-01T19:00:00.000000005Z)"},
		{[]snapshot.Gap{gap(10, 1000), gap(500, -1)}, "2, where the kernel dropped at least 1000 events (ctconv watch was behind): after records 10 (1000 at 2026-12-01T19:00:00.000000005Z) and 500 (? at 2026-12-01T19:00:00.000000005Z)"},
		{[]snapshot.Gap{gap(1, 1), gap(2, 1), gap(3, 1), gap(4, 1), gap(5, 1), gap(6, 1), gap(7, 1)}, "7, where the kernel dropped 7 events (ctconv watch was behind): after records 1 (1 at 2026-12-01T19:00:00.000000005Z), 2 (1 at 2026-12-01T19:00:00.000000005Z), 3 (1 at 2026-12-01T19:00:00.000000005Z), 4 (1 at 2026-12-01T19:00:00.000000005Z), 5 (1 at 2026-12-01T19:00:00.000000005Z) and 2 more"},
	} {
		if got := gapsText(tc.gaps); got != tc.want {
			t.Errorf("gapsText(%v) =\n%s\nwant\n%s", tc.gaps, got, tc.want)
		}
	}
}

// TestAddLost: counts of lost events add up without wrapping, whatever a
// hostile file says.
func TestAddLost(t *testing.T) {
	for _, tc := range []struct{ total, n, want int64 }{
		{0, 5, 5}, {5, -1, 5}, {math.MaxInt64 - 1, 5, math.MaxInt64}, {math.MaxInt64, math.MaxInt64, math.MaxInt64},
	} {
		if got := addLost(tc.total, tc.n); got != tc.want {
			t.Errorf("addLost(%d, %d) = %d, want %d", tc.total, tc.n, got, tc.want)
		}
	}
}

// TestConvertGaps converts a capture of events with gaps: a snapshot
// keeps them, also of the flows a filter selects; a sorted one, which has
// no order for them, and text say how many events the capture lost, as
// check does.
func TestConvertGaps(t *testing.T) {
	const capture = "../../testdata/compat/856bbdd/gaps.ctsnap"
	snap := filepath.Join(t.TempDir(), "x.ctsnap")
	for _, tc := range []struct {
		args []string
		note string // on stderr; "" for none
		gaps bool   // the snapshot written keeps the gaps
	}{
		{[]string{"--to", "snapshot", "-o", snap}, "", true},
		{[]string{"--proto", "icmp", "--to", "snapshot", "-o", snap}, "", true},
		{[]string{"--sort", "--to", "snapshot", "-o", snap}, "a sorted snapshot cannot mark them (a snapshot without --sort keeps them)", false},
		{[]string{"--to", "json"}, "the capture has 321 gaps, where the kernel dropped 2250 events as ctconv watch was behind; json cannot mark them (--to snapshot keeps them)", false},
		{[]string{"--to", "parquet", "-o", snap + ".parquet"}, "the capture has 321 gaps, where the kernel dropped 2250 events as ctconv watch was behind; parquet cannot mark them (--to snapshot keeps them)", false},
	} {
		os.Remove(snap)
		code, _, errs := ctconv(t, "", append(append([]string{"convert"}, tc.args...), capture)...)
		if code != 0 || tc.note == "" && errs != "" || !strings.Contains(errs, tc.note) {
			t.Errorf("convert %v: exit %d, stderr %q, want %q", tc.args, code, errs, tc.note)
		}
		if !tc.gaps || tc.args[len(tc.args)-1] != snap {
			continue
		}
		if _, info, _ := ctconv(t, "", "snapshot", "--info", snap); !strings.Contains(info, "gaps:     321, where the kernel dropped 2250 events") {
			t.Errorf("convert %v: the snapshot lists other gaps:\n%s", tc.args, info)
		}
	}
	if code, out, errs := ctconv(t, "", "check", capture); code != 0 || !strings.HasSuffix(out, ", 321 gaps where the kernel dropped 2250 events\n") {
		t.Errorf("check: exit %d, %q, %s", code, out, errs)
	}
}
