package licensing

import (
	"fmt"
	"slices"
	"strings"
)

// The checks a change's body and its effect go through: the SKUs and disabled plans of an
// assignLicense body, exclusion rules (conflicts), prerequisites (dependencies), and the
// messages that name plans.

// resolvedLicenses remembers the last few licenses of assignLicense bodies that resolved to a
// subscription and a disabled-plan set whose plans are all the SKU's: a loop over many users
// adds the same few licenses (each user's by its rule), and resolving one costs lookups by id
// and interning its set. Entries are matched by SKU and by the disabled plans' ids in order,
// copied (never the caller's memory). The subscriptions and the set table do not change what
// they resolved to: a State's subscriptions stay, and the table only grows.
type resolvedLicenses struct {
	entries [8]resolvedLicense
	next    int
}

type resolvedLicense struct {
	sku      SkuID
	disabled []PlanID
	sub, dis int32
	ok       bool
}

func (r *resolvedLicenses) find(l AssignedLicense) (sub, dis int32, ok bool) {
	for i := range r.entries {
		if e := &r.entries[i]; e.ok && e.sku == l.SkuID && slices.Equal(e.disabled, l.DisabledPlans) {
			return e.sub, e.dis, true
		}
	}
	return 0, 0, false
}

func (r *resolvedLicenses) keep(l AssignedLicense, sub, dis int32) {
	e := &r.entries[r.next]
	r.next = (r.next + 1) % len(r.entries)
	*e = resolvedLicense{sku: l.SkuID, disabled: append(e.disabled[:0], l.DisabledPlans...), sub: sub, dis: dis, ok: true}
}

// licenses resolves and checks the SKUs of an assignLicense body for target.
func (t *txn) licenses(target func() Target, add []AssignedLicense, remove []SkuID) (adds []groupLicense, removes []int32, ok bool) {
	s := t.s
	type use struct {
		id  SkuID
		how string
	}
	var seen [4]use
	seenList := seen[:0]
	adds, removes = t.addBuf[:0], t.remBuf[:0]
	defer func() { t.addBuf, t.remBuf = adds, removes }() // not kept by the change: reused
	seenHow := func(id SkuID) string {
		for _, u := range seenList {
			if u.id == id {
				return u.how
			}
		}
		return ""
	}
	for _, l := range add {
		// A license resolved before (resolvedLicenses) is a known SKU with valid disabled plans:
		// only the checks that depend on the rest of the body, or on the subscription now, remain.
		sub, dis, resolved := t.resolved.find(l)
		if !resolved {
			var known bool
			if sub, known = s.subBySku[l.SkuID]; !known {
				t.refuse(&Error{Kind: UnknownSku, Target: target(), SkuID: l.SkuID, Message: fmt.Sprintf("%s: SKU %s is not subscribed in this tenant", target(), s.cat.SkuNamed(l.SkuID, NamesBoth))})
				continue
			}
		}
		if why := seenHow(l.SkuID); why != "" {
			t.refuse(&Error{Kind: InvalidInput, Target: target(), SkuID: l.SkuID, Message: fmt.Sprintf("%s: SKU %s appears twice in addLicenses", target(), s.cat.SkuNamed(l.SkuID, NamesBoth))})
			continue
		}
		seenList = append(seenList, use{l.SkuID, "add"})
		sb := &s.subs[sub]
		if okA, why := sb.Assignable(); !okA {
			t.refuse(&Error{Kind: SkuNotAssignable, Target: target(), SkuID: l.SkuID, Message: fmt.Sprintf("%s: %s", target(), why)})
			continue
		}
		if !resolved {
			set := &t.set
			set.w = set.w[:0]
			valid := true
			for _, p := range l.DisabledPlans {
				i, known := s.cat.PlanIndex(p)
				if !known || !sb.Sku.plans.Has(i) {
					t.refuse(&Error{Kind: UnknownServicePlan, Target: target(), SkuID: l.SkuID, Plans: []PlanID{p}, Message: fmt.Sprintf("%s: disabled plan %s is not a service plan of SKU %s", target(), s.cat.PlanNamed(p, NamesBoth), sb.Sku.Title())})
					valid = false
					continue
				}
				set.Add(i)
			}
			dis = s.setIndex(*set)
			if valid {
				t.resolved.keep(l, sub, dis)
			}
		}
		adds = append(adds, groupLicense{sub: sub, dis: dis})
	}
	for _, id := range remove {
		sub, known := s.subBySku[id]
		if !known {
			t.refuse(&Error{Kind: UnknownSku, Target: target(), SkuID: id, Message: fmt.Sprintf("%s: SKU %s in removeLicenses is not subscribed in this tenant", target(), s.cat.SkuNamed(id, NamesBoth))})
			continue
		}
		if seenHow(id) != "" {
			t.refuse(&Error{Kind: InvalidInput, Target: target(), SkuID: id, Message: fmt.Sprintf("%s: SKU %s is both added and removed in one call", target(), s.cat.SkuNamed(id, NamesBoth))})
			continue
		}
		seenList = append(seenList, use{id, "remove"})
		removes = append(removes, sub)
	}
	return adds, removes, !t.refused
}

