package format

import (
	"net/netip"
	"strconv"
	"time"
)

// String returns f as conntrack -L prints it, without the newline, with
// the -o options whose fields f holds (id=, labels=, the kernel's
// timestamps, the event time). A flow no producer could print shows why
// instead, in parentheses.
func (f Flow) String() string {
	var o Options
	for _, x := range [...]struct {
		has Fields
		opt Options
	}{{FieldID, OptID}, {FieldLabels, OptLabels}, {FieldStart | FieldStop, OptKTimestamp}, {FieldEventTime, OptTimestamp}} {
		if f.Fields&x.has != 0 {
			o |= x.opt
		}
	}
	b, err := Dialect{Format: Conntrack, Options: o}.Append(nil, &f)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return string(b[:len(b)-1])
}

// String returns t as conntrack prints a tuple: "src=A dst=B", then
// "sport=P dport=Q" when it has ports (or GRE keys), "type=T code=C id=I"
// when it has an ICMP type, code or id. A Tuple does not know its
// protocol; Flow.String prints its tuples as the protocol has them.
func (t Tuple) String() string {
	b := append([]byte("src="), t.Src.String()...)
	b = append(append(b, " dst="...), t.Dst.String()...)
	if t.SrcPort != 0 || t.DstPort != 0 {
		b = strconv.AppendUint(append(b, " sport="...), uint64(t.SrcPort), 10)
		b = strconv.AppendUint(append(b, " dport="...), uint64(t.DstPort), 10)
	}
	if t.Type != 0 || t.Code != 0 || t.ID != 0 {
		b = strconv.AppendUint(append(b, " type="...), uint64(t.Type), 10)
		b = strconv.AppendUint(append(b, " code="...), uint64(t.Code), 10)
		b = strconv.AppendUint(append(b, " id="...), uint64(t.ID), 10)
	}
	return string(b)
}

// SrcAddrPort returns the tuple's source address and port.
func (t Tuple) SrcAddrPort() netip.AddrPort { return netip.AddrPortFrom(t.Src, t.SrcPort) }

// DstAddrPort returns the tuple's destination address and port.
func (t Tuple) DstAddrPort() netip.AddrPort { return netip.AddrPortFrom(t.Dst, t.DstPort) }

// The times of a flow, as time.Time and time.Duration; each is zero where
// f does not hold its field.

// TimeLeft returns the flow's remaining lifetime (FieldTimeout).
func (f *Flow) TimeLeft() time.Duration {
	return seconds(f.Has(FieldTimeout), f.Timeout)
}

// Age returns the flow's age when it was read (FieldDeltaTime).
func (f *Flow) Age() time.Duration {
	return seconds(f.Has(FieldDeltaTime), int64(min(f.DeltaTime, 1<<62)))
}

// Started returns when the kernel created the flow (FieldStart).
func (f *Flow) Started() time.Time { return nanos(f.Has(FieldStart), f.Start) }

// Stopped returns when the flow ended (FieldStop).
func (f *Flow) Stopped() time.Time { return nanos(f.Has(FieldStop), f.Stop) }

// When returns the time of the event (FieldEventTime).
func (f *Flow) When() time.Time { return micros(f.Has(FieldEventTime), f.EventTime) }

// TimeLeft returns the expectation's remaining lifetime (ExpectTimeout).
func (e *Expect) TimeLeft() time.Duration { return seconds(e.Has(ExpectTimeout), e.Timeout) }

// When returns the time of the event (ExpectEventTime).
func (e *Expect) When() time.Time { return micros(e.Has(ExpectEventTime), e.EventTime) }

func seconds(has bool, s int64) time.Duration {
	if !has {
		return 0
	}
	return time.Duration(max(min(s, int64(time.Duration(1<<63-1)/time.Second)), -int64(time.Duration(1<<63-1)/time.Second))) * time.Second
}

func nanos(has bool, ns uint64) time.Time {
	if !has {
		return time.Time{}
	}
	return time.Unix(0, int64(min(ns, 1<<63-1))).UTC()
}

func micros(has bool, us int64) time.Time {
	if !has {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
