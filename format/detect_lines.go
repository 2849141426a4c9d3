package format

import "bytes"

// Lines that are not records. Captures pasted into tickets, chats and
// documentation carry lines around their records: the shell prompt with
// the command typed, the ^C that ended conntrack -E, the fences of a
// markdown code block, the HTML that folds it, the head of watch's screen.
// Such a line is skipped, and counted, only where its shape is one of
// these and it holds no token of a record's tuple; any other line that is
// not a record (prose, log lines, a record with something glued before
// it) is an error, so that no line that holds data goes unreported.

// notRecord reports whether line, neither blank nor a message of
// conntrack's, is a prompt with or without the command typed, a command
// that prints a table typed without a prompt, ^C, a markdown fence, the
// HTML around one (markup), or the head of watch's screen.
func notRecord(line []byte) bool {
	// What starts records, first, at little cost: a number (expectations),
	// an option (-o save), XML, an event or its time in brackets, a family
	// or protocol name.
	start := skipBlanks(line)
	if len(start) > 0 {
		switch c := start[0]; {
		case c == '<':
			return markup(bytes.TrimRight(start, " \t"))
		case c >= '0' && c <= '9' || c == '-':
			return false
		case c == '[': // but "[root@host ~]# " is a prompt
			j := bytes.IndexByte(start, ']')
			if after := skipBlanks(start[j+1:]); j < 0 || len(after) == 0 || !promptChar(after[0]) {
				return false
			}
		default:
			if i := bytes.IndexByte(start, ' '); i > 0 && recordName(start[:i]) {
				return false
			}
		}
	}
	line = bytes.TrimRight(start, " \t")
	interrupted := false
	for bytes.HasPrefix(line, []byte("^C")) { // a terminal's echo of an interrupt
		line, interrupted = skipBlanks(line[2:]), true
	}
	if len(line) == 0 {
		return interrupted
	}
	return (fence(line) || prompt(line) || command(line) || watchHead(line)) && !tupleToken(line)
}

// watchHead reports whether line is the head of watch's screen, as a copy
// of watch conntrack -L starts: "Every 2.0s: COMMAND", then the host and
// the time.
func watchHead(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("Every "))
	n := 0
	for n < len(rest) && (rest[n] >= '0' && rest[n] <= '9' || n > 0 && rest[n] == '.') {
		n++
	}
	return ok && n > 0 && bytes.HasPrefix(rest[n:], []byte("s: "))
}

// quoted returns the length of the quote markers that line starts with, as
// a reply by mail quotes a capture, and a markdown block quote: ">", with
// a blank after it or none, as often as the quote is nested ("> > ",
// ">> "); 0 where it starts with none, as every line a producer prints
// does. The Scanner reads a quoted line without them, unless strict.
func quoted(line []byte) int {
	i := 0
	for i < len(line) && line[i] == '>' {
		if i++; i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
	}
	return i
}

// lead returns the length of what line, a line that continues a record
// wrapped over lines, has before its first token: quote markers and
// indentation.
func lead(line []byte) int {
	return len(line) - len(skipBlanks(line[quoted(line):]))
}

// skipBlanks returns b without its leading spaces and tabs.
func skipBlanks(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// promptChar reports whether c ends shell prompts: # $ % >.
func promptChar(c byte) bool { return c == '#' || c == '$' || c == '%' || c == '>' }

// tupleToken reports whether line holds what only a record holds: a key
// of a tuple (src=, dst=, sport=, dport=, proto=), an XML element, or the
// two addresses of an -o save tuple (-s ADDR -d ADDR). A prompt or command
// with one ("grep src=10.0.0.1", "conntrack -D -s 10.0.0.1 -d 10.0.0.2")
// is not skipped.
func tupleToken(line []byte) bool {
	if bytes.IndexByte(line, '<') >= 0 {
		return true
	}
	var prev []byte
	addrs := 0
	for tok := range bytes.FieldsSeq(line) {
		for _, k := range []string{"src=", "dst=", "sport=", "dport=", "proto="} {
			if bytes.HasPrefix(tok, []byte(k)) {
				return true
			}
		}
		if string(prev) == "-s" || string(prev) == "-d" {
			if _, ok := parseAddr(tok); ok {
				addrs++
			}
		}
		prev = tok
	}
	return addrs == 2
}

// fence reports whether line opens or closes a markdown code block: ```
// or ~~~, with or without the name of a language.
func fence(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("```")) && !bytes.HasPrefix(line, []byte("~~~")) {
		return false
	}
	info := bytes.TrimLeft(line, string(line[0]))
	return len(bytes.Fields(info)) <= 1
}

