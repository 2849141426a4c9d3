package format_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// xmlDoc reads a whole XML document of flows or expectations with a
// Scanner, and prints it back in conntrack's layout.
type xmlDoc struct {
	flows      []format.Flow
	expects    []format.Expect
	out        []byte
	normalized int
	skipped    int // bad lines skipped
	err        error
}

// readXMLDoc reads data to its end, or to its first error, and prints its
// records back.
func readXMLDoc(data []byte, dl format.Dialect) xmlDoc { return readXML(data, dl, false) }

// readXML reads data as readXMLDoc does, but going on after bad lines if
// skip.
func readXML(data []byte, dl format.Dialect, skip bool) xmlDoc {
	var d xmlDoc
	dl.Location = time.UTC
	sc, err := format.NewScanner(bytes.NewReader(data), dl)
	if err != nil {
		d.err = err
		return d
	}
	fm, err := sc.Detect()
	if err != nil {
		d.err = err
		return d
	}
	var out bytes.Buffer
	w := format.NewWriter(&out, format.Dialect{Format: fm, Location: time.UTC})
	// stop reports whether err, an error of the input, ends the reading.
	stop := func(err error) bool {
		var pe *format.ParseError
		if skip && errors.As(err, &pe) {
			d.skipped++
			return false
		}
		d.err = err
		return true
	}
	if fm.Expectations() {
		for e, err := range sc.Expects() {
			if err != nil {
				if stop(err) {
					break
				}
				continue
			}
			w.Dialect = sc.Dialect()
			d.expects = append(d.expects, *e)
			if err := w.WriteExpect(e); err != nil {
				d.err = err
				return d
			}
		}
	} else {
		for f, err := range sc.Flows() {
			if err != nil {
				if stop(err) {
					break
				}
				continue
			}
			w.Dialect = sc.Dialect()
			d.flows = append(d.flows, *f)
			if err := w.Write(f); err != nil {
				d.err = err
				return d
			}
		}
	}
	w.Dialect = sc.Dialect()
	w.Close()
	d.out, d.normalized = out.Bytes(), sc.Normalized()
	return d
}

// TestXMLReserialised reads documents of conntrack's XML as XML tools wrote
// them out again: Python's minidom (toprettyxml, two spaces, and tabs with
// encoding="UTF-8": a declaration of its own, <x/> for empty elements, text
// after an element on a line of its own), Go's encoding/xml (indented, the
// declaration and root on one line, <x></x> for every empty element), and
// by hand (quotes ', attributes in another order, character references,
// <x />, blanks in tags). Each reads as the same records as conntrack's own
// document, counted as normalised, and prints back as conntrack's bytes.
func TestXMLReserialised(t *testing.T) {
	dir := filepath.Join("testdata", "xml-reserialised")
	for _, c := range []struct {
		doc string
		fm  format.Format
	}{{"L", format.XML}, {"E", format.XML}, {"expect", format.XMLExpect}} {
		orig := readFile(t, filepath.Join(dir, c.doc+".xml"))
		want := readXMLDoc(orig, format.Dialect{Format: c.fm})
		if want.err != nil || want.normalized != 0 || !bytes.Equal(want.out, orig) {
			t.Fatalf("%s: conntrack's own document: %v, %d normalised, round trip equal %v", c.doc, want.err, want.normalized, bytes.Equal(want.out, orig))
		}
		for _, v := range []string{"minidom", "minidom-tab-UTF-8", "go-indent", "hand"} {
			name := c.doc + "." + v + ".xml"
			data := readFile(t, filepath.Join(dir, name))
			got := readXMLDoc(data, format.Dialect{Format: c.fm})
			if got.err != nil {
				t.Errorf("%s: %v", name, got.err)
				continue
			}
			if !reflect.DeepEqual(got.flows, want.flows) || !reflect.DeepEqual(got.expects, want.expects) {
				t.Errorf("%s: records differ from conntrack's document's", name)
			}
			if n := len(want.flows) + len(want.expects); got.normalized != n {
				t.Errorf("%s: %d records normalised, want %d", name, got.normalized, n)
			}
			if !bytes.Equal(got.out, orig) {
				t.Errorf("%s: prints\n%s\nwant conntrack's\n%s", name, got.out, orig)
			}
			if auto := readXMLDoc(data, format.Dialect{Format: format.Auto}); auto.err != nil || !bytes.Equal(auto.out, orig) {
				t.Errorf("%s: detected: %v", name, auto.err)
			}
			strict := readXMLDoc(data, format.Dialect{Format: c.fm, Strict: true})
			if strict.err == nil {
				t.Errorf("%s: read with WithStrict, which keeps conntrack's exact layout", name)
			}
		}
	}
}

