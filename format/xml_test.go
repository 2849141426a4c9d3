package format_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// TestXMLWild reads third-party XML captures, a listing and an event
// stream, and writes them back byte for byte.
func TestXMLWild(t *testing.T) {
	dir := wildDir(t)
	for _, c := range []struct {
		file    string
		records int
	}{
		{"004-tsuru-prometheus-conntrack-L-xml.txt", 18},
		{"005-travis-nat-conntracker-E-xml.txt", 1279},
	} {
		data := readFile(t, filepath.Join(dir, c.file))
		sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto})
		var out bytes.Buffer
		w := format.NewWriter(&out, format.Dialect{Format: format.XML})
		var err error
		for f, ferr := range sc.Flows() {
			if err = ferr; err != nil {
				break
			}
			w.Dialect = sc.Dialect()
			if err := w.Write(f); err != nil {
				t.Fatal(err)
			}
		}
		w.Dialect = sc.Dialect()
		w.Close()
		if err != nil || sc.Dialect().Format != format.XML || w.Records() != c.records {
			t.Errorf("%s: %v, %v, %d records", c.file, err, sc.Dialect().Format, w.Records())
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Errorf("%s: round trip differs", c.file)
		}
	}
}

// TestXMLState checks conntrack's quirk: XML names SCTP and DCCP states from
// the TCP table, so SCTP's ESTABLISHED reads FIN_WAIT.
func TestXMLState(t *testing.T) {
	line := `<flow><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.1</src><dst>10.0.0.2</dst></layer3><layer4 protonum="132" protoname="sctp"><sport>1</sport><dport>2</dport></layer4></meta><meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.2</src><dst>10.0.0.1</dst></layer3><layer4 protonum="132" protoname="sctp"><sport>2</sport><dport>1</dport></layer4></meta><meta direction="independent"><state>FIN_WAIT</state><timeout>29</timeout><mark>0</mark><use>1</use><id>1865928279</id><unreplied/></meta></flow>`
	var f format.Flow
	if err := new(format.Dialect{Format: format.XML}).Parse([]byte(line), &f); err != nil {
		t.Fatal(err)
	}
	if f.Proto != format.SCTP || f.State != format.SCTPEstablished {
		t.Errorf("state %d (%s), want SCTP ESTABLISHED", f.State, f.Proto.StateName(f.State))
	}
	text, _ := format.Dialect{Format: format.Conntrack}.Append(nil, &f)
	if !strings.Contains(string(text), " 29 ESTABLISHED src=") {
		t.Errorf("as conntrack text: %s", text)
	}
	back, _ := format.Dialect{Format: format.XML}.Append(nil, &f)
	if string(back) != line+"\n" {
		t.Errorf("back to XML:\n%s", back)
	}
}

