// Package parallel splits a loop over many items (a tenant's users) into contiguous ranges, one
// goroutine each.
package parallel

import (
	"runtime"
	"slices"
	"sync"
)

// MinItems is the number of items from which Parts splits a loop: below it, a goroutine costs
// more than it saves.
const MinItems = 1 << 14

// Parts is the number of ranges to split n items into: one per core (GOMAXPROCS) from MinItems
// items, else 1.
func Parts(n int) int {
	if n < split.from {
		return 1
	}
	if split.parts > 0 {
		return split.parts
	}
	return runtime.GOMAXPROCS(0)
}

// split is what Parts goes by; tests change it (SplitForTest).
var split = struct{ from, parts int }{from: MinItems}

// SplitForTest makes Parts split loops of from items or more into parts ranges (whatever the
// cores), so that a test can compare what a loop makes split and whole on small inputs. It
// returns the function that restores the default. Not for use while loops run.
func SplitForTest(from, parts int) (restore func()) {
	old := split
	split.from, split.parts = from, parts
	return func() { split = old }
}

// Ranges calls f(part, lo, hi) for parts contiguous ranges [lo, hi) that cover [0, n) in order,
// each on a goroutine of its own (one range: on the caller's), and returns when all are done.
func Ranges(n, parts int, f func(part, lo, hi int)) {
	if parts <= 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for part := range parts {
		wg.Go(func() { f(part, part*n/parts, (part+1)*n/parts) })
	}
	wg.Wait()
}

// Indexes returns the i in [0, n) for which keep(i) is true, ascending. From MinItems, keep is
// called on every core (Ranges), so it must be safe to call from several goroutines at once:
// a read-only scan over a tenant's users.
func Indexes(n int, keep func(i int) bool) []int {
	return collect(n, func(i int) (int, bool) { return i, keep(i) })
}

// Keep returns the items for which keep is true, in order, calling keep as Indexes does.
func Keep[T any](items []T, keep func(T) bool) []T {
	return collect(len(items), func(i int) (T, bool) { return items[i], keep(items[i]) })
}

// collect returns, in order of i, the values at(i) gives for the i in [0, n) it keeps, its
// ranges (Parts) each on a goroutine of its own.
func collect[T any](n int, at func(i int) (T, bool)) []T {
	parts := Parts(n)
	found := make([][]T, parts)
	Ranges(n, parts, func(part, lo, hi int) {
		var out []T
		for i := lo; i < hi; i++ {
			if v, ok := at(i); ok {
				out = append(out, v)
			}
		}
		found[part] = out
	})
	return slices.Concat(found...)
}