// TestXMLPasted reads the re-serialised XML of the pasted captures, and
// the third-party captures in conntrack's own layout, which stay on the
// exact path: nothing of them counts as normalised.
func TestXMLPasted(t *testing.T) {
	for _, c := range []struct {
		file       string
		records    int
		normalized int
	}{
		{"../testdata/pasted/044-conntrack-play-md-E-xml-pretty-UTF-8.txt", 3, 3},
		{"../testdata/pasted/045-nethsec-test-L-xml-pretty-4space.txt", 7, 7},
		{"../testdata/pasted/older/xml-conntrack-0.9.7-E-no-root-element.txt", 2, 0},
		{filepath.Join(wildPath, "004-tsuru-prometheus-conntrack-L-xml.txt"), 18, 0},
		{filepath.Join(wildPath, "005-travis-nat-conntracker-E-xml.txt"), 1279, 0},
	} {
		data, err := os.ReadFile(c.file)
		if errors.Is(err, os.ErrNotExist) && strings.HasPrefix(c.file, wildPath) {
			t.Logf("%s: skipped, not on this machine", c.file)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		d := readXMLDoc(data, format.Dialect{Format: format.Auto})
		if d.err != nil || len(d.flows) != c.records || d.normalized != c.normalized {
			t.Errorf("%s: %v, %d records, %d normalised; want %d, %d", c.file, d.err, len(d.flows), d.normalized, c.records, c.normalized)
		}
		if c.normalized == 0 && !strings.Contains(c.file, "no-root") && !bytes.Equal(d.out, data) {
			t.Errorf("%s: round trip differs", c.file)
		}
		if c.normalized > 0 && (!bytes.HasPrefix(d.out, []byte("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n<flow")) || !bytes.HasSuffix(d.out, []byte("</flow>\n</conntrack>\n"))) {
			t.Errorf("%s: not printed in conntrack's layout:\n%s", c.file, d.out)
		}
	}
}

// wildPath holds third-party captures; tests that read them skip where it
// is absent.
const wildPath = "/work/shared/wild"

// prettyRecord is a record of 044 as minidom lays it out; the tests below
// damage it.
const prettyRecord = `   <flow type="new">
      <meta direction="original">
         <layer3 protonum="2" protoname="ipv4">
            <src>172.17.0.3</src>
            <dst>192.168.65.1</dst>
         </layer3>
         <layer4 protonum="17" protoname="udp">
            <sport>56070</sport>
            <dport>53</dport>
         </layer4>
      </meta>
      <meta direction="reply">
         <layer3 protonum="2" protoname="ipv4">
            <src>192.168.65.1</src>
            <dst>172.17.0.3</dst>
         </layer3>
         <layer4 protonum="17" protoname="udp">
            <sport>53</sport>
            <dport>56070</dport>
         </layer4>
      </meta>
      <meta direction="independent">
         <timeout>30</timeout>
         <id>2975767808</id>
         <unreplied />
      </meta>
   </flow>
`

// TestXMLTolerantErrors checks that the tolerant reader keeps the exact
// parser's content rules and says where, on the input's own lines, and that
// hostile XML is an error, soon, and not a hang or a heap.
func TestXMLTolerantErrors(t *testing.T) {
	head := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<conntrack>\n"
	big := strings.Repeat("x", format.DefaultMaxLine)
	for _, c := range []struct {
		name, doc string
		err       error
		line, col int
		msg       string
		records   int // read skipping bad lines
	}{
		{"address", head + strings.Replace(prettyRecord, "<dst>192.168.65.1<", "<dst>192.168.65.300<", 1), format.ErrAddress, 7, 18, "malformed ipv4 address", 0},
		{"attribute", head + strings.Replace(prettyRecord, `protoname="udp"`, `protoname="tcp"`, 1), format.ErrMismatch, 9, 43, `not "tcp"`, 0},
		{"order", head + strings.Replace(prettyRecord, "<timeout>30</timeout>\n         <id>2975767808</id>", "<id>2975767808</id>\n         <timeout>30</timeout>", 1), format.ErrSyntax, 26, 10, `expected "</meta>", found "<timeout>`, 0},
		{"cut, then a whole record", head + prettyRecord[:400] + "\n" + prettyRecord, format.ErrUnknownName, 15, 28, "want layer3", 1},
		{"unknown element", head + strings.Replace(prettyRecord, "<unreplied />", "<seen />", 1), format.ErrSyntax, 27, 10, `expected "</meta>", found "<seen>"`, 0},
		{"forged markup", head + strings.Replace(prettyRecord, "<dst>192.168.65.1<", "<dst>&lt;src>1.2.3.4<", 1), format.ErrSyntax, 7, 18, "cannot hold", 0},
		{"C1 as a reference", head + strings.Replace(prettyRecord, "      </meta>\n   </flow>", "      </meta>\n      <helper>ftp&#x9b;31m</helper>\n   </flow>", 1), format.ErrSyntax, 29, 18, "control character U+009B", 0},
		{"comment", head + strings.Replace(prettyRecord, "      <meta direction=\"reply\">", "      <!-- reply -->\n      <meta direction=\"reply\">", 1), format.ErrSyntax, 14, 7, `found "<!-- reply -->`, 0},
		{"junk between records", head + "Failed to parse:\n" + prettyRecord, format.ErrSyntax, 3, 1, `expected "<flow", found "Failed to parse:"`, 1},
		{"cut in a tag", head + "<flow type=\"new\"\n", format.ErrSyntax, 3, 1, `the input ends in the tag "<flow type=\"new\""`, 0},
		{"declaration", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<conntrack>\n" + prettyRecord, format.ErrSyntax, 1, 1, "version 1.0 in UTF-8", 1},
		{"entities", "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>\n<conntrack>\n" + prettyRecord, format.ErrSyntax, 2, 1, `expected "<flow"`, 1},
		{"deep", head + "<flow>\n" + strings.Repeat("<a>\n", 1<<15), format.ErrLineTooLong, 3, 1, "an XML record longer than", 0},
		{"attribute over many lines", head + `<flow type="` + strings.Repeat("x\n", 1<<15), format.ErrLineTooLong, 3, 1, "an XML record longer than", 0},
		{"text over many lines", head + "<flow>" + strings.Repeat("x\n", 1<<15), format.ErrLineTooLong, 3, 1, "an XML record longer than", 0},
		{"deep on a line", head + "<flow>" + strings.Repeat("<a>", 1<<20), format.ErrLineTooLong, 3, 65537, "line longer than", 0},
		{"huge attribute", head + `<flow type="` + big + `">` + "\n" + prettyRecord, format.ErrLineTooLong, 3, 65537, "longer than", 1},
	} {
		d := readXMLDoc([]byte(c.doc), format.Dialect{Format: format.XML})
		var pe *format.ParseError
		if !errors.As(d.err, &pe) || !errors.Is(d.err, c.err) || pe.Line != c.line || pe.Col != c.col || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%s: %v, want %v at %d:%d, %q", c.name, d.err, c.err, c.line, c.col, c.msg)
			continue
		}
		if pe.Line > 2 && c.err != format.ErrLineTooLong && pe.Text != strings.Split(c.doc, "\n")[pe.Line-1] {
			t.Errorf("%s: text %q is not line %d", c.name, pe.Text, pe.Line)
		}
		d = readXML([]byte(c.doc), format.Dialect{Format: format.XML}, true)
		if d.err != nil || len(d.flows) != c.records || d.skipped == 0 {
			t.Errorf("%s, skipping bad records: %v, %d records, %d skipped; want %d records", c.name, d.err, len(d.flows), d.skipped, c.records)
		}
	}
}

// TestXMLJunkToTheEnd reads lines that are not XML where no markup comes
// after them, as text read with --from xml is: each line is a bad line of
// its own, at its place, and the next is read; before, the reader took the
// rest of the input for one tag and said one error of it.
func TestXMLJunkToTheEnd(t *testing.T) {
	text, _ := os.ReadFile("../testdata/corpus/conntrack-L.txt")
	for name, doc := range map[string]string{
		"text":                    string(text),
		"after a document's head": "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n" + string(text),
	} {
		sc, _ := format.NewScanner(strings.NewReader(doc), format.Dialect{Format: format.XML})
		lines := strings.Split(doc, "\n")
		var errs []string
		for _, err := range sc.Flows() {
			var pe *format.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%s: %v", name, err)
			}
			if want := `expected "<flow", found ` + strconv.Quote(lines[pe.Line-1][:min(len(lines[pe.Line-1]), 40)]); pe.Msg != want || pe.Text != lines[pe.Line-1] || pe.Col != 1 {
				t.Errorf("%s: %d:%d: %s\n%q", name, pe.Line, pe.Col, pe.Msg, pe.Text)
			}
			errs = append(errs, strconv.Itoa(pe.Line))
		}
		if n := strings.Count(string(text), "\n"); len(errs) != n {
			t.Errorf("%s: errors on lines %v; want one on each of the %d lines", name, errs, n)
		}
	}
}

