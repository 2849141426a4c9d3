package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// netnsCapture returns the JSON Lines of the corpus's conntrack -L, each
// flow named by a namespace, as snapshot --all-netns names them: blue
// and "pid 42" in turn; and the lines of each.
func netnsCapture(t *testing.T) (all string, byNS map[string][]string) {
	t.Helper()
	byNS = map[string][]string{}
	var b strings.Builder
	i := 0
	for line := range strings.Lines(string(readFile(t, "../../testdata/corpus/conntrack-L.jsonl"))) {
		ns := []string{"blue", "pid 42"}[i%2]
		i++
		byNS[ns] = append(byNS[ns], line)
		b.WriteString(strings.TrimSuffix(line, "}\n") + `,"netns":"` + ns + `"}` + "\n")
	}
	return b.String(), byNS
}

// TestConvertNetns: a capture of several namespaces converts to JSON with
// them; to text without, which convert says, with the count; --netns
// selects one namespace's flows, which then name it no more, and a
// snapshot of them names it in its header.
func TestConvertNetns(t *testing.T) {
	all, byNS := netnsCapture(t)
	text := string(readFile(t, "../../testdata/corpus/conntrack-L.txt"))
	code, out, errs := ctconv(t, all, "convert", "--to", "json", "-")
	if code != 0 || out != all || errs != "" {
		t.Errorf("convert --to json keeps the namespaces (%d, %s): %t", code, errs, out == all)
	}
	code, out, errs = ctconv(t, all, "convert", "--to", "conntrack", "-")
	want := fmt.Sprintf("ctconv convert: printed %d flows without the network namespace each names, which conntrack cannot show (--to json or --to snapshot keeps it; --netns NAME selects one namespace's)\n", strings.Count(all, "\n"))
	if code != 0 || out != text || errs != want {
		t.Errorf("convert --to conntrack (%d): same text %t, stderr\n%s\nwant\n%s", code, out == text, errs, want)
	}
	for ns, lines := range byNS {
		code, out, errs := ctconv(t, all, "convert", "--netns", ns, "--to", "json", "-")
		if code != 0 || out != strings.Join(lines, "") || errs != "" {
			t.Errorf("convert --netns %q --to json (%d, %s):\n%s\nwant\n%s", ns, code, errs, out, strings.Join(lines, ""))
		}
	}
	// A capture that names no namespace, read inside one, is taken
	// whole, and convert and stats say so.
	const corpus = "../../testdata/corpus/conntrack-L.txt"
	for _, cmd := range []string{"convert", "stats"} {
		code, out, errs = ctconv(t, "", cmd, "--netns", "blue", corpus)
		if want := fmt.Sprintf("ctconv %s: %s names no network namespace: took its %d flows as blue's\n", cmd, corpus, strings.Count(text, "\n")); code != 0 || cmd == "convert" && out != text || !strings.Contains(errs, want) {
			t.Errorf("%s --netns blue of a capture of one table (%d): %s\nwant %s", cmd, code, errs, want)
		}
	}
	snap := filepath.Join(t.TempDir(), "pid.ctsnap")
	if code, _, errs := ctconv(t, all, "convert", "--netns", "pid 42", "--to", "snapshot", "-o", snap, "-"); code != 0 {
		t.Fatal(errs)
	}
	if _, info, _ := ctconv(t, "", "snapshot", "--info", snap); !strings.Contains(info, "\nnetns:    pid 42\n") || !strings.Contains(info, fmt.Sprintf("records:  %d flows", len(byNS["pid 42"]))) {
		t.Errorf("snapshot --info of --netns 'pid 42':\n%s", info)
	}
	// The snapshot is the namespace's: selecting it takes it whole,
	// selecting another takes none of it.
	for ns, n := range map[string]int{"pid 42": len(byNS["pid 42"]), "blue": 0} {
		if _, out, _ := ctconv(t, "", "convert", "--netns", ns, "--to", "json", snap); strings.Count(out, "\n") != n {
			t.Errorf("convert --netns %q of the snapshot of pid 42: %d flows, want %d", ns, strings.Count(out, "\n"), n)
		}
	}
}

