package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/internal/corpustest"
	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/snapshot"
)

// TestSnapshotRoundTrip takes every corpus file through a snapshot and
// through JSON, and back to its own format.
func TestSnapshotRoundTrip(t *testing.T) {
	files := corpustest.Paths(t, "*")
	dir := t.TempDir()
	for _, file := range files {
		f, ok := corpustest.FormatOf(file)
		if !ok {
			t.Fatalf("%s: no format", file)
		}
		want := string(readFile(t, file))
		snap := filepath.Join(dir, filepath.Base(file)+".ctsnap")
		if code, _, errs := ctconv(t, "", "snapshot", "--tz", "UTC", "-o", snap, file); code != 0 {
			t.Fatalf("%s: snapshot: exit %d: %s", file, code, errs)
		}
		if code, out, errs := ctconv(t, "", "convert", "--tz", "UTC", snap); code != 0 || out != want {
			t.Errorf("%s: snapshot back to text: exit %d, stderr %q, equal %v", file, code, errs, out == want)
		}
		code, js, errs := ctconv(t, "", "convert", "--tz", "UTC", "--to", "json", file)
		if code != 0 {
			t.Fatalf("%s: to json: exit %d: %s", file, code, errs)
		}
		code, info, _ := ctconv(t, "", "snapshot", "--info", snap)
		records := fmt.Sprintf("records:  %d %s\n", strings.Count(js, "\n"), kind(f.Expectations()))
		if code != 0 || !strings.Contains(info, "source:   "+f.String()+"\n") || !strings.Contains(info, records) {
			t.Errorf("%s: --info: exit %d, want %q in\n%s", file, code, records, info)
		}
		code, out, errs := ctconv(t, js, "convert", "--tz", "UTC", "--from", "json", "--to", f.String(), "--with", withOf(file))
		if code != 0 || out != want {
			t.Errorf("%s: json back to text: exit %d, stderr %q, equal %v", file, code, errs, out == want)
		}
	}
}

// withOf returns the conntrack -o options a corpus file's name lists.
func withOf(file string) string {
	var opts []string
	for _, part := range strings.Split(strings.TrimSuffix(filepath.Base(file), ".txt"), "-") {
		if o, err := parseWith(part); err == nil && o != 0 {
			opts = append(opts, part)
		}
	}
	return strings.Join(opts, ",")
}

func TestSnapshotEmpty(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "empty.ctsnap")
	if code, _, errs := ctconv(t, "", "snapshot", "--from", "proc", "-o", snap, "-"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	code, info, _ := ctconv(t, "", "snapshot", "--info", snap)
	if code != 0 || !strings.Contains(info, "source:   proc\n") || !strings.Contains(info, "records:  0 flows\n") {
		t.Errorf("exit %d:\n%s", code, info)
	}
	if code, out, errs := ctconv(t, "", "convert", snap); code != 0 || out != "" {
		t.Errorf("back to text: exit %d, out %q, stderr %q", code, out, errs)
	}
}

// TestSnapshotEmptyAuto: an empty input of no format given is a capture
// of /proc's format (a Header needs a Source), and a file of an earlier
// version whose source is "auto", for such an input, still converts,
// to a snapshot too.
func TestSnapshotEmptyAuto(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "empty.ctsnap")
	if code, _, errs := ctconv(t, "", "snapshot", "-o", snap, "-"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if code, info, _ := ctconv(t, "", "snapshot", "--info", snap); code != 0 || !strings.Contains(info, "source:   proc\n") {
		t.Errorf("exit %d:\n%s", code, info)
	}
	// As earlier versions wrote it: the source "auto", the checksum
	// made anew.
	data := readFile(t, snap)
	old := bytes.Replace(data, []byte("\xa6source\xa4proc"), []byte("\xa6source\xa4auto"), 1)
	hlen := int(binary.BigEndian.Uint32(old[20:24]))
	binary.BigEndian.PutUint32(old[24+hlen:], crc32.Checksum(old[8:24+hlen], crc32.MakeTable(crc32.Castagnoli)))
	os.WriteFile(snap, old, 0o644)
	if code, info, _ := ctconv(t, "", "snapshot", "--info", snap); code != 0 || !strings.Contains(info, "source:   unknown (an empty input)\n") {
		t.Fatalf("exit %d:\n%s", code, info)
	}
	again := filepath.Join(dir, "again.ctsnap")
	if code, out, errs := ctconv(t, "", "convert", "--to", "snapshot", "-o", again, snap); code != 0 || out != "" {
		t.Errorf("to a snapshot: exit %d, out %q, stderr %q", code, out, errs)
	}
	if code, out, errs := ctconv(t, "", "convert", snap); code != 0 || out != "" {
		t.Errorf("to text: exit %d, out %q, stderr %q", code, out, errs)
	}
}

