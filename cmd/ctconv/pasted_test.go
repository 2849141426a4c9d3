package main

import (
	"os"
	"strings"
	"testing"
)

// tutorialLine is the iptables tutorial's example (section 7.2) on one
// line, as /proc/net/ip_conntrack prints it.
const tutorialLine = "tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 dport=22 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 [ASSURED] use=2"

// TestConvertTutorial converts the tutorial's example as it is printed
// there, wrapped with backslashes, and as translations re-pasted it.
func TestConvertTutorial(t *testing.T) {
	_, want, _ := ctconv(t, tutorialLine+"\n", "convert", "--from", "iplegacy", "--to", "iplegacy")
	for _, c := range []struct{ file, want string }{
		{"032-iptables-tutorial-7.2-zh-translation-backslash-wrap.txt", want},
		{"034-iptables-tutorial-7.2-vi-no-assured.txt", strings.Replace(want, " [ASSURED]", "", 1)},
	} {
		code, out, errs := ctconv(t, "", "convert", "--to", "iplegacy", "../../testdata/pasted/"+c.file)
		if code != 0 || out != c.want {
			t.Errorf("%s: exit %d, stderr %q, output\n%q\nwant\n%q", c.file, code, errs, out, c.want)
		}
		// --strict reads the producer's own layout only.
		if code, _, errs := ctconv(t, "", "convert", "--strict", "--to", "iplegacy", "../../testdata/pasted/"+c.file); code != 1 || !strings.Contains(errs, ":1:69: a backslash line continuation") {
			t.Errorf("%s --strict: exit %d, stderr %q", c.file, code, errs)
		}
	}
}

// TestConvertPaste converts a paste of a terminal session: the prompt and
// command, the records, ^C and conntrack's message; the lines that are not
// records are skipped and counted on standard error, and --strict rejects
// them.
func TestConvertPaste(t *testing.T) {
	session := func(record string) string {
		return "root@gw:~# conntrack -E\n" + record + "\n^C\nconntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\nroot@gw:~# \n\n"
	}
	_, want, _ := ctconv(t, tutorialLine+"\n", "convert", "--from", "iplegacy", "--to", "iplegacy")
	cases := []struct{ name, record string }{
		{"as printed", tutorialLine},
		{"wrapped", strings.Replace(tutorialLine, "sport=32775 ", "sport=32775 \\\n     ", 1)},
		{"blanks collapsed", strings.Join(strings.Fields(tutorialLine), " ")},
	}
	for _, c := range cases {
		code, out, errs := ctconv(t, session(c.record), "convert", "--to", "iplegacy")
		note := "ctconv convert: skipped 5 lines that are not records (3 prompts, typed commands, ^C or fences; 1 blank line; 1 message of conntrack's)\n"
		if code != 0 || out != want || !strings.Contains(errs, note) || strings.Contains(errs, "<stdin>:") {
			t.Errorf("%s: exit %d, output %q, stderr %q; want %q", c.name, code, out, errs, note)
		}
		code, _, errs = ctconv(t, session(c.record), "convert", "--strict", "--to", "iplegacy")
		if code != 1 || !strings.HasPrefix(errs, "<stdin>:1:1: ") {
			t.Errorf("%s --strict: exit %d, stderr %q", c.name, code, errs)
		}
		code, out, errs = ctconv(t, session(c.record), "check")
		if code != 0 || errs != "" || !strings.Contains(out, ", 3 lines that are not records (prompts, typed commands, ^C, fences)") {
			t.Errorf("%s check: exit %d, stdout %q, stderr %q", c.name, code, out, errs)
		}
		// stats and diff say it too, of each input, which stats said of none.
		note = strings.Replace(note, "ctconv convert:", "ctconv stats: <stdin>:", 1)
		if code, _, errs = ctconv(t, session(c.record), "stats", "-"); code != 0 || !strings.Contains(errs, note) {
			t.Errorf("%s stats: exit %d, stderr %q; want %q", c.name, code, errs, note)
		}
		note = strings.Replace(note, "ctconv stats:", "ctconv diff:", 1)
		if code, _, errs = ctconv(t, session(c.record), "diff", "-", corpusProc); code != 1 || !strings.Contains(errs, note) {
			t.Errorf("%s diff: exit %d, stderr %q; want %q", c.name, code, errs, note)
		}
	}
}

