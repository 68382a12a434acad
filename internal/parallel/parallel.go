// Package parallel splits a loop over many items (a tenant's users) into contiguous ranges, one
// goroutine each.
package parallel

import (
	"runtime"
	"sync"
)

// MinItems is the number of items from which Parts splits a loop: below it, a goroutine costs
// more than it saves.
const MinItems = 1 << 14

// Parts is the number of ranges to split n items into: one per core (GOMAXPROCS) from MinItems
// items, else 1.
func Parts(n int) int {
	if n < MinItems {
		return 1
	}
	return runtime.GOMAXPROCS(0)
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