// TestSnapshotDamaged gives damaged snapshots to convert and --info: each
// fails with exit status 1 and says what is wrong.
func TestSnapshotDamaged(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ctsnap")
	if code, _, errs := ctconv(t, "", "snapshot", "-o", good, corpusProc); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	data := readFile(t, good)
	flip := bytes.Clone(data)
	flip[len(flip)-10] ^= 0x40
	future := bytes.Clone(data)
	future[len(snapshot.Magic)]++
	for _, c := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"truncated", data[:len(data)*2/3], "cut short"},
		{"flipped byte", flip, "damaged"},
		{"wrong magic", append([]byte("\x89CTSNAQ\n"), data[8:]...), "no snapshot magic"},
		{"future version", future, "version"},
	} {
		file := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".ctsnap")
		os.WriteFile(file, c.data, 0o644)
		code, _, errs := ctconv(t, "", "convert", "--from", "snapshot", file)
		if code != 1 || !strings.Contains(errs, file) || !strings.Contains(errs, c.msg) {
			t.Errorf("%s: exit %d, stderr %q, want 1 and %q", c.name, code, errs, c.msg)
		}
	}
}

// TestSnapshotAtomic checks that a failed run leaves the earlier file as
// it was.
func TestSnapshotAtomic(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "table.ctsnap")
	if code, _, errs := ctconv(t, "", "snapshot", "-o", snap, corpusProc); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	before := readFile(t, snap)
	bad := string(readFile(t, corpusProc)) + "tcp 6 garbage\n"
	if code, _, _ := ctconv(t, bad, "snapshot", "-o", snap, "-"); code != 1 {
		t.Errorf("bad input: exit %d, want 1", code)
	}
	if after := readFile(t, snap); !bytes.Equal(before, after) {
		t.Error("a failed run changed the earlier snapshot")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestSnapshotDefaultName checks the name a snapshot gets without -o.
func TestSnapshotDefaultName(t *testing.T) {
	abs, _ := filepath.Abs(corpusProc)
	t.Chdir(t.TempDir())
	code, _, errs := ctconv(t, "", "snapshot", abs)
	host, _ := os.Hostname()
	names, _ := filepath.Glob("ctconv-" + host + "-*.ctsnap")
	if code != 0 || len(names) != 1 || !strings.Contains(errs, "wrote "+names[0]) {
		t.Fatalf("exit %d, stderr %q, files %v", code, errs, names)
	}
}

func TestSnapshotUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"snapshot", "--help"}, 0, "--info"},
		{[]string{"snapshot", "--info"}, 2, "--info needs a FILE"},
		{[]string{"snapshot", "a", "b"}, 2, "one SOURCE at a time"},
		{[]string{"snapshot", "--info", "/nonexistent"}, 1, "no such file"},
		{[]string{"snapshot", "--info", corpusProc}, 1, "no snapshot magic"},
	} {
		code, out, errs := ctconv(t, "", c.args...)
		if code != c.code || !strings.Contains(out+errs, c.out) {
			t.Errorf("%v: exit %d, output %q", c.args, code, out+errs)
		}
	}
}

// TestSnapshotHostile runs ctconv on each damaged or malicious file of
// testdata/hostile: each is an error that names the file, exit status 1,
// and the process's peak memory stays under 64 MiB (a snapshot Reader's
// bound is 32 MiB; the rest is the runtime's). GNU time measures the peak:
// a child's own rusage counts its parent's memory at the fork.
func TestSnapshotHostile(t *testing.T) {
	bin := build(t)
	files, _ := filepath.Glob("../../testdata/hostile/*.ctsnap")
	if len(files) == 0 {
		t.Fatal("no hostile files")
	}
	gnuTime, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		t.Log("peak memory not checked: no /usr/bin/time (apt-get install time)")
	}
	for _, file := range files {
		var stderr bytes.Buffer
		args := []string{"convert", "--from", "snapshot", file}
		cmd := exec.Command(bin, args...)
		if gnuTime != "" {
			cmd = exec.Command(gnuTime, append([]string{"-f", "peak %M KiB", bin}, args...)...)
		}
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("%s: %v, want exit status 1", file, err)
		}
		msg := stderr.String()
		if !strings.Contains(msg, file+": snapshot: ") {
			t.Errorf("%s: stderr %q", file, msg)
		}
		if gnuTime != "" {
			var kib int
			if _, err := fmt.Sscanf(msg[strings.LastIndex(msg, "peak "):], "peak %d KiB", &kib); err != nil || kib > 64<<10 {
				t.Errorf("%s: peak memory %d KiB (%v)", file, kib, err)
			}
		}
	}
}

