package licensing

import (
	"fmt"
	"slices"
	"strings"
)

// The changes to one user: assignLicense (atomic: every add and remove, or nothing) and setting
// the usage location.

func (t *txn) assignUser(c Change) {
	u, ok := t.user(c.User)
	if !ok {
		return
	}
	t.assignUserAt(u, c.AddLicenses, c.RemoveLicenses)
}

func (t *txn) assignUserAt(u int32, add []AssignedLicense, remove []SkuID) {
	s := t.s
	// The user's name is read only to explain a refusal (most calls are accepted).
	var tg Target
	target := func() Target {
		if tg.ID == "" {
			tg = s.UserTarget(int(u))
		}
		return tg
	}
	adds, removes, ok := t.licenses(target, add, remove)
	if !ok {
		return
	}
	old := t.getPaths(u)
	for _, sub := range removes {
		direct, inherited := false, []string(nil)
		for _, p := range old {
			if p.sub == sub {
				if p.direct() {
					direct = true
				} else {
					inherited = append(inherited, s.groups[p.group].g.DisplayName)
				}
			}
		}
		sku := s.subs[sub].Sku
		switch {
		case direct:
		case len(inherited) > 0:
			t.refuse(&Error{Kind: InheritedLicense, Target: target(), SkuID: sku.ID, Message: fmt.Sprintf("%s: SKU %s is inherited from a group membership (%s) and cannot be removed from the user directly; remove the user from the group or change the group's licenses", target(), sku.Title(), strings.Join(inherited, ", "))})
		default:
			t.refuse(&Error{Kind: InvalidInput, Target: target(), SkuID: sku.ID, Message: fmt.Sprintf("%s: user does not hold SKU %s, so it cannot be removed", target(), sku.Title())})
		}
	}
	if len(adds) > 0 && t.getUsage(u) == "" {
		t.refuse(&Error{Kind: UsageLocationMissing, Target: target(), Message: fmt.Sprintf("%s has no usageLocation; set one (e.g. \"US\") before assigning licenses directly", target())})
	}
	if t.refused {
		return
	}
	touched := func(sub int32) bool {
		return slices.ContainsFunc(adds, func(l groupLicense) bool { return l.sub == sub }) || slices.Contains(removes, sub)
	}
	next := t.pathsFor(len(old) + len(adds))
	for _, p := range old {
		if !(p.direct() && touched(p.sub)) {
			next = append(next, p)
		}
	}
	for _, l := range adds {
		next = append(next, path{sub: l.sub, group: -1, state: PathActive, dis: l.dis})
	}
	sortPaths(next)
	// The enabled sets live in the txn's buffers (an ApplyUserLicenses outcome holds them
	// until the next call; a Predict's txn is its own).
	before, after := s.enabledIn(t.bufs[0], old), s.enabledIn(t.bufs[1], next)
	t.bufs[0], t.bufs[1] = before.w, after.w
	added := func(id SkuID) bool {
		return slices.ContainsFunc(adds, func(l groupLicense) bool { return s.subs[l.sub].Sku.ID == id })
	}
	if cs := s.conflictsOf(next); len(cs) > 0 {
		// Only conflicts the call creates: a pair already enabled (a stuck group path, say) is
		// not made by re-adding one of its SKUs.
		was := s.conflictsOf(old)
		for _, c := range cs {
			if (added(c.Skus[0]) || added(c.Skus[1])) && !slices.ContainsFunc(was, c.same) {
				t.refuse(t.conflictError(target(), c))
			}
		}
	}
	t.checkDependencies(target, before, after, DependencyViolation)
	gained := PlanSet{w: t.bufs[2][:0]}
	gained.unionMinus(after, before)
	t.bufs[2] = gained.w
	for _, p := range s.rules.Prohibited(gained, t.getUsage(u)) {
		t.refuse(&Error{Kind: ProhibitedInUsageLocationViolation, Target: target(), Plans: p.Plans, Message: fmt.Sprintf("%s: %s not offered in usage location %s (rule %q)", target(), t.planNames(p.Plans), t.getUsage(u), p.Rule.Name)})
	}
	for _, l := range adds {
		if holdsSeat(old, l.sub) {
			continue
		}
		sb := &s.subs[l.sub]
		if t.consumed(l.sub)+1 > sb.Seats() {
			t.refuse(&Error{Kind: CountViolation, Target: target(), SkuID: sb.Sku.ID, Message: fmt.Sprintf("%s: no free seat of %s (%d of %d consumed)", target(), sb.Sku.Title(), t.consumed(l.sub), sb.Seats())})
		}
	}
	if t.refused {
		return
	}
	t.setPaths(u, next)
	t.known.ok, t.known.u, t.known.before, t.known.after = true, u, before, after
}

func (t *txn) setUsageLocation(c Change) {
	u, ok := t.user(c.User)
	if !ok {
		return
	}
	s := t.s
	target := s.UserTarget(int(u))
	loc := strings.ToUpper(strings.TrimSpace(c.UsageLocation))
	if loc != "" && !IsCountryCode(loc) {
		t.refuse(&Error{Kind: InvalidInput, Target: target, Message: fmt.Sprintf("%s: usage location %s", target, CountryCodeProblem(loc))})
		return
	}
	ps := t.getPaths(u)
	if loc == "" && slices.ContainsFunc(ps, func(p path) bool { return p.direct() }) {
		t.refuse(&Error{Kind: UsageLocationMissing, Target: target, Message: fmt.Sprintf("%s holds direct licenses, so its usage location cannot be cleared", target)})
		return
	}
	enabled := s.enabledOf(ps)
	had := map[*UsageLocationRule]bool{}
	for _, p := range s.rules.Prohibited(enabled, t.getUsage(u)) {
		had[p.Rule] = true
	}
	for _, p := range s.rules.Prohibited(enabled, loc) {
		if !had[p.Rule] {
			t.refuse(&Error{Kind: ProhibitedInUsageLocationViolation, Target: target, Plans: p.Plans, Message: fmt.Sprintf("%s: %s not offered in usage location %s (rule %q)", target, t.planNames(p.Plans), loc, p.Rule.Name)})
		}
	}
	if t.refused {
		return
	}
	if t.usage == nil {
		t.usage = map[int32]string{}
	}
	t.usage[u] = loc
	if t.paths.set(u, ps) {
		t.touched = append(t.touched, u)
	}
	// A new usage location may resolve a group path in error (e.g. a prohibited plan, or no location).
	t.reprocessErrors(u)
}
