package planner

import (
	"slices"

	"github.com/licenseplan/licenseplan/internal/parallel"
	"github.com/licenseplan/licenseplan/licensing"
)

// reprocessSteps asks Entra to evaluate group paths in error again where the plan removed the
// cause: a conflicting direct license of the user, or seats freed by earlier steps. Each
// reprocess step waits for the user's own steps and for the steps that freed seats (by name,
// or by wave past maxReleaserDeps).
func (b *builder) reprocessSteps() {
	// The candidates are the users with a direct step and, when steps free seats, those with a
	// path in CountViolation: those of them with a group path in error are reprocessed. That
	// does not change as the loop below reprocesses others (a reprocess changes its user's
	// paths and seat counts), so it is read first, on every core.
	bulk := b.w.Bulk()
	inError := func(u int) bool { return bulk.HasPathInError(u, licensing.None, true) }
	var candidates []int
	if len(b.releasers) == 0 {
		candidates = parallel.Keep(b.touched, inError)
	} else {
		isTouched := make([]bool, b.w.NumUsers())
		for _, u := range b.touched {
			isTouched[u] = true
		}
		candidates = parallel.Indexes(b.w.NumUsers(), func(u int) bool {
			return (isTouched[u] || bulk.HasPathInError(u, licensing.CountViolation, false)) && inError(u)
		})
	}
	lastWave := b.maxWave // the latest wave planned before the reprocess steps
	var waveWhy *reason   // every reprocess in the wave after the others has this reason
	for _, u := range candidates {
		target := b.w.UserTarget(u)
		o := b.w.Predict(licensing.Change{Kind: licensing.ReprocessUser, User: target.ID})
		if len(o.Users) == 0 {
			continue
		}
		deps := b.deps(u)
		wave := 0
		why := reprocessReason
		for _, p := range b.w.Paths(u) {
			if p.State != licensing.PathError || p.Error != licensing.CountViolation {
				continue
			}
			if rs := b.releasers[p.Sku]; len(rs) <= maxReleaserDeps {
				deps = append(deps, rs...)
			} else {
				// A wave starts once every step of the waves before it succeeded: all the
				// steps that free seats of the SKU among them.
				wave = lastWave + 1
				if waveWhy == nil {
					waveWhy = &reason{kind: reasonReprocessWave, wave: lastWave + 1}
				}
				why = waveWhy
			}
		}
		step := b.add(&Step{Action: ReprocessLicenseAssignment, Target: target, Wave: wave, why: why}, dedupe(deps))
		before := b.w.EnabledPlans(u)
		b.w.Apply(licensing.Change{Kind: licensing.ReprocessUser, User: target.ID})
		after := b.w.EnabledPlans(u)
		step.Gained, step.Lost = b.in.planIDs(after.Minus(before)), b.in.planIDs(before.Minus(after))
		b.depends(u, step)
	}
}

// hasDirectStep reports whether user u has an assignLicense step in the plan so far.
func (b *builder) hasDirectStep(u int) bool {
	_, ok := slices.BinarySearch(b.touched, u)
	return ok
}

// holdsDirectly reports whether user u now holds directly a SKU that group g assigns (a move
// from the group to direct licenses).
func (b *builder) holdsDirectly(u, g int) bool {
	for _, p := range b.w.Paths(u) {
		if p.Direct() && slices.ContainsFunc(b.w.GroupLicenses(g), func(l licensing.AssignedLicense) bool { return l.SkuID == p.Sku }) {
			return true
		}
	}
	return false
}

func (b *builder) leaveSteps() {
	for u, t := range b.users {
		if t == nil || !t.groupsSet || t.mode != ModeExact {
			continue
		}
		for _, g := range b.w.UserGroups(u) {
			if slices.Contains(t.groups, g) || len(b.w.GroupLicenses(g)) == 0 {
				continue
			}
			target := b.w.UserTarget(u)
			gt := b.w.GroupTarget(g)
			if b.refusedByKind(RemoveGroupMember, g, target, t.from) {
				continue
			}
			why := &reason{kind: reasonLeave, group: gt.Name, from: t.from}
			if joined := b.joined[u]; len(joined) > 0 {
				why.joined = make([]string, len(joined))
				for i, j := range joined {
					why.joined[i] = b.w.Group(j).DisplayName
				}
			} else {
				why.direct = b.hasDirectStep(u) && b.holdsDirectly(u, g)
			}
			step := b.add(&Step{Action: RemoveGroupMember, Target: target, Group: &gt,
				why: why, Expect: b.in.member(true), Result: b.in.member(false)}, b.deps(u))
			before := b.w.EnabledPlans(u)
			o := b.w.Apply(licensing.Change{Kind: licensing.RemoveGroupMember, User: target.ID, Group: gt.ID})
			for _, v := range o.Violations {
				b.problemFromErr("", v, SeverityError, step)
			}
			b.released(step, o)
			after := b.w.EnabledPlans(u)
			step.Gained, step.Lost = b.in.planIDs(after.Minus(before)), b.in.planIDs(before.Minus(after))
			b.serviceLoss(step, target, before, after)
			b.depends(u, step)
		}
	}
}
