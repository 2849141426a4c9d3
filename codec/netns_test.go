package codec_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// TestNetns: a flow's namespace, which a capture of several namespaces
// gives each flow, is the last member of its JSON object and the value of
// mask bit 32 of its msgpack record, read back as written; a record
// without one is as before, byte for byte.
func TestNetns(t *testing.T) {
	var f format.Flow
	line := "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=5 zone=0 use=2"
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(line), &f); err != nil {
		t.Fatal(err)
	}
	plain, _ := codec.AppendJSON(nil, &f)
	var plainRec bytes.Buffer
	codec.NewMsgpackEncoder(&plainRec).EncodeFlow(&f)

	f.Netns = "pid 4242"
	j, err := codec.AppendJSON(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	if want := string(plain[:len(plain)-2]) + `,"netns":"pid 4242"}` + "\n"; string(j) != want {
		t.Errorf("JSON:\n got %s\nwant %s", j, want)
	}
	var d codec.JSONDecoder
	var g format.Flow
	if err := d.DecodeFlow(j, &g); err != nil || g.Netns != f.Netns {
		t.Errorf("JSON decodes the namespace as %q, %v", g.Netns, err)
	}
	// Decoding flows of the same namespace one after the other reuses the
	// name, as it does the other strings.
	if n := testing.AllocsPerRun(100, func() { d.DecodeFlow(j, &g) }); n != 0 {
		t.Errorf("DecodeFlow allocates %v times a flow of a namespace", n)
	}
	if err := d.DecodeFlow(bytes.Replace(j, []byte(`"pid 4242"`), []byte(`""`), 1), &g); !errors.Is(err, format.ErrSyntax) {
		t.Errorf(`"netns":"": %v, want an error of ErrSyntax`, err)
	}

	var rec bytes.Buffer
	if err := codec.NewMsgpackEncoder(&rec).EncodeFlow(&f); err != nil {
		t.Fatal(err)
	}
	g = format.Flow{}
	if _, err := codec.NewMsgpackDecoder(bytes.NewReader(rec.Bytes())).Decode(&g, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f, g, addrEqual); diff != "" {
		t.Errorf("msgpack round trip differs:\n%s", diff)
	}
	// The record is the one without the namespace, with bit 32 set and
	// the name after all other values: what a reader of before skips.
	dec := msgpack.NewDecoder(bytes.NewReader(rec.Bytes()))
	n, _ := dec.DecodeArrayLen()
	dec.DecodeUint64()
	mask, _ := dec.DecodeUint64()
	pd := msgpack.NewDecoder(bytes.NewReader(plainRec.Bytes()))
	pn, _ := pd.DecodeArrayLen()
	pd.DecodeUint64()
	pmask, _ := pd.DecodeUint64()
	if n != pn+1 || mask != pmask|1<<32 {
		t.Errorf("record of %d elements, mask %#x; without the namespace %d, %#x", n, mask, pn, pmask)
	}
	if !bytes.HasSuffix(rec.Bytes(), []byte("\xa8pid 4242")) {
		t.Errorf("the namespace is not the record's last value: % x", rec.Bytes())
	}
	// An empty name is a corrupt record: a writer leaves the bit out.
	bad := bytes.Replace(rec.Bytes(), []byte("\xa8pid 4242"), []byte("\xa0"), 1)
	if _, err := codec.NewMsgpackDecoder(bytes.NewReader(bad)).Decode(&g, nil); !errors.Is(err, codec.ErrCorrupt) {
		t.Errorf("an empty namespace: %v, want ErrCorrupt", err)
	}
}

// TestStatsNetns: the counters of a namespace of a capture of several
// carry its name, in JSON after the counters and in msgpack as the value
// of mask bit 32, after theirs; records without one are as before.
func TestStatsNetns(t *testing.T) {
	s := format.Stats{CPU: 1}
	s.Set(format.StatFound, 7)
	s.Set(format.StatInvalid, 400)
	plain, _ := codec.AppendJSONStats(nil, &s)
	s.Netns = "blue"
	j, err := codec.AppendJSONStats(nil, &s)
	if err != nil {
		t.Fatal(err)
	}
	if want := string(plain[:len(plain)-2]) + `,"netns":"blue"}` + "\n"; string(j) != want {
		t.Errorf("JSON:\n got %s\nwant %s", j, want)
	}
	var d codec.JSONDecoder
	var g format.Stats
	if err := d.DecodeStats(j, &g); err != nil || g != s {
		t.Errorf("JSON decodes %+v, %v; want %+v", g, err, s)
	}
	for _, bad := range []string{`"netns":""`, `"netns":"a\u0007"`} {
		if err := d.DecodeStats(bytes.Replace(j, []byte(`"netns":"blue"`), []byte(bad), 1), &g); err == nil {
			t.Errorf("JSON with %s: no error", bad)
		}
	}
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	s2 := s
	s2.Netns = ""
	for _, r := range []*format.Stats{&s, &s2} {
		if err := enc.EncodeStats(r); err != nil {
			t.Fatal(err)
		}
	}
	dec := codec.NewMsgpackDecoder(&buf)
	for _, want := range []format.Stats{s, s2} {
		var got format.Stats
		if k, err := dec.DecodeRecord(nil, nil, &got); err != nil || k != codec.KindStats || got != want {
			t.Errorf("msgpack: %v %v %+v, want %+v", k, err, got, want)
		}
	}
	// A reader that knows no namespace (as one before it, which skips the
	// values after the counters it knows) still reads the counters.
	var rec bytes.Buffer
	codec.NewMsgpackEncoder(&rec).EncodeStats(&s)
	if !bytes.HasSuffix(rec.Bytes(), []byte("\xa4blue")) {
		t.Errorf("the namespace is not the record's last value: % x", rec.Bytes())
	}
}