// TestDiffStatsNetns: the same tuple in two namespaces is two flows, and
// stats counts the flows by namespace; --netns selects one in both.
func TestDiffStatsNetns(t *testing.T) {
	all, byNS := netnsCapture(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	// b: every flow of blue also in pid 42, the same tuples.
	var more strings.Builder
	more.WriteString(all)
	for _, line := range byNS["blue"] {
		more.WriteString(strings.TrimSuffix(line, "}\n") + `,"netns":"pid 42"}` + "\n")
	}
	if err := os.WriteFile(a, []byte(all), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(more.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := ctconv(t, "", "diff", a, b)
	if want := fmt.Sprintf("diff: %d added, 0 removed, 0 changed, %d unchanged\n", len(byNS["blue"]), strings.Count(all, "\n")); code != 1 || !strings.HasSuffix(out, want) || strings.Contains(out, "duplicate") {
		t.Errorf("diff (%d, %s):\n%s\nwant the summary %s", code, errs, out, want)
	}
	// Each line says which namespace's flow it is.
	if n := strings.Count(out, "\n+ [netns pid 42] "); n+1 != len(byNS["blue"]) || !strings.HasPrefix(out, "+ [netns pid 42] ") {
		t.Errorf("diff names the namespace of %d added flows, want %d:\n%s", n+1, len(byNS["blue"]), out)
	}
	if code, out, errs := ctconv(t, "", "diff", "--netns", "blue", a, b); code != 0 {
		t.Errorf("diff --netns blue (%d, %s):\n%s", code, errs, out)
	}
	var st struct {
		Flows      int            `json:"flows"`
		Namespaces map[string]int `json:"namespaces"`
	}
	_, out, _ = ctconv(t, "", "stats", "--format", "json", b)
	if json.Unmarshal([]byte(out), &st); st.Namespaces["blue"] != len(byNS["blue"]) || st.Namespaces["pid 42"] != len(byNS["pid 42"])+len(byNS["blue"]) {
		t.Errorf("stats counts %v by namespace", st.Namespaces)
	}
	st = struct {
		Flows      int            `json:"flows"`
		Namespaces map[string]int `json:"namespaces"`
	}{}
	_, out, _ = ctconv(t, "", "stats", "--format", "json", "--netns", "blue", b)
	if json.Unmarshal([]byte(out), &st); st.Flows != len(byNS["blue"]) || len(st.Namespaces) != 0 {
		t.Errorf("stats --netns blue: %d flows, %v; want %d", st.Flows, st.Namespaces, len(byNS["blue"]))
	}
	if _, out, _ := ctconv(t, "", "stats", b); !strings.Contains(out, fmt.Sprintf("\nnamespaces             pid 42 %d, blue %d\n", len(byNS["pid 42"])+len(byNS["blue"]), len(byNS["blue"]))) {
		t.Errorf("stats shows no namespaces line:\n%s", out)
	}
	_, out, _ = ctconv(t, "", "stats", "--format", "openmetrics", b)
	om, _ := parseMetrics(t, out)
	for ns, want := range map[string]int{"blue": len(byNS["blue"]), "pid 42": len(byNS["pid 42"]) + len(byNS["blue"])} {
		if got, ok := om["ctconv_flows_by_netns"].value("netns", ns); !ok || got != float64(want) {
			t.Errorf("ctconv_flows_by_netns{netns=%q} %v, want %d", ns, got, want)
		}
	}
	if _, out, _ := ctconv(t, "", "stats", "--format", "openmetrics", "../../testdata/corpus/proc.txt"); strings.Contains(out, "netns") {
		t.Error("ctconv_flows_by_netns for a capture of one table")
	}
}

// TestNetnsFlag: every command that reads a live table teaches --netns,
// with an example; check, which selects no records, takes it only for
// netlink:.
func TestNetnsFlag(t *testing.T) {
	for _, cmd := range []string{"watch", "snapshot", "stats", "convert", "check", "diff"} {
		_, help, _ := ctconv(t, "", cmd, "--help")
		if !strings.Contains(help, "  --netns NAME|PATH|PID") || !strings.Contains(help, "ctconv "+cmd+" --netns ") {
			t.Errorf("ctconv %s --help teaches no --netns:\n%s", cmd, help)
		}
	}
	if _, help, _ := ctconv(t, "", "snapshot", "--help"); !strings.Contains(help, "ctconv snapshot --all-netns") {
		t.Errorf("ctconv snapshot --help has no example of --all-netns")
	}
	code, _, errs := ctconv(t, "", "check", "--netns", "blue", "../../testdata/corpus/proc.txt")
	if code != 2 || !strings.Contains(errs, "netlink:") {
		t.Errorf("check --netns of a file: %d, %s", code, errs)
	}
	code, _, errs = ctconv(t, "", "snapshot", "--all-netns", "--netns", "blue")
	if code != 2 {
		t.Errorf("snapshot --all-netns --netns: %d, %s", code, errs)
	}
	// An empty name, as of an unset shell variable, is no namespace: not
	// ctconv's own, which its events or table would be read from.
	for _, cmd := range []string{"watch", "snapshot", "stats", "convert", "check", "diff"} {
		code, _, errs = ctconv(t, "", cmd, "--netns", "")
		if code != 2 || !strings.Contains(errs, "ctconv "+cmd+": --netns: an empty name") {
			t.Errorf("%s --netns \"\": %d, %s", cmd, code, errs)
		}
	}
}
