package format

import (
	"net/netip"
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

func FuzzIPv6(f *testing.F) {
	f.Add([]byte("::ffff:1.2.3.4"))
	f.Add([]byte("2001:db8::1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := parseIPv6(b)
		want, err := netip.ParseAddr(string(b))
		if ok != (err == nil && want.Is6() && want.Zone() == "") {
			t.Fatalf("%q: ok %v, netip %v %v", b, ok, want, err)
		}
		if ok && a != want {
			t.Fatalf("%q: %v, netip %v", b, a, want)
		}
		if ok {
			p := appendIPv6Glibc(nil, a)
			if back, ok := parseIPv6Glibc(p); !ok || back != a {
				t.Fatalf("%v prints as %s, which reads back as %v %v", a, p, back, ok)
			}
		}
	})
}
