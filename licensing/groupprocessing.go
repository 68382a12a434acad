package licensing

import (
	"fmt"
	"slices"
	"strings"
)

// Group-based licensing as Entra processes it (DESIGN.md §2; fake/doc.go has the same model,
// written independently):
//
//   - A group's members are processed in ascending object id.
//   - Per member, all of the group's SKUs apply or none do. The checks come in a fixed order
//     and the first that fails decides: no usage location and no tenant default (every
//     license Other), a plan not offered in the usage location, a new mutual exclusion with the
//     member's other paths, no free seat, a plan the change would take away from an enabled
//     plan that depends on it. The licenses the check names get its error, the group's other
//     licenses get Other ("typically the result of an error with another license assigned by
//     the same group", Microsoft Learn, "Identify and resolve license assignment problems").
//   - A failing license the member already had from the group stays working: ActiveWithError
//     with its previous disabled plans (Entra does not take a working license away). One the
//     member did not have is Error: it enables nothing and holds no seat.
//   - Before any of this, the group's kind (Group.Kind, groupkind.go) may refuse the call as
//     Graph does: assignLicense to a group that cannot carry licenses (securityEnabled false),
//     and adding or removing members of a synced, dynamic or mail-enabled (non-Microsoft 365)
//     group. Each is InvalidInput naming the group, as in package fake.
//   - A group path that goes away (the member leaves, the group drops the SKU) while another
//     enabled plan depends on one of its plans stays, ActiveWithError with DependencyViolation:
//     the licenses "enter an error state… and can't be removed until the dependency is
//     resolved" (same article). Such a path is stuck (Path.Stuck) until the user is reprocessed
//     with the dependency fixed.

// assignGroup is POST /groups/{id}/assignLicense: the group's licenses change, then every
// member is processed again.
func (t *txn) assignGroup(c Change) {
	g, ok := t.group(c.Group)
	if !ok || t.refuseByKind(g, AssignGroupLicenses) {
		return
	}
	s := t.s
	target := s.GroupTarget(int(g))
	adds, removes, ok := t.licenses(func() Target { return target }, c.AddLicenses, c.RemoveLicenses)
	if !ok {
		return
	}
	old := t.getGroupLic(g)
	for _, sub := range removes {
		if !slices.ContainsFunc(old, func(l groupLicense) bool { return l.sub == sub }) {
			t.refuse(&Error{Kind: InvalidInput, Target: target, SkuID: s.subs[sub].Sku.ID, Message: fmt.Sprintf("%s: group does not hold SKU %s, so it cannot be removed", target, s.subs[sub].Sku.Title())})
		}
	}
	if t.refused {
		return
	}
	var next []groupLicense
	for _, l := range old {
		if !slices.Contains(removes, l.sub) && !slices.ContainsFunc(adds, func(a groupLicense) bool { return a.sub == l.sub }) {
			next = append(next, l)
		}
	}
	next = append(next, adds...)
	slices.SortFunc(next, func(a, b groupLicense) int { return int(a.sub - b.sub) })
	enabledBy := func(ls []groupLicense) PlanSet {
		var e PlanSet
		for _, l := range ls {
			e.unionMinus(s.subs[l.sub].Sku.plans, s.sets.Get(l.dis))
		}
		return e
	}
	for _, m := range t.newMissing(enabledBy(old), enabledBy(next)) {
		t.refuse(&Error{Kind: GroupPrerequisiteMissing, Target: target, Plans: append([]PlanID{m.Plan}, m.AnyOf...),
			Message: fmt.Sprintf("%s: %s needs one of %s in the same group's assignment (rule %q)", target, s.cat.PlanNamed(m.Plan, NamesBoth), t.planNames(m.AnyOf), m.Rule.Name)})
	}
	if t.refused {
		return
	}
	if t.groupLic == nil {
		t.groupLic = map[int32][]groupLicense{}
	}
	t.groupLic[g] = next
	for _, u := range s.byUserID(slices.Clone(t.getMembers(g))) {
		t.evaluate(u, g, true)
	}
}