// TestXMLLayouts reads layouts that no tool in TestXMLReserialised makes:
// a whole document on one line, several records a line, and CR LF.
func TestXMLLayouts(t *testing.T) {
	orig := readFile(t, filepath.Join("testdata", "xml-reserialised", "L.xml"))
	want := readXMLDoc(orig, format.Dialect{Format: format.XML})
	oneLine := bytes.ReplaceAll(orig, []byte("\n"), nil)
	twoALine := bytes.Replace(orig, []byte("</flow>\n<flow"), []byte("</flow><flow"), -1)
	crlf := bytes.ReplaceAll(readFile(t, filepath.Join("testdata", "xml-reserialised", "L.minidom.xml")), []byte("\n"), []byte("\r\n"))
	for name, data := range map[string][]byte{"one line": oneLine, "records sharing lines": twoALine, "CR LF": crlf} {
		got := readXMLDoc(data, format.Dialect{Format: format.Auto})
		if got.err != nil || len(got.flows) != len(want.flows) {
			t.Errorf("%s: %v, %d records", name, got.err, len(got.flows))
			continue
		}
		for i := range got.flows {
			got.flows[i].Quirks &^= format.QuirkCRLF
		}
		if !reflect.DeepEqual(got.flows, want.flows) {
			t.Errorf("%s: records differ", name)
		}
	}
}

