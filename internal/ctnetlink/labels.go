package ctnetlink

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LabelFile is where conntrack reads the names of label bits: conntrack
// 1.4.7's libnetfilter_conntrack (1.0.9, nfct_labelmap_new) has no other
// path, and no way to name one.
const LabelFile = "/etc/xtables/connlabel.conf"

// LabelEnv is the environment variable that names another file than
// LabelFile, for a system that keeps its label names elsewhere, and for
// tests that must not read the host's.
const LabelEnv = "CTCONV_CONNLABEL"

// Labels names connection-label bits: Labels[i] is bit i's name, "" if it
// has none.
type Labels []string

// ParseLabels parses a connlabel.conf file: lines of a bit number and a
// name (which may contain spaces), and # comments.
func ParseLabels(b []byte) (Labels, error) {
	var l Labels
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		num, name := line, ""
		if i := strings.IndexAny(line, " \t"); i > 0 {
			num, name = line[:i], strings.TrimSpace(line[i:])
		}
		bit, err := strconv.ParseUint(num, 10, 16)
		if err != nil || bit >= 1024 || name == "" {
			return nil, fmt.Errorf("connlabel.conf line %d: want a bit number below 1024 and a name: %q", n, line)
		}
		for len(l) <= int(bit) {
			l = append(l, "")
		}
		l[bit] = name
	}
	return l, sc.Err()
}

// LoadLabels reads the file that $CTCONV_CONNLABEL names, or else
// LabelFile, which may be missing: then no bit has a name, as for
// conntrack.
func LoadLabels() (Labels, error) { return loadLabels("/etc", "") }

// LoadNetnsLabels is LoadLabels for the namespace of ip netns that name
// names, as conntrack run by ip netns exec NAME finds them: ip netns
// exec mounts each file of /etc/netns/NAME over the same of /etc, so
// where /etc/netns/NAME/xtables exists, conntrack reads its
// connlabel.conf (and where that is missing, no names), and LabelFile
// elsewhere. $CTCONV_CONNLABEL still comes first.
func LoadNetnsLabels(name string) (Labels, error) { return loadLabels("/etc", name) }

// loadLabels is LoadNetnsLabels with /etc at etc; a netns of "" is the
// process's own namespace.
func loadLabels(etc, netns string) (Labels, error) {
	file := os.Getenv(LabelEnv)
	optional := file == ""
	if optional {
		file = filepath.Join(etc, strings.TrimPrefix(LabelFile, "/etc/"))
		if dir := filepath.Join(etc, "netns", netns, "xtables"); netns != "" && exists(dir) {
			file = filepath.Join(dir, filepath.Base(LabelFile))
		}
	}
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) && optional {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseLabels(b)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// any reports whether a CTA_LABELS bitmap has a bit set.
func (l Labels) any(bits []byte) bool {
	for _, b := range bits {
		if b != 0 {
			return true
		}
	}
	return false
}

// names returns the names of the set bits of a CTA_LABELS bitmap (the
// kernel's array of 64-bit words, in host order), comma-separated in bit
// order as conntrack prints them: old, if it is that text, so that the
// same labels are not allocated again.
func (l Labels) names(old string, bits []byte) string {
	var buf [256]byte
	s := buf[:0]
	for i := range min(len(bits)/8*64, len(l)) {
		w := binary.NativeEndian.Uint64(bits[i/64*8:])
		if w&(1<<(i%64)) == 0 || l[i] == "" {
			continue
		}
		if len(s) > 0 {
			s = append(s, ',')
		}
		s = append(s, l[i]...)
	}
	if string(s) == old {
		return old
	}
	return string(s)
}
