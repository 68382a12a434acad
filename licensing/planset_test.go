package licensing_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
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

// Sets are values: a copy of a SKU's set or of a path's disabled plans can be changed without
// changing the catalog, the State or another copy.
func TestPlanSetCopiesAreIndependent(t *testing.T) {
	c := licensing.MicrosoftCatalog()
	e3, err := c.LookupSku("ENTERPRISEPACK")
	if err != nil {
		t.Fatal(err)
	}
	n := e3.PlanSet().Len()
	cp := e3.PlanSet()
	for _, i := range cp.Indexes() {
		cp.Remove(i)
	}
	other := e3.PlanSet()
	other.Add(c.NumPlans() + 100)
	assert.True(t, cp.IsEmpty())
	assert.Equal(t, n, e3.PlanSet().Len(), "emptying a copy leaves the catalog's E3 alone")
	assert.False(t, e3.PlanSet().Has(c.NumPlans()+100), "adding to a copy leaves it alone too")

	st, err := licensing.NewState(sampletenant.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	for u := range st.NumUsers() {
		for _, p := range st.Paths(u) {
			if p.Disabled.IsEmpty() {
				continue
			}
			before := st.Paths(u)
			d := p.Disabled
			d.UnionWith(p.Disabled.Union(setOf(0, 1, 2, 3)))
			for _, i := range p.Disabled.Indexes() {
				d.Remove(i)
			}
			assert.Equal(t, before, st.Paths(u), "changing a path's disabled plans leaves the State alone")
			return
		}
	}
	t.Fatal("the sample tenant has no path with disabled plans")
}
