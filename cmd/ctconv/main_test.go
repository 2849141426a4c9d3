package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

// ctconv runs the command in-process and returns its exit status and output.
func ctconv(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const corpusProc = "../../testdata/corpus/proc.txt"

func TestConvertRoundTrip(t *testing.T) {
	files := append(corpustest.Paths(t, "*"), "../../format/testdata/iplegacy.txt", "../../format/testdata/proc-other-kernels.txt")
	for _, file := range files {
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := corpustest.FormatOf(file)
		if !ok {
			continue
		}
		code, out, errs := ctconv(t, "", "convert", "--tz", "UTC", file)
		if code != 0 || out != string(want) {
			t.Errorf("%s: exit %d, stderr %q, output equal: %v", file, code, errs, out == string(want))
		}
		// The same through standard input with the format given.
		code, out, _ = ctconv(t, string(want), "convert", "--tz", "UTC", "--from", f.String(), "--to", f.String(), "-")
		if code != 0 || out != string(want) {
			t.Errorf("%s via stdin: exit %d", file, code)
		}
	}
}

func TestConvertLegacy(t *testing.T) {
	v6 := strings.Count(string(readFile(t, corpusProc)), "ipv6 ")
	code, legacy, errs := ctconv(t, "", "convert", "--to", "iplegacy", corpusProc)
	if code != 0 || !strings.Contains(errs, "left out "+strconv.Itoa(v6)+" flow(s) that iplegacy does not list") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if strings.Contains(legacy, "ipv") || strings.Contains(legacy, "zone") || strings.Contains(legacy, "delta-time") {
		t.Errorf("legacy output has fields of /proc/net/nf_conntrack:\n%s", legacy)
	}
	// Back to proc: the same IPv4 flows, less what ip_conntrack lacks.
	code, proc, _ := ctconv(t, legacy, "convert", "--to", "proc")
	if code != 0 {
		t.Fatal(code)
	}
	var want []format.Flow
	for _, f := range parseAll(t, format.Proc, readFile(t, corpusProc)) {
		if f.Family == format.IPv4 {
			f.Fields &^= format.FieldZone | format.FieldOrigZone | format.FieldReplyZone | format.FieldDeltaTime
			f.Zone, f.OrigZone, f.ReplyZone, f.DeltaTime = 0, 0, 0, 0
			want = append(want, f)
		}
	}
	if d := cmp.Diff(want, parseAll(t, format.Proc, []byte(proc)), addrEqual); d != "" {
		t.Errorf("proc -> iplegacy -> proc (-want +got):\n%s", d)
	}
}

var addrEqual = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

// parseAll parses data, of format fm, into flows.
func parseAll(t *testing.T, fm format.Format, data []byte) []format.Flow {
	t.Helper()
	sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: fm})
	if err != nil {
		t.Fatal(err)
	}
	var out []format.Flow
	for f, err := range sc.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *f)
	}
	return out
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConvertBadLine(t *testing.T) {
	good, _ := os.ReadFile(corpusProc)
	lines := strings.SplitAfter(string(good), "\n")
	bad := strings.Replace(lines[2], "src=", "src=300.", 1)
	input := lines[0] + lines[1] + bad + lines[3]
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	os.WriteFile(in, []byte(input), 0o644)

	code, out, errs := ctconv(t, "", "convert", in)
	if code != 1 || !strings.HasPrefix(errs, in+":3:") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if !strings.Contains(errs, "^") {
		t.Errorf("no underline in %q", errs)
	}
	if out != lines[0]+lines[1] {
		t.Errorf("stdout %q", out)
	}

	code, out, errs = ctconv(t, "", "convert", "--keep-going", in)
	if code != 1 || strings.Count(errs, in+":3:") != 1 || out != lines[0]+lines[1]+lines[3] {
		t.Errorf("keep-going: exit %d, stderr %q, stdout %q", code, errs, out)
	}

	// A failed run leaves no output file, and a file that was there stays.
	outFile := filepath.Join(dir, "out.txt")
	if code, _, _ := ctconv(t, "", "convert", "-o", outFile, in); code != 1 {
		t.Errorf("exit %d", code)
	}
	if _, err := os.Stat(outFile); !os.IsNotExist(err) {
		t.Errorf("output file left behind: %v", err)
	}
	os.WriteFile(outFile, []byte("previous"), 0o644)
	ctconv(t, "", "convert", "-o", outFile, in)
	if b, _ := os.ReadFile(outFile); string(b) != "previous" {
		t.Errorf("previous file changed to %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temporary files left: %v", entries)
	}
	// A clean run writes it.
	if code, _, _ := ctconv(t, "", "convert", "-o", outFile, corpusProc); code != 0 {
		t.Errorf("exit %d", code)
	}
	if b, _ := os.ReadFile(outFile); !bytes.Equal(b, good) {
		t.Error("output file differs from the input")
	}
}

