package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

// omcheck is internal/omcheck, built and started once: Prometheus' own
// OpenMetrics and text-format parsers (prometheus/common's expfmt), in a
// module of their own so that ctconv's module does not depend on them. One
// process checks every document, in turn: its OpenMetrics decoder compiles
// its grammar once a process, which takes half a second. TestMain ends it.
var omcheck struct {
	once sync.Once
	bin  string
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	err  error
	mu   sync.Mutex // the document being checked
}

// omFamily is a metric family as omcheck prints it.
type omFamily struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Unit    string `json:"unit"`
	Help    string `json:"help"`
	Samples []struct {
		Labels map[string]string `json:"labels"`
		Value  float64           `json:"value"`
	} `json:"samples"`
}

// parseMetrics parses text with both of Prometheus' parsers, and returns
// what the OpenMetrics parser found, by family name, and what the text
// format's parser found (node_exporter's textfile collector).
func parseMetrics(t *testing.T, text string) (om, prom map[string]omFamily) {
	t.Helper()
	omcheck.once.Do(startOmcheck)
	if omcheck.err != nil {
		t.Fatal(omcheck.err)
	}
	omcheck.mu.Lock()
	fmt.Fprintf(omcheck.in, "%d\n%s", len(text), text)
	line, err := omcheck.out.ReadBytes('\n')
	omcheck.mu.Unlock()
	if err != nil {
		t.Fatalf("omcheck: %v", err)
	}
	var got struct {
		OpenMetrics, Text []omFamily
		Error             string
	}
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatal(err)
	}
	if got.Error != "" {
		t.Fatalf("the parsers reject the metrics: %s\n%s", got.Error, text)
	}
	om, prom = map[string]omFamily{}, map[string]omFamily{}
	for _, f := range got.OpenMetrics {
		om[f.Name] = f
	}
	for _, f := range got.Text {
		prom[f.Name] = f
	}
	return om, prom
}

// startOmcheck builds internal/omcheck and starts it.
func startOmcheck() {
	dir, err := os.MkdirTemp("", "ctconv-omcheck")
	if err != nil {
		omcheck.err = err
		return
	}
	omcheck.bin = filepath.Join(dir, "omcheck")
	build := exec.Command("go", "build", "-o", omcheck.bin, ".")
	build.Dir = "../../internal/omcheck"
	if out, err := build.CombinedOutput(); err != nil {
		omcheck.err = fmt.Errorf("building internal/omcheck: %v\n%s", err, out)
		return
	}
	cmd := exec.Command(omcheck.bin)
	cmd.Stderr = os.Stderr
	if omcheck.in, err = cmd.StdinPipe(); err == nil {
		var out io.ReadCloser
		if out, err = cmd.StdoutPipe(); err == nil {
			omcheck.out = bufio.NewReader(out)
			err = cmd.Start()
		}
	}
	if err != nil {
		omcheck.err = fmt.Errorf("starting internal/omcheck: %v", err)
		return
	}
	omcheck.cmd = cmd
}

// stopOmcheck ends omcheck by its PID, if it was started, and removes its
// binary.
func stopOmcheck() {
	if omcheck.cmd != nil {
		omcheck.cmd.Process.Kill()
		omcheck.cmd.Wait()
	}
	if omcheck.bin != "" {
		os.RemoveAll(filepath.Dir(omcheck.bin))
	}
}

// family returns the family name of fams: the parsers name a counter's
// family, and the text format its samples, with "_total".
func family(fams map[string]omFamily, name string) omFamily {
	if f, ok := fams[name]; ok {
		return f
	}
	return fams[name+"_total"]
}

// value returns the sample of family f with labels (name, value pairs).
func (f omFamily) value(labels ...string) (float64, bool) {
	for _, s := range f.Samples {
		match := len(s.Labels) == len(labels)/2
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && s.Labels[labels[i]] == labels[i+1]
		}
		if match {
			return s.Value, true
		}
	}
	return 0, false
}