func (t *txn) conflictError(target Target, c Conflict) *Error {
	cat := t.s.cat
	return &Error{Kind: MutuallyExclusiveViolation, Target: target, SkuID: c.Skus[0], Plans: c.Plans[:],
		Message: fmt.Sprintf("%s: %s from %s and %s from %s cannot be enabled together (rule %q)", target,
			cat.PlanNamed(c.Plans[0], NamesBoth), cat.SkuNamed(c.Skus[0], NamesBoth), cat.PlanNamed(c.Plans[1], NamesBoth), cat.SkuNamed(c.Skus[1], NamesBoth), c.Rule.Name)}
}

// checkDependencies refuses when a plan enabled after has lost every prerequisite it had before.
func (t *txn) checkDependencies(target func() Target, before, after PlanSet, kind Kind) {
	missing := t.s.rules.MissingPrerequisites(after)
	if len(missing) == 0 {
		return
	}
	was := t.s.rules.MissingPrerequisites(before)
	for _, m := range missing {
		if slices.ContainsFunc(was, func(w MissingPrerequisite) bool { return w.Plan == m.Plan }) {
			continue
		}
		t.refuse(&Error{Kind: kind, Target: target(), Plans: append([]PlanID{m.Plan}, m.AnyOf...),
			Message: fmt.Sprintf("%s: %s needs one of %s enabled (rule %q)", target(), t.s.cat.PlanNamed(m.Plan, NamesBoth), t.planNames(m.AnyOf), m.Rule.Name)})
	}
}

// conflictsOf returns the conflicts among a user's active paths; users whose SKUs cannot
// conflict (fewer than two with a plan in any exclusion rule, or no two with plans in one,
// mayPair) are answered without allocating.
func (s *State) conflictsOf(ps []path) []Conflict {
	var buf [8]int32
	subs := buf[:0]
	for _, p := range ps {
		if p.state.Enables() && !slices.Contains(subs, p.sub) && s.subs[p.sub].Sku.plans.Intersects(s.rules.allExcl) {
			subs = append(subs, p.sub)
		}
	}
	if len(subs) < 2 || !s.mayConflictAmong(subs) {
		return nil
	}
	return s.rules.Conflicts(s.bySku(ps, nil))
}

// mayConflictWith reports whether one of the paths mine (a group's, one per license) may
// conflict with another of them or with an enabled path of others (mayConflictPair).
func (s *State) mayConflictWith(mine, others []path) bool {
	for i, p := range mine {
		for _, q := range mine[i+1:] {
			if s.mayConflictPair(p.sub, q.sub) {
				return true
			}
		}
		for _, q := range others {
			if q.state.Enables() && s.mayConflictPair(p.sub, q.sub) {
				return true
			}
		}
	}
	return false
}

// mayConflictAmong reports whether two of the subscriptions subs may conflict (mayConflictPair).
func (s *State) mayConflictAmong(subs []int32) bool {
	for i, a := range subs {
		for _, b := range subs[i+1:] {
			if s.mayConflictPair(a, b) {
				return true
			}
		}
	}
	return false
}

// mayConflictPair reports whether subscriptions a and b may conflict: State.mayPair says
// whether their SKUs have plans in one refused exclusion rule (RuleIndex.mayConflict of their
// whole plan sets), which every conflict between them meets, so the pairs that do not are
// answered at once. True when the State does not know.
func (s *State) mayConflictPair(a, b int32) bool {
	n := len(s.subs)
	return len(s.mayPair) != n*n || s.mayPair[int(a)*n+int(b)]
}

func (t *txn) planNames(ids []PlanID) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = t.s.cat.PlanNamed(id, NamesBoth)
	}
	return strings.Join(names, ", ")
}
