package main

import (
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// TestEventTime checks which time an event shows, by the options and the
// output, against what conntrack 1.4.7 and 1.4.9 print.
func TestEventTime(t *testing.T) {
	const kernel = 1_800_000_000_123_456 // µs: the time the kernel sent
	now := time.Unix(1_800_000_002, 0)
	const read = 1_800_000_002_000_000 // now, in µs
	ts, v149 := format.OptTimestamp, format.OptConntrack149
	for _, c := range []struct {
		name string
		opts format.Options
		xml  bool
		sent bool  // the kernel sent its time of the event
		want int64 // the event time; -1 for none
	}{
		{"1.4.7: the time of reading", ts, false, true, read},
		{"1.4.7: without -o timestamp, none", 0, false, true, -1},
		{"1.4.7 XML: the time of reading", ts, true, true, read},
		{"1.4.9: the kernel's", ts | v149, false, true, kernel},
		{"1.4.9: the time of reading where the kernel sent none", ts | v149, false, false, read},
		{"1.4.9 XML: the library's <when>, the time of reading", ts | v149, true, true, read},
		{"1.4.9 without -o timestamp: the kernel's, kept for JSON", v149, false, true, kernel},
		{"1.4.9 without -o timestamp, none sent: none", v149, false, false, -1},
		{"1.4.9 XML without -o timestamp: none", v149, true, true, -1},
	} {
		var f format.Flow
		f.Event = format.EventNew
		if c.sent {
			f.EventTime, f.Fields = kernel, format.FieldEventTime
		}
		eventTime(&f, c.opts, c.xml, func() time.Time { return now })
		got := int64(-1)
		if f.Has(format.FieldEventTime) {
			got = f.EventTime
		}
		if got != c.want {
			t.Errorf("%s: event time %d, want %d", c.name, got, c.want)
		}
	}
}
