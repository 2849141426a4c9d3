package format

import "bytes"

// conntrackd, the sync daemon of conntrack-tools, dumps its caches with
// libnetfilter_conntrack's printer, as conntrack does, from what the cache
// keeps of each entry, and adds its own times (see Conntrackd):
//
//	conntrackd -i, -e              conntrackd's text of flows
//	conntrackd -i expect, -e expect  conntrackd-expect
//	conntrackd -i -x, -e -x        conntrackd-xml: conntrack's <flow>, one a line, no document
//	conntrackd -i expect -x        conntrackd-xml-expect
//
// The external cache (-e) holds what the peer sent: the original tuple of
// a flow, not its reply. Its XML prints the reply as an empty shell.

// xmlNoReply is the reply of a flow of conntrackd -e -x, which has none.
const xmlNoReply = `<meta direction="reply"><layer3 protonum="0" protoname="unknown"><src></src><dst></dst></layer3><layer4 protonum="0" protoname="unknown"></layer4></meta>`

// cacheFlowFields are the fields a flow of conntrackd's XML may have: those
// of its text, and the id, which only its XML shows.
const cacheFlowFields = FieldState | FieldL4 | FieldOrigZone | FieldReplyZone | FieldZone | FieldStatus |
	FieldMark | FieldSecmark | FieldSecctx | FieldHelper | FieldID

// cacheFlow returns an error if f, read from conntrackd's XML, has what
// conntrackd never prints: an event type, a timeout, counters, the use
// count, time stamps, labels.
func (p *parser) cacheFlow(f *Flow) error {
	if f.Event != EventNone || f.Fields&^cacheFlowFields != 0 {
		return p.errAt(0, len(p.line), "", ErrSyntax, "an element conntrackd's XML does not have (it prints no event type, timeout, counters, use, time stamps, labels or [USERSPACE])")
	}
	return p.cacheComplete(f)
}

// cacheComplete returns an error if f, read from a dump of conntrackd's
// caches, lacks what conntrackd prints of every flow of its protocol: the
// ports of TCP and UDP, the state of TCP. Its caches hold flows whole, as
// the kernel listed or announced them, unlike conntrack -E's events.
func (p *parser) cacheComplete(f *Flow) error {
	switch {
	case portsAlways(f.Proto) && lacksL4(f):
		return p.errAt(0, len(p.line), "", ErrMissing, "no ports, which conntrackd prints for every "+f.Proto.name()+" flow")
	case lacksTCPState(f, false):
		return p.errAt(0, len(p.line), "state", ErrMissing, "no TCP state, which conntrackd prints for every tcp flow")
	}
	return nil
}

// appendConntrackdXML appends f as a line of conntrackd -x: conntrack's
// <flow> of what conntrackd's cache keeps, the reply an empty shell where f
// has none.
func appendConntrackdXML(dst []byte, f *Flow) ([]byte, error) {
	c := *f
	c.Fields &= cacheFlowFields
	c.Event = EventNone
	// XML shows no offload flag, which is what lets a TCP flow go without
	// its state: read back, such a flow lacks it.
	c.Status &^= StatusOffload | StatusHWOffload
	if lacksTCPState(&c, false) {
		msg := noTCPState(ConntrackdXML)
		if f.Status.offloaded() {
			msg = "an offloaded tcp flow without its state: conntrackd's XML shows no offload flag, and prints a state for every other tcp flow"
		}
		return dst, &printError{Format: ConntrackdXML, Msg: msg}
	}
	return appendXML(dst, &c, ConntrackdXML, 0, nil)
}

// cacheExpectFields are the fields of an expectation that conntrackd's
// dumps show, beside its times.
const cacheExpectFields = ExpectMask | ExpectMaster | ExpectZone | ExpectFlagsSet | ExpectClass | ExpectHelper | ExpectPolicy

// appendConntrackdExpect appends e as a line of conntrackd -i expect (fm
// ConntrackdExpect) or of -i expect -x (ConntrackdXMLExpect).
func appendConntrackdExpect(dst []byte, e *Expect, fm Format) ([]byte, error) {
	c := *e
	c.Fields &= cacheExpectFields
	c.Event = EventNone
	if fm == ConntrackdXMLExpect {
		return appendXMLExpect(dst, &c, fm, 0, nil)
	}
	start := len(dst)
	dst, err := appendConntrackExpect(dst, &c, fm, 0)
	if err != nil {
		return dst, err
	}
	dst = dst[:len(dst)-1]
	if e.Has(ExpectExpires) {
		dst = appendSecs(append(dst, ' '), kExpires.s, e.Expires)
	}
	active := int64(0) // an expectation whose source had none: it entered the cache now
	if e.Has(ExpectActiveSince) {
		active = e.ActiveSince
	}
	dst = append(appendSecs(append(dst, ' '), kActiveSince.s, active), '\n')
	if err := checkLine(fm, dst[start:]); err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// cacheExpect parses a line of conntrackd's dump of expectations: fm
// ConntrackdExpect, conntrack's text ended by conntrackd's times, or
// ConntrackdXMLExpect, conntrack's XML record.
func (p *parser) cacheExpect(fm Format, e *Expect) error {
	if fm == ConntrackdXMLExpect {
		if err := p.xmlExpect(e); err != nil {
			return err
		}
	} else {
		body, err := p.cacheTimes(e)
		if err != nil {
			return err
		}
		full := p.line
		p.line = body
		err = p.conntrackExpect(e)
		p.line = full
		if pe, ok := err.(*ParseError); ok && !p.relaid {
			pe.Text = string(full)
		}
		if err != nil {
			return err
		}
	}
	if e.Event != EventNone || e.Fields&(ExpectTimeout|ExpectEventTime|ExpectUserspace) != 0 {
		return p.errAt(0, len(p.line), "", ErrSyntax, "conntrackd prints no event type, timeout, event time or [USERSPACE] for an expectation")
	}
	return nil
}

// cacheTimes parses the times that end a line of conntrackd-expect, " [expires
// in Ns]" if there is a timer, and " [active since Ns]", into e, and
// returns the line before them.
func (p *parser) cacheTimes(e *Expect) ([]byte, error) {
	line := p.line
	i := bytes.LastIndex(line, []byte(" "+kActiveSince.s))
	if i < 0 {
		return nil, p.errAt(len(line), len(line), "active since", ErrMissing, "line ends where "+kActiveSince.s+"Ns] was expected (truncated line?)")
	}
	p.pos = i + 1
	n, err := p.secs(kActiveSince)
	if err != nil {
		return nil, err
	}
	if p.pos != len(line) {
		p.pos += len(line[p.pos:]) - len(bytes.TrimLeft(line[p.pos:], " "))
		return nil, p.errAt(p.pos, len(line), "", ErrSyntax, "unexpected "+quote(line[p.pos:])+" after [active since Ns]")
	}
	e.ActiveSince, e.Fields = n, e.Fields|ExpectActiveSince
	body := line[:i:i]
	if j := bytes.LastIndex(body, []byte(" "+kExpires.s)); j >= 0 && bytes.IndexByte(body[j+1+len(kExpires.s):], ' ') < 0 {
		p.pos = j + 1
		if e.Expires, err = p.secs(kExpires); err != nil {
			return nil, err
		}
		e.Fields |= ExpectExpires
		body = line[:j:j]
	}
	p.pos = 0
	return body, nil
}