// TestXMLOlderIDOutsideMeta reads libnetfilter_conntrack ≤ 0.9.0's XML,
// which printed <secmark>, <zone> and <id> straight in <flow> when it had
// no independent meta to open (docs/OLDER-PRODUCERS.md, layout 11), and
// prints it as conntrack prints such a flow today.
func TestXMLOlderIDOutsideMeta(t *testing.T) {
	data := readFile(t, "../testdata/pasted/older/xml-libnfct-before-0.9.1-id-outside-meta.txt")
	for _, strict := range []bool{false, true} {
		d := readXMLDoc(data, format.Dialect{Format: format.Auto, Strict: strict}) // strict: an older producer's exact layout
		if d.err != nil || len(d.flows) != 1 {
			t.Fatalf("strict %v: %v, %d flows", strict, d.err, len(d.flows))
		}
		f := d.flows[0]
		if !f.Has(format.FieldID) || f.ID != 453281439 || f.Has(format.FieldStatus) || d.normalized != 0 {
			t.Errorf("strict %v: id %d (%v), status %v, %d normalised", strict, f.ID, f.Has(format.FieldID), f.Has(format.FieldStatus), d.normalized)
		}
		want := bytes.Replace(data, []byte("</meta><id>453281439</id></flow>"), []byte(`</meta><meta direction="independent"><id>453281439</id></meta></flow>`), 1)
		if !bytes.Equal(d.out, want) {
			t.Errorf("strict %v: prints\n%s", strict, d.out)
		}
	}
	// Each of the three in its place, and nothing else.
	rec := string(bytes.Split(data, []byte("\n"))[2])
	for _, c := range []struct {
		elems string
		ok    bool
	}{
		{"<secmark>7</secmark><zone>3</zone><id>1</id>", true},
		{"<zone>3</zone>", true},
		{"<id>1</id><zone>3</zone>", false},
		{"<timeout>3</timeout>", false},
	} {
		line := strings.Replace(rec, "<id>453281439</id>", c.elems, 1)
		var f format.Flow
		if err := (&format.Dialect{Format: format.XML, Strict: true}).Parse([]byte(line), &f); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.elems, err)
		}
	}
}

