package ctnetlink

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadLabelsEnv reads label names from the file CTCONV_CONNLABEL names,
// whatever LabelFile holds; a file it names that is missing is an error,
// not a silent absence of names.
func TestLoadLabelsEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "connlabel.conf")
	if err := os.WriteFile(file, []byte("1\tcustomer\n4\tbackup path\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(LabelEnv, file)
	got, err := LoadLabels()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(Labels{"", "customer", "", "", "backup path"}, got); d != "" {
		t.Errorf("labels of %s (-want +got):\n%s", file, d)
	}

	t.Setenv(LabelEnv, filepath.Join(t.TempDir(), "missing.conf"))
	if got, err := LoadLabels(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file named by %s: %v, %v; want an error", LabelEnv, got, err)
	}
}