// byUserID sorts user indexes by object id, the order Entra's group processing takes, and
// returns them.
func (s *State) byUserID(us []int32) []int32 {
	if s.idsAscend {
		// User order is id order: sorting the indexes sorts by id, without reading the ids.
		if !slices.IsSorted(us) {
			slices.Sort(us)
		}
		return us
	}
	cmp := func(a, b int32) int { return strings.Compare(s.users[a].u.ID, s.users[b].u.ID) }
	if !slices.IsSortedFunc(us, cmp) {
		slices.SortFunc(us, cmp)
	}
	return us
}

// hasLicense reports whether the group licenses lic include subscription sub.
func hasLicense(lic []groupLicense, sub int32) bool {
	return slices.ContainsFunc(lic, func(l groupLicense) bool { return l.sub == sub })
}

// evaluate processes group g's licenses for its member u (see the top of this file). With
// release, paths from g of SKUs the group no longer carries are released afterwards; without,
// they stay as they are and count as the member's other paths.
func (t *txn) evaluate(u, g int32, release bool) {
	lic := t.getGroupLic(g)
	old := t.getPaths(u)
	next := t.newPaths(old, len(old)+len(lic)) // the member's other paths, then the group's
	leftovers := false
	for _, p := range old {
		switch {
		case p.group != g || (!release && !hasLicense(lic, p.sub)):
			next = append(next, p)
		case !hasLicense(lic, p.sub):
			leftovers = true
		}
	}
	nOthers := len(next)
	if len(lic) > 0 {
		for _, l := range lic {
			next = append(next, path{sub: l.sub, group: g, state: PathActive, dis: l.dis})
		}
		others, mine := next[:nOthers], next[nOthers:]
		if fail, failing := t.memberFailure(u, g, old, others, mine); fail != nil {
			for i := range mine {
				kind := Other
				if failing[i] {
					kind = fail.Kind
				}
				if k := slices.IndexFunc(old, func(o path) bool { return o.group == g && o.sub == mine[i].sub && o.state.Enables() }); k >= 0 {
					mine[i].state, mine[i].err, mine[i].dis = PathActiveWithError, kind, old[k].dis
				} else {
					mine[i].state, mine[i].err = PathError, kind
				}
			}
			t.violations = append(t.violations, fail)
		}
	}
	if leftovers {
		for _, p := range old {
			if p.group == g && !hasLicense(lic, p.sub) {
				next = append(next, p)
			}
		}
	}
	if len(next) == 0 {
		next = nil
	}
	t.setPaths(u, next)
	if leftovers {
		t.release(u, g, func(p path) bool { return !hasLicense(lic, p.sub) })
	}
}