// TestConvertNotRecordsReported checks that a line that is not a record and
// has none of the shapes that are skipped is still a bad line.
func TestConvertNotRecordsReported(t *testing.T) {
	for _, line := range []string{"Here is the output:", "< " + tutorialLine, "# grep src=192.168.1.6 /proc/net/nf_conntrack", "cpu=0 found=0 invalid=130"} {
		code, _, errs := ctconv(t, tutorialLine+"\n"+line+"\n", "convert", "--to", "iplegacy")
		if code != 1 || !strings.HasPrefix(errs, "<stdin>:2:") {
			t.Errorf("%q: exit %d, stderr %q", line, code, errs)
		}
	}
}

// TestConvertOlder24: a 2.4 kernel's /proc/net/ip_conntrack holds its
// connections and, after them, its expectations on EXPECTING: lines.
// Converted (as iplegacy, which it is detected as), it gives its
// connections back byte for byte and says on standard error how many
// EXPECTING: lines it passed over, and how to read them; read with --from
// proc-expect, it gives those back and says the same of the connections.
// --strict reads both: they are the producer's own lines.
func TestConvertOlder24(t *testing.T) {
	const file = "../../testdata/pasted/older/proc-ip_conntrack-2.4.32.txt"
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data := string(b)
	var flows, expects strings.Builder
	for _, line := range strings.SplitAfter(data, "\n") {
		if strings.HasPrefix(line, "EXPECTING: ") {
			expects.WriteString(line)
		} else {
			flows.WriteString(line)
		}
	}
	for _, c := range []struct {
		args       []string
		want, note string
	}{
		{[]string{"convert", file}, flows.String(), "ctconv convert: passed over 2 expectation lines (a 2.4 kernel's EXPECTING:; --from proc-expect reads them)\n"},
		{[]string{"convert", "--strict", file}, flows.String(), "ctconv convert: passed over 2 expectation lines (a 2.4 kernel's EXPECTING:; --from proc-expect reads them)\n"},
		{[]string{"convert", "--from", "proc-expect", file}, expects.String(), "ctconv convert: passed over 1 flow line (a 2.4 kernel's /proc/net/ip_conntrack; --from iplegacy reads them)\n"},
		{[]string{"check", file}, file + ": iplegacy, 1 flow, 0 bad lines, passed over 2 expectation lines (a 2.4 kernel's EXPECTING:; --from proc-expect reads them)\n", ""},
	} {
		code, out, errs := ctconv(t, "", c.args...)
		if code != 0 || out != c.want || errs != c.note {
			t.Errorf("%v: exit %d, stdout\n%s\nstderr %q; want\n%s\n%q", c.args, code, out, errs, c.want, c.note)
		}
	}
	// stats summarises the flows, and says what it passed over, which it did not.
	if code, _, errs := ctconv(t, "", "stats", file); code != 0 ||
		errs != "ctconv stats: "+file+": passed over 2 expectation lines (a 2.4 kernel's EXPECTING:; --from proc-expect reads them)\n" {
		t.Errorf("stats: exit %d, stderr %q", code, errs)
	}
	// diff compares the flows, and says what it passed over.
	if code, out, errs := ctconv(t, "", "diff", file, file); code != 0 || out != "" ||
		errs != "ctconv diff: "+file+": passed over 2 expectation lines (a 2.4 kernel's EXPECTING:; --from proc-expect reads them)\n"+
			"ctconv diff: "+file+": passed over 2 expectation lines (a 2.4 kernel's EXPECTING:; --from proc-expect reads them)\n" {
		t.Errorf("diff: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// JSON of the expectations keeps the layout, and prints back as it.
	_, js, _ := ctconv(t, "", "convert", "--from", "proc-expect", "--to", "json", file)
	if code, out, errs := ctconv(t, js, "convert", "--to", "proc-expect"); code != 0 || out != expects.String() {
		t.Errorf("from JSON: exit %d, stderr %q, output\n%s", code, errs, out)
	}
}