// TestSnapshotLiveFiltered snapshots the running kernel's table with a
// filter: its header says /proc's format, even for an empty table.
func TestSnapshotLiveFiltered(t *testing.T) {
	if _, err := os.Stat(liveTable); err != nil {
		t.Skip("no " + liveTable)
	}
	snap := filepath.Join(t.TempDir(), "live.ctsnap")
	sources := map[string]string{"proc": "proc"}
	if _, _, err := ctnetlink.TableSize(); err == nil {
		sources["netlink"] = "conntrack" // the flows print as conntrack -L lists them
	}
	for from, source := range sources {
		if code, _, errs := ctconv(t, "", "snapshot", "--source", from, "--proto", "tcp", "--src", "192.0.2.0/24", "-o", snap); code != 0 {
			t.Fatalf("--source %s: exit %d: %s", from, code, errs)
		}
		if _, info, _ := ctconv(t, "", "snapshot", "--info", snap); !strings.Contains(info, "source:   "+source+"\n") || !strings.Contains(info, "kernel:   ") {
			t.Errorf("--source %s: --info:\n%s", from, info)
		}
	}
}

// TestSnapshotMessages: the snapshot command's messages carry its name,
// also where the conversion it runs reports them.
func TestSnapshotMessages(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.ctsnap")
	code, _, errs := ctconv(t, "", "snapshot", "-o", out, "/nonexistent/capture")
	if code != 1 || !strings.HasPrefix(errs, "ctconv snapshot: ") || strings.Contains(errs, "convert") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// TestSnapshotToStream: a snapshot written to a stream, which cannot be
// sought to complete its header, is as complete as one written to a file:
// every corpus capture prints back byte for byte, with the options and the
// XML footer that only the end of the input tells, and --info counts its
// records from the header.
func TestSnapshotToStream(t *testing.T) {
	files := corpustest.Paths(t, "*")
	for _, file := range files {
		code, snap, errs := ctconv(t, "", "convert", "--tz", "UTC", "--to", "snapshot", file) // stdout: a bytes.Buffer
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", file, code, errs)
		}
		name := filepath.Join(t.TempDir(), "s.ctsnap")
		os.WriteFile(name, []byte(snap), 0o644)
		code, back, errs := ctconv(t, "", "convert", "--tz", "UTC", name)
		if want := readFile(t, file); code != 0 || back != string(want) {
			t.Errorf("%s: exit %d, %s; prints back equal: %v", file, code, errs, back == string(want))
		}
		if _, info, _ := ctconv(t, "", "snapshot", "--info", "--header-only", name); strings.Contains(info, "written to a pipe") || !strings.Contains(info, "as the header says") {
			t.Errorf("%s: the header lacks its count:\n%s", file, info)
		}
	}
}

// TestSnapshotOfSnapshot converts a snapshot into another: the new one's
// header keeps the options of the text the first was made from, so that it
// prints that text back, as the first does.
func TestSnapshotOfSnapshot(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "..", "testdata", "corpus", "conntrack-L-ktimestamp.txt")
	a, b := filepath.Join(dir, "a.ctsnap"), filepath.Join(dir, "b.ctsnap")
	if code, _, errs := ctconv(t, "", "snapshot", "-o", a, src); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := ctconv(t, "", "convert", "--to", "snapshot", "-o", b, a); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := ctconv(t, "", "convert", b)
	if want := string(readFile(t, src)); code != 0 || out != want {
		t.Errorf("exit %d, %s\nprinted\n%s\nwant\n%s", code, errs, out, want)
	}
}

// TestSnapshotHostTime checks that --host and --time name the capture in
// the snapshot's header, as they do for convert, and that a --time that
// is not RFC 3339 is a usage error that writes nothing.
func TestSnapshotHostTime(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "h.ctsnap")
	if code, _, errs := ctconv(t, "", "snapshot", "--host", "gw9", "--time", "2026-12-01T21:00:00Z", "-o", snap, corpusProc); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	_, info, _ := ctconv(t, "", "snapshot", "--info", snap)
	for _, want := range []string{"created:  2026-12-01T21:00:00Z\n", "host:     gw9\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("--info lacks %q:\n%s", want, info)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.ctsnap")
	if code, _, errs := ctconv(t, "", "snapshot", "--time", "yesterday", "-o", bad, corpusProc); code != 2 || !strings.Contains(errs, "--time") {
		t.Errorf("--time yesterday: exit %d, %q", code, errs)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Errorf("a failed run wrote %s", bad)
	}
}
