package codec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

var addrEqual = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

// corpus returns the records of every corpus file: flows, or expectations.
func corpus(t testing.TB) map[string][]format.Flow {
	files := append(corpustest.Paths(t, "*"), conntrackdFiles(t)...)
	out := map[string][]format.Flow{}
	for _, file := range files {
		data, _ := os.ReadFile(file)
		sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto, Location: time.UTC})
		if fm, _ := sc.Detect(); fm.Expectations() {
			continue
		}
		for f, err := range sc.Flows() {
			if err != nil {
				t.Fatal(err)
			}
			out[file] = append(out[file], *f)
		}
	}
	return out
}

func TestJSONRoundTrip(t *testing.T) {
	var d codec.JSONDecoder
	for file, flows := range corpus(t) {
		for i, f := range flows {
			line, err := codec.AppendJSON(nil, &f)
			if err != nil {
				t.Fatalf("%s:%d: %v", file, i, err)
			}
			var g format.Flow
			if err := d.DecodeFlow(line, &g); err != nil {
				t.Fatalf("%s:%d: %v\n%s", file, i, err, line)
			}
			if diff := cmp.Diff(f, g, addrEqual); diff != "" {
				t.Fatalf("%s:%d: JSON round trip differs:\n%s\n%s", file, i, diff, line)
			}
		}
	}
}

func TestJSONShape(t *testing.T) {
	var f format.Flow
	line := "ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 packets=5 bytes=420 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=61000 packets=4 bytes=3001 [ASSURED] mark=0 zone=0 delta-time=12 use=2"
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(line), &f); err != nil {
		t.Fatal(err)
	}
	got, _ := codec.AppendJSON(nil, &f)
	want := `{"family":"ipv4","proto":"tcp","proto-num":6,"timeout":431999,"state":"ESTABLISHED",` +
		`"tuple-orig":{"src":"192.168.1.10","dst":"203.0.113.5","proto-src-port":51000,"proto-dst-port":443},` +
		`"tuple-reply":{"src":"203.0.113.5","dst":"198.51.100.1","proto-src-port":443,"proto-dst-port":61000},` +
		`"counters-orig":{"packets":5,"bytes":420},"counters-reply":{"packets":4,"bytes":3001},` +
		`"status":["seen-reply","assured","confirmed"],"mark":0,"zone":0,"delta-time":12,"use":2}` + "\n"
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !strings.HasSuffix(string(got), "}\n") {
		t.Error("no newline")
	}
}

func TestJSONExpectRoundTrip(t *testing.T) {
	files := expectFiles(t)
	var d codec.JSONDecoder
	n := 0
	for file, fm := range files {
		data, _ := os.ReadFile(file)
		sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: fm, Location: time.UTC})
		for e, err := range sc.Expects() {
			if err != nil {
				t.Fatal(err)
			}
			n++
			line, err := codec.AppendJSONExpect(nil, e)
			if err != nil {
				t.Fatal(err)
			}
			var g format.Expect
			if err := d.DecodeExpect(line, &g); err != nil {
				t.Fatalf("%s: %v\n%s", file, err, line)
			}
			if diff := cmp.Diff(*e, g, addrEqual); diff != "" {
				t.Fatalf("%s: JSON round trip differs:\n%s\n%s", file, diff, line)
			}
		}
	}
	if n == 0 {
		t.Fatal("no expectations in the corpus")
	}
}

// conntrackdFiles returns the captures of conntrackd's cache dumps, whose
// flows of -e have no reply tuple.
func conntrackdFiles(t testing.TB) []string {
	files, _ := filepath.Glob("../testdata/conntrackd/*conntrackd-[ie]*.txt")
	if len(files) == 0 {
		t.Fatal("no captures of conntrackd")
	}
	return files
}

// expectFiles returns the files of expectations, with the format to read
// each in: the corpus's, and the older producers' layouts of
// testdata/pasted/older, which have a use= count and quirks of their own.
func expectFiles(t testing.TB) map[string]format.Format {
	var files []string
	for _, c := range corpustest.Captures(t) {
		if c.Format.Expectations() {
			files = append(files, c.Path)
		}
	}
	m := map[string]format.Format{}
	conntrackd, _ := filepath.Glob("../testdata/conntrackd/conntrackd-[ie]-expect*.txt")
	for _, f := range append(files, conntrackd...) {
		m[f] = format.Auto
	}
	for _, f := range []string{"conntrack-L-expect-libnfct-0.9.txt", "conntrack-L-expect-libnfct-1.0.0.txt"} {
		m["../testdata/pasted/older/"+f] = format.ConntrackExpect
	}
	for _, f := range []string{"proc-ip_conntrack_expect-2.6.18.txt", "proc-ip_conntrack-2.4.0.txt", "proc-ip_conntrack-2.4.32.txt"} {
		m["../testdata/pasted/older/"+f] = format.ProcExpect
	}
	return m
}

