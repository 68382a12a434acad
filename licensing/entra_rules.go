package licensing

import (
	"regexp"
	"slices"
	"strings"
)

// Graph's refusal texts for assignLicense (and reprocessLicenseAssignment), as real tenants
// return them, e.g.
//
//	License assignment failed because service plan f544b08d-1645-4287-82de-8d91f37c02a1 depends on the service plan(s) 304767db-7d23-49e8-a945-4a7eb65f9f28,a31ef4a2-f787-435e-8335-e47eb0cafc94
//	License assignment failed because service plans c7699d2e-…,5dbe027f-… are mutually exclusive.
//
// Ids are GUIDs in any case, lists may have spaces after the commas, the message may end in a
// period and be embedded in a longer text (PowerShell wraps it).
const guidPattern = `[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`

var (
	entraDependsRe = regexp.MustCompile(`(?i)service plan\s+(` + guidPattern + `)\s+depends on the service plan\(s\)\s*((?:` + guidPattern + `)(?:\s*,\s*` + guidPattern + `)*)`)
	entraExclRe    = regexp.MustCompile(`(?i)service plans\s+((?:` + guidPattern + `)(?:\s*,\s*` + guidPattern + `)+)\s+are mutually exclusive`)
	guidRe         = regexp.MustCompile(guidPattern)
)

// RuleFromEntraMessage turns Graph's own words for a refusal into the rules/v1 document that
// would have predicted it: "service plan X depends on the service plan(s) A,B,C" becomes one
// PrerequisiteRule (X requires any of A, B, C); "service plans X,Y are mutually exclusive" one
// ExclusionRule. Plans are named through cat when it knows them (cat may be nil). The rule is
// refused, its source is "Entra error text: " and the message, its date the date given
// (licensing has no clock: pass today's, YYYY-MM-DD). ok is false when msg is neither form or
// names no required plan (a truncated message).
func RuleFromEntraMessage(msg string, cat *Catalog, date string) (r *Rules, ok bool) {
	ref := func(s string) PlanRef {
		id, err := ParsePlanID(strings.ToLower(s))
		if err != nil {
			return PlanRef{}
		}
		p := PlanRef{ID: id}
		if cat != nil {
			if sp, ok := cat.Plan(id); ok {
				p.Name = sp.Name
			}
		}
		return p
	}
	refs := func(list string) []PlanRef {
		var out []PlanRef
		for _, g := range guidRe.FindAllString(list, -1) {
			p := ref(g)
			if p.ID.IsZero() || slices.ContainsFunc(out, func(q PlanRef) bool { return q.ID == p.ID }) {
				continue
			}
			out = append(out, p)
		}
		return out
	}
	names := func(ps []PlanRef, sep string) string {
		s := make([]string, len(ps))
		for i, p := range ps {
			s[i] = p.String()
		}
		return strings.Join(s, sep)
	}
	source := "Entra error text: " + strings.TrimSpace(msg)
	r = &Rules{FormatVersion: RulesFormatVersion}
	if m := entraDependsRe.FindStringSubmatch(msg); m != nil {
		plan, anyOf := ref(m[1]), refs(m[2])
		anyOf = slices.DeleteFunc(anyOf, func(p PlanRef) bool { return p.ID == plan.ID })
		if plan.ID.IsZero() || len(anyOf) == 0 {
			return nil, false
		}
		r.Prerequisites = []PrerequisiteRule{{
			Name:          "Entra: " + plan.String() + " needs " + names(anyOf, " or "),
			Strength:      StrengthRefused,
			Source:        source,
			Date:          date,
			Plan:          plan,
			RequiresAnyOf: anyOf,
		}}
		return r, r.Validate() == nil
	}
	if m := entraExclRe.FindStringSubmatch(msg); m != nil {
		plans := refs(m[1])
		if len(plans) < 2 {
			return nil, false
		}
		r.MutuallyExclusive = []ExclusionRule{{
			Name:     "Entra: " + names(plans, " × "),
			Strength: StrengthRefused,
			Source:   source,
			Date:     date,
			Plans:    plans,
		}}
		return r, r.Validate() == nil
	}
	return nil, false
}

// Predicts reports whether the index's refused rules already predict every refusal r
// describes (r as RuleFromEntraMessage makes it): a prerequisite "X needs any of S" is
// predicted when a refused prerequisite rule for X requires any of a subset of S (so whenever
// Entra finds none of S enabled, neither is any plan the rule accepts); an exclusion is
// predicted when every pair of its plans is in one refused exclusion rule and in no stacking
// rule. When Predicts is false, r is the rules/v1 entry to add to a rules file.
func (ri *RuleIndex) Predicts(r *Rules) bool {
	idx := func(id PlanID) (int, bool) { return ri.cat.PlanIndex(id) }
	for _, x := range r.Prerequisites {
		p, ok := idx(x.Plan.ID)
		if !ok {
			return false
		}
		var want PlanSet
		for _, a := range x.RequiresAnyOf {
			if i, ok := idx(a.ID); ok {
				want.Add(i)
			}
		}
		found := false
		for _, c := range ri.prereq {
			if c.plan == p && c.anyOf.SubsetOf(want) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, x := range r.MutuallyExclusive {
		for a := 0; a < len(x.Plans); a++ {
			for b := a + 1; b < len(x.Plans); b++ {
				p, okp := idx(x.Plans[a].ID)
				q, okq := idx(x.Plans[b].ID)
				if !okp || !okq || p == q || ri.stackable(p, q) {
					return false
				}
				if !slices.ContainsFunc(ri.excl, func(e compiledExcl) bool { return e.plans.Has(p) && e.plans.Has(q) }) {
					return false
				}
			}
		}
	}
	return true
}
