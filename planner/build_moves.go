package planner

import (
	"slices"

	"github.com/licenseplan/licenseplan/licensing"
)

// Moving a user from a direct license to a group whose license conflicts with it (E1 held
// directly, E3 from the group: their SharePoint plans conflict) cannot go in the order of the
// phases: joining first puts the group's path in error (MutuallyExclusiveViolation), removing
// the direct license first leaves the user without service until the group is processed.
// The route without a gap, which the planner takes when the target drops the direct license:
//
//  1. swap the direct license for the group's, directly, in one atomic call (E1 → E3);
//  2. join the group: its E3 path applies, beside the direct E3 (one seat);
//  3. wait until the group has processed the user;
//  4. drop the direct E3, now that the group gives it (directSteps, after the wait).

// bridge plans step 1 for user u, whose target t joins group g, when joining now would put the
// group's paths in conflict with direct licenses the target drops. It reports whether it did.
func (b *builder) bridge(u int, t *userTarget, g int) bool {
	if t.mode != ModeExact {
		return false // the direct license stays: the conflict is the target's own
	}
	target := b.w.UserTarget(u)
	gt := b.w.GroupTarget(g)
	o := b.w.Predict(licensing.Change{Kind: licensing.AddGroupMember, User: target.ID, Group: gt.ID})
	if o.Refused || !slices.ContainsFunc(o.Violations, func(v *licensing.Error) bool {
		return v.Kind == licensing.MutuallyExclusiveViolation && v.Target.ID == target.ID
	}) {
		return false
	}
	rd := newPathReader(b.w)
	direct := slices.Clone(rd.direct(u))
	exp := rd.expectationOf(rd.pbuf)
	glic := b.w.GroupLicenses(g)
	planSet := func(sku licensing.SkuID, disabled licensing.PlanSet) licensing.SkuPlans {
		s, _ := b.cat.Sku(sku)
		return licensing.SkuPlans{Sku: sku, Plans: s.PlanSet().Minus(disabled)}
	}
	kept := func(sku licensing.SkuID) bool {
		return slices.ContainsFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == sku })
	}
	// The direct licenses the target drops whose plans conflict with the group's.
	var removes []licensing.SkuID
	var conflict [][]licensing.PlanID
	for _, p := range direct {
		if kept(p.Sku) {
			continue
		}
		for _, l := range glic {
			cs := b.rules.Conflicts([]licensing.SkuPlans{planSet(p.Sku, p.Disabled), planSet(l.SkuID, b.cat.PlanSetOf(l.DisabledPlans))})
			if len(cs) > 0 {
				removes = append(removes, p.Sku)
				conflict = append(conflict, slices.Clone(cs[0].Plans[:]))
				break
			}
		}
	}
	if len(removes) == 0 {
		return false
	}
	// The group's licenses, directly, with the group's disabled plans except those that keep a
	// service the user has now: the bridge takes nothing away; what the target drops goes at
	// step 4, where the plan says so.
	var adds []licTarget
	for _, l := range glic {
		if slices.ContainsFunc(direct, func(p licensing.Path) bool { return p.Sku == l.SkuID }) || kept(l.SkuID) {
			continue
		}
		sub, ok := b.w.Subscription(l.SkuID)
		if !ok {
			return false
		}
		adds = append(adds, licTarget{sub: sub, disabled: b.cat.PlanSetOf(l.DisabledPlans), from: t.from})
	}
	if len(adds) == 0 {
		return false
	}
	before := b.w.EnabledPlans(u)
	predict := func() (*licensing.Outcome, licensing.PlanSet) {
		o := b.w.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: target.ID, AddLicenses: b.assigned(adds), RemoveLicenses: removes})
		if o.Refused || len(o.Users) == 0 {
			return o, licensing.PlanSet{}
		}
		return o, b.rules.ServiceLoss(before, o.Users[0].After)
	}
	o, lost := predict()
	if o.Refused {
		return false // no seat, no usage location, …: the phases' order, and its problems, stand
	}
	for i := range adds {
		for _, p := range adds[i].disabled.Indexes() {
			if lost.IsEmpty() {
				break
			}
			was := adds[i].disabled
			adds[i].disabled = was.Clone()
			adds[i].disabled.Remove(p)
			if _, l := predict(); l.Len() < lost.Len() {
				lost = l
			} else {
				adds[i].disabled = was
			}
		}
	}
	why := b.changeReason("", adds, removes, nil)
	why.kind, why.group, why.conflicts = reasonBridge, gt.Name, conflict
	b.applyUser(u, exp, adds, nil, &Step{Action: AssignLicense, Target: target, AddLicenses: b.assigned(adds), RemoveLicenses: b.in.skus(removes), why: why})
	if b.bridged == nil {
		b.bridged = map[int][]migrationRemoval{}
	}
	for _, a := range adds {
		b.bridged[u] = append(b.bridged[u], migrationRemoval{sku: a.sub.Sku.ID, group: gt.Name, bridge: true})
	}
	return true
}