// TestDecodeText: the decoders refuse the text that no producer prints
// (control bytes that forge lines or reach a terminal, empty names, more
// labels than the kernel has), which the JSON decoder read and check then
// called clean.
func TestDecodeText(t *testing.T) {
	const line = `{"family":"ipv4","proto":"udp","proto-num":17,"timeout":29,"tuple-orig":{"src":"10.0.0.1","dst":"10.0.0.2","proto-src-port":1,"proto-dst-port":2},"tuple-reply":{"src":"10.0.0.2","dst":"10.0.0.1","proto-src-port":2,"proto-dst-port":1},"status":["confirmed"],"mark":0,"use":1`
	labels := make([]string, 129)
	for i := range labels {
		labels[i] = `"l"`
	}
	for _, c := range []struct{ name, add string }{
		{"ESC in help-name", `,"help-name":"ftp\u001b[31m"`},
		{"BEL in secctx", `,"secctx":"a\u0007"`},
		{"LF in a label", `,"labels":["a\nudp 17 FAKE"]`},
		{"NUL in progname", `,"progname":"x\u0000"`},
		{"an empty helper", `,"help-name":""`},
		{"129 labels", `,"labels":[` + strings.Join(labels, ",") + `]`},
		{"CSI (U+009B) in help-name", `,"help-name":"ftp\u009b31m"`},
		{"NEL (U+0085) in secctx, raw", `,"secctx":"a` + "\u0085" + `"`},
		{"U+0080 in a label", `,"labels":["a","b\u0080"]`},
		{"U+009F in progname", `,"progname":"x\u009f"`},
	} {
		var d codec.JSONDecoder
		var f format.Flow
		if err := d.DecodeFlow([]byte(line+c.add+"}"), &f); err == nil {
			t.Errorf("%s: decoded", c.name)
		}
	}
	// The same in msgpack.
	for _, helper := range []string{"ftp\x1b[31m", "ftp\u009b31m"} {
		var d codec.JSONDecoder
		var f format.Flow
		if err := d.DecodeFlow([]byte(line+"}"), &f); err != nil {
			t.Fatal(err)
		}
		f.Fields |= format.FieldHelper
		f.Helper = helper
		var b bytes.Buffer
		enc := codec.NewMsgpackEncoder(&b)
		if err := enc.EncodeFlow(&f); err != nil {
			continue // the encoder refuses it: fine too
		}
		md := codec.NewMsgpackDecoder(&b)
		if _, err := md.Decode(&f, nil); err == nil {
			t.Errorf("msgpack decoded the helper %q", helper)
		}
	}
	var d codec.JSONDecoder
	var f format.Flow
	if err := d.DecodeFlow([]byte(line+`,"help-name":"ftp","labels":["a","b c","\u00a0été"]}`), &f); err != nil {
		t.Errorf("a sound flow: %v", err)
	}
}

