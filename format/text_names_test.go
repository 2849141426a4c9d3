package format_test

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// The model's types print themselves, and its enumerations read themselves
// back.
var (
	_ fmt.Stringer = format.Flow{}
	_ fmt.Stringer = format.Tuple{}
	_ fmt.Stringer = format.Status(0)

	_ encoding.TextMarshaler   = format.Family(0)
	_ encoding.TextAppender    = format.Proto(0)
	_ encoding.TextUnmarshaler = new(format.Status)
	_ encoding.TextUnmarshaler = new(format.Event)
	_ encoding.TextUnmarshaler = new(format.ExpectFlags)
	_ encoding.TextUnmarshaler = new(format.Quirks)
	_ encoding.TextUnmarshaler = new(format.Slot)
	_ encoding.TextUnmarshaler = new(format.Format)
	_ encoding.TextUnmarshaler = new(format.Options)
	_ encoding.TextUnmarshaler = new(format.Stat)
)

// textRoundTrip checks that every value of an enumeration prints as text
// that reads back as the value.
func textRoundTrip[T any, P interface {
	*T
	encoding.TextUnmarshaler
}](t *testing.T, values []T) {
	t.Helper()
	for _, v := range values {
		text, err := any(v).(encoding.TextMarshaler).MarshalText()
		if err != nil {
			t.Errorf("%T %v: %v", v, v, err)
			continue
		}
		var got T
		if err := P(&got).UnmarshalText(text); err != nil || fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("%T %v: printed %q, read back %v, %v", v, v, text, got, err)
		}
		if s := fmt.Sprint(v); s != string(text) {
			t.Errorf("%T: String %q, MarshalText %q", v, s, text)
		}
	}
}

func each[T ~uint8 | ~uint16 | ~uint32](n int, f func(i int) T) []T {
	var vs []T
	for i := range n {
		vs = append(vs, f(i))
	}
	return vs
}

func TestTextRoundTrip(t *testing.T) {
	textRoundTrip(t, each(256, func(i int) format.Family { return format.Family(i) }))
	textRoundTrip(t, each(256, func(i int) format.Proto { return format.Proto(i) }))
	textRoundTrip(t, each(256, func(i int) format.Event { return format.Event(i) }))
	textRoundTrip(t, each(24, func(i int) format.Slot { return format.Slot(i) }))
	textRoundTrip(t, each(len(format.Formats())+1, func(i int) format.Format { return format.Format(i) }))
	textRoundTrip(t, each(64, func(i int) format.Options { return format.Options(i) }))
	textRoundTrip(t, append(each(32, func(i int) format.Status { return 1 << i }), 0, 0xffffffff, format.StatusAssured|format.StatusSeenReply))
	textRoundTrip(t, append(each(16, func(i int) format.Quirks { return 1 << i }), 0, 0xffff))
	textRoundTrip(t, append(each(8, func(i int) format.ExpectFlags { return 1 << i }), 0, 7))
}

func TestNames(t *testing.T) {
	if got := format.Proto(253).String(); got != "253" {
		t.Errorf("Proto(253) = %q, want its number", got)
	}
	m, err := json.Marshal(map[format.Proto]int{format.TCP: 3, 253: 1})
	if err != nil || string(m) != `{"253":1,"tcp":3}` {
		t.Errorf("a map of protocols as JSON: %s, %v", m, err)
	}
	// Names read in any case, and with '_' for '-', as conntrack's options.
	for _, c := range []struct {
		text string
		v    encoding.TextUnmarshaler
		want string
	}{
		{"TCP", new(format.Proto), "tcp"},
		{"IPv6", new(format.Family), "ipv6"},
		{"ASSURED", new(format.Status), "assured"},
		{"ASSURED,SEEN_REPLY", new(format.Status), "seen-reply|assured"},
		{"seen-reply|assured|confirmed", new(format.Status), "seen-reply|assured|confirmed"},
		{"PERMANENT,INACTIVE", new(format.ExpectFlags), "PERMANENT|INACTIVE"},
		{"NEW", new(format.Event), "new"},
		{"Conntrack-Expect", new(format.Format), "conntrack-expect"},
		{"extended,ID,userspace", new(format.Options), "extended,id"},
		{"Conntrack_1.4.9,timestamp", new(format.Options), "timestamp,conntrack-1.4.9"},
		{"Reply-Counters", new(format.Slot), "reply-counters"},
	} {
		if err := c.v.UnmarshalText([]byte(c.text)); err != nil || fmt.Sprint(c.v) != "&"+c.want && fmt.Sprint(deref2(c.v)) != c.want {
			t.Errorf("%q: %v, %v; want %s", c.text, deref2(c.v), err, c.want)
		}
	}
	for _, c := range []struct {
		text string
		v    encoding.TextUnmarshaler
	}{
		{"tcpp", new(format.Proto)}, {"256", new(format.Proto)}, {"ipv5", new(format.Family)},
		{"assured,bogus", new(format.Status)}, {"bit32", new(format.Status)}, {"", new(format.Format)},
		{"xml", new(format.Options)}, {"renew", new(format.Event)},
	} {
		err := c.v.UnmarshalText([]byte(c.text))
		if !errors.Is(err, format.ErrUnknownName) || !strings.HasPrefix(err.Error(), "format: ") {
			t.Errorf("%T %q: %v, want an error of ErrUnknownName that names the package", c.v, c.text, err)
		}
	}
	if s, err := format.TCP.ParseState("time_wait"); err != nil || s != format.TCPTimeWait || format.TCP.StateName(s) != "TIME_WAIT" {
		t.Errorf("TCP state time_wait: %v, %v", s, err)
	}
	if s, err := format.TCP.ParseState("LISTEN"); err != nil || s != format.TCPSynSent2 {
		t.Errorf("TCP state LISTEN: %v, %v", s, err)
	}
	if _, err := format.UDP.ParseState("ESTABLISHED"); !errors.Is(err, format.ErrUnknownName) {
		t.Errorf("a UDP state: %v", err)
	}
}

