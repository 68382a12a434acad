package planner

import (
	"slices"

	"github.com/licenseplan/licenseplan/licensing"
)

// Clone returns a deep copy of the plan: its steps, seats and problems, and every slice in
// them, so that changing the copy (editing a step's licenses, dropping steps, appending to a
// list) never changes the plan, and no two steps of the copy share a slice. Built plans share
// equal slices between steps to stay small at a million users; clone one before editing it.
func (p *Plan) Clone() *Plan {
	if p == nil {
		return nil
	}
	q := *p
	q.Steps = make([]*Step, len(p.Steps))
	for i, s := range p.Steps {
		q.Steps[i] = s.Clone()
	}
	q.Seats = slices.Clone(p.Seats)
	q.Problems = make([]Problem, len(p.Problems))
	for i, pr := range p.Problems {
		pr.ServicePlans = slices.Clone(pr.ServicePlans)
		q.Problems[i] = pr
	}
	if p.Seats == nil {
		q.Seats = nil
	}
	if p.Problems == nil {
		q.Problems = nil
	}
	return &q
}

// Clone returns a deep copy of the step, sharing no slice or pointer with it (but for the
// typed reason of a built step, which nothing changes).
func (s *Step) Clone() *Step {
	if s == nil {
		return nil
	}
	c := *s
	if s.Group != nil {
		g := *s.Group
		c.Group = &g
	}
	c.AddLicenses = cloneLicenses(s.AddLicenses)
	c.RemoveLicenses = slices.Clone(s.RemoveLicenses)
	c.DependsOn = slices.Clone(s.DependsOn)
	c.Gained = slices.Clone(s.Gained)
	c.Lost = slices.Clone(s.Lost)
	if s.Members != nil {
		c.Members = make([]MemberImpact, len(s.Members))
		for i, m := range s.Members {
			m.Gained, m.Lost = slices.Clone(m.Gained), slices.Clone(m.Lost)
			c.Members[i] = m
		}
	}
	c.Expect, c.Result = s.Expect.clone(), s.Result.clone()
	return &c
}

func (e *Expectation) clone() *Expectation {
	if e == nil {
		return nil
	}
	c := *e
	c.DirectLicenses = cloneLicenses(e.DirectLicenses)
	c.Groups = slices.Clone(e.Groups)
	c.GroupLicenses = cloneLicenses(e.GroupLicenses)
	return &c
}

func cloneLicenses(ls []licensing.AssignedLicense) []licensing.AssignedLicense {
	if ls == nil {
		return nil
	}
	out := make([]licensing.AssignedLicense, len(ls))
	for i, l := range ls {
		out[i] = licensing.AssignedLicense{SkuID: l.SkuID, DisabledPlans: slices.Clone(l.DisabledPlans)}
	}
	return out
}