// TestConvertBadInput checks the exit status and the position of the
// error for each kind of bad input, through standard input.
func TestConvertBadInput(t *testing.T) {
	lines := strings.SplitAfter(string(readFile(t, corpusProc)), "\n")
	good := strings.TrimSuffix(lines[0], "\n")
	for _, c := range []struct {
		name, input, prefix, msg string
	}{
		{"tutorial excerpt cut after its second line", "tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 \\\n     dport=22 [UNREPLIED]\n",
			"<stdin>:2:26:", "(in a record joined from lines 1 to 2)"},
		{"tutorial without addresses", "tcp      6 47 SYN_SENT src= dst= sport=50291 dport=25 src= dst= sport=25 dport=50291 use=1\n",
			"<stdin>:1:24:", "empty value after src="},
		{"CR before CRLF", good + "\r\r\n", "<stdin>:1:" + itoa(len(good)+1) + ":", "carriage return"},
		{"NUL byte", "\x00" + good + "\n", "<stdin>:1:1:", "cannot detect the format"},
		{"truncated", good[:len(good)/2] + "\n", "<stdin>:1:", "truncated line?"},
		{"line too long", good + strings.Repeat(" x=y", 20000) + "\n", "<stdin>:1:65537:", "line longer than 65536 bytes"},
		{"second line bad", good + "\n" + strings.Replace(good, "dport=", "dport=-", 1), "<stdin>:2:", "unexpected '-'"},
	} {
		code, _, errs := ctconv(t, c.input, "convert")
		if code != 1 || !strings.HasPrefix(errs, c.prefix) || !strings.Contains(errs, c.msg) {
			t.Errorf("%s: exit %d, stderr %q; want 1, %q ... %q", c.name, code, errs, c.prefix, c.msg)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestConvertUnknownFields(t *testing.T) {
	line := "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 hwid=3 zone=0 use=2\n"
	code, out, errs := ctconv(t, line, "convert")
	if code != 0 || out != line || !strings.Contains(errs, "kept 1 unknown field(s)") {
		t.Errorf("exit %d, out %q, stderr %q", code, out, errs)
	}
	code, out, errs = ctconv(t, line, "convert", "--strict")
	if code != 1 || out != "" || !strings.Contains(errs, `<stdin>:1:118: unknown field "hwid=3" (strict mode)`) {
		t.Errorf("strict: exit %d, out %q, stderr %q", code, out, errs)
	}
}

// TestConvertPastedLayout converts a record pasted with other blanks to
// its producer's line, and says so; --strict rejects it.
func TestConvertPastedLayout(t *testing.T) {
	line := "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 zone=0 use=2\n"
	pasted := "  " + strings.Join(strings.Fields(line), "\t") + "\n"
	code, out, errs := ctconv(t, pasted, "convert", "--from", "proc")
	if code != 0 || out != line || !strings.Contains(errs, "read 1 record(s) in a pasted layout") {
		t.Errorf("exit %d, out %q, stderr %q", code, out, errs)
	}
	code, out, errs = ctconv(t, pasted, "convert", "--from", "proc", "--strict")
	if code != 1 || out != "" || !strings.Contains(errs, "<stdin>:1:") {
		t.Errorf("strict: exit %d, out %q, stderr %q", code, out, errs)
	}
}

func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		out  string // in stdout or stderr
	}{
		{nil, 2, "Usage:"},
		{[]string{"--help"}, 0, "Commands:"},
		{[]string{"--version"}, 0, "ctconv "},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"convert", "--help"}, 0, "--keep-going"},
		{[]string{"convert", "--from", "bogus"}, 2, `unknown format "bogus"`},
		{[]string{"convert", "--with", "bogus"}, 2, `unknown conntrack option "bogus"`},
		{[]string{"watch", "--with", "bogus"}, 2, "(want extended, id, ktimestamp, labels, timestamp, conntrack-1.4.9)"},
		{[]string{"watch", "--help"}, 0, "conntrack-1.4.9"},
		{[]string{"convert", "--tz", "Mars/Olympus"}, 2, `unknown time zone Mars/Olympus`},
		{[]string{"convert", "--to", "auto"}, 2, "not an output format"},
		{[]string{"convert", "--bogus"}, 2, "ctconv convert: unknown flag --bogus\nRun 'ctconv convert --help' for usage.\n"},
		// A flag of other commands: they are named.
		{[]string{"watch", "--from", "proc"}, 2, "ctconv watch: unknown flag --from (--from is a flag of convert, snapshot, diff, check and stats)\n"},
		{[]string{"check", "-o", "x"}, 2, "unknown flag -o (-o is a flag of convert, snapshot, stats and watch)"},
		// Package flag's other errors, with the flag spelt as the help spells it.
		{[]string{"convert", "--max-errors", "x"}, 2, `ctconv convert: invalid value "x" for flag --max-errors: parse error`},
		{[]string{"convert", "--to"}, 2, "ctconv convert: flag needs an argument: --to\n"},
		{[]string{"convert", "/nonexistent/file"}, 1, "no such file or directory"},
	} {
		code, out, errs := ctconv(t, "", c.args...)
		if code != c.code || !strings.Contains(out+errs, c.out) {
			t.Errorf("%v: exit %d, output %q", c.args, code, out+errs)
		}
	}
}

