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

func TestIndexesAndKeepKeepOrder(t *testing.T) {
	for _, n := range []int{0, 5, MinItems - 1, 3*MinItems + 7} {
		keep := func(i int) bool { return i%3 == 0 || i%7 == 1 }
		var want []int
		for i := range n {
			if keep(i) {
				want = append(want, i)
			}
		}
		got := Indexes(n, keep)
		if len(got) != len(want) {
			t.Fatalf("n %d: Indexes has %d items, want %d", n, len(got), len(want))
		}
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("n %d: Indexes[%d] = %d, want %d", n, k, got[k], want[k])
			}
		}
		items := make([]int, n)
		for i := range items {
			items[i] = 2 * i
		}
		kept := Keep(items, func(v int) bool { return keep(v / 2) })
		for k := range want {
			if kept[k] != 2*want[k] {
				t.Fatalf("n %d: Keep[%d] = %d, want %d", n, k, kept[k], 2*want[k])
			}
		}
		if len(kept) != len(want) {
			t.Fatalf("n %d: Keep has %d items, want %d", n, len(kept), len(want))
		}
	}
}

func TestSplitForTest(t *testing.T) {
	restore := SplitForTest(3, 5)
	if Parts(2) != 1 || Parts(3) != 5 {
		t.Errorf("Parts(2), Parts(3) = %d, %d; want 1, 5", Parts(2), Parts(3))
	}
	restore()
	if Parts(MinItems-1) != 1 || Parts(3) != 1 {
		t.Error("not restored")
	}
}
