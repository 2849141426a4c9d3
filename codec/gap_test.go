package codec_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// TestGapRecord encodes a gap between two flows: DecodeRecord reads it,
// and Decode, which reads records as the versions before gaps did, skips
// it. Gap records out of range are corrupt.
func TestGapRecord(t *testing.T) {
	var flows []format.Flow
	for _, fs := range corpus(t) {
		flows = append(flows, fs...)
	}
	if len(flows) < 2 {
		t.Fatal("no corpus")
	}
	at := time.Unix(0, 1764612000123456789)
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	enc.EncodeFlow(&flows[0])
	enc.EncodeGap(codec.Gap{Events: 4096, Time: at})
	enc.EncodeGap(codec.Gap{Events: -7, Time: at}) // unknown: -1
	enc.EncodeFlow(&flows[1])
	enc.EncodeEnd(2)
	stream := buf.Bytes()

	dec := codec.NewMsgpackDecoder(bytes.NewReader(stream))
	var f format.Flow
	var kinds []codec.Kind
	var gaps []codec.Gap
	for {
		k, err := dec.DecodeRecord(&f, nil, nil)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, k)
		if k == codec.KindGap {
			gaps = append(gaps, dec.Gap())
		}
	}
	if want := []codec.Kind{codec.KindFlow, codec.KindGap, codec.KindGap, codec.KindFlow, codec.KindEnd}; !slices.Equal(kinds, want) ||
		gaps[0].Events != 4096 || !gaps[0].Time.Equal(at) || gaps[1].Events != -1 {
		t.Errorf("records %v, gaps %+v", kinds, gaps)
	}

	dec = codec.NewMsgpackDecoder(bytes.NewReader(stream))
	kinds = kinds[:0]
	for {
		k, err := dec.Decode(&f, nil)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, k)
	}
	if want := []codec.Kind{codec.KindFlow, codec.KindFlow, codec.KindEnd}; !slices.Equal(kinds, want) {
		t.Errorf("Decode read %v, want %v", kinds, want)
	}

	for _, rec := range [][]any{{5, -2, 0}, {5, 1}, {5, "x", 0}} {
		b, _ := msgpack.Marshal(rec)
		_, err := codec.NewMsgpackDecoder(bytes.NewReader(b)).DecodeRecord(&f, nil, nil)
		if !errors.Is(err, codec.ErrCorrupt) {
			t.Errorf("%v: %v, want corrupt", rec, err)
		}
	}
}
