package planner

import (
	"slices"

	"github.com/licenseplan/licenseplan/licensing"
)

func (b *builder) usageLocationSteps() {
	for u, t := range b.users {
		if t == nil || t.usage == "" || t.usage == b.w.UsageLocation(u) {
			continue
		}
		target := b.w.UserTarget(u)
		step := b.add(&Step{Action: SetUsageLocation, Target: target, UsageLocation: t.usage,
			why: &reason{kind: reasonUsageLocation, usage: t.usage, before: b.w.UsageLocation(u), from: t.usageFrom}, Expect: &Expectation{UsageLocation: b.w.UsageLocation(u)}}, b.deps(u))
		inError := b.w.Bulk().HasPathInError(u, licensing.None, true)
		before := b.w.EnabledPlans(u)
		o := b.w.Apply(licensing.Change{Kind: licensing.SetUsageLocation, User: target.ID, UsageLocation: t.usage})
		step.Result = &Expectation{UsageLocation: b.w.UsageLocation(u)}
		for _, v := range o.Violations {
			b.problemFromErr("", v, SeverityError, step)
		}
		b.depends(u, step)
		if !inError || o.Refused {
			continue
		}
		// Microsoft: after the usage location is fixed, the group licenses are assigned "next
		// time" the user is processed (Identify and resolve license assignment problems).
		rs := b.add(&Step{Action: ReprocessLicenseAssignment, Target: target, why: usageReprocessReason}, b.deps(u))
		after := b.w.EnabledPlans(u)
		rs.Gained, rs.Lost = b.in.planIDs(after.Minus(before)), b.in.planIDs(before.Minus(after))
		b.depends(u, rs)
	}
}

func (b *builder) joinSteps() {
	joinsByGroup := map[int][]int32{}
	b.joined = map[int][]int{}
	for u, t := range b.users {
		if t == nil || !t.groupsSet {
			continue
		}
		cur := b.w.UserGroups(u)
		for _, g := range t.groups {
			if slices.Contains(cur, g) {
				continue
			}
			target := b.w.UserTarget(u)
			gt := b.w.GroupTarget(g)
			if b.refusedByKind(AddGroupMember, g, target, t.from) {
				continue
			}
			why := &reason{kind: reasonJoin, group: gt.Name, from: t.from, direct: b.bridge(u, t, g)}
			deps := b.deps(u)
			if w, ok := b.waits[g]; ok {
				deps = append(deps, w)
			}
			step := b.add(&Step{Action: AddGroupMember, Target: target, Group: &gt,
				why: why, Expect: b.in.member(false), Result: b.in.member(true)}, deps)
			before := b.w.EnabledPlans(u)
			o := b.w.Apply(licensing.Change{Kind: licensing.AddGroupMember, User: target.ID, Group: gt.ID})
			if o.Refused {
				for _, v := range o.Violations {
					b.problemFromErr("", v, SeverityError, step)
				}
				continue
			}
			for _, v := range o.Violations {
				b.problemFromErr("", v, SeverityError, step)
			}
			after := b.w.EnabledPlans(u)
			step.Gained, step.Lost = b.in.planIDs(after.Minus(before)), b.in.planIDs(before.Minus(after))
			b.serviceLoss(step, target, before, after)
			b.countryUnknown(step, u, g)
			joinsByGroup[g] = append(joinsByGroup[g], step.n)
			b.joined[u] = append(b.joined[u], g)
		}
	}
	groups := make([]int, 0, len(joinsByGroup))
	for g := range joinsByGroup {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	for _, g := range groups {
		w := b.steps[b.wait(g, joinsByGroup[g]...)]
		for u, gs := range b.joined {
			if slices.Contains(gs, g) {
				b.depends(u, w)
			}
		}
	}
}