// memberFailure returns why group g's paths mine cannot apply to member u, whose other paths
// are others and whose paths were old, with the group's licenses (mine's indexes) that the
// failing check names; nil when they apply.
func (t *txn) memberFailure(u, g int32, old, others, mine []path) (*Error, []bool) {
	s := t.s
	m := t.groupMemo(g, t.getGroupLic(g))
	// The member's name is read only to explain a failure (most members get their licenses).
	target := func() Target { return s.UserTarget(int(u)) }
	gname := s.groups[g].g.DisplayName
	failing := func(f func(i int) bool) []bool {
		out := make([]bool, len(mine))
		for i := range mine {
			out[i] = f(i)
		}
		return out
	}
	loc := t.getUsage(u)
	if loc == "" {
		loc = s.defaultLoc
	}
	switch {
	case loc == "" && s.header.defaultLocUnknown:
		// The snapshot could not read the tenant's country: Entra has one (a tenant always
		// does), so the licenses are predicted to apply; which plans it allows is unknown.
	case loc == "":
		return &Error{Kind: Other, Target: target(), Message: fmt.Sprintf("%s: no usage location and no tenant default for licenses from group %s", target(), gname)},
			failing(func(int) bool { return true })
	}
	if ps := m.prohibitedIn(s.rules, loc); loc != "" && len(ps) > 0 {
		var bad PlanSet
		for _, p := range ps {
			bad.UnionWith(s.cat.PlanSetOf(p.Plans))
		}
		return &Error{Kind: ProhibitedInUsageLocationViolation, Target: target(), Plans: ps[0].Plans, Message: fmt.Sprintf("%s: %s from group %s not offered in usage location %s (rule %q)", target(), t.planNames(ps[0].Plans), gname, loc, ps[0].Rule.Name)},
			failing(func(i int) bool { return m.bySku[i].Plans.Intersects(bad) })
	}
	if m.mayConflict && s.mayConflictWith(mine, others) {
		if c, f := t.newConflicts(others, m.bySku); f != nil {
			e := t.conflictError(target(), c)
			e.Message += " — group " + gname
			return e, f
		}
	}
	noSeat := func(i int) bool {
		sub := mine[i].sub
		return !holdsSeat(others, sub) && t.consumed(sub)-t.heldBy(u, g, sub)+1 > s.subs[sub].Seats()
	}
	for i := range mine {
		if !noSeat(i) {
			continue
		}
		sb := &s.subs[mine[i].sub]
		used := t.consumed(mine[i].sub) - t.heldBy(u, g, mine[i].sub)
		return &Error{Kind: CountViolation, Target: target(), SkuID: sb.Sku.ID, Message: fmt.Sprintf("%s: no free seat of %s for group %s (%d of %d consumed)", target(), sb.Sku.Title(), gname, used, sb.Seats())},
			failing(noSeat)
	}
	return t.groupDependency(u, g, old, others, mine)
}

// newConflicts returns the first new conflict between one of the group's entries (one per
// license, in mine's order) and the member's other active paths or another of the group's
// entries, with every group license that has a plan in such a conflict; nil when there is none.
// A conflict is new unless the same plans of the same SKUs already conflict among the other
// paths.
func (t *txn) newConflicts(others []path, group []SkuPlans) (Conflict, []bool) {
	s := t.s
	obs := s.bySku(others, nil)
	var first Conflict
	var f []bool
	var was []Conflict // the conflicts among the other paths: not new
	wasKnown := false
	for i, a := range group {
		hit := func(b SkuPlans) bool {
			if b.Sku == a.Sku || !s.rules.mayConflict(a.Plans, b.Plans) {
				return false
			}
			cs := s.rules.Conflicts([]SkuPlans{a, b})
			if len(cs) > 0 && !wasKnown {
				was, wasKnown = s.rules.Conflicts(obs), true
			}
			cs = slices.DeleteFunc(cs, func(c Conflict) bool { return slices.ContainsFunc(was, c.same) })
			if len(cs) == 0 {
				return false
			}
			if f == nil {
				first = cs[0]
				f = make([]bool, len(group))
			}
			return true
		}
		if slices.ContainsFunc(obs, hit) || slices.ContainsFunc(group, hit) {
			f[i] = true
		}
	}
	return first, f
}