// TestDecodeExpectText: the decoders refuse, in an expectation's names,
// the control characters they refuse in a flow's (TestDecodeText): an
// expectation's help-name with ESC was read, and printed raw as conntrack's
// text.
func TestDecodeExpectText(t *testing.T) {
	const line = `{"family":"ipv4","proto":"tcp","proto-num":6,"timeout":296,"tuple":{"src":"127.0.0.1","dst":"127.0.0.1","proto-src-port":0,"proto-dst-port":10000},"mask":{"src":"255.255.255.255","dst":"255.255.255.255","proto-src-port":0,"proto-dst-port":65535},"master":{"src":"127.0.0.1","dst":"127.0.0.1","proto-src-port":40704,"proto-dst-port":2121},"master-l4":"ports","class":0`
	for _, c := range []struct {
		name, helper, policy, progname string
		ok                             bool
	}{
		{"plain", "sip", "signalling", "conntrack", true},
		{"past C1", "sip\u00a0é", "", "", true},
		{"ESC in help-name", "ftp\x1b[31m", "", "", false},
		{"DEL in help-name", "ftp\x7f", "", "", false},
		{"CSI (U+009B) in help-name", "ftp\u009b31m", "", "", false},
		{"NEL (U+0085) in policy", "sip", "a\u0085", "", false},
		{"LF in progname", "ftp", "", "x\nudp 17 FAKE", false},
	} {
		var x format.Expect
		js := line
		for _, m := range []struct{ key, v string }{{"help-name", c.helper}, {"policy", c.policy}, {"progname", c.progname}} {
			if m.v != "" {
				v, _ := json.Marshal(m.v)
				js += `,"` + m.key + `":` + string(v)
			}
		}
		var d codec.JSONDecoder
		if err := d.DecodeExpect([]byte(js+"}"), &x); (err == nil) != c.ok {
			t.Errorf("%s: JSON: %v", c.name, err)
		}
		// The same in msgpack.
		if err := d.DecodeExpect([]byte(line+"}"), &x); err != nil {
			t.Fatal(err)
		}
		x.Helper, x.Policy, x.Progname = c.helper, c.policy, c.progname
		x.Fields |= format.ExpectHelper | format.ExpectPolicy | format.ExpectProgname
		if c.policy == "" {
			x.Fields &^= format.ExpectPolicy
		}
		if c.progname == "" {
			x.Fields &^= format.ExpectProgname
		}
		var b bytes.Buffer
		if err := codec.NewMsgpackEncoder(&b).EncodeExpect(&x); err != nil {
			t.Fatal(err)
		}
		if _, err := codec.NewMsgpackDecoder(&b).Decode(nil, &x); (err == nil) != c.ok {
			t.Errorf("%s: msgpack: %v", c.name, err)
		}
	}
}

// TestJSONHints: a flow and an expectation, which share the members that
// say their family and event, get the same error for a bad one, naming
// what it wants (expectations got none).
func TestJSONHints(t *testing.T) {
	const tuple = `"src":"10.0.0.1","dst":"10.0.0.2","proto-src-port":1,"proto-dst-port":2}`
	lines := map[string]string{
		"flow":   `{"family":%s,"proto":"udp","proto-num":17,"event":%s,"tuple-orig":{` + tuple + `}`,
		"expect": `{"family":%s,"proto":"udp","proto-num":17,"event":%s,"tuple":{` + tuple + `}`,
	}
	var d codec.JSONDecoder
	for kind, line := range lines {
		for _, c := range []struct{ family, event, want string }{
			{`"ipv5"`, `"new"`, "(want ipv4 or ipv6)"},
			{`"ipv4"`, `"old"`, "(want new, update or destroy)"},
		} {
			in := []byte(fmt.Sprintf(line, c.family, c.event))
			var err error
			if kind == "flow" {
				err = d.DecodeFlow(in, new(format.Flow))
			} else {
				err = d.DecodeExpect(in, new(format.Expect))
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %s: %v, want an error saying %s", kind, in, err, c.want)
			}
		}
	}
}

// TestJSONEmptyTuple: a tuple without members, as a Flow made in a
// program may have, is an empty object followed by a comma, as any other
// (the writer left the comma out, which made the line invalid JSON).
func TestJSONEmptyTuple(t *testing.T) {
	b, err := codec.AppendJSON(nil, &format.Flow{Fields: format.FieldMark, Mark: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Errorf("invalid JSON: %s", b)
	}
}

// TestJSONEmptyState reads a flow whose state is "": no state has that
// name, so it is an error, where a decoder's first record took it as no
// state and then could not write the flow back (FuzzJSON).
func TestJSONEmptyState(t *testing.T) {
	for _, line := range []string{
		`{"family":"ipv4","proto-num":0,"state":"","tuple-orig":{"src":"0.0.0.0","dst":"0.0.0.0"}}`,
		`{"family":"ipv4","proto":"tcp","proto-num":6,"state":"","tuple-orig":{"src":"10.0.0.1","dst":"10.0.0.2","proto-src-port":1,"proto-dst-port":2}}`,
	} {
		var d codec.JSONDecoder
		var f format.Flow
		if err := d.DecodeFlow([]byte(line), &f); !errors.Is(err, format.ErrUnknownName) {
			t.Errorf("%s: %v, want an error of ErrUnknownName", line, err)
		}
	}
}
