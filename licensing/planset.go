package licensing

import (
	"encoding/binary"
	"math/bits"
)

// PlanSet is a set of service plans as a bitset over a Catalog's plan indexes
// (see Catalog.PlanIndex). Sets from different catalogs must not be mixed.
// The zero value is the empty set. Operations that combine sets return new sets
// and never modify their operands.
//
// A PlanSet is a value: a set a Sku, Path or State hands out shares its memory with them until
// it is written to, and Add, Remove and UnionWith copy it first, so changing a copy never
// changes the catalog's SKU or another copy (copy on write).
type PlanSet struct {
	w      []uint64
	shared bool // w belongs to a catalog or a state: copy it before writing
}

// share returns s marked as sharing its memory: its next write copies it.
func (s PlanSet) share() PlanSet {
	s.shared = true
	return s
}

// own makes s the only holder of its memory before a write.
func (s *PlanSet) own() {
	if s.shared {
		s.w = append([]uint64(nil), s.w...)
		s.shared = false
	}
}

// Add puts plan index i in the set.
func (s *PlanSet) Add(i int) {
	s.own()
	s.grow(i>>6 + 1)
	s.w[i>>6] |= 1 << (uint(i) & 63)
}

// grow makes s hold at least n words, with one allocation at most.
func (s *PlanSet) grow(n int) {
	if len(s.w) < n {
		s.w = append(s.w, make([]uint64, n-len(s.w))...)
	}
}

// Remove takes plan index i out of the set.
func (s *PlanSet) Remove(i int) {
	if i>>6 < len(s.w) {
		s.own()
		s.w[i>>6] &^= 1 << (uint(i) & 63)
	}
}

// Has reports whether plan index i is in the set.
func (s PlanSet) Has(i int) bool {
	return i>>6 < len(s.w) && s.w[i>>6]&(1<<(uint(i)&63)) != 0
}

// Len returns the number of plans in the set.
func (s PlanSet) Len() int {
	n := 0
	for _, w := range s.w {
		n += bits.OnesCount64(w)
	}
	return n
}

// IsEmpty reports whether the set has no plans.
func (s PlanSet) IsEmpty() bool {
	for _, w := range s.w {
		if w != 0 {
			return false
		}
	}
	return true
}

// Clone returns an independent copy.
func (s PlanSet) Clone() PlanSet {
	if len(s.w) == 0 {
		return PlanSet{}
	}
	return PlanSet{w: append([]uint64(nil), s.w...)}
}

// Union returns s ∪ o.
func (s PlanSet) Union(o PlanSet) PlanSet {
	a, b := s.w, o.w
	if len(a) < len(b) {
		a, b = b, a
	}
	r := append([]uint64(nil), a...)
	for i, w := range b {
		r[i] |= w
	}
	return PlanSet{w: r}
}

// UnionWith adds every plan of o to s in place.
func (s *PlanSet) UnionWith(o PlanSet) {
	s.own()
	s.grow(len(o.w))
	for i, w := range o.w {
		s.w[i] |= w
	}
}

// Minus returns s \ o.
func (s PlanSet) Minus(o PlanSet) PlanSet {
	if s.IsEmpty() {
		return PlanSet{}
	}
	r := append([]uint64(nil), s.w...)
	for i := 0; i < len(r) && i < len(o.w); i++ {
		r[i] &^= o.w[i]
	}
	return PlanSet{w: r}
}

// Intersect returns s ∩ o.
func (s PlanSet) Intersect(o PlanSet) PlanSet {
	n := min(len(s.w), len(o.w))
	r := make([]uint64, n)
	for i := range n {
		r[i] = s.w[i] & o.w[i]
	}
	return PlanSet{w: r}
}

// Intersects reports whether s and o share a plan.
func (s PlanSet) Intersects(o PlanSet) bool {
	for i := 0; i < len(s.w) && i < len(o.w); i++ {
		if s.w[i]&o.w[i] != 0 {
			return true
		}
	}
	return false
}

// SubsetOf reports whether every plan of s is in o.
func (s PlanSet) SubsetOf(o PlanSet) bool {
	for i, w := range s.w {
		var ow uint64
		if i < len(o.w) {
			ow = o.w[i]
		}
		if w&^ow != 0 {
			return false
		}
	}
	return true
}

// Equal reports whether s and o hold the same plans.
func (s PlanSet) Equal(o PlanSet) bool { return s.SubsetOf(o) && o.SubsetOf(s) }

// Indexes returns the plan indexes in ascending order.
func (s PlanSet) Indexes() []int {
	out := make([]int, 0, s.Len())
	for i, w := range s.w {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, i<<6+b)
			w &= w - 1
		}
	}
	return out
}

// unionMinus adds a \ b to s in place (s ∪= a ∖ b) without allocating when s is large enough.
func (s *PlanSet) unionMinus(a, b PlanSet) {
	s.own()
	s.grow(len(a.w))
	for i, w := range a.w {
		if i < len(b.w) {
			w &^= b.w[i]
		}
		s.w[i] |= w
	}
}

// AppendBinary appends a binary encoding of the set to b (encoding.BinaryAppender): the words
// of the bitset, little-endian, without trailing zero words, so equal sets encode equally.
// It suits map keys for sets of one catalog.
func (s PlanSet) AppendBinary(b []byte) ([]byte, error) {
	n := len(s.w)
	for n > 0 && s.w[n-1] == 0 {
		n--
	}
	for _, w := range s.w[:n] {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return b, nil
}