// markup reports whether line, which starts with <, is HTML that wraps a
// paste in a markdown document, as <details><summary>...</summary> folds
// a long output in a GitHub issue: tags of wrappers only (wrapperTags),
// and text that holds no token of a tuple.
func markup(line []byte) bool {
	for len(line) > 0 {
		i := bytes.IndexByte(line, '<')
		if i < 0 {
			i = len(line)
		}
		if tupleToken(line[:i]) {
			return false
		}
		if i == len(line) {
			break
		}
		j := bytes.IndexByte(line[i:], '>')
		if j < 0 {
			return false
		}
		name, _, _ := bytes.Cut(bytes.Trim(line[i+1:i+j], "/"), []byte(" "))
		if !wrapperTags[string(name)] {
			return false
		}
		line = line[i+j+1:]
	}
	return true
}

// wrapperTags are the HTML elements that wrap pastes in markdown: none of
// them is conntrack's.
var wrapperTags = map[string]bool{"details": true, "summary": true, "pre": true, "code": true, "b": true, "p": true, "br": true}

// prompt reports whether line is a shell prompt, with or without the
// command typed after it: an optional user, host and folder, one of # $ %
// >, then a blank or the end of the line, then nothing or a command.
// "root@gw:~# conntrack -L", "[root@host ~]# ", "router> ", "$ cat
// /proc/net/nf_conntrack". Its user part is empty, a word, a [bracketed]
// part, or a word with @ and a folder ("root@host ~ # "); its command
// starts with a name that no record starts with.
func prompt(line []byte) bool {
	fields := 0 // the user part has at most two, or is bracketed
	for i, c := range line {
		switch {
		case c == '[' && i == 0:
			j := bytes.IndexByte(line, ']')
			if j < 0 {
				return false
			}
			return prompt(line[j+1:]) && promptUser(line[:j+1])
		case (c == ' ' || c == '\t') && i > 0 && line[i-1] != ' ' && line[i-1] != '\t':
			if fields++; fields > 2 {
				return false
			}
		case !promptChar(c) || i+1 < len(line) && line[i+1] != ' ' && line[i+1] != '\t':
		default:
			rest := bytes.TrimLeft(line[i+1:], " \t")
			return promptUser(bytes.TrimRight(line[:i], " \t")) && (len(rest) == 0 || commandName(rest))
		}
	}
	return false
}

// promptUser reports whether p can be what a shell prompt shows before its
// # $ % or >.
func promptUser(p []byte) bool {
	if len(p) == 0 || p[0] == '[' && p[len(p)-1] == ']' {
		return true
	}
	f := bytes.Fields(p)
	switch {
	case len(f) == 2:
		return bytes.IndexByte(f[0], '@') > 0
	case len(f) != 1 || recordName(f[0]):
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return true
		}
	}
	return false // a number, as a record's fields are
}

// commandName reports whether s starts with a word that can name a
// command, "conntrack", "./list.py", "/usr/sbin/conntrack", and that no
// record starts with.
func commandName(s []byte) bool {
	name, _, _ := bytes.Cut(s, []byte(" "))
	c := name[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '/' || c == '~' || c == '_') || recordName(name) {
		return false
	}
	return bytes.IndexAny(name, "=[]<>") < 0
}

// recordName reports whether name starts records: a family or a protocol.
func recordName(name []byte) bool {
	if _, ok := protoByName(name); ok {
		return true
	}
	switch string(name) {
	case "ipv4", "ipv6", "unknown":
		return true
	}
	return false
}

// commands are the commands that print or filter a table, which people
// paste before its records without a prompt: "conntrack -L | grep 8125",
// "sudo conntrack -L -p udp".
var commands = []string{"conntrack", "sudo", "doas", "cat"}

// command reports whether line is one of commands, typed without a prompt.
func command(line []byte) bool {
	name, rest, _ := bytes.Cut(line, []byte(" "))
	for _, c := range commands {
		if string(name) == c {
			return len(bytes.TrimSpace(rest)) > 0
		}
	}
	return false
}

// mayBeMessage reports whether line can be a message of conntrack's on a
// line of its own, after blanks or ^C: a check cheaper than
// conntrackMessage, for formats that conntrack does not print.
func mayBeMessage(line []byte) bool {
	if len(line) == 0 || line[0] != 'c' && line[0] != ' ' && line[0] != '\t' && line[0] != '^' {
		return false // most lines, at once
	}
	return bytes.HasPrefix(bytes.TrimLeft(line, " \t^C"), []byte("conntrack v"))
}