// groupDependency is the last check of a member's processing: applying the group's paths as
// they are now must not take from the member a plan another enabled plan depends on (a plan
// the group now disables, say). The group's licenses whose path enabled such a plan fail with
// DependencyViolation.
func (t *txn) groupDependency(u, g int32, old, others, mine []path) (*Error, []bool) {
	s := t.s
	// Most evaluations keep or widen what the group's paths enabled: nothing to check.
	narrower := false
	for _, o := range old {
		if o.group != g || !o.state.Enables() {
			continue
		}
		k := slices.IndexFunc(mine, func(p path) bool { return p.sub == o.sub })
		if k < 0 || (mine[k].dis != o.dis && !s.disabled(mine[k]).SubsetOf(s.disabled(o))) {
			narrower = true
			break
		}
	}
	if !narrower {
		return nil, nil
	}
	after := make([]path, 0, len(old)+len(mine))
	after = append(append(after, others...), mine...)
	for _, o := range old {
		if o.group == g && !slices.ContainsFunc(mine, func(p path) bool { return p.sub == o.sub }) {
			after = append(after, o) // a leftover: released after the evaluation
		}
	}
	before := s.enabledOf(old)
	missing := slices.DeleteFunc(t.newMissing(before, s.enabledOf(after)), func(m MissingPrerequisite) bool {
		i, _ := s.cat.PlanIndex(m.Plan)
		return !before.Has(i) // only what the member had can be taken away
	})
	if len(missing) == 0 {
		return nil, nil
	}
	mp := missing[0]
	need := s.cat.PlanSetOf(mp.AnyOf)
	f := make([]bool, len(mine))
	for i := range mine {
		for _, o := range old {
			if o.group == g && o.sub == mine[i].sub && o.state.Enables() && s.pathPlans(o).Intersects(need) {
				f[i] = true
			}
		}
	}
	ut := s.UserTarget(int(u))
	return &Error{Kind: DependencyViolation, Target: ut, Plans: append([]PlanID{mp.Plan}, mp.AnyOf...),
		Message: fmt.Sprintf("%s: the change to group %s would take away what %s needs (one of %s); the group's licenses keep their old plans until the dependency is resolved (rule %q)", ut, s.groups[g].g.DisplayName, s.cat.PlanNamed(mp.Plan, NamesBoth), t.planNames(mp.AnyOf), mp.Rule.Name)}, f
}

// newMissing returns the prerequisites missing in after that were not missing in before.
func (t *txn) newMissing(before, after PlanSet) []MissingPrerequisite {
	missing := t.s.rules.MissingPrerequisites(after)
	if len(missing) == 0 {
		return nil
	}
	was := t.s.rules.MissingPrerequisites(before)
	return slices.DeleteFunc(missing, func(m MissingPrerequisite) bool {
		return slices.ContainsFunc(was, func(w MissingPrerequisite) bool { return w.Plan == m.Plan })
	})
}

// same reports whether o is the same pair of plans of the same SKUs as c, in either order.
func (c Conflict) same(o Conflict) bool {
	return c == o || (c.Rule == o.Rule && c.Plans == [2]PlanID{o.Plans[1], o.Plans[0]} && c.Skus == [2]SkuID{o.Skus[1], o.Skus[0]})
}

// pathPlans returns the plans path p enables when it is active.
func (s *State) pathPlans(p path) PlanSet { return s.subs[p.sub].Sku.plans.Minus(s.disabled(p)) }

// release removes user u's paths from group g that match, except those whose plans another
// enabled plan depends on: they stay, ActiveWithError with DependencyViolation (stuck).
func (t *txn) release(u, g int32, match func(path) bool) {
	s := t.s
	cur := t.getPaths(u)
	keep := make([]path, 0, len(cur))
	var gone []path
	for _, p := range cur {
		if p.group == g && match(p) {
			gone = append(gone, p)
		} else {
			keep = append(keep, p)
		}
	}
	if len(gone) == 0 {
		return
	}
	before := s.enabledOf(cur)
	for {
		k, m := -1, MissingPrerequisite{}
		for _, mp := range t.newMissing(before, s.enabledOf(keep)) {
			need := s.cat.PlanSetOf(mp.AnyOf)
			if k = slices.IndexFunc(gone, func(p path) bool { return p.state.Enables() && s.pathPlans(p).Intersects(need) }); k >= 0 {
				m = mp
				break
			}
		}
		if k < 0 {
			break
		}
		p := gone[k]
		gone = slices.Delete(gone, k, k+1)
		if !(p.state == PathActiveWithError && p.err == DependencyViolation) {
			ut := s.UserTarget(int(u))
			t.violations = append(t.violations, &Error{Kind: DependencyViolation, Target: ut, SkuID: s.subs[p.sub].Sku.ID, Plans: append([]PlanID{m.Plan}, m.AnyOf...),
				Message: fmt.Sprintf("%s: %s from group %s stays (DependencyViolation) because %s needs one of %s; it can't be removed until the dependency is resolved and the user reprocessed (rule %q)",
					ut, s.subs[p.sub].Sku.Label(), s.groupName(g), s.cat.PlanName(m.Plan), t.planNames(m.AnyOf), m.Rule.Name)})
		}
		p.state, p.err = PathActiveWithError, DependencyViolation
		keep = append(keep, p)
	}
	if len(keep) == 0 {
		keep = nil
	}
	t.setPaths(u, keep)
}

