package format

import (
	"bytes"
	"strings"
)

// A detectError says that no format fits the start of a stream, and which
// formats were considered, or which output of conntrack's tools that
// ctconv does not read the stream is, or what stands before the record on
// its first line. It wraps ErrNoFormat.
type detectError struct {
	Considered []Format
	Unread     string
	Prefix     string
	first      []byte // the first line looked at, where Detect looks for a Prefix
}

func (e *detectError) Unwrap() error { return ErrNoFormat }

func (e *detectError) Error() string {
	switch {
	case e.Unread != "":
		return "the input is " + e.Unread
	case e.Prefix != "":
		return "a record starts after " + quote(e.Prefix) + ", as a log, grep -n or diff puts something before each line; " +
			"ctconv reads records from the start of their line: cut it off first (cut -c " + itoa(uint64(len(e.Prefix)+1)) + "- where it is as long on every line)"
	}
	names := make([]string, len(e.Considered))
	for i, f := range e.Considered {
		names[i] = f.String() + " (" + detectHints[f] + ")"
	}
	return "cannot detect the format; considered " + strings.Join(names, ", ")
}

var detectHints = [numFormats]string{
	Proc:            `lines start with the family, as in "ipv4     2 tcp      6 "`,
	IPLegacy:        `lines start with the protocol, as in "tcp      6 "`,
	Conntrack:       `conntrack -L or -E text, as in "tcp      6 " or "    [NEW] tcp      6 "`,
	XML:             `conntrack -o xml, whose lines start with "<"`,
	Save:            `conntrack -o save, whose lines start with "-A ", "-U " or "-D "`,
	Restore:         `conntrack -R input, whose lines start with "-I "`,
	ProcExpect:      `/proc/net/nf_conntrack_expect, as in "297 l3proto = 2 proto=6 "`,
	ConntrackExpect: `conntrack -L expect, as in "299 proto=6 src="`,
	XMLExpect:       `conntrack -L expect -o xml, whose root is <expect>`,
	ConntrackStats:  `conntrack -S, whose lines start with "cpu=", or conntrack -C's count`,
	ProcStats:       `/proc/net/stat/nf_conntrack, whose header starts with "entries "`,

	// conntrackd's caches.
	Conntrackd:          `conntrackd -i or -e, whose lines end with "[active since 3s]"`,
	ConntrackdExpect:    `conntrackd -i expect, as in "proto=6 src=... [active since 3s]"`,
	ConntrackdXML:       `conntrackd -x, whose lines are <flow> elements without <timeout> and without a document`,
	ConntrackdXMLExpect: `conntrackd -i expect -x, whose lines are <flow><layer3 ... without <timeout> and without a document`,
}

// unread names the output of conntrack's tools that ctconv does not read
// whose first line with text is line, and says what ctconv reads instead,
// or returns "". conntrackd -s prints the daemon's statistics: its
// caches' counters (as -s cache prints them too), its sync traffic (-s
// network, -s link), its queues and its runtime.
func unread(line []byte) string {
	for _, head := range []string{"cache internal:", "cache external:", "cache:internal\t", "cache:external\t",
		"traffic processed:", "network statistics:", "UDP traffic ", "TCP traffic ", "allocated queue nodes:",
		"resent queue (len=", "daemon uptime:"} {
		if bytes.HasPrefix(line, []byte(head)) {
			return "conntrackd -s's output, the daemon's statistics, which ctconv does not read; " +
				"it reads the daemon's caches, as conntrackd -i and -e print them"
		}
	}
	return ""
}

// Detect looks at the first detectLines lines of a stream that can hold a
// record, within its first detectBytes bytes.
const (
	detectLines = 16
	detectBytes = 64 << 10
)

// detectPrefix returns the end of the line of b, with its newline, that is
// the n-th that Detect looks at, or len(b) if b holds fewer (what Detect
// is given of a stream whatever its reads gave beyond), and the number of
// whole lines of b that Detect looks at, up to n.
func detectPrefix(b []byte, n int) (end, lines int) {
	for lines < n {
		i := bytes.IndexByte(b[end:], '\n')
		if i < 0 {
			return len(b), lines
		}
		if meaningful(bytes.TrimSuffix(b[end:end+i], []byte("\r"))) {
			lines++
		}
		end += i + 1
	}
	return end, lines
}

