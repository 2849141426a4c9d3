package codec

import (
	"strconv"
	"time"
)

// KindGap is the kind of a record that marks where a capture of events
// has a gap: the kernel dropped events there, as the reader was behind.
const KindGap Kind = 5

// A Gap is where a capture of events lost some.
type Gap struct {
	// Events is how many events were lost, or -1 if the kernel did not
	// say.
	Events int64
	// Time is when the reader learnt of the loss.
	Time time.Time
}

// EncodeGap writes a gap record, [5, events, time], time in nanoseconds
// since the Unix epoch. Readers written before gap records skip it.
func (e *MsgpackEncoder) EncodeGap(g Gap) error {
	e.enc.EncodeArrayLen(3)
	e.enc.EncodeUint(uint64(KindGap))
	e.enc.EncodeInt(max(g.Events, -1))
	e.enc.EncodeInt(g.Time.UnixNano())
	return e.flush()
}

// Gap returns the gap record that DecodeRecord read last.
func (d *MsgpackDecoder) Gap() Gap { return d.lastGap }

// decodeGap reads the rest of a gap record.
func (d *MsgpackDecoder) decodeGap() error {
	events, err := d.int()
	if err != nil {
		return err
	}
	t, err := d.int()
	if err != nil {
		return err
	}
	if events < -1 {
		return corrupt("a gap of " + strconv.FormatInt(events, 10) + " events")
	}
	d.lastGap = Gap{Events: events, Time: time.Unix(0, t)}
	return d.skipRest()
}
