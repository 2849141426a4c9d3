package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/lab"
)

// newLab returns a network namespace of the test's own, or skips the test
// where labs cannot be built; with CTCONV_LIVE=1 (as in CI) it fails instead.
func newLab(t *testing.T) *lab.Lab {
	t.Helper()
	if err := lab.Check(); err != nil {
		if os.Getenv("CTCONV_LIVE") == "1" {
			t.Fatalf("live test cannot run: %v", err)
		}
		t.Skipf("live test skipped: it %v. It compares ctconv with the kernel in a network namespace of its own; run it as root (CTCONV_LIVE=1 turns this skip into a failure).", err)
	}
	l, err := lab.New("ctconv-test", lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// seed returns the seed of the random entries, from CTCONV_SEED if set, and
// logs it so that a failure can be repeated.
func seed(t *testing.T) uint64 {
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("CTCONV_SEED"); v != "" {
		s, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("CTCONV_SEED=%d", s)
	return s
}

// TestLiveProc fills a namespace with random entries of every protocol and
// real traffic, and checks that ctconv prints /proc/net/nf_conntrack back
// byte for byte, and that its IPv4 flows survive a trip through ip_conntrack.
func TestLiveProc(t *testing.T) {
	l := newLab(t)
	s := seed(t)
	if err := l.Insert(lab.Random(rand.New(rand.NewPCG(s, s)), 300)); err != nil {
		t.Fatal(err)
	}
	closeAll, err := l.Traffic()
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	table, err := l.Proc()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "nf_conntrack")
	os.WriteFile(file, table, 0o644)
	code, out, errs := ctconv(t, "", "convert", "--from", "proc", "--to", "proc", file)
	if code != 0 || out != string(table) {
		os.WriteFile(filepath.Join(os.TempDir(), "ctconv-live-failed.txt"), table, 0o644)
		t.Fatalf("exit %d, stderr %q; output equal to the table: %v", code, errs, out == string(table))
	}
	flows := parseAll(t, table)
	t.Logf("%d flows", len(flows))
	if len(flows) < 300 {
		t.Errorf("only %d flows in the table", len(flows))
	}

	code, legacy, errs := ctconv(t, "", "convert", "--to", "iplegacy", file)
	if code != 0 {
		t.Fatalf("to iplegacy: exit %d: %s", code, errs)
	}
	code, back, errs := ctconv(t, legacy, "convert", "--from", "iplegacy", "--to", "proc")
	if code != 0 {
		t.Fatalf("back to proc: exit %d: %s", code, errs)
	}
	var want []format.Flow
	for _, f := range flows {
		if f.Family == format.IPv4 {
			f.Fields &^= format.FieldZone | format.FieldOrigZone | format.FieldReplyZone | format.FieldDeltaTime
			f.Zone, f.OrigZone, f.ReplyZone, f.DeltaTime = 0, 0, 0, 0
			want = append(want, f)
		}
	}
	if d := cmp.Diff(want, parseAll(t, []byte(back)), addrEqual); d != "" {
		t.Errorf("proc -> iplegacy -> proc (-want +got):\n%s", d)
	}
}
