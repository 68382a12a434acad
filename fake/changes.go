package fake

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// AssignUserLicenses implements planner.Tenant: POST /users/{id}/assignLicense. The adds and
// removes succeed together or the call fails and nothing changes. Adding a SKU the user holds
// directly replaces its disabledPlans. See doc.go for the checks and their order.
func (t *Tenant) AssignUserLicenses(ctx context.Context, userID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	return t.change(ctx, func() error {
		_, err := t.assignUser(userID, add, remove)
		return err
	})
}

// AssignGroupLicenses implements planner.Tenant: POST /groups/{id}/assignLicense. The group's
// licenses change at once; its members are processed in the background (see WithProcessingDelay).
func (t *Tenant) AssignGroupLicenses(ctx context.Context, groupID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	return t.change(ctx, func() error {
		_, err := t.assignGroup(groupID, add, remove)
		return err
	})
}

// SetUsageLocation implements planner.Tenant: PATCH /users/{id} {"usageLocation": …}.
func (t *Tenant) SetUsageLocation(ctx context.Context, userID, usageLocation string) error {
	return t.change(ctx, func() error {
		u, err := t.lookupUser(userID)
		if err != nil {
			return err
		}
		return t.setUsageLocation(u, usageLocation)
	})
}

// AddGroupMember implements planner.Tenant: POST /groups/{id}/members/$ref.
func (t *Tenant) AddGroupMember(ctx context.Context, groupID, userID string) error {
	return t.change(ctx, func() error {
		return t.addMember(groupID, userID)
	})
}

// RemoveGroupMember implements planner.Tenant: DELETE /groups/{id}/members/{userId}/$ref.
func (t *Tenant) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	return t.change(ctx, func() error {
		return t.removeMember(groupID, userID)
	})
}

// ReprocessUser implements planner.Tenant: POST /users/{id}/reprocessLicenseAssignment.
func (t *Tenant) ReprocessUser(ctx context.Context, userID string) error {
	return t.change(ctx, func() error {
		_, err := t.reprocess(userID)
		return err
	})
}

// DeleteGroup deletes a group (DELETE /groups/{id}). A group with licenses cannot be deleted
// (remove its licenses first). Work queued on the group is done first; paths that still name
// the group afterwards (stuck ones) stay on their users until a reprocess removes them.
func (t *Tenant) DeleteGroup(ctx context.Context, groupID string) error {
	return t.change(ctx, func() error {
		return t.deleteGroup(groupID)
	})
}

// change runs one write of the Go API under the tenant's lock, after the background processing
// that is due, unless ctx is already done.
func (t *Tenant) change(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t.lock()
	defer t.mu.Unlock()
	return f()
}

// resolveLicenses checks an assignLicense body against the tenant's subscriptions.
func (t *Tenant) resolveLicenses(target licensing.Target, add []licensing.AssignedLicense, remove []licensing.SkuID) ([]groupLicense, []int, error) {
	seen := map[licensing.SkuID]bool{}
	var adds []groupLicense
	for _, l := range add {
		i, ok := t.skuByID[l.SkuID]
		if !ok {
			return nil, nil, errUnknownSku(target, l.SkuID)
		}
		if seen[l.SkuID] {
			e := errInvalid(target, fmt.Sprintf("License %s appears more than once in addLicenses.", l.SkuID))
			e.SkuID = l.SkuID
			return nil, nil, e
		}
		seen[l.SkuID] = true
		s := t.skus[i]
		if !strings.EqualFold(s.info.AppliesTo, "User") {
			return nil, nil, errSkuNotAssignable(target, l.SkuID, "")
		}
		switch s.info.CapabilityStatus {
		case "Enabled", "Warning", "":
		default:
			return nil, nil, errSkuNotAssignable(target, l.SkuID, s.info.CapabilityStatus)
		}
		var dis licensing.PlanSet
		for _, p := range l.DisabledPlans {
			x, ok := t.cat.PlanIndex(p)
			if !ok || !s.plans.Has(x) {
				return nil, nil, errPlanNotInSku(target, l.SkuID, p)
			}
			dis.Add(x)
		}
		adds = append(adds, groupLicense{sku: i, disabled: dis})
	}
	var removes []int
	for _, id := range remove {
		i, ok := t.skuByID[id]
		if !ok {
			return nil, nil, errUnknownSku(target, id)
		}
		if seen[id] {
			e := errInvalid(target, fmt.Sprintf("License %s appears in both addLicenses and removeLicenses, or twice in removeLicenses.", id))
			e.SkuID = id
			return nil, nil, e
		}
		seen[id] = true
		removes = append(removes, i)
	}
	return adds, removes, nil
}

