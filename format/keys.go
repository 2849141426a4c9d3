package format

import "encoding/binary"

// key is a text that starts a token, such as "sport=", prepared so that
// matching it at a cursor takes two 64-bit compares.
type key struct {
	s      string // the text
	field  string // the field's name in error messages
	w0, m0 uint64 // bytes 0-7, little-endian, and the mask of those in s
	w1, m1 uint64 // bytes 8-15
}

func mkKey(s, field string) *key {
	if len(s) > 16 {
		panic("format: key longer than 16 bytes: " + s)
	}
	var b, m [16]byte
	copy(b[:], s)
	for i := range s {
		m[i] = 0xff
	}
	return &key{s: s, field: field,
		w0: binary.LittleEndian.Uint64(b[:]), m0: binary.LittleEndian.Uint64(m[:]),
		w1: binary.LittleEndian.Uint64(b[8:]), m1: binary.LittleEndian.Uint64(m[8:])}
}

// match reports whether b starts with k.
func (k *key) match(b []byte) bool {
	if len(b) >= 16 {
		return binary.LittleEndian.Uint64(b)&k.m0 == k.w0 && binary.LittleEndian.Uint64(b[8:])&k.m1 == k.w1
	}
	return len(b) >= len(k.s) && string(b[:len(k.s)]) == k.s
}

var (
	kSrc           = mkKey("src=", "src")
	kDst           = mkKey("dst=", "dst")
	kSport         = mkKey("sport=", "sport")
	kDport         = mkKey("dport=", "dport")
	kSrckey        = mkKey("srckey=", "srckey")
	kDstkey        = mkKey("dstkey=", "dstkey")
	kType          = mkKey("type=", "type")
	kCode          = mkKey("code=", "code")
	kID            = mkKey("id=", "id")
	kPackets       = mkKey("packets=", "packets")
	kBytes         = mkKey("bytes=", "bytes")
	kZoneOrig      = mkKey("zone-orig=", "zone-orig")
	kZoneReply     = mkKey("zone-reply=", "zone-reply")
	kZone          = mkKey("zone=", "zone")
	kUnreplied     = mkKey("[UNREPLIED]", "unreplied")
	kFlag          = mkKey("[", "flag")
	kUnconfirmed   = mkKey("[UNCONFIRMED]", "unconfirmed")
	kMark          = mkKey("mark=", "mark")
	kSecmark       = mkKey("secmark=", "secmark")
	kSecctx        = mkKey("secctx=", "secctx")
	kDeltaTime     = mkKey("delta-time=", "delta-time")
	kUse           = mkKey("use=", "use")
	kProto         = mkKey("proto=", "proto")
	kGRETimeout    = mkKey("timeout=", "gre timeout")
	kStreamTimeout = mkKey("stream_timeout=", "gre stream_timeout")
	kExpires       = mkKey("[expires in ", "expires")
	kActiveSince   = mkKey("[active since ", "active since")
)