// TestStatsOpenMetrics prints the summary of each corpus table, and the
// counters of each capture of them, as OpenMetrics, and parses it with
// Prometheus' parsers: both take it, and their numbers are ctconv's (its
// JSON summary's, the captures' counters, CPU by CPU).
func TestStatsOpenMetrics(t *testing.T) {
	t.Parallel()
	files := corpustest.Paths(t, "*")
	n := 0
	for _, file := range files {
		if f, ok := corpustest.FormatOf(file); !ok || f.Expectations() || strings.Contains(file, "-E") {
			continue
		}
		args := []string{"stats", "--tz", "UTC", "--max", "1000", file, statsDir + "proc-stat.txt"}
		code, out, errs := ctconv(t, "", append(args[:1], append([]string{"--format", "openmetrics"}, args[1:]...)...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", file, code, errs)
		}
		if !strings.HasSuffix(out, "\n# EOF\n") {
			t.Errorf("%s: no # EOF at the end", file)
		}
		om, prom := parseMetrics(t, out)
		_, js, _ := ctconv(t, "", append(args[:1], append([]string{"--format", "json"}, args[1:]...)...)...)
		var sum stats
		if err := json.Unmarshal([]byte(js), &sum); err != nil {
			t.Fatal(err)
		}
		check := func(name string, want float64, labels ...string) {
			t.Helper()
			for parser, fams := range map[string]map[string]omFamily{"openmetrics": om, "text": prom} {
				if v, ok := family(fams, name).value(labels...); !ok || v != want {
					t.Errorf("%s: %s parser: %s%v = %v (%v), want %v", file, parser, name, labels, v, ok, want)
				}
			}
		}
		check("ctconv_flows", float64(sum.Flows))
		for fam, v := range sum.Families {
			check("ctconv_flows_by_family", float64(v), "family", fam)
		}
		for k, v := range sum.States {
			proto, state, _ := strings.Cut(k, " ")
			check("ctconv_flows_by_state", float64(v), "protocol", proto, "state", state)
		}
		if sum.Bytes != nil {
			check("ctconv_flow_bytes", float64(sum.Bytes.Reply), "direction", "reply")
			if om["ctconv_flow_bytes"].Unit != "bytes" {
				t.Errorf("%s: ctconv_flow_bytes has unit %q", file, om["ctconv_flow_bytes"].Unit)
			}
		}
		check("ctconv_table_usage_ratio", sum.Table.Share)
		check("ctconv_conntrack_insert", 23, "cpu", "1")
		check("ctconv_conntrack_entries", 59)
		if f := family(om, "ctconv_conntrack_invalid"); f.Type != "COUNTER" || f.Help == "" {
			t.Errorf("%s: ctconv_conntrack_invalid is %+v", file, f)
		}
		n++
	}
	if n < 10 {
		t.Errorf("only %d corpus tables", n)
	}

	// The counters alone, of every capture of them: each counter of each
	// CPU is a sample of its own.
	for file := range statsCaptures {
		data := readFile(t, statsDir+file)
		code, out, errs := ctconv(t, "", "stats", "--format", "openmetrics", statsDir+file)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", file, code, errs)
		}
		om, _ := parseMetrics(t, out)
		if _, ok := om["ctconv_flows"]; ok {
			t.Errorf("%s: flows in a summary of counters alone", file)
		}
		sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto})
		samples := 0
		for s, err := range sc.Stats() {
			if err != nil {
				t.Fatal(err)
			}
			for st, v := range s.All() {
				name := "ctconv_conntrack_" + st.String()
				var labels []string
				if s.CPU >= 0 && !tableWide(st) {
					labels = []string{"cpu", strconv.Itoa(s.CPU)}
				}
				if got, ok := family(om, name).value(labels...); !ok || got != float64(v) {
					t.Errorf("%s: %s%v = %v (%v), want %d", file, name, labels, got, ok, v)
				}
				samples++
			}
		}
		if samples == 0 {
			t.Errorf("%s: no counters", file)
		}
	}
}

// TestStatsCounters checks what ctconv stats shows of the kernel's
// counters, in text and JSON: in all, and CPU by CPU; with flows or alone.
func TestStatsCounters(t *testing.T) {
	code, out, errs := ctconv(t, "", "stats", statsDir+"conntrack-S-after.txt", statsDir+"conntrack-S-expect-after.txt", statsDir+"conntrack-C-after.txt")
	want := "kernel counters        found 0, invalid 400, insert 0, insert_failed 0, drop 0, early_drop 0, error 0, search_restart 0, clash_resolve 0, chaintoolong 0, entries 0, expect_new 0, expect_create 0, expect_delete 0\n" +
		"  cpu=0                found 0, invalid 400, insert 0, insert_failed 0, drop 0, early_drop 0, error 0, search_restart 0, clash_resolve 0, chaintoolong 0, expect_new 0, expect_create 0, expect_delete 0\n" +
		"  cpu=1                found 0, invalid 0, insert 0, insert_failed 0, drop 0, early_drop 0, error 0, search_restart 0, clash_resolve 0, chaintoolong 0, expect_new 0, expect_create 0, expect_delete 0\n"
	if code != 0 || out != want || errs != "" {
		t.Errorf("exit %d, stderr %q:\n%s", code, errs, out)
	}
	code, out, _ = ctconv(t, "", "stats", statsDir+"conntrack-L.txt", statsDir+"proc-stat.txt")
	if code != 0 || !strings.HasPrefix(out, "flows                  59\n") || !strings.Contains(out, "\nkernel counters        found 0, new 0, invalid 0, ignore 0, delete 0, insert 40,") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, out, _ = ctconv(t, "", "stats", "--format", "json", statsDir+"proc-stat.txt")
	var got struct {
		Flows    *int
		Counters struct {
			Total map[string]*uint64
			CPUs  []map[string]*uint64
		}
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if got.Flows != nil || *got.Counters.Total["insert"] != 40 || *got.Counters.Total["entries"] != 59 || got.Counters.Total["cpu"] != nil ||
		len(got.Counters.CPUs) != 2 || *got.Counters.CPUs[1]["insert"] != 23 || *got.Counters.CPUs[1]["cpu"] != 1 {
		t.Errorf("%s", out)
	}
}
