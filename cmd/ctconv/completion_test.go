package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletion loads the bash completion into bash and completes a few
// words as a user would type them.
func TestCompletion(t *testing.T) {
	code, script, _ := ctconv(t, "", "completion", "bash")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, cmd := range commands[:len(commands)-1] {
		for _, flag := range flagsOf(cmd) {
			if !strings.Contains(script, " "+flag+" ") && !strings.Contains(script, `"`+flag+" ") && !strings.Contains(script, " "+flag+`"`) {
				t.Errorf("%s %s is not in the completion", cmd, flag)
			}
		}
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	file := filepath.Join(t.TempDir(), "ctconv.bash")
	os.WriteFile(file, []byte(script), 0o644)
	for _, c := range []struct {
		words string
		want  string
	}{
		{"ctconv di", "diff"},
		{"ctconv diff --inc", "--include-volatile"},
		{"ctconv convert --to x", "xml xml-expect"},
		{"ctconv convert --to res", "restore"},
		{"ctconv convert --to par", "parquet"},
		{"ctconv check --from par", "parquet"},
		{"ctconv stats --family ipv", "ipv4 ipv6"},
		{"ctconv completion z", "zsh"},
	} {
		out, err := exec.Command(bash, "-c", `source `+file+`; COMP_WORDS=(`+c.words+`); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _ctconv; echo "${COMPREPLY[@]}"`).Output()
		if got := strings.TrimSpace(string(out)); err != nil || got != c.want {
			t.Errorf("%q completes to %q (%v), want %q", c.words, got, err, c.want)
		}
	}
	if code, zsh, _ := ctconv(t, "", "completion", "zsh"); code != 0 || !strings.HasPrefix(zsh, "#compdef ctconv\n") {
		t.Errorf("zsh: exit %d, %.40q", code, zsh)
	}
	if code, _, errs := ctconv(t, "", "completion", "fish"); code != 2 || !strings.Contains(errs, "want bash or zsh") {
		t.Errorf("fish: exit %d, %q", code, errs)
	}
}