// TestInterrupt runs the real binary, interrupts it while it writes -o, and
// checks that no partial file is left.
func TestInterrupt(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	outFile := filepath.Join(dir, "out.txt")
	cmd := exec.Command(bin, "convert", "-o", outFile, "-")
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(corpusProc)
	stdin.Write(data) // the input stays open: ctconv waits for more
	// Interrupted once it writes: before, its handler may not be set yet.
	created(t, cmd, dir)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("exit: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

var built struct {
	once sync.Once
	bin  string
	err  error
}

// build builds the ctconv binary once for the tests that run it.
func build(t *testing.T) string {
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "ctconv-test")
		if err != nil {
			built.err = err
			return
		}
		built.bin = filepath.Join(dir, "ctconv")
		if out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.bin != "" {
		os.RemoveAll(filepath.Dir(built.bin))
	}
	stopOmcheck()
	os.Exit(code)
}

// TestHelp checks that each command's help goes to standard output only,
// and a mistake to standard error with a pointer to the help.
func TestHelp(t *testing.T) {
	for _, cmd := range []string{"convert", "snapshot", "diff", "check", "stats"} {
		for _, h := range []string{"-h", "--help"} {
			code, out, errs := ctconv(t, "", cmd, h)
			if code != 0 || !strings.HasPrefix(out, "Usage: ctconv "+cmd) || errs != "" {
				t.Errorf("%s %s: exit %d, stdout %.40q, stderr %q", cmd, h, code, out, errs)
			}
		}
		code, out, errs := ctconv(t, "", cmd, "--bogus")
		if code != 2 || out != "" || !strings.Contains(errs, "Run 'ctconv "+cmd+" --help' for usage.") {
			t.Errorf("%s --bogus: exit %d, stdout %q, stderr %q", cmd, code, out, errs)
		}
	}
}

// TestHelpWidth: every line of the help fits 80 columns, as a terminal
// shows it, but an example's command line, which a reader copies whole.
func TestHelpWidth(t *testing.T) {
	for _, cmd := range []string{"", "convert", "check", "snapshot", "diff", "stats", "watch", "completion"} {
		args := []string{"--help"}
		if cmd != "" {
			args = []string{cmd, "--help"}
		}
		_, out, _ := ctconv(t, "", args...)
		for line := range strings.Lines(out) {
			line = strings.TrimSuffix(line, "\n")
			example := strings.HasPrefix(line, "  ctconv ") || strings.HasPrefix(line, "  conntrack ")
			if n := utf8.RuneCountInString(line); n > 80 && !example {
				t.Errorf("ctconv %s --help: a line of %d columns: %q", cmd, n, line)
			}
		}
	}
}

// TestClosedStdout runs ctconv into a reader that stops after a line, as
// head(1) does: the run ends quietly with status 0.
func TestClosedStdout(t *testing.T) {
	bin := build(t)
	cmd := exec.Command(bin, "convert", "--to", "json", "-")
	cmd.Stdin = strings.NewReader(strings.Repeat(string(readFile(t, corpusProc)), 500))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	out.Close()
	err = cmd.Wait()
	if err != nil || stderr.Len() > 0 || !strings.HasPrefix(line, `{"family":`) {
		t.Errorf("exit %v, stderr %q, first line %.40q", err, stderr.String(), line)
	}
}
