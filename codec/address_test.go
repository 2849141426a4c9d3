package codec_test

import (
	"errors"
	"io"
	"net/netip"
	"testing"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// TestMissingAddress: a tuple without its addresses, which the schema does
// not allow, is an error in JSON, as in the msgpack records, which have
// no way to say "no address": a snapshot read back had "::" in its place.
func TestMissingAddress(t *testing.T) {
	var d codec.JSONDecoder
	var x format.Expect
	for _, line := range []string{
		`{"family":"ipv6","proto":"tcp","proto-num":6,"tuple":{"src":"::1","dst":"::1","proto-src-port":0,"proto-dst-port":10003},"mask":{"proto-src-port":0,"proto-dst-port":65535}}`,
		`{"family":"ipv4","proto":"tcp","proto-num":6,"tuple":{"src":"10.0.0.1","dst":"10.0.0.2","proto-src-port":0,"proto-dst-port":21},"master-l4":"ports","master":{"src":"10.0.0.1","proto-src-port":1,"proto-dst-port":21}}`,
	} {
		if err := d.DecodeExpect([]byte(line), &x); !errors.Is(err, format.ErrMissing) {
			t.Errorf("%s: %v, want ErrMissing", line, err)
		}
	}

	enc := codec.NewMsgpackEncoder(io.Discard)
	a := netip.MustParseAddr("10.0.0.1")
	good := format.Tuple{Src: a, Dst: a}
	for name, f := range map[string]format.Flow{
		"orig.src":  {Family: format.IPv4, Proto: format.UDP, Orig: format.Tuple{Dst: a}, Reply: good},
		"reply.dst": {Family: format.IPv4, Proto: format.UDP, Orig: good, Reply: format.Tuple{Src: a}},
	} {
		var e *codec.EncodeError
		if err := enc.EncodeFlow(&f); !errors.As(err, &e) {
			t.Errorf("a flow without %s: %v, want an EncodeError", name, err)
		}
	}
	for name, x := range map[string]format.Expect{
		"tuple":  {Family: format.IPv4, Proto: format.TCP, Tuple: format.Tuple{Src: a}},
		"mask":   {Family: format.IPv4, Proto: format.TCP, Tuple: good, Fields: format.ExpectMask},
		"master": {Family: format.IPv4, Proto: format.TCP, Tuple: good, Fields: format.ExpectMaster, Master: format.Tuple{Dst: a}},
	} {
		var e *codec.EncodeError
		if err := enc.EncodeExpect(&x); !errors.As(err, &e) {
			t.Errorf("an expectation without the addresses of its %s: %v, want an EncodeError", name, err)
		}
	}
	// Where a field is absent, so are its addresses.
	if err := enc.EncodeExpect(&format.Expect{Family: format.IPv4, Proto: format.TCP, Tuple: good}); err != nil {
		t.Error(err)
	}
}
