package prefault_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/licenseplan/licenseplan/internal/prefault"
)

//lint:ignore U1000 the fields give rec a layout with pointers and words, which is what is tested
type rec struct {
	p    *int
	s    string
	n    [5]int64
	next *rec
}

func TestMakeIsMake(t *testing.T) {
	for _, c := range []int{0, 1, 7, 100, 10_000, 300_000} {
		for _, n := range []int{0, c / 2, c} {
			s := prefault.Make[rec](n, c)
			assert.Len(t, s, n)
			assert.Equal(t, c, cap(s))
			for i, r := range s[:cap(s)] {
				if r != (rec{}) {
					t.Fatalf("cap %d: element %d is not zero: %+v", c, i, r)
				}
			}
			b := prefault.Make[byte](n, c)
			assert.Len(t, b, n)
			for i, x := range b[:cap(b)] {
				if x != 0 {
					t.Fatalf("cap %d: byte %d is %d", c, i, x)
				}
			}
		}
	}
	assert.Empty(t, prefault.Make[struct{}](10, 10)[0])
}

// The slices hold pointers the collector must still see.
func TestMakeKeepsPointersLive(t *testing.T) {
	s := prefault.Make[*int](0, 100_000)
	for i := range 100_000 {
		v := i
		s = append(s, &v)
	}
	runtime.GC()
	for i, p := range s {
		if *p != i {
			t.Fatalf("element %d: %d", i, *p)
		}
	}
}

func TestAppendIsAppend(t *testing.T) {
	var got, want []int
	for i := range 100_000 {
		got, want = prefault.Append(got, i), append(want, i)
		if cap(got) < len(got) {
			t.Fatal("capacity")
		}
	}
	assert.Equal(t, want, got)
	// Growth doubles: a few allocations, not one per quarter.
	grows, c := 0, 0
	var s []rec
	for i := range 100_000 {
		s = prefault.Append(s, rec{n: [5]int64{int64(i)}})
		if cap(s) != c {
			grows, c = grows+1, cap(s)
		}
	}
	assert.LessOrEqual(t, grows, 14)
	assert.Equal(t, int64(99_999), s[99_999].n[0])
}