// groupName is the group's displayName, or its id when it has none (an absent group).
func (s *State) groupName(g int32) string {
	if n := s.groups[g].g.DisplayName; n != "" {
		return n
	}
	return s.groups[g].g.ID
}

// groupMemo is what evaluate works out once for a group's licenses rather than once per
// member: those licenses by SKU (one entry per license, in order), whether any has a plan in
// an exclusion rule, and the plans prohibited in the last usage location asked about.
type groupMemo struct {
	g           int32
	lic         []groupLicense // the licenses it was made for (replaced as a whole, never changed)
	enabled     PlanSet
	bySku       []SkuPlans
	mayConflict bool
	loc         string
	prohibited  []Prohibition
	locKnown    bool
}

// groupMemo returns the memo of group g's licenses lic, making it if t has none for them. A
// group's licenses are replaced as a whole, never changed, so a memo made for the same slice
// holds.
func (t *txn) groupMemo(g int32, lic []groupLicense) *groupMemo {
	made := func(m *groupMemo) bool {
		return m != nil && m.g == g && len(m.lic) == len(lic) && len(lic) > 0 && &m.lic[0] == &lic[0]
	}
	if made(t.memo) {
		return t.memo
	}
	var m *groupMemo
	if int(g) < len(t.memos) {
		m = t.memos[g]
	}
	if made(m) {
		t.memo = m
		return m
	}
	if m == nil {
		if int(g) >= len(t.memos) {
			t.memos = append(t.memos, make([]*groupMemo, int(g)+1-len(t.memos))...)
		}
		m = new(groupMemo)
		t.memos[g] = m
	}
	t.memo = m
	s := t.s
	*m = groupMemo{g: g, lic: lic, bySku: make([]SkuPlans, len(lic))}
	for i, l := range lic {
		p := s.subs[l.sub].Sku.plans.Minus(s.sets.Get(l.dis))
		m.enabled.UnionWith(p)
		m.bySku[i] = SkuPlans{Sku: s.subs[l.sub].Sku.ID, Plans: p}
	}
	m.mayConflict = m.enabled.Intersects(s.rules.allExcl)
	return m
}

// prohibitedIn is rules.Prohibited of the group's enabled plans in country loc.
func (m *groupMemo) prohibitedIn(rules *RuleIndex, loc string) []Prohibition {
	if !m.locKnown || m.loc != loc {
		m.loc, m.prohibited, m.locKnown = loc, rules.Prohibited(m.enabled, loc), true
	}
	return m.prohibited
}

// heldBy is 1 when u's only seat of sub now comes from group g's path (it is released on re-evaluation).
func (t *txn) heldBy(u, g int32, sub int32) int {
	ps := t.getPaths(u)
	viaG, other := false, false
	for _, p := range ps {
		if p.sub != sub || p.state == PathError {
			continue
		}
		if p.group == g {
			viaG = true
		} else {
			other = true
		}
	}
	if viaG && !other {
		return 1
	}
	return 0
}

