package lab

import (
	"os"
	"testing"
)

// ForTest returns a namespace of the test's own, deleted when the test
// ends, or skips the test where labs cannot be built, saying why; with
// CTCONV_LIVE=1 (as in CI) it fails instead. what says what the test
// compares, for the message.
func ForTest(t *testing.T, prefix, what string) *Lab {
	t.Helper()
	if err := Check(); err != nil {
		if os.Getenv("CTCONV_LIVE") == "1" {
			t.Fatalf("live test cannot run: %v", err)
		}
		t.Skipf("live test skipped: it %v. It compares %s in a network namespace of its own; run it as root (CTCONV_LIVE=1 turns this skip into a failure).", err, what)
	}
	l, err := New(prefix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
