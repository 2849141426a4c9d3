package format_test

import (
	"bytes"
	"path/filepath"
	"reflect"
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
	err        error
}

func readXMLDoc(data []byte, fm format.Format, opts ...format.ScanOption) xmlDoc {
	var d xmlDoc
	sc, err := format.NewScanner(bytes.NewReader(data), fm, append(opts, format.WithLocation(time.UTC))...)
	if err != nil {
		d.err = err
		return d
	}
	if fm, err = sc.Detect(); err != nil {
		d.err = err
		return d
	}
	var out bytes.Buffer
	w := format.NewWriter(&out, format.Printer{Format: fm, Location: time.UTC})
	if fm.Expectations() {
		var e format.Expect
		for sc.ScanExpect(&e) {
			w.Options = sc.Options()
			d.expects = append(d.expects, e)
			if err := w.WriteExpect(&e); err != nil {
				d.err = err
				return d
			}
		}
	} else {
		var f format.Flow
		for sc.Scan(&f) {
			w.Options = sc.Options()
			d.flows = append(d.flows, f)
			if err := w.Write(&f); err != nil {
				d.err = err
				return d
			}
		}
	}
	w.Footer = sc.Footer()
	w.Close()
	d.out, d.normalized = out.Bytes(), sc.Normalized()
	if d.err == nil {
		d.err = sc.Err()
	}
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
		want := readXMLDoc(orig, c.fm)
		if want.err != nil || want.normalized != 0 || !bytes.Equal(want.out, orig) {
			t.Fatalf("%s: conntrack's own document: %v, %d normalised, round trip equal %v", c.doc, want.err, want.normalized, bytes.Equal(want.out, orig))
		}
		for _, v := range []string{"minidom", "minidom-tab-UTF-8", "go-indent", "hand"} {
			name := c.doc + "." + v + ".xml"
			data := readFile(t, filepath.Join(dir, name))
			got := readXMLDoc(data, c.fm)
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
			if auto := readXMLDoc(data, format.Auto); auto.err != nil || !bytes.Equal(auto.out, orig) {
				t.Errorf("%s: detected: %v", name, auto.err)
			}
			strict := readXMLDoc(data, c.fm, format.WithStrict())
			if strict.err == nil {
				t.Errorf("%s: read with WithStrict, which keeps conntrack's exact layout", name)
			}
		}
	}
}
