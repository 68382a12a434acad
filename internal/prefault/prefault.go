// Package prefault makes large slices whose pages are mapped writable from the start.
//
// The first access to a page of new memory is a page fault. When that first access is a
// read, Linux maps the shared zero page, and the first write then faults again to replace a
// present mapping, which needs a TLB shootdown: an interrupt to every other CPU running the
// process. Go programs read new memory first all the time: a hash table probes a slot before
// filling it, code checks a per-user entry before setting it, and while the garbage collector
// marks, every pointer store reads the old value (the write barrier) and marking scans whole
// objects, capacity included. On a virtual machine a shootdown costs about ten times a plain
// fault (measured on this project's machine with a second thread of the process running: about
// 15 µs a page, against 1.5 µs for a plain fault), so filling a few hundred megabytes that way
// cost a million-user plan seconds.
//
// Make writes one byte of each page as it allocates: each page then costs one plain fault.
// Use it for large slices that are filled piecemeal or read before written, or that hold
// pointers and may be written while the collector marks (a copy then reads first too).
package prefault

import "unsafe"

// pageSize is the smallest page size of the platforms Go runs on; touching every pageSize
// bytes touches every page of larger ones too.
const pageSize = 4096

// Make returns make([]T, n, c), with every page of its backing array already written.
func Make[T any](n, c int) []T {
	s := make([]T, n, c)
	size := uintptr(c) * unsafe.Sizeof(*new(T))
	if size < 2*pageSize {
		return s // at most two pages: a second fault costs nothing to speak of
	}
	// Plain byte stores of zero over the zero values make allocated: no pointer is
	// written, so there is no write barrier, and the values do not change.
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s[:1]))), size)
	for i := uintptr(0); i < size; i += pageSize {
		b[i] = 0
	}
	b[size-1] = 0
	return s
}

// Append is append(s, v), except that a full s grows to twice its capacity, made with Make.
// Use it for slices that grow one item at a time to millions: append grows a large slice by
// about a quarter at a time, which allocates (and copies) some five times its final size on
// the way, in fresh pages the collector then has to reclaim.
func Append[T any](s []T, v T) []T {
	if len(s) == cap(s) {
		grown := Make[T](len(s), max(2*cap(s), 16))
		copy(grown, s)
		s = grown
	}
	return append(s, v)
}
