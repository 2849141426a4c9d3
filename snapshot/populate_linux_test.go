package snapshot

import (
	"errors"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// resident returns how many pages of b are in memory.
func resident(t *testing.T, b []byte) int {
	t.Helper()
	vec := make([]byte, (len(b)+unix.Getpagesize()-1)/unix.Getpagesize())
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), uintptr(unsafe.Pointer(unsafe.SliceData(vec))))
	if errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// TestPopulate maps memory that no page fault has mapped yet, an anonymous
// mapping of its own, and checks that populate maps every whole page
// under a slice that starts and ends inside pages, and none around it.
func TestPopulate(t *testing.T) {
	page := unix.Getpagesize()
	m, err := unix.Mmap(-1, 0, 64*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	if err := unix.Madvise(m[:page], unix.MADV_POPULATE_WRITE); errors.Is(err, unix.EINVAL) {
		t.Skip("the kernel has no MADV_POPULATE_WRITE (Linux 5.14)")
	}
	if got := resident(t, m[page:]); got != 0 {
		t.Fatalf("%d pages of a fresh mapping in memory", got)
	}
	// Of uint64s from 8 bytes into page 2 to the end of page 40: whole
	// pages 3 to 40, its capacity, beyond its length.
	s := unsafe.Slice((*uint64)(unsafe.Pointer(&m[2*page+8])), (39*page-8)/8)
	populate(s[:1])
	if got, want := resident(t, m), 1+38; got != want {
		t.Errorf("%d pages in memory after populate, want %d: the first, and pages 3 to 40", got, want)
	}
	if resident(t, m[2*page:3*page]) != 0 || resident(t, m[41*page:]) != 0 {
		t.Error("populate mapped a page that the slice only partly covers, or one past it")
	}
	populate(s[:0:0])
	populate([]byte(nil))
}

// BenchmarkPopulate writes a word a page of 16 MiB of fresh memory (an
// anonymous mapping of its own each time): page by page as they fault,
// and mapped at once by populate first.
func BenchmarkPopulate(b *testing.B) {
	const size = 16 << 20
	page := unix.Getpagesize()
	for _, populated := range []bool{false, true} {
		b.Run(map[bool]string{false: "faults", true: "populate"}[populated], func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				m, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
				if err != nil {
					b.Fatal(err)
				}
				if populated {
					populate(m)
				}
				for i := 0; i < size; i += page {
					m[i] = 1
				}
				unix.Munmap(m)
			}
		})
	}
}
