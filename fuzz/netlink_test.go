package fuzz

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/ctnetlink"
)

// FuzzNetlink decodes the fuzzer's bytes as a ctnetlink message, of a dump
// and of an event: a damaged message gives a *DecodeError, never a panic,
// and one that decodes prints in every format that can show it and reads
// back agreeing with it, as a capture of the kernel's table must. The
// seeds are real messages of the kernel (TestLiveDump -seeds, TestLiveWatch
// -seeds).
func FuzzNetlink(f *testing.F) {
	if _, err := os.Stat(filepath.Join("testdata", "fuzz", "FuzzNetlink")); err != nil {
		f.Fatal("no seeds: run go test ./internal/ctnetlink -run Live -seeds ../../fuzz/testdata/fuzz/FuzzNetlink as root")
	}
	d := ctnetlink.Decoder{Labels: ctnetlink.Labels{"zero-label", "", "", "bit3-label", "", "", "", "web traffic"},
		Now: time.Unix(1_800_000_000, 0), Progname: func(uint32) string { return "conntrack" }}
	f.Fuzz(func(t *testing.T, msg []byte) {
		for _, event := range []bool{false, true} {
			var fl format.Flow
			err := d.Decode(msg, event, &fl)
			var de *ctnetlink.DecodeError
			if errors.Is(err, ctnetlink.ErrNotFlow) || errors.As(err, &de) {
				continue
			}
			if err != nil {
				t.Fatalf("an error that is not a *DecodeError: %v", err)
			}
			// The text formats print the timestamps in seconds.
			fl.Start, fl.Stop = fl.Start/1e9*1e9, fl.Stop/1e9*1e9
			for _, p := range printers {
				if event && !p.Format.HasEvents() {
					continue
				}
				p.Location = time.UTC
				got, line, err := roundTrip(p, &fl)
				if errors.Is(err, format.ErrUnprintable) {
					continue
				}
				if err != nil {
					t.Fatalf("%v %v: %v\n%s", p.Format, p.Options, err, line)
				}
				if diff := agree(p.Format, &fl, &got); diff != "" {
					t.Fatalf("%v %v reads back a flow that disagrees: %s\n%s", p.Format, p.Options, diff, line)
				}
			}
		}
	})
}

// FuzzNetlinkStats decodes the fuzzer's bytes as a reply of the table's
// counters: a damaged message gives a *DecodeError, never a panic, and a
// record that decodes prints in each format of the counters that can show
// it and reads back as the same record. The seeds are real replies of the
// kernel (TestLiveStats -stats-seeds).
func FuzzNetlinkStats(f *testing.F) {
	if _, err := os.Stat(filepath.Join("testdata", "fuzz", "FuzzNetlinkStats")); err != nil {
		f.Fatal("no seeds: run go test ./internal/ctnetlink -run LiveStats -stats-seeds ../../fuzz/testdata/fuzz/FuzzNetlinkStats as root")
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var s format.Stats
		_, err := ctnetlink.DecodeStats(msg, &s)
		var de *ctnetlink.DecodeError
		if errors.As(err, &de) {
			return
		}
		if err != nil {
			t.Fatalf("an error that is not a *DecodeError: %v", err)
		}
		for _, fm := range []format.Format{format.ConntrackStats, format.ProcStats} {
			var out bytes.Buffer
			w := format.NewWriter(&out, format.Dialect{Format: fm})
			err := w.WriteStats(&s)
			if errors.Is(err, format.ErrUnprintable) {
				continue
			}
			if err == nil {
				err = w.Close()
			}
			if err != nil {
				t.Fatalf("%v: %v", fm, err)
			}
			again, _, errs := scanStats(bytes.NewReader(out.Bytes()), fm)
			if errs != "" || len(again) != 1 || !cmp.Equal(s, again[0], cmp.AllowUnexported(format.Stats{})) {
				t.Fatalf("%v reads back otherwise: %s%v\n%q", fm, errs, cmp.Diff([]format.Stats{s}, again, cmp.AllowUnexported(format.Stats{})), out.Bytes())
			}
		}
	})
}
