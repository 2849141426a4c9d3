package codec_test

import (
	"bytes"
	"fmt"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// Example converts a line of /proc/net/nf_conntrack into a line of JSON
// Lines, and back.
func Example() {
	line := "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 mark=0 zone=0 use=2"
	var f format.Flow
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(line), &f); err != nil {
		fmt.Println(err)
		return
	}
	out, err := codec.AppendJSON(nil, &f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))

	// And back: the decoder fills a Flow the caller reuses.
	var d codec.JSONDecoder
	var g format.Flow
	if err := d.DecodeFlow(out, &g); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g == f)
	// Output:
	// {"family":"ipv4","proto":"udp","proto-num":17,"timeout":29,"tuple-orig":{"src":"10.0.0.1","dst":"10.0.0.53","proto-src-port":5353,"proto-dst-port":53},"tuple-reply":{"src":"10.0.0.53","dst":"10.0.0.1","proto-src-port":53,"proto-dst-port":5353},"status":["confirmed"],"mark":0,"zone":0,"use":2}
	// true
}

func ExampleMsgpackEncoder() {
	var f format.Flow
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	for _, line := range []string{
		"ipv4     2 tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 dport=22 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 mark=0 zone=0 use=2",
		"ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.6 dst=192.168.1.9 sport=32776 dport=22 src=192.168.1.9 dst=203.0.113.7 sport=22 dport=32776 [ASSURED] mark=0 zone=0 use=2",
	} {
		if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(line), &f); err != nil {
			fmt.Println(err)
			return
		}
		if err := enc.EncodeFlow(&f); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := enc.EncodeEnd(2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(buf.Len(), "bytes")

	dec := codec.NewMsgpackDecoder(&buf)
	for {
		kind, err := dec.Decode(&f, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		if kind == codec.KindEnd {
			break
		}
		fmt.Println(f.Orig.Src, "->", f.Orig.Dst, "reply to", f.Reply.Dst)
	}
	// Output:
	// 66 bytes
	// 192.168.1.6 -> 192.168.1.9 reply to 192.168.1.6
	// 192.168.1.6 -> 192.168.1.9 reply to 203.0.113.7
}

// A line of conntrack -S as a line of JSON, and back: the record keeps
// the counters conntrack printed, by their names.
func ExampleAppendJSONStats() {
	p := format.Dialect{Format: format.ConntrackStats}
	var s format.Stats
	if err := p.ParseStats([]byte("cpu=0   \tfound=0 invalid=400 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0 clash_resolve=0 chaintoolong=0 "), &s); err != nil {
		fmt.Println(err)
		return
	}
	out, err := codec.AppendJSONStats(nil, &s)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))

	var d codec.JSONDecoder
	var back format.Stats
	if err := d.DecodeStats(out, &back); err != nil {
		fmt.Println(err)
		return
	}
	invalid, ok := back.Value(format.StatInvalid)
	_, entries := back.Value(format.StatEntries)
	fmt.Println("cpu", back.CPU, "invalid", invalid, ok, "entries", entries)
	// Output:
	// {"cpu":0,"found":0,"invalid":400,"insert":0,"insert_failed":0,"drop":0,"early_drop":0,"error":0,"search_restart":0,"clash_resolve":0,"chaintoolong":0}
	// cpu 0 invalid 400 true entries false
}
