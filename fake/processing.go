package fake

import (
	"slices"

	"github.com/licenseplan/licenseplan/licensing"
)

// ProcessingFailed is the licenseProcessingState of a group whose last processing failed (see
// FailNextProcessing): its queued members were not evaluated and the work was dropped.
const ProcessingFailed = "ProcessingFailed"

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

// FailNextProcessing is a test hook of the fake (Entra has nothing like it): the group's next
// processing ends in ProcessingFailed instead of ProcessingComplete. Its queued members are not
// evaluated and the work is dropped, so members keep the paths they had (a new member has no
// path from the group until it is processed again or reprocessed). The group stays
// ProcessingFailed, in licenseProcessingState through the Go API and Graph, until it is queued
// again. Work already queued fails when it is due; otherwise the next work queued fails.
func (t *Tenant) FailNextProcessing(groupID string) error {
	t.lock()
	defer t.mu.Unlock()
	g, err := t.lookupGroup(groupID)
	if err != nil {
		return err
	}
	g.failNext = true
	return nil
}

// process evaluates the group's queued users in ascending id order, so members beyond the
// free seats are the ones with the highest ids.
func (t *Tenant) process(g *group) {
	t.queued = slices.DeleteFunc(t.queued, func(x *group) bool { return x == g })
	work := g.work
	g.work = nil
	if g.failNext {
		g.failNext = false
		g.processing = ProcessingFailed
		return
	}
	g.processing = licensing.ProcessingComplete
	ids := make([]string, 0, len(work))
	for id := range work {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		t.processMember(g.data.ID, t.users[id], work[id], true, true)
	}
}

// isMember reports whether the user is a direct member of the group.
func (u *user) isMember(gid string) bool {
	_, ok := slices.BinarySearch(u.groups, gid)
	return ok
}

// carried returns the licenses of group gid that apply to u: the group's licenses when the
// group exists and u is a direct member of it, none otherwise.
func (t *Tenant) carried(gid string, u *user) []groupLicense {
	if g, ok := t.groups[gid]; ok && u.isMember(gid) {
		return g.licenses
	}
	return nil
}

func carries(ls []groupLicense, s int) bool {
	return slices.ContainsFunc(ls, func(l groupLicense) bool { return l.sku == s })
}

// stuck reports whether a group path of u has outlived its reason: its group is gone, no
// longer carries its SKU or no longer lists u as a member.
func (t *Tenant) stuck(u *user, p path) bool {
	return p.group != "" && !carries(t.carried(p.group, u), p.sku)
}

// processMember is group gid's processing for user u. With eval, the SKUs the group carries
// for u are evaluated (evaluate: all apply, or the failing ones get their reason and the others
// Other). With remove, u's paths from the group of SKUs it does not carry for u (all of them
// when the group is gone or u is not a member) are removed, except those a remaining plan
// depends on, which stay stuck (removeGroupPaths). Without remove they are left as they are
// and count as u's other paths.
func (t *Tenant) processMember(gid string, u *user, cause Cause, eval, remove bool) {
	carried := t.carried(gid, u)
	old := u.paths
	var others, current, gone []path
	for _, p := range old {
		switch {
		case p.group != gid:
			others = append(others, p)
		case carries(carried, p.sku):
			current = append(current, p)
		case remove:
			gone = append(gone, p)
		default:
			others = append(others, p)
		}
	}
	mine := current
	if eval && len(carried) > 0 {
		mine = t.evaluate(gid, u, carried, old, others, current, gone)
	}
	keep := append(slices.Clip(others), mine...)
	if len(gone) > 0 {
		keep = t.removeGroupPaths(keep, gone)
	}
	t.setPaths(u, keep, cause)
}

// evaluate applies the group's licenses to u and returns the group's paths. The checks come in
// a fixed order and the first failing one decides: no usage location (and no tenant default):
// every license Other; plans prohibited in the usage location; plans newly mutually exclusive
// with u's other paths; no free seat; a plan of u's left newly without its prerequisite by
// the group's disabled plans (the group's paths being removed still count as there). The licenses failing the check get its kind, the group's other
// licenses Other. A failing license whose path from the group was enabling keeps it, as
// ActiveWithError with its previous disabled plans; a new one is Error.
func (t *Tenant) evaluate(gid string, u *user, carried []groupLicense, old, others, current, gone []path) []path {
	mine := make([]path, len(carried))
	for i, l := range carried {
		mine[i] = path{sku: l.sku, group: gid, disabled: l.disabled, state: licensing.StateActive}
	}
	kind, failing := t.memberError(u, old, others, current, gone, mine)
	if kind == licensing.None {
		return mine
	}
	for i := range mine {
		k := licensing.Other
		if failing == nil || failing[mine[i].sku] {
			k = kind
		}
		mine[i].err = k
		mine[i].state = licensing.StateError
		for _, c := range current {
			if c.sku == mine[i].sku && c.enables() {
				mine[i].state, mine[i].disabled = licensing.StateActiveWithError, c.disabled
			}
		}
	}
	return mine
}

