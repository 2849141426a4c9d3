package format

import (
	"net/netip"
	"strings"
	"testing"
)

// TestIPv6Glibc checks the printer against the forms glibc was seen to print
// (FORMATS.md §1.2) and against netip for the others.
func TestIPv6Glibc(t *testing.T) {
	for in, want := range map[string]string{
		"::ffff:1.2.3.4":         "::ffff:1.2.3.4",
		"::102:304":              "::1.2.3.4",
		"::ffff:0:102:304":       "::ffff:0:102:304",
		"::1":                    "::1",
		"::2":                    "::2",
		"::":                     "::",
		"2001:db8:0:1:1:1:1:1":   "2001:db8:0:1:1:1:1:1",
		"2001:0:0:1:0:0:0:1":     "2001:0:0:1::1",
		"2001:db8:0:0:1:0:0:1":   "2001:db8::1:0:0:1",
		"0:0:1::":                "0:0:1::",
		"1::":                    "1::",
		"fe80::1":                "fe80::1",
		"ff02::1:ff00:1":         "ff02::1:ff00:1",
		"::ffff:0:0":             "::ffff:0.0.0.0",
		"1:2:3:4:5:6:7:8":        "1:2:3:4:5:6:7:8",
		"1:0:2:0:3:0:4:0":        "1:0:2:0:3:0:4:0",
		"abcd:ef01:2345:6789::":  "abcd:ef01:2345:6789::",
		"0:0:0:0:0:0:0:1":        "::1",
		"2001:db8:aaaa::1.2.3.4": "2001:db8:aaaa::102:304",
		"0:0:0:0:1:0:0:0":        "::1:0:0:0",
		"1:0:0:2:0:0:3:4":        "1::2:0:0:3:4",
		"1:0:0:2:0:0:0:4":        "1:0:0:2::4",
	} {
		a := netip.MustParseAddr(in)
		got := string(appendIPv6Glibc(nil, a))
		if got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
		back, ok := parseIPv6Glibc([]byte(got))
		if !ok || back != a {
			t.Errorf("%s: parse of %s gives %v, %v", in, got, back, ok)
		}
	}
	for _, bad := range []string{"", ":", ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
		"::1.2.3", "1.2.3.4", "::g", "1:2:3:4:5:6:7::8", "::1.2.3.4.5", ":1::", "1::2:"} {
		if a, ok := parseIPv6([]byte(bad)); ok {
			t.Errorf("parseIPv6(%q) = %v, want failure", bad, a)
		}
	}
	for _, noncanon := range []string{"0::1", "::0001", "::FFFF:1.2.3.4", "2001:db8:0:0:1:0:0:1", "::ffff:102:304"} {
		if _, ok := parseIPv6Glibc([]byte(noncanon)); ok {
			t.Errorf("parseIPv6Glibc(%q) accepted a form glibc does not print", noncanon)
		}
	}
}

// TestIPv6GlibcForm checks parseIPv6Glibc's judgement from how an address
// was written (glibcForm) against the comparison with what glibc prints,
// and parseIPv6Full against netip's expanded form, on every address whose
// groups are 0, 1 or ffff, in glibc's form, netip's, the expanded one,
// upper case, and with "::" moved; and glibc's form against netip's.
func TestIPv6GlibcForm(t *testing.T) {
	vals := [...]uint16{0, 1, 0xffff}
	var w [8]int
	for {
		var a [16]byte
		for k, i := range w {
			a[2*k], a[2*k+1] = byte(vals[i]>>8), byte(vals[i])
		}
		addr := netip.AddrFrom16(a)
		forms := []string{string(appendIPv6Glibc(nil, addr)), addr.StringExpanded(), addr.String()}
		// Where glibc prints no dotted tail, its form is RFC 5952's, as netip's.
		if b := addr.As16(); [10]byte(b[:10]) != [10]byte{} && forms[0] != forms[2] {
			t.Fatalf("%s: glibc's form %s", forms[2], forms[0])
		}
		forms = append(forms, strings.ToUpper(forms[0]), strings.Replace(forms[0], "::", ":0:", 1), strings.Replace(forms[0], "::", "::0:", 1))
		for _, s := range forms {
			ref, rok := parseIPv6([]byte(s))
			rok = rok && string(appendIPv6Glibc(nil, ref)) == s
			got, ok := parseIPv6Glibc([]byte(s))
			if ok != rok || ok && got != ref {
				t.Fatalf("parseIPv6Glibc(%q) = %v %v, want %v %v", s, got, ok, ref, rok)
			}
			if _, form, _ := scanIPv6([]byte(s)); form.plain && glibcForm(ref, form) != rok {
				t.Fatalf("glibcForm(%q) = %v, want %v", s, !rok, rok)
			}
			if fa, fok := parseIPv6Full([]byte(s)); fok != (s == addr.StringExpanded()) || fok && fa != addr {
				t.Fatalf("parseIPv6Full(%q) = %v %v", s, fa, fok)
			}
		}
		k := 0
		for k < len(w) && w[k] == len(vals)-1 {
			w[k] = 0
			k++
		}
		if k == len(w) {
			return
		}
		w[k]++
	}
}

func FuzzIPv6(f *testing.F) {
	f.Add([]byte("::ffff:1.2.3.4"))
	f.Add([]byte("2001:db8::1"))
	f.Add([]byte("2001:0db8:0000:0000:0000:0000:0000:0001"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := parseIPv6(b)
		want, err := netip.ParseAddr(string(b))
		if ok != (err == nil && want.Is6() && want.Zone() == "") {
			t.Fatalf("%q: ok %v, netip %v %v", b, ok, want, err)
		}
		if ok && a != want {
			t.Fatalf("%q: %v, netip %v", b, a, want)
		}
		if _, form, _ := scanIPv6(b); ok && form.plain && glibcForm(a, form) != (string(appendIPv6Glibc(nil, a)) == string(b)) {
			t.Fatalf("%q: glibcForm %v, but glibc prints %s", b, glibcForm(a, form), appendIPv6Glibc(nil, a))
		}
		if fa, fok := parseIPv6Full(b); fok != (ok && a.StringExpanded() == string(b)) || fok && fa != a {
			t.Fatalf("%q: parseIPv6Full %v %v, parseIPv6 %v %v", b, fa, fok, a, ok)
		}
		if ok {
			p := appendIPv6Glibc(nil, a)
			if back, ok := parseIPv6Glibc(p); !ok || back != a {
				t.Fatalf("%v prints as %s, which reads back as %v %v", a, p, back, ok)
			}
		}
	})
}

// BenchmarkIPv6Glibc reads addresses in the forms conntrack prints them in:
// whole, compressed at the end, in the middle and at the start.
func BenchmarkIPv6Glibc(b *testing.B) {
	addrs := [][]byte{
		[]byte("2a74:6409:9b64:ae41:3def:1a93:5256:1e16"),
		[]byte("2001:db8:1:0:219e:c84f:c75b:ed06"),
		[]byte("2001:db8::1"),
		[]byte("fe80::a00:27ff:fe4e:66a1"),
		[]byte("::1"),
	}
	n := 0
	for _, a := range addrs {
		n += len(a)
	}
	b.SetBytes(int64(n))
	for b.Loop() {
		for _, a := range addrs {
			if _, ok := parseIPv6Glibc(a); !ok {
				b.Fatalf("%s: not read", a)
			}
		}
	}
}
