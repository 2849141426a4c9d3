package codec_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/lineartest"
)

// TestLinearTime decodes records with n and 16n tokens the parser did not
// know: the time must grow with n, not with n². Reading them one at a time
// into Extras was quadratic (FuzzSnapshot's allocation bound would have
// found it).
func TestLinearTime(t *testing.T) {
	flow := func(n int) format.Flow {
		var b strings.Builder
		b.WriteString("ipv4     2 unknown  50 29 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1 mark=0 zone=0")
		for i := range n {
			fmt.Fprintf(&b, " x%d=1", i)
		}
		b.WriteString(" use=2")
		var f format.Flow
		if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(b.String()), &f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, c := range []struct {
		name   string
		decode func(f *format.Flow) func()
	}{
		{"msgpack", func(f *format.Flow) func() {
			var buf bytes.Buffer
			codec.NewMsgpackEncoder(&buf).EncodeFlow(f)
			return func() {
				var g format.Flow
				if _, err := codec.NewMsgpackDecoder(bytes.NewReader(buf.Bytes())).Decode(&g, nil); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"json", func(f *format.Flow) func() {
			line, _ := codec.AppendJSON(nil, f)
			return func() {
				var d codec.JSONDecoder
				var g format.Flow
				if err := d.DecodeFlow(line, &g); err != nil {
					t.Fatal(err)
				}
			}
		}},
	} {
		small, large := flow(500), flow(8000)
		lineartest.Check(t, c.name, c.decode(&small), c.decode(&large))
	}
}