// meaningful reports whether Detect looks at line: not blank, not a message
// of conntrack's, not the XML declaration, not a line pasted around the
// records that holds no data (notRecord).
func meaningful(line []byte) bool {
	return !blank(line) && conntrackMessage(line) < 0 && string(line) != xmlHeader && !notRecord(line)
}

// saveLine reports whether line starts with one of the commands of
// conntrack's -o save and -R lines, and a blank.
func saveLine(line []byte, commands ...string) bool {
	for _, c := range commands {
		if rest, ok := bytes.CutPrefix(line, []byte(c)); ok && len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
			return true
		}
	}
	return false
}

// Detect returns the format of a stream that starts with prefix: one or
// more whole lines. Where several formats read the lines alike, the one
// whose producer printed them more likely wins: a line the kernel and
// conntrack print the same way is read as the kernel's when its use= count
// includes the reader's own reference (2 and up), as /proc's do. Lines of
// conntrack's messages alone, which conntrack 2>&1 of an empty table or
// of no events leaves, are conntrack's: its flows', or its expectations'
// where the message speaks of them.
func Detect(prefix []byte) (Format, error) {
	f, _, err := detect(prefix)
	if de, ok := err.(*detectError); ok && de.Unread == "" {
		de.Prefix = prefixed(de.first)
	}
	return f, err
}

