package lab

import (
	"errors"
	"maps"
	"os"
	"os/exec"
	"testing"

	"github.com/ctconv/ctconv/internal/ctnetlink"
)

// ForTest returns a namespace of the test's own, deleted when the test
// ends, or skips the test where labs cannot be built, saying why; with
// CTCONV_LIVE=1 (as in CI) it fails instead. what says what the test
// compares, for the message.
//
// For the test, ctconv reads the lab's label names ($CTCONV_CONNLABEL), in
// the test's process and the commands it starts, as the lab's commands do
// (see Lab.Command). When the test ends, the host's files of label names
// must be as they were: a test that changed them fails.
func ForTest(t *testing.T, prefix, what string) *Lab {
	t.Helper()
	if err := Check(); err != nil {
		unavailable(t, err, what)
	}
	before := hostState()
	t.Cleanup(func() { // after the lab's Close
		if after := hostState(); !maps.Equal(before, after) {
			t.Errorf("the test changed the host's files of label names:\nbefore: %q\nafter:  %q", before, after)
		}
	})
	l, err := New(prefix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	t.Setenv(ctnetlink.LabelEnv, l.LabelFile)
	return l
}

// unavailable skips the test, or fails it with CTCONV_LIVE=1, as labs
// cannot be built for it: err says why.
func unavailable(t *testing.T, err error, what string) {
	t.Helper()
	if os.Getenv("CTCONV_LIVE") == "1" {
		t.Fatalf("live test cannot run: %v", err)
	}
	t.Skipf("live test skipped: it %v. It compares %s in a network namespace of its own; run it as root (CTCONV_LIVE=1 turns this skip into a failure).", err, what)
}

// PairForTest returns two labs of the test's own (see ForTest) joined by
// Pair in mode, with their daemons, which stop when the test ends; it
// skips or fails as ForTest does, and where conntrackd is missing.
func PairForTest(t *testing.T, mode, what string) (a, b *Lab, da, db *Conntrackd) {
	t.Helper()
	if _, err := exec.LookPath("conntrackd"); err != nil {
		unavailable(t, errors.New("needs conntrackd on PATH (apt-get install conntrackd)"), what)
	}
	a, b = ForTest(t, "ctconv-ctd", what), ForTest(t, "ctconv-ctd", what)
	da, db, err := Pair(a, b, mode)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*Conntrackd{da, db} {
		t.Cleanup(func() { // before the labs' Close
			if err := d.Stop(); err != nil {
				t.Error(err)
			}
		})
	}
	return a, b, da, db
}

// hostFiles are the host's files of label names, which no lab reads or
// writes: conntrack's and nft's.
var hostFiles = []string{ctnetlink.LabelFile, "/etc/connlabel.conf"}

// hostState returns what each of hostFiles holds, or the error of reading
// it (such as its absence).
func hostState() map[string]string {
	m := map[string]string{}
	for _, f := range hostFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			m[f] = err.Error()
		} else {
			m[f] = "holds " + string(b)
		}
	}
	return m
}