// TestXMLAfterPretty checks that what follows a re-serialised record on
// lines of its own is read as it would be after conntrack's: its message
// skipped, prose an error of its own line, not of the record.
func TestXMLAfterPretty(t *testing.T) {
	head := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<conntrack>\n"
	for _, c := range []struct {
		name, after string
		bad         int
	}{
		{"message", "conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n", 0},
		{"footer and message", "</conntrack>\nconntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n", 0},
		{"prose", "That was all.\n", 1},
	} {
		var bad []int
		var err error
		sc, _ := format.NewScanner(strings.NewReader(head+prettyRecord+c.after), format.Dialect{Format: format.XML})
		n := 0
		for _, ferr := range sc.Flows() {
			var pe *format.ParseError
			switch {
			case errors.As(ferr, &pe):
				bad = append(bad, pe.Line)
			case ferr != nil:
				err = ferr
			default:
				n++
			}
		}
		if n != 1 || len(bad) != c.bad || err != nil || c.bad > 0 && bad[0] != 30 {
			t.Errorf("%s: %d records, bad lines %v, %v", c.name, n, bad, err)
		}
	}
}

// TestXMLCutTags reads XML whose tags or records a paste cut: each is an
// error, and reading goes on without slicing past the lines it holds (a
// random-mutation run found these panicking).
func TestXMLCutTags(t *testing.T) {
	for _, in := range []string{"<flow>\n<flow<", "<flow>\n<flow<\n<flow>", "<flow><flow<\n<",
		// The second line, the rest of the first's window, reads exactly;
		// the third then started a window of its own at the old offset.
		"<flow>\n" + xmlRecord + "\nt"} {
		d := readXML([]byte(in), format.Dialect{Format: format.XML}, true)
		if len(d.flows) != strings.Count(in, "</flow>") || d.err != nil || d.skipped == 0 {
			t.Errorf("%q: %d records, %d bad, %v", in, len(d.flows), d.skipped, d.err)
		}
	}
}

// xmlRecord is a record of conntrack -L -o xml.
const xmlRecord = `<flow><meta direction="original"><layer3 protonum="10" protoname="ipv6"><src>::</src><dst>::</dst></layer3><layer4 protonum="6" protoname="tcp"><sport>5</sport><dport>2</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction="reply"><layer3 protonum="10" protoname="ipv6"><src>::</src><dst>::</dst></layer3><layer4 protonum="6" protoname="tcp"><sport>2</sport><dport>5</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta><meta direction="independent"><state>ESTABLISHED</state><timeout>7</timeout><mark>0</mark><use>1</use><id>3</id><assured/><deltatime>3</deltatime></meta></flow>`

// TestParseRewrittenXMLTime parses with Dialect.Parse a record of XML with
// its event time, laid out as XML tools write it out again: the time is
// read in the Dialect's zone, where a parser of its own once had none and
// panicked (random mutations of the captures found it).
func TestParseRewrittenXMLTime(t *testing.T) {
	data := readFile(t, "../testdata/corpus/xml-E-timestamp.txt")
	lines := bytes.Split(data, []byte("\n"))
	line := lines[2]
	if !bytes.Contains(line, []byte("<when>")) {
		t.Fatalf("no event time in %q", line)
	}
	want := format.Dialect{Format: format.XML, Location: time.UTC}
	var f format.Flow
	if err := want.Parse(line, &f); err != nil {
		t.Fatal(err)
	}
	for _, loc := range []*time.Location{nil, time.UTC} {
		d := format.Dialect{Format: format.XML, Location: loc}
		var g format.Flow
		if err := d.Parse(bytes.ReplaceAll(line, []byte("><"), []byte("> <")), &g); err != nil || !g.When().Equal(f.When()) && loc != nil {
			t.Errorf("zone %v: %v, event time %v, want %v", loc, err, g.When(), f.When())
		}
	}
}