// assignUser is the direct assignment; it returns the user changed, or an error and no change.
func (t *Tenant) assignUser(ref string, add []licensing.AssignedLicense, remove []licensing.SkuID) (*user, error) {
	u, err := t.lookupUser(ref)
	if err != nil {
		return nil, err
	}
	target := u.target()
	adds, removes, err := t.resolveLicenses(target, add, remove)
	if err != nil {
		return nil, err
	}
	old := u.paths
	for _, r := range removes {
		direct, inherited := false, false
		for _, p := range old {
			if p.sku == r {
				direct = direct || p.group == ""
				inherited = inherited || p.group != ""
			}
		}
		if !direct {
			if inherited {
				return nil, errInherited(target, t.skus[r].info.SkuID)
			}
			return nil, errNotHeld(target, t.skus[r].info.SkuID)
		}
	}
	if len(adds) > 0 && u.usage == "" {
		return nil, errUsageLocation(target)
	}
	touched := func(s int) bool {
		return slices.Contains(removes, s) || slices.ContainsFunc(adds, func(l groupLicense) bool { return l.sku == s })
	}
	var next []path
	for _, p := range old {
		if p.group != "" || !touched(p.sku) {
			next = append(next, p)
		}
	}
	for _, l := range adds {
		next = append(next, path{sku: l.sku, disabled: l.disabled, state: licensing.StateActive})
	}
	if cs := t.newConflicts(old, next); len(cs) > 0 {
		return nil, errConflict(target, cs[0])
	}
	before, after := t.enabled(old), t.enabled(next)
	if ms := t.newMissingPrerequisites(before, after); len(ms) > 0 {
		return nil, errDependency(licensing.DependencyViolation, target, ms[0])
	}
	if ps := t.rules.Prohibited(after.Minus(before), u.usage); len(ps) > 0 {
		return nil, errProhibited(target, ps[0].Plans, u.usage)
	}
	for _, l := range adds {
		s := t.skus[l.sku]
		if !holdsSeat(old, l.sku) && s.consumed+1 > t.seats(l.sku) {
			return nil, errCount(target, s.info.SkuID)
		}
	}
	t.setPaths(u, next, CauseAssignLicense)
	return u, nil
}

// assignGroup changes a group's licenses and queues its members for processing.
func (t *Tenant) assignGroup(id string, add []licensing.AssignedLicense, remove []licensing.SkuID) (*group, error) {
	g, err := t.lookupGroup(id)
	if err != nil {
		return nil, err
	}
	if e := errGroupKind(g, false); e != nil {
		return nil, e
	}
	target := g.target()
	adds, removes, err := t.resolveLicenses(target, add, remove)
	if err != nil {
		return nil, err
	}
	held := func(s int) bool {
		return slices.ContainsFunc(g.licenses, func(l groupLicense) bool { return l.sku == s })
	}
	for _, r := range removes {
		if !held(r) {
			return nil, errNotHeld(target, t.skus[r].info.SkuID)
		}
	}
	var next []groupLicense
	for _, l := range g.licenses {
		if !slices.Contains(removes, l.sku) && !slices.ContainsFunc(adds, func(a groupLicense) bool { return a.sku == l.sku }) {
			next = append(next, l)
		}
	}
	next = append(next, adds...)
	slices.SortFunc(next, func(a, b groupLicense) int { return a.sku - b.sku })
	if ms := t.newMissingPrerequisites(t.groupPlans(g.licenses), t.groupPlans(next)); len(ms) > 0 {
		return nil, errDependency(licensing.GroupPrerequisiteMissing, target, ms[0])
	}
	g.licenses = next
	users := slices.Clone(g.members)
	t.queue(g, CauseGroupProcessing, users...)
	return g, nil
}

func (t *Tenant) groupPlans(ls []groupLicense) licensing.PlanSet {
	var e licensing.PlanSet
	for _, l := range ls {
		e.UnionWith(t.skus[l.sku].plans.Minus(l.disabled))
	}
	return e
}

// setUsageLocation sets or clears the user's usage location. It is refused when it would
// clear the location of a user with direct licenses, or put an enabled plan in a country
// where it is not offered. After the change, the user's group paths in Error are evaluated again.
func (t *Tenant) setUsageLocation(u *user, loc string) error {
	target := u.target()
	loc = strings.ToUpper(strings.TrimSpace(loc))
	if loc != "" && !licensing.IsCountryCode(loc) {
		return errInvalid(target, "Invalid value specified for property 'usageLocation' of resource 'User'.")
	}
	if loc == "" && slices.ContainsFunc(u.paths, func(p path) bool { return p.group == "" }) {
		return newError(licensing.UsageLocationMissing, CodeBadRequest, target,
			"A usage location is required for a user who has licenses assigned directly: it cannot be removed.")
	}
	effective := func(l string) string {
		if l == "" {
			return t.defaultLoc
		}
		return l
	}
	en := t.enabled(u.paths)
	had := map[*licensing.UsageLocationRule]bool{}
	for _, p := range t.rules.Prohibited(en, effective(u.usage)) {
		had[p.Rule] = true
	}
	for _, p := range t.rules.Prohibited(en, effective(loc)) {
		if !had[p.Rule] {
			return errProhibited(target, p.Plans, effective(loc))
		}
	}
	u.usage = loc
	t.evaluateErrors(u, CauseUsageLocation)
	return nil
}