// membership is POST /groups/{id}/members/$ref or DELETE /groups/{id}/members/{userId}/$ref.
func (t *txn) membership(c Change) {
	u, ok := t.user(c.User)
	if !ok {
		return
	}
	g, ok := t.group(c.Group)
	if !ok || t.refuseByKind(g, c.Kind) {
		return
	}
	s := t.s
	groups := t.getUserGroups(u)
	member := slices.Contains(groups, g)
	target := s.UserTarget(int(u))
	gt := s.GroupTarget(int(g))
	if t.userGroups == nil {
		t.userGroups = map[int32][]int32{}
		t.members = map[int32][]int32{}
	}
	if c.Kind == AddGroupMember {
		if member {
			t.refuse(&Error{Kind: InvalidInput, Target: target, Message: fmt.Sprintf("%s is already a member of %s", target, gt)})
			return
		}
		ng := append(slices.Clone(groups), g)
		slices.Sort(ng)
		t.userGroups[u] = ng
		nm := append(slices.Clone(t.getMembers(g)), u)
		slices.Sort(nm)
		t.members[g] = nm
		if len(t.getGroupLic(g)) > 0 {
			t.evaluate(u, g, true)
		}
		return
	}
	if !member {
		t.refuse(&Error{Kind: InvalidInput, Target: target, Message: fmt.Sprintf("%s is not a member of %s", target, gt)})
		return
	}
	t.userGroups[u] = slices.DeleteFunc(slices.Clone(groups), func(x int32) bool { return x == g })
	t.members[g] = slices.DeleteFunc(slices.Clone(t.getMembers(g)), func(x int32) bool { return x == u })
	t.release(u, g, func(path) bool { return true })
}

// reprocess is POST /users/{id}/reprocessLicenseAssignment: the user's group paths in Error or
// ActiveWithError, its stuck paths, and the licensed groups whose paths it lacks are evaluated
// again, groups in ascending id. A group the user is a member of is processed for it; a path
// from a group it has left (or that is absent, or no longer carries the SKU) is released.
func (t *txn) reprocess(u int32) {
	s := t.s
	groups := t.getUserGroups(u)
	var todo []int32
	add := func(g int32) {
		if !slices.Contains(todo, g) {
			todo = append(todo, g)
		}
	}
	for _, p := range t.getPaths(u) {
		if p.group >= 0 && (p.state == PathError || p.state == PathActiveWithError || t.stuck(u, p)) {
			add(p.group)
		}
	}
	for _, g := range groups {
		if lic := t.getGroupLic(g); countGroupPaths(t.getPaths(u), g, lic) < len(lic) {
			add(g)
		}
	}
	slices.SortFunc(todo, func(a, b int32) int { return strings.Compare(s.groups[a].g.ID, s.groups[b].g.ID) })
	for _, g := range todo {
		if slices.Contains(t.getUserGroups(u), g) && !s.groups[g].absent {
			t.evaluate(u, g, true)
		} else {
			t.release(u, g, func(path) bool { return true })
		}
	}
}

// stuck is State.stuck within the txn: group path p of user u outlived its group's assignment.
func (t *txn) stuck(u int32, p path) bool {
	return stuckPath(t.s.groups[p.group].absent, t.getGroupLic(p.group), t.getUserGroups(u), p)
}

// reprocessErrors evaluates again user u's licensed groups where a path of a SKU the group
// carries is in Error or missing, groups in ascending id; its stuck paths are left as they are.
// Setting a usage location does this (Microsoft: with a usage location fixed, the licenses are
// "correctly assigned next time").
func (t *txn) reprocessErrors(u int32) {
	s := t.s
	groups := slices.Clone(t.getUserGroups(u))
	slices.SortFunc(groups, func(a, b int32) int { return strings.Compare(s.groups[a].g.ID, s.groups[b].g.ID) })
	for _, g := range groups {
		for _, l := range t.getGroupLic(g) {
			ps := t.getPaths(u)
			k := slices.IndexFunc(ps, func(p path) bool { return p.group == g && p.sub == l.sub })
			if k < 0 || ps[k].state == PathError {
				t.evaluate(u, g, false)
				break
			}
		}
	}
}
