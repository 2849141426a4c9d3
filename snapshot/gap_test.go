package snapshot_test

import (
	"bytes"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// events reads the corpus's conntrack -E capture.
func events(t *testing.T) []format.Flow {
	t.Helper()
	b, err := os.ReadFile("../testdata/corpus/conntrack-E.txt")
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := format.NewScanner(bytes.NewReader(b), format.Dialect{Format: format.Conntrack})
	var flows []format.Flow
	for f, err := range sc.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		flows = append(flows, *f)
	}
	if len(flows) < 5 {
		t.Fatalf("only %d events", len(flows))
	}
	return flows
}

// TestGaps writes a capture of events with gaps where events were lost:
// before the first, between two, across batches, and after the last. A
// Reader tells each where it was, and so do an Input and its Prefetcher.
func TestGaps(t *testing.T) {
	flows := events(t)
	at := time.Date(2026, 12, 1, 18, 0, 0, 123456789, time.UTC)
	// Each gap's After is where it goes; 3000 records span batches.
	want := []snapshot.Gap{{After: 0, Events: 5, Time: at}, {After: 2, Events: -1, Time: at.Add(time.Second)},
		{After: 2, Events: 7, Time: at.Add(2 * time.Second)}, {After: 1500, Events: 1 << 40, Time: at}, {After: 3000, Events: 0, Time: at}}
	var buf bytes.Buffer
	w, err := snapshot.NewWriter(&buf, snapshot.Header{Source: snapshot.Text(format.Conntrack)})
	if err != nil {
		t.Fatal(err)
	}
	gaps := want
	for i := range 3001 {
		for ; len(gaps) > 0 && gaps[0].After == uint64(i); gaps = gaps[1:] {
			if err := w.WriteGap(snapshot.Gap{Events: gaps[0].Events, Time: gaps[0].Time}); err != nil {
				t.Fatal(err)
			}
		}
		if i < 3000 {
			w.WriteFlow(&flows[i%len(flows)])
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := snapshot.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for f, err := range r.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		if f.Event != flows[n%len(flows)].Event {
			t.Fatalf("record %d: %v", n, f)
		}
		n++
	}
	r.Close()
	got := r.Gaps()
	if n != 3000 || !slices.EqualFunc(got, want, func(a, b snapshot.Gap) bool {
		return a.After == b.After && a.Events == b.Events && a.Time.Equal(b.Time)
	}) {
		t.Errorf("read %d flows and gaps\n%v\nwant\n%v", n, got, want)
	}

	in, err := snapshot.Open(bytes.NewReader(buf.Bytes()), snapshot.File, format.Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	m := 0
	for rec, err := range in.Prefetch(nil, false).Flows() {
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range rec.Gaps {
			if g.After != uint64(m) {
				t.Errorf("the Prefetcher hands gap %v to record %d", g, m)
			}
		}
		m++
	}
	if len(in.Gaps()) != len(want) {
		t.Errorf("the Input has %d gaps, want %d", len(in.Gaps()), len(want))
	}
}

// TestGapRefused: a sorted snapshot has no order for a gap to stand in,
// and one of counters no events.
func TestGapRefused(t *testing.T) {
	for _, h := range []snapshot.Header{
		{Source: snapshot.Text(format.Conntrack), Sorted: true},
		{Source: snapshot.Text(format.ConntrackStats)},
	} {
		w, err := snapshot.NewWriter(new(bytes.Buffer), h)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteGap(snapshot.Gap{Events: 1, Time: time.Now()}); err == nil {
			t.Errorf("a gap in %+v", h)
		}
	}
}

// TestGapsAtTheEnd: gaps after the last full batch of records, or in a
// capture without records, are written too.
func TestGapsAtTheEnd(t *testing.T) {
	flows := events(t)
	at := time.Unix(1764612000, 0)
	for _, n := range []int{0, 1024, 2048} {
		var buf bytes.Buffer
		w, _ := snapshot.NewWriter(&buf, snapshot.Header{Source: snapshot.Text(format.Conntrack)})
		for i := range n {
			w.WriteFlow(&flows[i%len(flows)])
		}
		w.WriteGap(snapshot.Gap{Events: 7, Time: at})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := snapshot.NewReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range r.Flows() {
			if err != nil {
				t.Fatal(err)
			}
		}
		if g := r.Gaps(); len(g) != 1 || g[0].After != uint64(n) || g[0].Events != 7 {
			t.Errorf("%d records, then a gap: read %v", n, g)
		}
		r.Close()
	}
}

// TestGapsBounded: a Reader keeps MaxGaps gaps apart, and adds the events
// of those after into the last, as many as a file holds.
func TestGapsBounded(t *testing.T) {
	var buf bytes.Buffer
	w, _ := snapshot.NewWriter(&buf, snapshot.Header{Source: snapshot.Text(format.Conntrack)})
	for range snapshot.MaxGaps + 10 {
		w.WriteGap(snapshot.Gap{Events: 1 << 62, Time: time.Unix(1764612000, 0)})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := snapshot.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, err := range r.Flows() {
		if err != nil {
			t.Fatal(err)
		}
	}
	if g := r.Gaps(); len(g) != snapshot.MaxGaps || g[0].Events != 1<<62 || g[len(g)-1].Events != 1<<63-1 {
		t.Errorf("%d gaps kept, the first of %d events, the last of %d", len(g), g[0].Events, g[len(g)-1].Events)
	}
}

// TestGapSorted: a sorted snapshot has no order for a gap to stand in, so
// an Output of one does not keep them, and says so.
func TestGapSorted(t *testing.T) {
	o, err := snapshot.NewOutput(new(bytes.Buffer), snapshot.File, format.Dialect{}, snapshot.Header{Source: snapshot.Text(format.Conntrack), Sorted: true})
	if err != nil {
		t.Fatal(err)
	}
	if kept, err := o.WriteGap(snapshot.Gap{Events: 1, Time: time.Now()}); kept || err != nil {
		t.Errorf("WriteGap to a sorted snapshot: kept %v, %v", kept, err)
	}
	if err := o.Close(); err != nil {
		t.Error(err)
	}
}