// evaluateErrors evaluates again the user's licensed groups (those it is a member of) where a
// path of a SKU the group carries is in Error or missing. Stuck paths are left as they are.
func (t *Tenant) evaluateErrors(u *user, cause Cause) {
	for _, gid := range slices.Clone(u.groups) {
		g := t.groups[gid]
		for _, l := range g.licenses {
			i := slices.IndexFunc(u.paths, func(p path) bool { return p.group == gid && p.sku == l.sku })
			if i < 0 || u.paths[i].state == licensing.StateError {
				t.processMember(gid, u, cause, true, false)
				break
			}
		}
	}
}

// reprocess is reprocessLicenseAssignment. The groups to process are those from which the user
// has a path in Error or ActiveWithError or a stuck path, and the licensed groups it is a
// member of whose paths it lacks; in ascending group id order, a group the user is a member
// of is processed for it (its SKUs evaluated, its paths of SKUs it no longer carries removed);
// for any other group, its paths are removed (each goes unless a remaining plan still depends
// on it).
func (t *Tenant) reprocess(ref string) (*user, error) {
	u, err := t.lookupUser(ref)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, p := range u.paths {
		if p.group != "" && (p.state == licensing.StateError || p.state == licensing.StateActiveWithError || t.stuck(u, p)) {
			ids = append(ids, p.group)
		}
	}
	for _, gid := range u.groups {
		for _, l := range t.groups[gid].licenses {
			if !slices.ContainsFunc(u.paths, func(p path) bool { return p.group == gid && p.sku == l.sku }) {
				ids = append(ids, gid)
			}
		}
	}
	slices.Sort(ids)
	for _, gid := range slices.Compact(ids) {
		t.processMember(gid, u, CauseReprocess, true, true)
	}
	return u, nil
}

func (t *Tenant) addMember(groupID, userID string) error {
	g, err := t.lookupGroup(groupID)
	if err != nil {
		return err
	}
	u, err := t.lookupUser(userID)
	if err != nil {
		return err
	}
	if e := errGroupKind(g, true); e != nil {
		return e
	}
	if u.isMember(g.data.ID) {
		return errInvalid(u.target(), msgMemberExists)
	}
	g.members = insertSorted(g.members, u.data.ID)
	u.groups = insertSorted(u.groups, g.data.ID)
	if len(g.licenses) > 0 {
		t.queue(g, CauseMembership, u.data.ID)
	}
	return nil
}

func (t *Tenant) removeMember(groupID, userID string) error {
	g, err := t.lookupGroup(groupID)
	if err != nil {
		return err
	}
	u, err := t.lookupUser(userID)
	if err != nil {
		return err
	}
	if e := errGroupKind(g, true); e != nil {
		return e
	}
	if !u.isMember(g.data.ID) {
		return newError(licensing.InvalidInput, CodeNotFound, u.target(), msgMemberNotFound)
	}
	g.members = deleteSorted(g.members, u.data.ID)
	u.groups = deleteSorted(u.groups, g.data.ID)
	if slices.ContainsFunc(u.paths, func(p path) bool { return p.group == g.data.ID }) {
		t.queue(g, CauseMembership, u.data.ID)
	}
	return nil
}

func (t *Tenant) deleteGroup(id string) error {
	g, err := t.lookupGroup(id)
	if err != nil {
		return err
	}
	if len(g.licenses) > 0 {
		return errLicensedGroup(g.target())
	}
	if g.work != nil {
		t.process(g)
	}
	delete(t.groups, id)
	t.groupIDs = deleteSorted(t.groupIDs, id)
	t.groupOrder = slices.DeleteFunc(t.groupOrder, func(x *group) bool { return x == g })
	for _, uid := range g.members {
		u := t.users[uid]
		u.groups = deleteSorted(u.groups, id)
	}
	g.members = nil
	return nil
}

func insertSorted(s []string, v string) []string {
	i, found := slices.BinarySearch(s, v)
	if found {
		return s
	}
	return slices.Insert(s, i, v)
}

func deleteSorted(s []string, v string) []string {
	i, found := slices.BinarySearch(s, v)
	if !found {
		return s
	}
	return slices.Delete(s, i, i+1)
}
