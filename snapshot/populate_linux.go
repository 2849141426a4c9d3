package snapshot

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// populate maps the whole pages of the memory under s, as if written, in
// one call (MADV_POPULATE_WRITE, Linux 5.14): one entry into the kernel
// rather than a page fault a page. Where the kernel refuses, the pages
// fault as they are written, as before.
func populate[T any](s []T) {
	s = s[:cap(s)]
	if len(s) == 0 {
		return
	}
	page := uintptr(unix.Getpagesize())
	p := unsafe.Pointer(unsafe.SliceData(s))
	end := uintptr(p) + uintptr(len(s))*unsafe.Sizeof(s[0])
	from := (uintptr(p) + page - 1) &^ (page - 1)
	to := end &^ (page - 1)
	if to > from {
		unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, from-uintptr(p))), to-from), unix.MADV_POPULATE_WRITE)
	}
}
