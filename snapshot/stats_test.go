package snapshot_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// readStats opens data from enc and reads its counters.
func readStats(t *testing.T, data []byte, enc snapshot.Encoding) ([]format.Stats, *snapshot.Input, error) {
	t.Helper()
	in, err := snapshot.Open(bytes.NewReader(data), enc, format.Dialect{}, format.WithName("capture"))
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(in.Close)
	if !in.Statistics() {
		t.Fatalf("%v input: not counters", in.Encoding())
	}
	var all []format.Stats
	for s, err := range in.Stats() {
		if err != nil {
			return all, in, err
		}
		all = append(all, *s)
	}
	return all, in, nil
}

// countStats reads the counters of a snapshot file to their end and
// returns the count of records its Reader keeps.
func countStats(t *testing.T, data []byte) uint64 {
	t.Helper()
	r, err := snapshot.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, err := range r.Stats() {
		if err != nil {
			t.Fatal(err)
		}
	}
	return r.Count()
}

// writeStats writes counters to a new output of encoding to and returns
// what it wrote.
func writeStats(t *testing.T, all []format.Stats, to snapshot.Encoding, h snapshot.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	out, err := snapshot.NewOutput(&buf, to, format.Dialect{}, h)
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		if err := out.WriteStats(&all[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestStatsEncodings takes each capture of counters through JSON Lines
// and a snapshot, opened with auto: each reads as counters, the same
// records, and prints back as the capture, byte for byte.
func TestStatsEncodings(t *testing.T) {
	files, _ := filepath.Glob("../testdata/stats/*.txt")
	older, _ := filepath.Glob("../testdata/stats/older/*.txt")
	n := 0
	for _, file := range append(files, older...) {
		data, _ := os.ReadFile(file)
		in, err := snapshot.Open(bytes.NewReader(data), snapshot.Text(format.Auto), format.Dialect{})
		if err != nil || !in.Statistics() {
			continue // a table or a listing, not counters
		}
		in.Close()
		n++
		want, in, err := readStats(t, data, snapshot.Text(format.Auto))
		if err != nil {
			t.Fatal(err)
		}
		src := in.Encoding()
		js := writeStats(t, want, snapshot.JSON, snapshot.Header{})
		snap := writeStats(t, want, snapshot.File, snapshot.Header{Source: src})
		for _, c := range []struct {
			name string
			data []byte
		}{{"json", js}, {"snapshot", snap}} {
			got, in, err := readStats(t, c.data, snapshot.Text(format.Auto))
			if err != nil || in.Encoding().String() != c.name || len(got) != len(want) {
				t.Errorf("%s as %s: %d records of %v, %v; want %d", file, c.name, len(got), in.Encoding(), err, len(want))
				continue
			}
			if c.name == "snapshot" {
				if n := countStats(t, c.data); n != 0 {
					t.Errorf("%s: the snapshot counts %d records: counters are not counted", file, n)
				}
			}
			if back := writeStats(t, got, src, snapshot.Header{}); !bytes.Equal(back, data) {
				t.Errorf("%s through %s prints otherwise:\n%s", file, c.name, back)
			}
		}
	}
	if n < 15 {
		t.Errorf("only %d captures of counters", n)
	}
}

// TestSnapshotCarriesStats writes a snapshot of a table with the counters
// of its moment: Scan reads the flows as before, counted as before (so a
// reader that skips the counters, as earlier versions do, finds the count
// right), and Stats holds the counters before the first flow is read
// (reading ahead) or after.
// Counters after a flow, and flows or counters where the file holds the
// other, are errors.
func TestSnapshotCarriesStats(t *testing.T) {
	table, _ := os.ReadFile("../testdata/stats/conntrack-L.txt")
	counters, _ := os.ReadFile("../testdata/stats/conntrack-S.txt")
	stats, _, err := readStats(t, counters, snapshot.Text(format.ConntrackStats))
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := format.NewScanner(bytes.NewReader(table), format.Dialect{Format: format.Conntrack})
	var flows []format.Flow
	for f, err := range sc.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		flows = append(flows, *f)
	}
	var buf bytes.Buffer
	w, _ := snapshot.NewWriter(&buf, snapshot.Header{Source: snapshot.Text(format.Conntrack)})
	for i := range stats {
		if err := w.WriteStats(&stats[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range flows {
		w.WriteFlow(&flows[i])
	}
	if err := w.WriteStats(&stats[0]); err == nil {
		t.Error("counters after the flows are written")
	}
	w.Close()

	buf.Reset()
	w, _ = snapshot.NewWriter(&buf, snapshot.Header{Source: snapshot.Text(format.Conntrack)})
	for i := range stats {
		w.WriteStats(&stats[i])
	}
	for i := range flows {
		w.WriteFlow(&flows[i])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := snapshot.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.CarriedStats()) != len(stats) {
		t.Errorf("before the flows, %d counter records, want %d", len(r.CarriedStats()), len(stats))
	}
	var out bytes.Buffer
	tw := format.NewWriter(&out, format.Dialect{Format: format.Conntrack})
	for f, err := range r.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		tw.Write(f)
	}
	tw.Close()
	if r.Count() != uint64(len(flows)) {
		t.Errorf("read %d flows, want %d", r.Count(), len(flows))
	}
	if !bytes.Equal(out.Bytes(), table) {
		t.Error("the flows print otherwise")
	}
	var js []byte
	for _, s := range r.CarriedStats() {
		js = append(js, writeStats(t, []format.Stats{s}, snapshot.Text(format.ConntrackStats), snapshot.Header{})...)
	}
	if !bytes.Equal(js, counters) {
		t.Errorf("the counters print as\n%s", js)
	}
	r, _ = snapshot.NewReader(bytes.NewReader(buf.Bytes()))
	if n, _, err := readTo(r.Flows(), 1); n != 1 || err != nil || len(r.CarriedStats()) != len(stats) {
		t.Errorf("after the first flow, %d counter records, want %d; %v", len(r.CarriedStats()), len(stats), err)
	}
	r, _ = snapshot.NewReader(bytes.NewReader(buf.Bytes()))
	if n, _, err := readTo(r.Stats(), -1); n != 0 || err == nil || !strings.Contains(err.Error(), "holds flows") {
		t.Errorf("Stats of a snapshot of flows: %d, %v", n, err)
	}
	snap := writeStats(t, stats, snapshot.File, snapshot.Header{Source: snapshot.Text(format.ConntrackStats)})
	r, _ = snapshot.NewReader(bytes.NewReader(snap))
	if n, _, err := readTo(r.Flows(), -1); n != 0 || err == nil || !strings.Contains(err.Error(), "holds the table's counters") {
		t.Errorf("Flows of a snapshot of counters: %d, %v", n, err)
	}
}

// TestStatsJSONErrors reads JSON Lines of counters with a bad line: the
// error is a *format.ParseError with the input's name and the line.
func TestStatsJSONErrors(t *testing.T) {
	data := "{\"cpu\":0,\"found\":1}\n{\"cpu\":1,\"found\":-1}\n"
	_, _, err := readStats(t, []byte(data), snapshot.Text(format.Auto))
	var pe *format.ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || pe.File != "capture" || !errors.Is(err, format.ErrRange) {
		t.Errorf("%v", err)
	}
}

// TestStatsHeaderExpectations reads a snapshot of counters whose header
// also says expectations, which no writer writes: a corrupt file.
func TestStatsHeaderExpectations(t *testing.T) {
	data, _ := os.ReadFile("../testdata/stats/conntrack-S.txt")
	all, _, err := readStats(t, data, snapshot.Text(format.ConntrackStats))
	if err != nil {
		t.Fatal(err)
	}
	snap := writeStats(t, all, snapshot.File, snapshot.Header{Source: snapshot.Text(format.ConntrackStats)})
	key := []byte("\xacexpectations\xc2") // fixstr of 12, false
	i := bytes.Index(snap, key)
	if i < 0 {
		t.Fatal("no expectations key")
	}
	snap[i+len(key)-1] = 0xc3 // true
	l := int(binary.BigEndian.Uint32(snap[20:]))
	binary.BigEndian.PutUint32(snap[24+l:], crc32.Checksum(snap[8:24+l], crc32.MakeTable(crc32.Castagnoli)))
	if _, err := snapshot.NewReader(bytes.NewReader(snap)); !errors.Is(err, snapshot.ErrCorrupt) {
		t.Errorf("%v, want a corrupt file", err)
	}
}
