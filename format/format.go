package format

import (
	"errors"
	"strings"
)

// Format identifies a text format of flows.
type Format uint8

// The formats.
const (
	// Auto is not a format: a Scanner given Auto detects the format from the
	// start of its input.
	Auto Format = iota
	// Proc is /proc/net/nf_conntrack as kernels 2.6.15 to 6.18 print it.
	Proc
	// IPLegacy is /proc/net/ip_conntrack, which kernels before 4.10 printed
	// for IPv4 flows: the 2.4 layouts, the 2.6 ip_conntrack module and
	// nf_conntrack's compatibility file.
	IPLegacy
	numFormats
)

var formatNames = [numFormats]string{"auto", "proc", "iplegacy"}

// String returns the format's name as the command line spells it.
func (f Format) String() string {
	if f < numFormats {
		return formatNames[f]
	}
	return "format(" + itoa(uint64(f)) + ")"
}

// ParseFormat returns the format named name (see Format.String).
func ParseFormat(name string) (Format, error) {
	for i, n := range formatNames {
		if n == name {
			return Format(i), nil
		}
	}
	return 0, errors.New("unknown format " + `"` + name + `"` + " (want one of " + strings.Join(formatNames[:], ", ") + ")")
}

// Formats returns the formats that Parse and Append accept, without Auto.
func Formats() []Format {
	var fs []Format
	for f := Auto + 1; f < numFormats; f++ {
		fs = append(fs, f)
	}
	return fs
}

var (
	procDialect = (&dialect{
		format: Proc,
		l3:     true,
		v6:     true,
		gre:    true,
		flags:  2,
		slots: slotSet(SlotOrig, SlotOrigZone, SlotOrigCounters, SlotUnreplied, SlotReply,
			SlotReplyZone, SlotReplyCounters, SlotFlag, SlotMark, SlotSecmark, SlotSecctx,
			SlotZone, SlotDeltaTime, SlotUse),
	}).init()
	legacyDialect = (&dialect{
		format: IPLegacy,
		gre:    true,
		old:    true,
		flags:  1,
		slots: slotSet(SlotOrig, SlotOrigCounters, SlotUnreplied, SlotReply,
			SlotReplyCounters, SlotFlag, SlotUnconfirmed, SlotMark, SlotSecmark, SlotSecctx,
			SlotUse),
	}).init()
)

func (f Format) dialect() *dialect {
	switch f {
	case Proc:
		return procDialect
	case IPLegacy:
		return legacyDialect
	}
	return nil
}

// Parse parses one line of format f, without its newline, into fl. It
// reuses fl's strings where they are unchanged, so that parsing into the
// same Flow again and again does not allocate.
//
// Unknown well-formed tokens are kept in fl.Extras. Errors are *ParseError;
// their Line and File are left for the caller to fill.
func (f Format) Parse(line []byte, fl *Flow) error {
	return f.parse(line, fl, false, nil)
}

// ParseStrict is Parse that rejects unknown tokens with ErrUnknownKey.
func (f Format) ParseStrict(line []byte, fl *Flow) error {
	return f.parse(line, fl, true, nil)
}

func (f Format) parse(line []byte, fl *Flow, strict bool, in *interner) error {
	d := f.dialect()
	if d == nil {
		return &ParseError{Err: ErrSyntax, Msg: "cannot parse format " + f.String(), Text: string(line)}
	}
	p := parser{d: d, strict: strict, in: in}
	return p.parseLine(line, fl)
}

// Append appends fl as a line of format f, with its newline. It prints the
// fields of fl that the format has and that fl holds; a *PrintError says why
// a flow cannot be printed at all (an IPv6 flow in an IPv4-only format, say).
func (f Format) Append(dst []byte, fl *Flow) ([]byte, error) {
	d := f.dialect()
	if d == nil {
		return dst, &PrintError{Format: f, Msg: "not a format that can be printed"}
	}
	return appendKV(dst, fl, d)
}

// Shows reports whether the producer of format f lists fl at all:
// /proc/net/ip_conntrack shows IPv4 flows only. Converting a table to f
// leaves out the flows f does not show, as the producer would.
func (f Format) Shows(fl *Flow) bool {
	if d := f.dialect(); d != nil && !d.v6 {
		return fl.Family == IPv4
	}
	return true
}

// ParseProc parses a line of /proc/net/nf_conntrack; see Format.Parse.
func ParseProc(line []byte, f *Flow) error { return Proc.Parse(line, f) }

// AppendProc appends f as a line of /proc/net/nf_conntrack; see
// Format.Append.
func AppendProc(dst []byte, f *Flow) ([]byte, error) { return appendKV(dst, f, procDialect) }

// ParseIPLegacy parses a line of /proc/net/ip_conntrack; see Format.Parse.
func ParseIPLegacy(line []byte, f *Flow) error { return IPLegacy.Parse(line, f) }

// AppendIPLegacy appends f as a line of /proc/net/ip_conntrack; see
// Format.Append.
func AppendIPLegacy(dst []byte, f *Flow) ([]byte, error) { return appendKV(dst, f, legacyDialect) }
