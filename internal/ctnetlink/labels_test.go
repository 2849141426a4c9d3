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

// TestLoadNetnsLabels finds the label names of a named namespace where
// conntrack run by ip netns exec finds them: in /etc/netns/NAME/xtables
// where that exists (ip netns exec mounts it over /etc/xtables), with no
// names where it lacks connlabel.conf, and in /etc/xtables elsewhere.
// $CTCONV_CONNLABEL comes first. (A temporary folder stands for /etc.)
func TestLoadNetnsLabels(t *testing.T) {
	etc := t.TempDir()
	write := func(path, text string) {
		t.Helper()
		path = filepath.Join(etc, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("xtables/connlabel.conf", "1 host\n")
	write("netns/blue/xtables/connlabel.conf", "2 blue\n")
	write("netns/empty/xtables/other.conf", "") // xtables without connlabel.conf
	write("netns/red/resolv.conf", "")          // a namespace's files, but not xtables
	t.Setenv(LabelEnv, "")
	for _, c := range []struct {
		netns string
		want  Labels
	}{
		{"", Labels{"", "host"}},
		{"blue", Labels{"", "", "blue"}},
		{"empty", nil},
		{"red", Labels{"", "host"}},
		{"none", Labels{"", "host"}},
	} {
		got, err := loadLabels(etc, c.netns)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("labels of namespace %q (-want +got):\n%s", c.netns, d)
		}
	}
	env := filepath.Join(etc, "env.conf")
	write("env.conf", "3 env\n")
	t.Setenv(LabelEnv, env)
	if got, _ := loadLabels(etc, "blue"); !cmp.Equal(got, Labels{"", "", "", "env"}) {
		t.Errorf("with %s, namespace blue's labels: %q", LabelEnv, got)
	}
}