// detect is Detect, and reports whether the lines say their format
// whatever lines come after them: they are conntrack's events, or their
// first line says it (XML of events, save, restore, the counters).
func detect(prefix []byte) (Format, bool, error) {
	candidates := []Format{Proc, Conntrack, IPLegacy, ProcExpect, ConntrackExpect, Conntrackd, ConntrackdExpect}
	var score [numFormats]int
	var f Flow
	var e Expect
	var p lineParser
	lines, kernelUse, libUse, expecting, events := 0, 0, 0, 0, 0
	var message []byte // conntrack's first
	v6 := false        // a line reads as an IPv6 flow
	guessed := Auto    // from the first line that looks like a record
	var first []byte   // the first line with text
	prefix = bytes.TrimPrefix(prefix, utf8BOM)
	for len(prefix) > 0 && lines < detectLines {
		from := prefix
		line, rest, _ := bytes.Cut(prefix, []byte("\n"))
		prefix = rest
		line = bytes.TrimSuffix(line, []byte("\r"))
		line = line[quoted(line):]
		if !meaningful(line) {
			if i := conntrackMessage(line); i >= 0 && message == nil {
				message = line[i:]
			}
			continue
		}
		// A record wrapped over lines is looked at whole, as the Scanner
		// reads it (Scanner.continued, Scanner.parseWrapped); a line of
		// the table's counters, which says its format whatever lines come
		// after it, as it is.
		own := bytes.TrimLeft(line, " \t")
		for len(prefix) > 0 {
			next, after, _ := bytes.Cut(prefix, []byte("\n"))
			next = bytes.TrimSuffix(next, []byte("\r"))
			if bs := continuation(line); bs >= 0 {
				line = line[:bs:bs]
			} else if continues(next) {
				line = append(line[:len(line):len(line)], ' ')
			} else {
				break
			}
			line = append(line, next[lead(next):]...)
			prefix = after
		}
		if blank(line) {
			continue // a blank line continued onto a blank one
		}
		if guessed == Auto {
			guessed = guess(line)
		}
		if lines == 0 {
			first = line
			switch t := bytes.TrimLeft(line, " \t"); {
			case t[0] == '<' && len(t) > 1 && (xmlNameByte(t[1]) || t[1] == '?' || t[1] == '/'): // not diff's "< "
				// conntrackd's records have no document around them, and
				// less in them than conntrack's (no <timeout>).
				k, found := xmlKind(from)
				if p.Format = k.conntrackd(); bytes.HasPrefix(t, []byte("<flow>")) &&
					(k == XML && p.Parse(t, &f) == nil || k == XMLExpect && p.ParseExpect(t, &e) == nil) {
					return p.Format, true, nil
				}
				return k, found && bytes.Contains(from, []byte(` type="`)), nil // of events: conntrack -E -o xml
			case saveLine(t, "-A", "-U", "-D"):
				return Save, true, nil
			case saveLine(t, "-I"):
				return Restore, true, nil
			case bytes.HasPrefix(own, []byte("cpu=")) || isDigits(own) || listLine(own) || len(bytes.Fields(own)) == 2 && statName(bytes.Fields(own)[0]):
				return ConntrackStats, true, nil // conntrack -S, -C, and older conntrack -S
			case bytes.HasPrefix(own, []byte("entries ")) && len(bytes.Fields(own)) > 2:
				return ProcStats, true, nil
			}
		}
		lines++
		for _, c := range candidates {
			p.Format = c
			if c.Expectations() {
				if p.ParseExpect(line, &e) == nil {
					// One read only laid out again counts half: ip_conntrack's
					// expectation line that lost its trailing blank is
					// libnetfilter_conntrack 0.9's, as conntrack printed it.
					score[c] += 2
					if p.p.relaid {
						score[c]--
					}
					if e.Quirks&QuirkExpecting != 0 {
						expecting++
					}
					if c == ConntrackExpect && e.Event != EventNone {
						events++
					}
				}
				continue
			}
			if p.Parse(line, &f) != nil {
				continue
			}
			v6 = v6 || f.Family == IPv6
			if c == Conntrack && f.Event != EventNone {
				events++
			}
			// A line with tokens the format lacks counts half, as does
			// conntrack's line of a protocol that an older library did not
			// name: the kernel prints it alike where it lacks the tracker.
			score[c]++
			if f.Extras.s == "" && f.Quirks&QuirkOldLibnfct == 0 {
				score[c]++
				if c == Conntrack && f.Has(FieldUse) {
					if f.Use >= 2 {
						kernelUse++
					} else {
						libUse++
					}
				}
			}
		}
	}
	if v6 {
		score[IPLegacy] = 0 // ip_conntrack lists IPv4 flows only
	}
	if score[IPLegacy] > 0 {
		// A 2.4 kernel's /proc/net/ip_conntrack lists its expectations
		// after its connections, as EXPECTING: lines: they are of the file.
		score[IPLegacy] += 2 * expecting
	}
	best := Auto
	for _, c := range candidates {
		if score[c] > 0 && (best == Auto || score[c] > score[best]) {
			best = c
		}
	}
	if best == Auto {
		// No line reads in any format: guess from the first that looks
		// like a record, so that parsing it says what is wrong.
		if guessed != Auto {
			return guessed, false, nil
		}
		// No line looks like one: conntrack's message, which 2>&1 of an
		// empty table or of no events leaves alone, says whose records
		// there are none of.
		if lines == 0 && message != nil {
			if bytes.Contains(message, []byte("expectation")) {
				return ConntrackExpect, false, nil
			}
			return Conntrack, false, nil
		}
		return Auto, false, &detectError{Considered: append(candidates, XML, Save, Restore, XMLExpect, ConntrackStats, ProcStats, ConntrackdXML, ConntrackdXMLExpect),
			Unread: unread(first), first: first}
	}
	// conntrack prints lines as ip_conntrack does, and with -o extended as
	// /proc does without zone=. Where they tie, conntrack's message says
	// conntrack's, and else the use= counts tell them apart.
	if (best == Conntrack || best == Proc || best == IPLegacy) && score[Conntrack] == score[best] {
		switch {
		case message != nil || libUse > kernelUse:
			return Conntrack, false, nil
		case kernelUse > libUse:
			for _, c := range []Format{Proc, IPLegacy} {
				if score[c] == score[best] {
					return c, false, nil
				}
			}
		}
	}
	return best, (best == Conntrack || best == ConntrackExpect) && events == lines, nil
}

