package fake

import (
	"slices"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
)

// path is one assignment path of a SKU to a user: direct (group "") or through a group the
// user is a direct member of.
type path struct {
	sku      int    // index in Tenant.skus
	group    string // assigning group id; "" for a direct assignment
	disabled licensing.PlanSet
	state    string         // licensing.StateActive, StateActiveWithError or StateError (StateDisabled only as loaded)
	err      licensing.Kind // licensing.None when Active
	updated  time.Time
}

// enables reports whether the path enables its plans: an Active or ActiveWithError path does;
// a path in Error (or Disabled) adds nothing.
func (p path) enables() bool {
	return p.state == licensing.StateActive || p.state == licensing.StateActiveWithError
}

func (p path) same(o path) bool {
	return p.sku == o.sku && p.group == o.group && p.state == o.state && p.err == o.err && p.disabled.Equal(o.disabled)
}

// sortPaths orders paths by SKU (snapshot order), the direct path first, then by group id.
func sortPaths(ps []path) {
	slices.SortFunc(ps, func(a, b path) int {
		if a.sku != b.sku {
			return a.sku - b.sku
		}
		return strings.Compare(a.group, b.group)
	})
}

// pathPlans returns the plans a path enables when it is active: its SKU's plans minus its disabled plans.
func (t *Tenant) pathPlans(p path) licensing.PlanSet { return t.skus[p.sku].plans.Minus(p.disabled) }

// enabled returns the user's effective plans: the union over the active paths.
func (t *Tenant) enabled(ps []path) licensing.PlanSet {
	var e licensing.PlanSet
	for _, p := range ps {
		if p.enables() {
			e.UnionWith(t.pathPlans(p))
		}
	}
	return e
}

// entries returns one rule-check entry per active path (same-SKU entries never conflict).
func (t *Tenant) entries(ps []path) []licensing.SkuPlans {
	var out []licensing.SkuPlans
	for _, p := range ps {
		if p.enables() {
			out = append(out, licensing.SkuPlans{Sku: t.skus[p.sku].info.SkuID, Plans: t.pathPlans(p)})
		}
	}
	return out
}

// newConflicts returns the conflicts in after that are not already in before.
func (t *Tenant) newConflicts(before, after []path) []licensing.Conflict {
	type key struct {
		p [2]licensing.PlanID
		s [2]licensing.SkuID
	}
	norm := func(c licensing.Conflict) key {
		k := key{c.Plans, c.Skus}
		if k.p[0].Compare(k.p[1]) > 0 {
			k.p[0], k.p[1] = k.p[1], k.p[0]
			k.s[0], k.s[1] = k.s[1], k.s[0]
		}
		return k
	}
	had := map[key]bool{}
	for _, c := range t.rules.Conflicts(t.entries(before)) {
		had[norm(c)] = true
	}
	var out []licensing.Conflict
	for _, c := range t.rules.Conflicts(t.entries(after)) {
		if !had[norm(c)] {
			out = append(out, c)
		}
	}
	return out
}

// newMissingPrerequisites returns the plans enabled in after without any of their
// prerequisites, leaving out the ones already in that state in before.
func (t *Tenant) newMissingPrerequisites(before, after licensing.PlanSet) []licensing.MissingPrerequisite {
	var had map[licensing.PlanID]bool
	var out []licensing.MissingPrerequisite
	for _, m := range t.rules.MissingPrerequisites(after) {
		if had == nil {
			had = map[licensing.PlanID]bool{}
			for _, b := range t.rules.MissingPrerequisites(before) {
				had[b.Plan] = true
			}
		}
		if !had[m.Plan] {
			out = append(out, m)
		}
	}
	return out
}

// holdsSeat reports whether a user with these paths consumes a seat of the SKU: one seat per
// user per SKU however many paths carry it, and a path in Error holds none (every other state,
// ActiveWithError and a stuck path's included, holds one).
func holdsSeat(ps []path, s int) bool {
	for _, p := range ps {
		if p.sku == s && p.state != licensing.StateError {
			return true
		}
	}
	return false
}

// setPaths replaces the user's paths, keeping consumedUnits right and recording a history
// entry when the user's enabled plans change.
func (t *Tenant) setPaths(u *user, next []path, cause Cause) {
	sortPaths(next)
	now := t.clock.Now()
	for i := range next {
		next[i].updated = now
		for _, o := range u.paths {
			if o.same(next[i]) {
				next[i].updated = o.updated
				break
			}
		}
	}
	var seen []int
	for _, p := range append(slices.Clip(u.paths), next...) {
		if slices.Contains(seen, p.sku) {
			continue
		}
		seen = append(seen, p.sku)
		was, is := holdsSeat(u.paths, p.sku), holdsSeat(next, p.sku)
		switch {
		case was && !is:
			t.skus[p.sku].consumed--
		case is && !was:
			t.skus[p.sku].consumed++
		}
	}
	before, after := t.enabled(u.paths), t.enabled(next)
	u.paths = next
	if t.loading || before.Equal(after) {
		return
	}
	t.history = append(t.history, HistoryEntry{
		Time:               now,
		UserID:             u.data.ID,
		Cause:              cause,
		EnabledPlansBefore: t.planIDs(before),
		EnabledPlansAfter:  t.planIDs(after),
	})
}
