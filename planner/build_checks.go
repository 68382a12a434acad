package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/internal/parallel"
	"github.com/licenseplan/licenseplan/licensing"
)

// stuckChecks reports the targeted users' stuck group paths (licensing.Path.Stuck) with their
// fix. Entra keeps such a path while another enabled plan depends on it ("can't be removed
// until the dependency is resolved"): it goes when the dependency is resolved and the user is
// reprocessed. A path an exact target leaves out is an error: the plan cannot remove it.
func (b *builder) stuckChecks() {
	var buf []licensing.Path
	bulk := b.w.Bulk()
	// Stuck paths are rare: the users are scanned (on every core) before any path is exported.
	for _, u := range parallel.Indexes(len(b.users), func(u int) bool { return b.users[u] != nil && bulk.HasStuckPath(u) }) {
		t := b.users[u]
		buf = bulk.AppendPaths(buf[:0], u)
		for k, p := range buf {
			if !p.Stuck {
				continue
			}
			target := b.w.UserTarget(u)
			sev := SeverityWarning
			if t.mode == ModeExact && !slices.ContainsFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == p.Sku }) {
				sev = SeverityError
			}
			b.problem(Problem{Kind: licensing.DependencyViolation, Severity: sev, Target: target, SkuID: p.Sku,
				Message: fmt.Sprintf("%s: %s from group %s is stuck (%s, %s/%s): Entra keeps it until the dependency is resolved%s; then reprocess the user and it goes",
					target, b.cat.SkuNamed(p.Sku, licensing.NamesBoth), b.groupLabel(b.w.Bulk().PathGroup(p)), b.stuckCause(u, p), p.State, p.Error, b.dependents(buf, k))})
		}
	}
}

// discouragedChecks warns where the plan leaves a targeted user with a combination a
// `discouraged` rule names (Microsoft: "not recommended"; Entra accepts it): plans that
// conflict, or a plan without its prerequisite, that the user did not have before the plan.
func (b *builder) discouragedChecks() {
	has := false
	for _, x := range b.rules.Rules().MutuallyExclusive {
		has = has || !x.Strength.Refused()
	}
	for _, x := range b.rules.Rules().Prerequisites {
		has = has || !x.Strength.Refused()
	}
	if !has {
		return // the defaults have none: no per-user work
	}
	for u, t := range b.users {
		if t == nil {
			continue
		}
		target := b.w.UserTarget(u)
		was, is := b.before.Effective(u), b.w.Effective(u)
		had := b.rules.DiscouragedConflicts(was.BySku)
		for _, c := range b.rules.DiscouragedConflicts(is.BySku) {
			if !slices.ContainsFunc(had, func(h licensing.Conflict) bool {
				return h.Plans == c.Plans || h.Plans == [2]licensing.PlanID{c.Plans[1], c.Plans[0]}
			}) {
				b.problem(Problem{Kind: licensing.MutuallyExclusiveViolation, Severity: SeverityWarning, Target: target, SkuID: c.Skus[0], ServicePlans: c.Plans[:],
					Message: fmt.Sprintf("%s: %s (from %s) with %s (from %s) is not recommended (rule %q, %s); Entra accepts it", target,
						b.cat.PlanNamed(c.Plans[0], licensing.NamesBoth), b.cat.SkuNamed(c.Skus[0], licensing.NamesBoth), b.cat.PlanNamed(c.Plans[1], licensing.NamesBoth), b.cat.SkuNamed(c.Skus[1], licensing.NamesBoth), c.Rule.Name, c.Rule.Source)})
			}
		}
		missing := b.rules.DiscouragedPrerequisites(was.Enabled)
		for _, m := range b.rules.DiscouragedPrerequisites(is.Enabled) {
			if !slices.ContainsFunc(missing, func(w licensing.MissingPrerequisite) bool { return w.Plan == m.Plan }) {
				names := b.planNames(m.AnyOf)
				b.problem(Problem{Kind: licensing.DependencyViolation, Severity: SeverityWarning, Target: target, ServicePlans: append([]licensing.PlanID{m.Plan}, m.AnyOf...),
					Message: fmt.Sprintf("%s: %s without one of %s is not recommended (rule %q, %s); Entra accepts it", target, b.cat.PlanNamed(m.Plan, licensing.NamesBoth), strings.Join(names, ", "), m.Rule.Name, m.Rule.Source)})
			}
		}
	}
}

// groupLabel names group g, an absent (deleted) one by its id.
func (b *builder) groupLabel(g int) string {
	if b.w.GroupAbsent(g) {
		return b.w.Group(g).ID + " (deleted)"
	}
	return b.w.Group(g).DisplayName
}

// stuckCause says why stuck path p of user u no longer comes from its group.
func (b *builder) stuckCause(u int, p licensing.Path) string {
	switch {
	case b.w.GroupAbsent(b.w.Bulk().PathGroup(p)):
		return "the group was deleted"
	case !slices.Contains(b.w.UserGroups(u), b.w.Bulk().PathGroup(p)):
		return "the user is no longer a member"
	}
	return "the group no longer assigns the SKU"
}

// dependents names the plans that need what path k of ps enables (", <plan> needs one of …"),
// or "" when nothing does any more.
func (b *builder) dependents(ps []licensing.Path, k int) string {
	var with, without licensing.PlanSet
	for i, p := range ps {
		if !p.State.Enables() {
			continue
		}
		sku, _ := b.cat.Sku(p.Sku)
		on := sku.PlanSet().Minus(p.Disabled)
		with.UnionWith(on)
		if i != k {
			without.UnionWith(on)
		}
	}
	was := b.rules.MissingPrerequisites(with)
	var out []string
	for _, m := range b.rules.MissingPrerequisites(without) {
		if !slices.ContainsFunc(was, func(w licensing.MissingPrerequisite) bool { return w.Plan == m.Plan }) {
			names := b.planNames(m.AnyOf)
			out = append(out, fmt.Sprintf("%s needs one of %s", b.cat.PlanNamed(m.Plan, licensing.NamesBoth), strings.Join(names, ", ")))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " (" + strings.Join(out, "; ") + ": give the user the prerequisite another way, or remove or disable the dependent plan)"
}

// inheritedChecks reports exact targets that the plan cannot meet because a group still gives
// the user a SKU the target leaves out.
func (b *builder) inheritedChecks() {
	for u, t := range b.users {
		if t == nil || t.mode != ModeExact {
			continue
		}
		reported := map[licensing.SkuID]bool{}
		for _, p := range b.w.Paths(u) {
			if p.Direct() || p.Stuck || reported[p.Sku] || slices.ContainsFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == p.Sku }) {
				continue // stuck paths: stuckChecks
			}
			gi := b.w.Bulk().PathGroup(p)
			if t.groupsSet && slices.Contains(t.groups, gi) {
				continue // the target asks for this group's licenses
			}
			reported[p.Sku] = true
			g := b.w.Group(gi)
			target := b.w.UserTarget(u)
			b.problem(Problem{Kind: licensing.InheritedLicense, Severity: SeverityError, Target: target, SkuID: p.Sku,
				Message: fmt.Sprintf("%s: %s comes from group %s and cannot be removed from the user directly; list the group's licenses in the target, %s", target, b.cat.SkuNamed(p.Sku, licensing.NamesBoth), g.DisplayName, b.leaveAdvice(gi))})
		}
	}
}
