package licensing_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/licenseplan/licenseplan/licensing"
)

func setOf(idx ...int) licensing.PlanSet {
	var s licensing.PlanSet
	for _, i := range idx {
		s.Add(i)
	}
	return s
}

func TestPlanSetOperations(t *testing.T) {
	// 3 and 70 live in different words: sets of different lengths must combine correctly.
	a := setOf(1, 3, 70)
	b := setOf(3, 200)
	aBefore, bBefore := a.Clone(), b.Clone()

	cases := []struct {
		name string
		got  licensing.PlanSet
		want []int
	}{
		{"union", a.Union(b), []int{1, 3, 70, 200}},
		{"union, other way", b.Union(a), []int{1, 3, 70, 200}},
		{"minus", a.Minus(b), []int{1, 70}},
		{"minus, other way", b.Minus(a), []int{200}},
		{"intersect", a.Intersect(b), []int{3}},
		{"intersect, other way", b.Intersect(a), []int{3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.got.Indexes())
			assert.Equal(t, len(tc.want), tc.got.Len())
		})
	}
	assert.True(t, a.Equal(aBefore) && b.Equal(bBefore), "combining sets never modifies the operands")

	assert.True(t, a.Intersects(b))
	assert.False(t, setOf(1).Intersects(setOf(200)))
	assert.True(t, setOf(3).SubsetOf(a))
	assert.False(t, setOf(3, 200).SubsetOf(a))
	assert.True(t, licensing.PlanSet{}.SubsetOf(a), "the empty set is a subset of anything")
	assert.True(t, setOf(5).Minus(setOf(5)).Equal(licensing.PlanSet{}), "sets compare equal whatever their length")
	assert.True(t, licensing.PlanSet{}.IsEmpty())
	assert.False(t, a.IsEmpty())

	c := a.Clone()
	c.Remove(70)
	c.Remove(1000) // beyond the set: no effect, no panic
	assert.True(t, a.Has(70), "a clone is independent")
	assert.False(t, c.Has(70))
	assert.False(t, c.Has(1000))

	d := setOf(1)
	d.UnionWith(setOf(130))
	assert.Equal(t, []int{1, 130}, d.Indexes())
}
