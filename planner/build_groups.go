package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/internal/prefault"
	"github.com/licenseplan/licenseplan/licensing"
)

func (b *builder) groupLicenseSteps() {
	for _, gt := range b.groups {
		g := gt.g
		cur := b.w.GroupLicenses(g)
		var adds []licTarget
		var removes []licensing.SkuID
		for _, lt := range gt.lic {
			i := slices.IndexFunc(cur, func(a licensing.AssignedLicense) bool { return a.SkuID == lt.sub.Sku.ID })
			if i >= 0 && b.cat.PlanSetOf(cur[i].DisabledPlans).Equal(lt.disabled) {
				continue
			}
			adds = append(adds, lt)
		}
		if gt.mode == ModeExact {
			for _, a := range cur {
				if !slices.ContainsFunc(gt.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == a.SkuID }) {
					removes = append(removes, a.SkuID)
				}
			}
		}
		if len(adds) == 0 && len(removes) == 0 || b.refusedByKind(AssignLicense, g, licensing.Target{}, gt.at) {
			continue
		}
		target := b.w.GroupTarget(g)
		s := &Step{Action: AssignLicense, Target: target, AddLicenses: b.assigned(adds), RemoveLicenses: removes,
			why: b.changeReason("group "+target.Name, adds, removes, nil), Expect: &Expectation{GroupLicenses: cur}}
		step := b.add(s, nil)
		beforeErr := b.memberErrors(g)
		o := b.w.Apply(licensing.Change{Kind: licensing.AssignGroupLicenses, Group: target.ID, AddLicenses: step.AddLicenses, RemoveLicenses: removes})
		step.Result = &Expectation{GroupLicenses: b.w.GroupLicenses(g)}
		if o.Refused {
			for _, v := range o.Violations {
				b.problemFromErr("", v, SeverityError, step)
			}
			continue
		}
		b.released(step, o)
		b.groupImpact(step, g, o, beforeErr)
		for _, e := range o.Users {
			b.countryUnknown(step, e.User, g)
		}
		b.wait(g, step.n)
	}
}

// memberErrors records the error kinds on group g's paths per member now.
func (b *builder) memberErrors(g int) map[string]licensing.Kind {
	out := map[string]licensing.Kind{}
	gid := b.w.Group(g).ID
	for _, u := range b.w.GroupMembers(g) {
		for _, p := range b.w.Paths(u) {
			if p.Group == gid && p.State == licensing.PathError {
				out[b.w.User(u).ID] = p.Error
			}
		}
	}
	return out
}

// groupImpact records what a group step does to members: their plans, new path errors and service loss.
func (b *builder) groupImpact(step *stepSlot, g int, o *licensing.Outcome, beforeErr map[string]licensing.Kind) {
	errs := map[string]licensing.Kind{}
	for _, v := range o.Violations {
		errs[v.Target.ID] = v.Kind
		sev := SeverityError
		if beforeErr[v.Target.ID] == v.Kind {
			sev = SeverityWarning // the member was already in this error before the plan
		}
		b.problemFromErr("", v, sev, step)
	}
	for _, e := range o.Users {
		t := b.w.UserTarget(e.User)
		step.Members = append(step.Members, MemberImpact{User: t, Gained: b.in.planIDs(e.Gained()), Lost: b.in.planIDs(e.Lost()), Error: errs[t.ID]})
		b.serviceLoss(step, t, e.Before, e.After)
	}
}

func (b *builder) serviceLoss(step *stepSlot, t licensing.Target, before, after licensing.PlanSet) {
	lost := b.rules.ServiceLoss(before, after)
	if lost.IsEmpty() {
		return
	}
	sev := SeverityError
	note := "; list the plans in the user's allowServiceLoss (or set options.allowServiceLoss) to accept"
	if u, err := b.w.LookupUser(t.ID); err == nil && t.Type == licensing.TargetUser && b.users[u] != nil && !b.users[u].allowLoss.IsEmpty() {
		if lost.SubsetOf(b.users[u].allowLoss) {
			sev, note = SeverityInfo, " (accepted by the user's allowServiceLoss)"
		}
	}
	if sev == SeverityError && b.d.Options.AllowServiceLoss {
		sev, note = SeverityWarning, " (allowed by options.allowServiceLoss)"
	}
	b.stepProblem(step, Problem{Kind: licensing.ServiceLoss, Severity: sev, Target: t, ServicePlans: b.in.planIDs(lost),
		Message: fmt.Sprintf("%s would lose %s%s", t, strings.Join(b.planTitles(lost), ", "), note)})
}

// released records a step that frees seats of a SKU.
func (b *builder) released(step *stepSlot, o *licensing.Outcome) {
	for _, s := range o.Seats {
		if s.After < s.Before {
			if b.releasers == nil {
				b.releasers = map[licensing.SkuID][]int32{}
			}
			b.releasers[s.Sku] = append(b.releasers[s.Sku], step.n)
		}
	}
}

// wait plans a wait for group g to process its members, after the steps at the positions in
// after, and returns its position.
func (b *builder) wait(g int, after ...int32) int32 {
	gt := b.w.GroupTarget(g)
	s := b.add(&Step{Action: WaitForGroupProcessing, Target: gt, Group: &gt,
		why: &reason{kind: reasonWait, group: gt.Name}}, after)
	b.waits[g] = s.n
	return s.n
}

// deps returns the positions of what a step of user u must wait for: the user's earlier
// steps, and the processing of every group the user is a member of that this plan changes (so
// that the tenant goes through the states the plan predicted, in the same order). The slice is
// the builder's buffer, good until the next call.
func (b *builder) deps(u int) []int32 {
	out := b.dbuf[:0]
	if b.firstStep != nil && b.firstStep[u] != 0 {
		out = append(append(out, b.firstStep[u]-1), b.moreSteps[u]...)
	}
	if len(b.waits) > 0 {
		for _, g := range b.w.UserGroups(u) {
			if w, ok := b.waits[g]; ok && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	b.dbuf = out
	return out
}

// depends records step as one of user u's steps, which the user's later steps depend on.
func (b *builder) depends(u int, step *stepSlot) {
	if b.firstStep == nil {
		b.firstStep = prefault.Make[int32](b.w.NumUsers(), b.w.NumUsers())
		b.moreSteps = map[int][]int32{}
	}
	if b.firstStep[u] == 0 {
		b.firstStep[u] = step.n + 1
	} else {
		b.moreSteps[u] = append(b.moreSteps[u], step.n)
	}
}