func deref2(v any) any {
	switch p := v.(type) {
	case *format.Proto:
		return *p
	case *format.Family:
		return *p
	case *format.Status:
		return *p
	case *format.ExpectFlags:
		return *p
	case *format.Event:
		return *p
	case *format.Format:
		return *p
	case *format.Options:
		return *p
	case *format.Slot:
		return *p
	}
	return v
}

// TestFlowString checks that a Flow prints as conntrack -L prints it, with
// the options its fields need, and that a Tuple and the times print too.
func TestFlowString(t *testing.T) {
	const line = "[1764590000.123456]\t    [NEW] tcp      6 120 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=1 id=7"
	var f format.Flow
	if err := new(format.Dialect{Format: format.Conntrack}).Parse([]byte(line), &f); err != nil {
		t.Fatal(err)
	}
	if got := f.String(); got != line {
		t.Errorf("String:\n%s\nwant\n%s", got, line)
	}
	if got := fmt.Sprint(f.Orig); got != "src=10.0.0.1 dst=10.0.0.2 sport=1 dport=80" {
		t.Errorf("the original tuple: %s", got)
	}
	if got := f.Orig.DstAddrPort(); got != netip.MustParseAddrPort("10.0.0.2:80") {
		t.Errorf("DstAddrPort: %v", got)
	}
	if got, want := f.When(), time.UnixMicro(1764590000123456).UTC(); !got.Equal(want) || f.TimeLeft() != 120*time.Second {
		t.Errorf("When %v, want %v; TimeLeft %v", got, want, f.TimeLeft())
	}
	if !f.Started().IsZero() || f.Age() != 0 {
		t.Errorf("times the flow does not hold: %v, %v", f.Started(), f.Age())
	}
	icmp := format.ICMP.Flow(format.Tuple{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Type: 8, ID: 5})
	if got := fmt.Sprint(icmp.Reply); got != "src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=5" {
		t.Errorf("an ICMP reply tuple: %s", got)
	}
	f.Fields &^= format.FieldL4
	if got := f.String(); !strings.HasPrefix(got, "(cannot print as conntrack: ") {
		t.Errorf("a flow conntrack cannot print: %s", got)
	}
}

// TestDialectRoundTrip checks that Parse adds to the Dialect the options
// the line shows, and only when it reads the line, so that the same
// Dialect prints the record back as it was.
func TestDialectRoundTrip(t *testing.T) {
	const line = "ipv6     10 tcp      6 595 ESTABLISHED src=2001:db8:0:1:1:1:1:1 dst=2001:db8::1:0:0:1 sport=50003 dport=22 packets=0 bytes=0 src=2001:db8::1:0:0:1 dst=2001:db8:0:1:1:1:1:1 sport=22 dport=50003 packets=0 bytes=0 [ASSURED] mark=0 delta-time=5 use=1 id=4173404476"
	d := format.Dialect{Format: format.Conntrack}
	var f format.Flow
	if err := d.Parse([]byte(line[:len(line)-5]+"x"), &f); err == nil || d.Options != 0 {
		t.Errorf("a bad line: %v, options %v", err, d.Options)
	}
	if err := d.Parse([]byte(line), &f); err != nil || d.Options != format.OptExtended|format.OptID {
		t.Fatalf("%v, options %v", err, d.Options)
	}
	if out, err := d.Append(nil, &f); err != nil || string(out) != line+"\n" {
		t.Errorf("printed back:\n%s%v", out, err)
	}
}
