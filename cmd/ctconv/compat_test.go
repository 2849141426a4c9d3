package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/snapshot"
)

// TestCompatSnapshots reads the snapshots that earlier versions wrote,
// kept in testdata/compat/VERSION/ (testdata/compat/README.md), as every
// later version must: each prints as the text it was made from (NAME.txt;
// for a snapshot of JSON Lines, they), and as the JSON that version
// printed of it (NAME.jsonl), byte for byte; its header reads as that
// version's --info showed it (NAME.info), its records are as many as that
// says.
func TestCompatSnapshots(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/compat/*/*.ctsnap")
	if len(files) == 0 {
		t.Fatal("no compatibility snapshots")
	}
	for _, file := range files {
		dir, name := filepath.Split(strings.TrimSuffix(file, ".ctsnap"))
		t.Run(filepath.Base(dir)+"/"+name, func(t *testing.T) {
			h, n, counters, gaps := readHeader(t, file)
			golden, text := dir+name+".jsonl", dir+name+".txt"
			if h.Source == snapshot.JSON {
				text = golden
			}
			code, out, errs := ctconv(t, "", "convert", "--tz", "UTC", file)
			if want := readFile(t, text); code != 0 || out != string(want) {
				t.Errorf("exit %d, %s; prints as %s: %v", code, errs, text, out == string(want))
			}
			code, out, errs = ctconv(t, "", "convert", "--tz", "UTC", "--to", "json", file)
			if want := readFile(t, golden); code != 0 || out != string(want) {
				t.Errorf("exit %d, %s; JSON equal to %s: %v", code, errs, golden, out == string(want))
			}
			if info := dir + name + ".info"; fileExists(info) {
				checkInfo(t, file, h, n, counters, gaps, info)
			}
		})
	}
}

// readHeader returns the header of the snapshot file, the number of its
// records, which it checks against the header's count, and of its records
// of counters, and its gaps.
func readHeader(t *testing.T, file string) (snapshot.Header, uint64, int, []snapshot.Gap) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := snapshot.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := r.Header()
	counters, err := readAll(r, &h)
	if err != nil {
		t.Fatal(err)
	}
	if h.Count != r.Count() && h.Count != snapshot.UnknownCount {
		t.Errorf("the header counts %d records, the file holds %d", h.Count, r.Count())
	}
	return h, r.Count(), counters, r.Gaps()
}

// checkInfo checks header h of file, which holds n records, against what
// the version that wrote it printed of it with snapshot --info, kept in
// info: "key: value" lines; the gaps of a capture of events, as it listed
// them, too.
func checkInfo(t *testing.T, file string, h snapshot.Header, n uint64, counters int, gaps []snapshot.Gap, info string) {
	t.Helper()
	kind := "flows"
	if h.Expectations {
		kind = "expectations"
	}
	if h.Stats { // a capture of the table's counters: its records
		n, kind = uint64(counters), "records of the table's counters"
		if counters == 1 {
			kind = "record of the table's counters"
		}
	}
	source := h.Source.String()
	if h.Source.IsAuto() {
		source = "unknown (an empty input)"
	}
	got := map[string]string{
		"file":   filepath.Base(file),
		"host":   orUnknown(h.Host),
		"kernel": orUnknown(h.Kernel),
		"source": source,
		"tool":   orUnknown(h.Tool),
	}
	if h.Options != 0 {
		got["options"] = h.Options.String()
	}
	if h.Sorted {
		got["order"] = "sorted by identity (family, protocol, zone, original tuple)"
	}
	if h.Netns != "" {
		got["netns"] = h.Netns
	}
	if len(gaps) > 0 {
		got["gaps"] = gapsText(gaps)
	}
	if counters > 0 && !h.Stats {
		got["counters"] = plural(counters, "record") + " of the table's counters, of the moment it was taken"
	}
	want := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, info)))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			t.Fatalf("%s: %q is no key: value line", info, sc.Text())
		}
		want[key] = strings.TrimSpace(value)
	}
	created, err := time.Parse(time.RFC3339, want["created"])
	if err != nil || !h.Created.Truncate(time.Second).Equal(created) {
		t.Errorf("created %v, %s says %q", h.Created, info, want["created"])
	}
	delete(want, "created")
	// "N flows", or "N flows, counted (written to a pipe, ...)" where the
	// header has no count.
	if records, pipe := want["records"], h.Count == snapshot.UnknownCount; !strings.HasPrefix(records, fmt.Sprintf("%d %s", n, kind)) || strings.Contains(records, "pipe") != pipe {
		t.Errorf("%d %s, written to a pipe %v; %s says %q", n, kind, pipe, info, records)
	}
	delete(want, "records")
	for _, key := range []string{"file", "source", "tool"} {
		if _, ok := want[key]; !ok {
			t.Errorf("%s lacks %q", info, key)
		}
	}
	for key, v := range want {
		if got[key] != v {
			t.Errorf("%s: %q, %s says %q", key, got[key], info, v)
		}
	}
	for key, v := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: %q, %s says nothing", key, v, info)
		}
	}
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
