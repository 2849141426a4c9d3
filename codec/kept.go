package codec

import (
	"encoding/binary"

	"github.com/ctconv/ctconv/format"
)

// kept is what a decoder keeps of the record it filled last, its strings
// and extras, so that decoding into the same struct again reuses them
// where they are unchanged instead of allocating.
type kept struct {
	old       [5]string
	oldExtras format.Extras
	extras    []byte // the extras being read, in their binary form
}

// addExtra adds tok at slot s to the extras being read.
func (k *kept) addExtra(s format.Slot, tok []byte) {
	k.extras = binary.AppendUvarint(append(k.extras, byte(s)), uint64(len(tok)))
	k.extras = append(k.extras, tok...)
}

// extrasRead sets e to the extras read, in slot order: those kept where
// they are the same, so that decoding does not allocate them again.
func (k *kept) extrasRead(e *format.Extras) error {
	*e = k.oldExtras
	err := e.UnmarshalBinary(k.extras)
	k.extras = k.extras[:0]
	return err
}

// flow keeps f's strings and extras, and empties f for the next record.
func (k *kept) flow(f *format.Flow) {
	k.old = [5]string{f.Secctx, f.Helper, f.Labels, f.Progname, f.Netns}
	k.oldExtras = f.Extras
	*f = format.Flow{}
}

// expect keeps x's strings, and empties x for the next record.
func (k *kept) expect(x *format.Expect) {
	k.old = [5]string{x.Helper, x.Policy, x.Progname}
	*x = format.Expect{}
}

// string returns b as a string: a kept one where it is the same.
func (k *kept) string(b []byte) string {
	for _, s := range k.old {
		if s == string(b) {
			return s
		}
	}
	return string(b)
}