// prefixed returns what line has before a flow or an expectation of any
// format that follows a blank or a colon, as a log (syslog's, the
// journal's, kubectl logs --timestamps), grep -n or diff puts something
// before each line; "" if none follows anything. (A number alone is a
// count of conntrack -C's, which ends many a line.) It looks at the first
// maxPrefix bytes only, which such prefixes are shorter than, so that a
// long line costs a bounded number of tries.
func prefixed(line []byte) string {
	var p lineParser
	var f Flow
	var e Expect
	for k := 1; k < min(len(line), maxPrefix); k++ {
		if c := line[k-1]; c != ' ' && c != '\t' && c != ':' || line[k] == ' ' || line[k] == '\t' {
			continue
		}
		rest := line[k:]
		fm, _, err := detect(append(rest[:len(rest):len(rest)], '\n'))
		if err != nil || fm.Statistics() {
			continue
		}
		p.Format = fm
		switch {
		case fm.Expectations():
			err = p.ParseExpect(rest, &e)
		default:
			err = p.Parse(rest, &f)
		}
		if err == nil {
			return string(line[:k])
		}
	}
	return ""
}

// maxPrefix bounds what prefixed looks for before a record.
const maxPrefix = 128

// guess returns the format a line looks like from its first bytes.
func guess(line []byte) Format {
	line = bytes.TrimLeft(line, " \t") // as pasted into an indented block
	name, rest, _ := bytes.Cut(line, []byte(" "))
	rest = bytes.TrimLeft(rest, " ")
	switch {
	case len(rest) == 0 || rest[0] < '0' || rest[0] > '9':
		if len(line) > 0 && line[0] == '[' {
			return Conntrack // an event
		}
		return Auto
	case string(name) == "ipv4" || string(name) == "ipv6":
		return Proc
	}
	for _, c := range name {
		if c < 'a' || c > 'z' {
			return Auto
		}
	}
	return Conntrack
}

// conntrackMessage returns where a message of conntrack on its standard
// error starts in line, which it ends, or -1. Captures made with 2>&1 have
// them, even in the middle of a record, as stdout is buffered and stderr
// is not: "conntrack v1.4.7 (conntrack-tools): 27 flow entries have been
// shown." Older versions left out "(conntrack-tools)".
func conntrackMessage(line []byte) int {
	if bytes.HasPrefix(line, []byte("nfct_labelmap_new: ")) {
		return 0
	}
	// It runs on every line of conntrack's formats, most of which have no
	// 'v' but the family's: a search for the 'v's, which is fast, finds
	// that most have none; LastIndex, which is not, finds the last.
	for at := 0; ; at++ {
		v := bytes.IndexByte(line[at:], 'v')
		if v < 0 {
			return -1
		}
		if at += v; at >= len("conntrack ") && string(line[at-len("conntrack "):at]) == "conntrack " {
			break
		}
	}
	i := bytes.LastIndex(line, []byte("conntrack v"))
	rest := line[i+len("conntrack v"):]
	j := 0
	for j < len(rest) && (rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.' || rest[j] >= 'a' && rest[j] <= 'z' || rest[j] == '-') {
		j++
	}
	if j == 0 || rest[0] < '0' || rest[0] > '9' {
		return -1
	}
	rest = bytes.TrimPrefix(rest[j:], []byte(" (conntrack-tools)"))
	if !bytes.HasPrefix(rest, []byte(": ")) || len(rest) == 2 {
		return -1
	}
	return i
}

// conntrackd returns conntrackd's XML format of the records of XML format f.
func (f Format) conntrackd() Format {
	if f == XMLExpect {
		return ConntrackdXMLExpect
	}
	return ConntrackdXML
}

// xmlKind tells XML of flows from XML of expectations by the first element
// that only one of them has: the root, or what a <flow> starts with. Tools
// that re-serialise the XML may put each on a line of its own. Where b
// holds none, it is XML of flows, and found is false.
func xmlKind(b []byte) (f Format, found bool) {
	for {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			return XML, false
		}
		b = b[i+1:]
		n := 0
		for n < len(b) && xmlNameByte(b[n]) {
			n++
		}
		switch string(b[:n]) {
		case "expect", "layer3":
			return XMLExpect, true
		case "conntrack", "meta":
			return XML, true
		}
	}
}
