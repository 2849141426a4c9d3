package main

import (
	"time"

	"github.com/ctconv/ctconv/format"
)

// eventTime sets the time of f, an event read from the kernel now, as
// conntrack -E shows it with opts in XML or in another format. The
// decoder took the kernel's time of the event (Linux 6.14 and later, with
// nf_conntrack_timestamp on) where the kernel sent it: conntrack 1.4.9
// prints it for -o timestamp, and the time of reading only where the
// kernel sent none. conntrack 1.4.7 takes the time of reading, and so do
// both in XML, whose <when> libnetfilter_conntrack prints. Without -o
// timestamp, 1.4.7's events have no time, and 1.4.9's keep the kernel's
// for the formats that show every field (JSON, snapshots).
func eventTime(f *format.Flow, opts format.Options, xml bool, now func() time.Time) {
	if opts&format.OptConntrack149 == 0 || xml {
		f.Fields &^= format.FieldEventTime
	}
	if opts&format.OptTimestamp != 0 && !f.Has(format.FieldEventTime) {
		f.EventTime, f.Fields = now().UnixMicro(), f.Fields|format.FieldEventTime
	}
}
