package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// resolve turns names into users, groups, SKUs and plans, then compiles the rules (explicit
// targets win over them: see resolveRules).
func (b *builder) resolve() {
	st := b.before
	seen := map[int]string{}
	for i, ut := range b.d.Users {
		at := fmt.Sprintf("users[%d]", i)
		u, err := st.LookupUser(ut.User)
		if err != nil {
			b.problemFromErr(at, err, SeverityError, nil)
			continue
		}
		if prev, dup := seen[u]; dup {
			b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: st.UserTarget(u), Message: fmt.Sprintf("%s: user %s is already targeted by %s; give each user one entry", at, ut.User, prev)})
			continue
		}
		seen[u] = at
		t := b.target(u, at)
		if ut.Mode == ModeExact {
			t.mode = ModeExact
		}
		if ut.UsageLocation != "" {
			loc := strings.ToUpper(ut.UsageLocation)
			if !licensing.IsCountryCode(loc) {
				b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: st.UserTarget(u), Message: fmt.Sprintf("%s.usageLocation: %s", at, licensing.CountryCodeProblem(ut.UsageLocation))})
			} else {
				t.usage, t.usageFrom = loc, at
			}
		}
		for _, lt := range b.resolveSpecs(at, st.UserTarget(u), ut.Licenses) {
			b.merge(u, t, lt)
		}
		for k, ref := range ut.AllowServiceLoss {
			p, err := b.cat.LookupPlan(ref)
			if err != nil {
				b.problemFromErr(fmt.Sprintf("%s.allowServiceLoss[%d]", at, k), withTarget(err, st.UserTarget(u)), SeverityError, nil)
				continue
			}
			t.allowLoss.Add(p.Index())
		}
		if ut.Groups != nil {
			t.groupsSet = true
			for k, gref := range ut.Groups {
				g, err := st.LookupGroup(gref)
				if err != nil {
					b.problemFromErr(fmt.Sprintf("%s.groups[%d]", at, k), err, SeverityError, nil)
					continue
				}
				if !slices.Contains(t.groups, g) {
					t.groups = append(t.groups, g)
				}
			}
			slices.Sort(t.groups)
		}
	}
	b.resolveRules(seen) // resolve.go: rules, their precedence and their problems
	seenG := map[int]string{}
	for i, gt := range b.d.Groups {
		at := fmt.Sprintf("groups[%d]", i)
		g, err := st.LookupGroup(gt.Group)
		if err != nil {
			b.problemFromErr(at, err, SeverityError, nil)
			continue
		}
		if prev, dup := seenG[g]; dup {
			b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: st.GroupTarget(g), Message: fmt.Sprintf("%s: group %s is already targeted by %s", at, gt.Group, prev)})
			continue
		}
		seenG[g] = at
		t := &groupTarget{g: g, mode: gt.Mode, at: at}
		for _, lt := range b.resolveSpecs(at, st.GroupTarget(g), gt.Licenses) {
			if i := slices.IndexFunc(t.lic, func(x licTarget) bool { return x.sub == lt.sub }); i >= 0 {
				b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: st.GroupTarget(g), SkuID: lt.sub.Sku.ID, Message: fmt.Sprintf("%s lists SKU %s twice", at, lt.sub.Sku.Title())})
				continue
			}
			t.lic = append(t.lic, lt)
		}
		b.groups = append(b.groups, t)
	}
	slices.SortFunc(b.groups, func(a, c *groupTarget) int { return a.g - c.g })
}

func (b *builder) target(u int, from string) *userTarget {
	if b.users[u] == nil {
		b.users[u] = &userTarget{mode: ModeEnsure, from: from}
	}
	return b.users[u]
}

func (b *builder) merge(u int, t *userTarget, lt licTarget) {
	for _, have := range t.lic {
		if have.sub != lt.sub {
			continue
		}
		if !have.disabled.Equal(lt.disabled) {
			// Name the difference, not the two plan lists.
			only1 := b.planTitles(lt.disabled.Minus(have.disabled))
			only2 := b.planTitles(have.disabled.Minus(lt.disabled))
			var diff []string
			if len(only1) > 0 {
				diff = append(diff, fmt.Sprintf("%s enables %s and %s does not", have.from, strings.Join(only1, ", "), lt.from))
			}
			if len(only2) > 0 {
				diff = append(diff, fmt.Sprintf("%s enables %s and %s does not", lt.from, strings.Join(only2, ", "), have.from))
			}
			b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: b.before.UserTarget(u), SkuID: lt.sub.Sku.ID,
				Message: fmt.Sprintf("%s and %s give user %s different plans of %s: %s", have.from, lt.from, b.before.User(u).UserPrincipalName, lt.sub.Sku.Title(), strings.Join(diff, "; "))})
		}
		return
	}
	t.lic = append(t.lic, lt)
	slices.SortFunc(t.lic, func(a, c licTarget) int { return a.sub.Sku.ID.Compare(c.sub.Sku.ID) })
}

// resolveSpecs resolves license specs; names that do not resolve become problems.
func (b *builder) resolveSpecs(at string, target licensing.Target, specs []LicenseSpec) []licTarget {
	var out []licTarget
	for i, l := range specs {
		where := fmt.Sprintf("%s.licenses[%d]", at, i)
		sub, err := b.before.LookupSku(l.Sku)
		if err != nil {
			b.problemFromErr(where, withTarget(err, target), SeverityError, nil)
			continue
		}
		lt := licTarget{sub: sub, from: where}
		ok := true
		plans := func(names []string, field string) licensing.PlanSet {
			var s licensing.PlanSet
			for k, n := range names {
				p, err := b.cat.LookupPlanInSku(sub.Sku, n)
				if err != nil {
					b.problemFromErr(fmt.Sprintf("%s.%s[%d]", where, field, k), withTarget(err, target), SeverityError, nil)
					ok = false
					continue
				}
				s.Add(p.Index())
			}
			return s
		}
		if len(l.EnabledPlans) > 0 {
			lt.disabled = sub.Sku.PlanSet().Minus(plans(l.EnabledPlans, "enabledPlans"))
		} else {
			lt.disabled = plans(l.DisabledPlans, "disabledPlans")
		}
		if ok {
			out = append(out, lt)
		}
	}
	return out
}

func withTarget(err error, t licensing.Target) error {
	if e, ok := err.(*licensing.Error); ok && e.Target.Type == "" && t.Type != "" {
		c := *e
		c.Target = t
		return &c
	}
	return err
}

// licenses converts targets to an assignLicense body entry list.
func (b *builder) assigned(lts []licTarget) []licensing.AssignedLicense {
	return assignedIn(b.in, &b.abuf, lts)
}

// assignedIn is assigned, shared in in; buf is working memory.
func assignedIn(in *interner, buf *[]licensing.AssignedLicense, lts []licTarget) []licensing.AssignedLicense {
	if len(lts) == 0 {
		return []licensing.AssignedLicense{}
	}
	out := (*buf)[:0]
	for _, lt := range lts {
		out = append(out, licensing.AssignedLicense{SkuID: lt.sub.Sku.ID, DisabledPlans: in.planIDs(lt.disabled)})
	}
	*buf = out
	return in.licenses(out)
}
