package fake

import (
	"slices"

	"github.com/licenseplan/licenseplan/licensing"
)

// queue asks for the group's background processing of the given users (its members, or
// former members whose paths from the group must go). With no processing delay the work is
// done at once; otherwise the group is QueuedForProcessing, then ProcessingInProgress, and the
// work is done when the delay has passed since the group was first queued.
func (t *Tenant) queue(g *group, cause Cause, users ...string) {
	if len(users) == 0 {
		return
	}
	if g.work == nil {
		g.work = map[string]Cause{}
		g.queuedAt = t.clock.Now()
		g.processing = licensing.ProcessingQueued
		t.queued = append(t.queued, g)
	}
	for _, id := range users {
		g.work[id] = cause
	}
	if t.delay <= 0 {
		t.process(g)
	}
}

// runDue does the background work that is due by the clock and moves processing states on.
func (t *Tenant) runDue() {
	if len(t.queued) == 0 {
		return
	}
	now := t.clock.Now()
	for _, g := range slices.Clone(t.queued) {
		switch due := g.queuedAt.Add(t.delay); {
		case !now.Before(due):
			t.process(g)
		case !now.Before(g.queuedAt.Add(t.delay / 2)):
			g.processing = licensing.ProcessingInProgress
		}
	}
}

// ProcessGroups does all queued group processing now, whatever the processing delay.
func (t *Tenant) ProcessGroups() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.queued) > 0 {
		t.process(t.queued[0])
	}
}

// process evaluates the group's queued users in ascending id order, so members beyond the
// free seats are the ones with the highest ids.
func (t *Tenant) process(g *group) {
	t.queued = slices.DeleteFunc(t.queued, func(x *group) bool { return x == g })
	work := g.work
	g.work = nil
	g.processing = licensing.ProcessingComplete
	ids := make([]string, 0, len(work))
	for id := range work {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		t.evaluateMember(g, t.users[id], work[id])
	}
}

// isMember reports whether the user is a direct member of the group.
func (u *user) isMember(gid string) bool {
	_, ok := slices.BinarySearch(u.groups, gid)
	return ok
}

// evaluateMember applies the group's licenses to one user as Entra's group processing does:
// all of the group's SKUs apply, or none do and every path from the group is in Error with
// the reason. A user who is no longer a member (or a deleted group's former member) loses the
// group's paths. Either way, a path whose plans a remaining plan depends on is converted to a
// direct assignment instead of disappearing (see keepPrerequisites).
func (t *Tenant) evaluateMember(g *group, u *user, cause Cause) {
	old := u.paths
	var others, mine []path
	for _, p := range old {
		if p.group != g.data.ID {
			others = append(others, p)
		}
	}
	if t.groups[g.data.ID] == g && u.isMember(g.data.ID) {
		for _, l := range g.licenses {
			mine = append(mine, path{sku: l.sku, group: g.data.ID, disabled: l.disabled, state: licensing.StateActive})
		}
		if kind := t.memberError(g, u, old, others, mine); kind != licensing.None {
			for i := range mine {
				mine[i].state, mine[i].err = licensing.StateError, kind
			}
		}
	}
	next := append(slices.Clip(others), mine...)
	next = t.keepPrerequisites(g.data.ID, old, next)
	t.setPaths(u, next, cause)
}

// memberError returns why the group's paths cannot apply to the user, or None. The checks
// come in a fixed order: usage location, usage-location prohibitions, mutual exclusion with
// the user's other active paths, then seats.
func (t *Tenant) memberError(g *group, u *user, old, others, mine []path) licensing.Kind {
	loc := u.usage
	if loc == "" {
		loc = t.defaultLoc
	}
	if loc == "" {
		return licensing.Other
	}
	if len(t.rules.Prohibited(t.enabled(mine), loc)) > 0 {
		return licensing.ProhibitedInUsageLocationViolation
	}
	if len(t.newConflicts(others, append(slices.Clip(others), mine...))) > 0 {
		return licensing.MutuallyExclusiveViolation
	}
	for _, p := range mine {
		if holdsSeat(others, p.sku) {
			continue
		}
		s := t.skus[p.sku]
		used := s.consumed
		if holdsSeat(old, p.sku) {
			used-- // the seat this group's path holds now is the user's to keep
		}
		if used+1 > s.info.PrepaidUnits.Enabled {
			return licensing.CountViolation
		}
	}
	return licensing.None
}

// keepPrerequisites implements Entra's documented conversion: when a group path goes away (or
// stops enabling a plan) while a remaining enabled plan depends on one of its plans, the
// path's license is converted to a direct assignment with the path's old disabled plans. An
// existing direct assignment of that SKU is widened to enable the needed plans instead.
func (t *Tenant) keepPrerequisites(gid string, old, next []path) []path {
	before := t.enabled(old)
	done := map[int]bool{}
	for {
		missing := t.newMissingPrerequisites(before, t.enabled(next))
		converted := false
		for _, m := range missing {
			need := t.cat.PlanSetOf(m.AnyOf)
			for _, o := range old {
				if o.group != gid || done[o.sku] || !o.enables() || !t.pathPlans(o).Intersects(need) {
					continue
				}
				next = t.convert(next, o)
				done[o.sku] = true
				converted = true
				break
			}
			if converted {
				break
			}
		}
		if !converted {
			return next
		}
	}
}

func (t *Tenant) convert(next []path, o path) []path {
	for i, p := range next {
		if p.group == "" && p.sku == o.sku {
			next[i].disabled = p.disabled.Intersect(o.disabled)
			return next
		}
	}
	return append(next, path{sku: o.sku, disabled: o.disabled.Clone(), state: licensing.StateActive})
}
