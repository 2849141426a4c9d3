package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/lab"
)

// TestLiveConntrackd runs two conntrackd that sync in labs of their own,
// fills one lab with entries and real traffic (FTP expectations among
// them), and checks issue 16's acceptance: conntrackd -i, -i -x, -i expect
// (and -x) of the one, and -e (and -x, expect) of its peer, print back byte
// for byte through ctconv convert, with the format named and with auto; and
// the flows of -i agree with conntrack -L of the same lab wherever both
// have a field. ALARM's external cache has timers: its -e prints [expires
// in Ns].
func TestLiveConntrackd(t *testing.T) {
	for _, mode := range []string{"FTFW", "ALARM"} {
		t.Run(mode, func(t *testing.T) {
			a, _, da, db := lab.PairForTest(t, mode, "conntrackd's caches printed back by ctconv")
			if err := a.Insert(lab.Fixed()); err != nil {
				t.Fatal(err)
			}
			closeAll, err := a.Traffic()
			if err != nil {
				t.Fatal(err)
			}
			defer closeAll()
			dumps := []struct {
				name string
				d    *lab.Conntrackd
				args []string
				f    format.Format
			}{
				{"conntrackd -i", da, []string{"-i"}, format.Conntrackd},
				{"conntrackd -i -x", da, []string{"-i", "-x"}, format.ConntrackdXML},
				{"conntrackd -i expect", da, []string{"-i", "expect"}, format.ConntrackdExpect},
				{"conntrackd -i expect -x", da, []string{"-i", "expect", "-x"}, format.ConntrackdXMLExpect},
				{"the peer's conntrackd -e", db, []string{"-e"}, format.Conntrackd},
				{"the peer's conntrackd -e -x", db, []string{"-e", "-x"}, format.ConntrackdXML},
				{"the peer's conntrackd -e expect", db, []string{"-e", "expect"}, format.ConntrackdExpect},
			}
			// Wait for the caches to fill: the expectations synced too.
			out := make([][]byte, len(dumps))
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
				full := true
				for i, d := range dumps {
					if out[i], err = d.d.Client(d.args...); err != nil {
						t.Fatal(err)
					}
					full = full && len(out[i]) > 0
				}
				if full {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the caches do not fill in 20s: %q", out)
				}
			}
			list, err := a.Conntrack("-L")
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			for i, d := range dumps {
				file := filepath.Join(dir, strings.ReplaceAll(d.name, " ", "_"))
				if err := os.WriteFile(file, out[i], 0o644); err != nil {
					t.Fatal(err)
				}
				if mode == "ALARM" && d.d == db && d.f == format.Conntrackd && !bytes.Contains(out[i], []byte("] [expires in ")) {
					t.Errorf("%s in ALARM mode has no [expires in Ns]:\n%s", d.name, out[i])
				}
				for _, from := range []string{d.f.String(), "auto"} {
					code, got, errs := ctconv(t, "", "convert", "--from", from, "--to", d.f.String(), file)
					if code != 0 || got != string(out[i]) {
						os.WriteFile(filepath.Join(os.TempDir(), "ctconv-live-conntrackd-failed.txt"), out[i], 0o644)
						t.Errorf("%s, --from %s: exit %d, %s; prints back: %v\n%s", d.name, from, code, errs, got == string(out[i]), got)
					}
				}
			}
			// -i and conntrack -L of the moment after: the flows of both
			// agree where both have a field.
			internal := parseAll(t, format.Conntrackd, out[0])
			byTuple := map[[2]any]format.Flow{}
			for _, f := range parseAll(t, format.Conntrack, list) {
				byTuple[[2]any{f.Proto, f.Orig}] = f
			}
			matched := 0
			for _, f := range internal {
				l, ok := byTuple[[2]any{f.Proto, f.Orig}]
				if !ok {
					continue // gone in between
				}
				matched++
				for _, c := range []struct {
					what string
					has  format.Fields
					eq   bool
				}{
					{"reply tuple", 0, f.Reply == l.Reply},
					{"state", format.FieldState, f.State == l.State},
					{"mark", format.FieldMark, f.Mark == l.Mark},
					{"zone", format.FieldZone, f.Zone == l.Zone},
					{"helper", format.FieldHelper, f.Helper == l.Helper},
					{"status", format.FieldStatus, f.Status == l.Status},
				} {
					// The traffic's flows may move on between the two.
					moves := f.Orig.Src.IsLoopback() && (c.has == format.FieldState || c.has == format.FieldStatus)
					if f.Has(c.has) && l.Has(c.has) && !c.eq && !moves {
						t.Errorf("%v %v: conntrackd -i and conntrack -L differ in the %s", f.Proto, f.Orig, c.what)
					}
				}
			}
			t.Logf("%d flows of conntrackd -i, %d of them in conntrack -L; dumps of %v lines", len(internal), matched, lineCounts(out))
			if matched < len(internal)/2 {
				t.Errorf("only %d of conntrackd -i's %d flows are in conntrack -L", matched, len(internal))
			}
		})
	}
}

func lineCounts(outs [][]byte) []int {
	var n []int
	for _, o := range outs {
		n = append(n, bytes.Count(o, []byte("\n")))
	}
	return n
}