// memberError returns why the group's new paths (mine) cannot apply to u and the SKUs that
// fail (nil: all of them), or None. others are u's paths not from the group, current the
// group's paths of the SKUs it carries and gone its paths about to be removed.
func (t *Tenant) memberError(u *user, old, others, current, gone, mine []path) (licensing.Kind, map[int]bool) {
	loc := u.usage
	if loc == "" {
		loc = t.defaultLoc
	}
	if loc == "" {
		return licensing.Other, nil
	}
	failing := map[int]bool{}
	for _, p := range mine {
		if len(t.rules.Prohibited(t.pathPlans(p), loc)) > 0 {
			failing[p.sku] = true
		}
	}
	if len(failing) > 0 {
		return licensing.ProhibitedInUsageLocationViolation, failing
	}
	for _, c := range t.newConflicts(others, append(slices.Clip(others), mine...)) {
		for k := range 2 {
			for _, p := range mine {
				if t.skus[p.sku].info.SkuID == c.Skus[k] && t.planEnabled(p, c.Plans[k]) {
					failing[p.sku] = true
				}
			}
		}
	}
	if len(failing) > 0 {
		return licensing.MutuallyExclusiveViolation, failing
	}
	for _, p := range mine {
		if holdsSeat(others, p.sku) {
			continue
		}
		used := t.skus[p.sku].consumed
		if holdsSeat(current, p.sku) {
			used-- // the seat this group's path holds now is the user's to keep
		}
		if used+1 > t.seats(p.sku) {
			failing[p.sku] = true
		}
	}
	if len(failing) > 0 {
		return licensing.CountViolation, failing
	}
	before := t.enabled(old)
	for _, m := range t.newMissingPrerequisites(before, t.enabled(slices.Concat(others, mine, gone))) {
		if x, ok := t.cat.PlanIndex(m.Plan); !ok || !before.Has(x) {
			continue // a plan the group newly enables: its prerequisite is in the group's own assignment
		}
		need := t.cat.PlanSetOf(m.AnyOf)
		for _, c := range current {
			if c.enables() && t.pathPlans(c).Intersects(need) {
				failing[c.sku] = true
			}
		}
		return licensing.DependencyViolation, failing
	}
	return licensing.None, nil
}

// planEnabled reports whether the path enables the plan (were it active).
func (t *Tenant) planEnabled(p path, id licensing.PlanID) bool {
	x, ok := t.cat.PlanIndex(id)
	return ok && t.pathPlans(p).Has(x)
}

// seats returns the SKU's assignable seats: prepaidUnits.enabled plus prepaidUnits.warning
// (a subscription in its grace period, whose seats Graph documents as available for normal use
// and assignment).
func (t *Tenant) seats(s int) int {
	p := t.skus[s].info.PrepaidUnits
	return p.Enabled + p.Warning
}

// removeGroupPaths removes the gone paths (in SKU order) from a user whose paths are keep and
// gone: a path goes away unless removing it leaves one of the user's enabled plans newly
// without its prerequisite. Then, for the first such prerequisite (in rule order) that a gone
// path can give, the first gone path that enables one of the plans it accepts stays,
// ActiveWithError with DependencyViolation and its disabled plans unchanged (it is stuck), and
// the check is repeated. It returns keep with the paths that stay.
func (t *Tenant) removeGroupPaths(keep, gone []path) []path {
	before := t.enabled(slices.Concat(keep, gone))
	gone = slices.Clone(gone)
	for len(gone) > 0 {
		i := -1
		for _, m := range t.newMissingPrerequisites(before, t.enabled(keep)) {
			need := t.cat.PlanSetOf(m.AnyOf)
			if i = slices.IndexFunc(gone, func(p path) bool { return p.enables() && t.pathPlans(p).Intersects(need) }); i >= 0 {
				break
			}
		}
		if i < 0 {
			break
		}
		p := gone[i]
		p.state, p.err = licensing.StateActiveWithError, licensing.DependencyViolation
		keep = append(keep, p)
		gone = slices.Delete(gone, i, i+1)
	}
	return keep
}
