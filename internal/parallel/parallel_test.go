package parallel

import (
	"sync/atomic"
	"testing"
)

func TestRangesCoverEveryItemOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 100} {
		for _, parts := range []int{1, 2, 3, 8} {
			seen := make([]atomic.Int32, n)
			last := make([]int, parts)
			Ranges(n, parts, func(part, lo, hi int) {
				if lo > hi {
					t.Errorf("n %d parts %d: part %d is [%d, %d)", n, parts, part, lo, hi)
				}
				for i := lo; i < hi; i++ {
					seen[i].Add(1)
				}
				last[part] = hi
			})
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Errorf("n %d parts %d: item %d seen %d times", n, parts, i, c)
				}
			}
			if last[parts-1] != n {
				t.Errorf("n %d parts %d: the last part ends at %d", n, parts, last[parts-1])
			}
		}
	}
}

func TestParts(t *testing.T) {
	if Parts(MinItems-1) != 1 {
		t.Errorf("Parts(%d) = %d, want 1", MinItems-1, Parts(MinItems-1))
	}
	if Parts(MinItems) < 1 {
		t.Errorf("Parts(%d) = %d", MinItems, Parts(MinItems))
	}
}
