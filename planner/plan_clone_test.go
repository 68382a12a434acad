package planner_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// A clone renders as the original, and scribbling over every slice of the clone leaves the
// original's plan/v1 byte-identical (built plans share slices between steps).
func TestPlanCloneSharesNothing(t *testing.T) {
	st, desired := loadCase(t, "testdata/migration-canary-waves")
	p := planner.Build(st, desired)
	require.NotEmpty(t, p.Steps)
	var want bytes.Buffer
	require.NoError(t, p.WriteJSON(&want))

	c := p.Clone()
	var got bytes.Buffer
	require.NoError(t, c.WriteJSON(&got))
	assert.Equal(t, want.String(), got.String(), "a clone is the same plan")

	junk := licensing.PlanID{0xff}
	for _, s := range c.Steps {
		for i := range s.AddLicenses {
			for k := range s.AddLicenses[i].DisabledPlans {
				s.AddLicenses[i].DisabledPlans[k] = junk
			}
			s.AddLicenses[i].SkuID = licensing.SkuID{0xff}
		}
		for i := range s.RemoveLicenses {
			s.RemoveLicenses[i] = licensing.SkuID{0xff}
		}
		for i := range s.Gained {
			s.Gained[i] = junk
		}
		for i := range s.Lost {
			s.Lost[i] = junk
		}
		for i := range s.DependsOn {
			s.DependsOn[i] = "x"
		}
		for _, e := range []*planner.Expectation{s.Expect, s.Result} {
			if e == nil {
				continue
			}
			for i := range e.DirectLicenses {
				e.DirectLicenses[i].SkuID = licensing.SkuID{0xff}
			}
			for i := range e.Groups {
				e.Groups[i] = "x"
			}
		}
		if s.Group != nil {
			s.Group.ID = "x"
		}
		s.Reason = "x"
	}
	for i := range c.Problems {
		for k := range c.Problems[i].ServicePlans {
			c.Problems[i].ServicePlans[k] = junk
		}
	}
	for i := range c.Seats {
		c.Seats[i].ConsumedAfter = -1
	}
	var after bytes.Buffer
	require.NoError(t, p.WriteJSON(&after))
	assert.Equal(t, want.String(), after.String(), "changing the clone changed the plan")
}