func TestXMLErrors(t *testing.T) {
	good := `<flow type="new"><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.1</src><dst>10.0.0.2</dst></layer3><layer4 protonum="6" protoname="tcp"><sport>40000</sport><dport>80</dport></layer4></meta><meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.2</src><dst>10.0.0.1</dst></layer3><layer4 protonum="6" protoname="tcp"><sport>80</sport><dport>40000</dport></layer4></meta><meta direction="independent"><state>NONE</state><timeout>100</timeout><mark>0</mark><id>2563558459</id><unreplied/></meta><when><hour>22</hour><min>54</min><sec>28</sec><wday>4</wday><day>25</day><month>11</month><year>2026</year></when></flow> [USERSPACE] portid=30591`
	var f format.Flow
	if err := new(format.Dialect{Format: format.XML}).Parse([]byte(good), &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, line string
		err        error
		msg        string
	}{
		{"truncated", good[:500], format.ErrMissing, "conntrack cuts XML events at 1023 bytes"},
		{"unknown event", strings.Replace(good, `"new"`, `"old"`, 1), format.ErrSyntax, `or a type of`},
		{"protoname", strings.Replace(good, `protoname="tcp"`, `protoname="udp"`, 1), format.ErrMismatch, `conntrack names protocol 6 "tcp", not "udp"`},
		{"families differ", strings.Replace(good, `<layer3 protonum="2" protoname="ipv4"><src>10.0.0.2`, `<layer3 protonum="10" protoname="ipv6"><src>10.0.0.2`, 1), format.ErrMismatch, "family differs"},
		{"port", strings.Replace(good, "<sport>40000<", "<sport>70000<", 1), format.ErrRange, "70000 is out of range"},
		{"address", strings.Replace(good, "<src>10.0.0.1<", "<src>10.0.0.300<", 1), format.ErrAddress, "malformed ipv4 address"},
		{"state", strings.Replace(good, "<state>NONE<", "<state>OPEN<", 1), format.ErrUnknownName, "unknown state"},
		{"weekday", strings.Replace(good, "<wday>4<", "<wday>5<", 1), format.ErrMismatch, "weekday"},
		{"order", strings.Replace(good, "<timeout>100</timeout><mark>0</mark>", "<mark>0</mark><timeout>100</timeout>", 1), format.ErrSyntax, `expected "</meta>"`},
		{"header", `<?xml version="1.0" encoding="utf-8"?>`, format.ErrNoRecord, "header or footer"},
	} {
		err := new(format.Dialect{Format: format.XML}).Parse([]byte(c.line), &f)
		var pe *format.ParseError
		if !errors.As(err, &pe) || !errors.Is(err, c.err) || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestXMLUnknownState checks that a state the protocol does not have is a
// PrintError: conntrack's XML would print it as NONE, which reads back as
// another state. FuzzNetlink found it.
func TestXMLUnknownState(t *testing.T) {
	var f format.Flow
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte("ipv4     2 tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=51256 dport=8080 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=51256 [ASSURED] mark=0 zone=0 use=2"), &f); err != nil {
		t.Fatal(err)
	}
	f.State = 48
	_, err := (&format.Dialect{Format: format.XML}).Append(nil, &f)
	if !errors.Is(err, format.ErrUnprintable) || !strings.Contains(err.Error(), "state 48") {
		t.Errorf("%v, want a PrintError for state 48", err)
	}
}

// TestXMLTrailing checks that bytes after a record's end are an error, for
// flows and expectations alike: reading the record and dropping them would
// lose data silently. FuzzExpect found that expectations took them.
func TestXMLTrailing(t *testing.T) {
	for _, c := range []struct {
		file string
		fm   format.Format
	}{{"xml-L.txt", format.XML}, {"xml-expect-L.txt", format.XMLExpect}} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "corpus", c.file))
		if err != nil {
			t.Fatal(err)
		}
		var record []byte
		for _, l := range bytes.Split(data, []byte("\n")) {
			if bytes.HasPrefix(l, []byte("<flow")) {
				record = l
				break
			}
		}
		line := append(record[:len(record):len(record)], "garbage"...)
		p := format.Dialect{Format: c.fm}
		var f format.Flow
		var e format.Expect
		if c.fm.Expectations() {
			err = p.ParseExpect(line, &e)
		} else {
			err = p.Parse(line, &f)
		}
		var pe *format.ParseError
		if !errors.As(err, &pe) || pe.Col != len(record)+1 {
			t.Errorf("%s with trailing bytes: %v, want an error at column %d", c.file, err, len(record)+1)
		}
	}
}

// TestXMLConntrack149 checks that with OptConntrack149 an event of a
// process prints without [USERSPACE], as conntrack 1.4.9's -o xml has it,
// and that both conntrack's lines read, each printing back as it was.
func TestXMLConntrack149(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "corpus", "xml-E-timestamp.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var old []byte
	for l := range bytes.Lines(data) {
		if bytes.Contains(l, []byte("</flow> [USERSPACE] portid=")) {
			old = l
			break
		}
	}
	if old == nil {
		t.Fatal("no event of a process in xml-E-timestamp.txt")
	}
	new149 := append(bytes.Clone(old[:bytes.Index(old, []byte("</flow>"))+len("</flow>")]), '\n')
	for _, c := range []struct {
		line []byte
		opts format.Options
		want []byte
	}{
		{old, 0, old},
		{old, format.OptConntrack149, new149},
		{new149, 0, new149},
		{new149, format.OptConntrack149, new149},
	} {
		d := format.Dialect{Format: format.XML, Location: time.UTC}
		var f format.Flow
		if err := d.Parse(c.line, &f); err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		if d.Options&format.OptConntrack149 != 0 {
			t.Errorf("%s: reading showed %v, but conntrack 1.4.9's lines look like others", c.line, d.Options)
		}
		d.Options |= c.opts
		got, err := d.Append(nil, &f)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("with %v:\n%s\nprints\n%s(%v), want\n%s", d.Options, c.line, got, err, c.want)
		}
	}
}
