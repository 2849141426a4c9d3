package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCookbook runs every command of the README's cookbook, as written, in
// a folder of its own where testdata/ is the repository's: each ends with
// the exit status its comment gives (0 when none does) and prints
// something.
func TestCookbook(t *testing.T) {
	readme := string(readFile(t, "../../README.md"))
	start := strings.Index(readme, "\n## Cookbook\n")
	if start < 0 {
		t.Fatal("the README has no cookbook")
	}
	section := readme[start+1:]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	bin := build(t)
	dir := t.TempDir()
	testdata, _ := filepath.Abs("../../testdata")
	os.Symlink(testdata, filepath.Join(dir, "testdata"))
	exitComment := regexp.MustCompile(`#\s*exit (\d+)`)
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) < 10 {
		t.Errorf("%d recipes, want ten", len(blocks))
	}
	for _, b := range blocks {
		for _, line := range strings.Split(strings.TrimSpace(b[1]), "\n") {
			want := 0
			if m := exitComment.FindStringSubmatch(line); m != nil {
				want, _ = strconv.Atoi(m[1])
			}
			cmd := exec.Command("sh", "-c", line)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
			out, err := cmd.Output()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != want {
				t.Errorf("%s\nexit %d, want %d", line, code, want)
			}
			if len(out) == 0 && !strings.Contains(line, " -o ") && !strings.Contains(line, ">") {
				t.Errorf("%s\nprints nothing", line)
			}
		}
	}
}
