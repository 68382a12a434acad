package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// SkuRef names a SKU in a report.
type SkuRef struct {
	SkuID         licensing.SkuID `json:"skuId"`
	SkuPartNumber string          `json:"skuPartNumber"`
}

// PlanRef names a service plan in a report.
type PlanRef struct {
	ServicePlanID   licensing.PlanID `json:"servicePlanId"`
	ServicePlanName string           `json:"servicePlanName"`
}

// ConflictSide is one plan of a conflicting pair: the plan, the SKU it comes from and the
// paths of the user that enable it (or, for a path in error, would enable it).
type ConflictSide struct {
	Plan    PlanRef  `json:"plan"`
	Sku     SkuRef   `json:"sku"`
	Sources []Source `json:"sources"`
}

// PlanConflict is a pair of service plans that may not be enabled together for one user
// (a mutual-exclusion rule), each from a different SKU. In an error entry, the first side is
// the plan of the path in error.
type PlanConflict struct {
	Rule  string          `json:"rule"`
	Sides [2]ConflictSide `json:"sides"`
}

// String describes the conflict in one sentence.
func (c PlanConflict) String() string {
	side := func(s ConflictSide) string {
		src := make([]string, len(s.Sources))
		for i, x := range s.Sources {
			src[i] = x.String()
		}
		return fmt.Sprintf("%s (%s from %s)", s.Plan.ServicePlanName, s.Sku.SkuPartNumber, orText(strings.Join(src, " and "), "no path"))
	}
	return fmt.Sprintf("%s and %s cannot be enabled together (rule %q)", side(c.Sides[0]), side(c.Sides[1]), c.Rule)
}

// MissingPrerequisite is an enabled add-on plan none of whose required plans is enabled.
type MissingPrerequisite struct {
	Rule          string    `json:"rule"`
	Plan          PlanRef   `json:"plan"`
	RequiresAnyOf []PlanRef `json:"requiresAnyOf"`
}

// String describes the missing prerequisite in one sentence.
func (m MissingPrerequisite) String() string {
	return fmt.Sprintf("%s needs one of %s (rule %q)", m.Plan.ServicePlanName, planRefNames(m.RequiresAnyOf, " or "), m.Rule)
}

// Prohibition is a set of plans not offered in a usage location.
type Prohibition struct {
	Rule          string    `json:"rule"`
	UsageLocation string    `json:"usageLocation"`
	Plans         []PlanRef `json:"plans"`
}

// String describes the prohibition in one sentence.
func (p Prohibition) String() string {
	return fmt.Sprintf("%s not offered in usage location %s (rule %q)", planRefNames(p.Plans, ", "), p.UsageLocation, p.Rule)
}

// Fix is how to resolve an error: do one of the Options, then Then.
type Fix struct {
	Options []string `json:"options"`
	Then    string   `json:"then"`
}

func planRefNames(ps []PlanRef, sep string) string {
	n := make([]string, len(ps))
	for i, p := range ps {
		n[i] = p.ServicePlanName
	}
	return strings.Join(n, sep)
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// diagnoser explains paths in error. It holds per-tenant data only.
type diagnoser struct {
	*view
	rules *licensing.RuleIndex
}

func newDiagnoser(st *licensing.State) *diagnoser {
	return &diagnoser{view: newView(st), rules: st.Rules()}
}

func (d *diagnoser) planRef(id licensing.PlanID) PlanRef {
	return PlanRef{ServicePlanID: id, ServicePlanName: d.cat.PlanName(id)}
}

func (d *diagnoser) planRefs(ids []licensing.PlanID) []PlanRef {
	out := make([]PlanRef, len(ids))
	for i, id := range ids {
		out[i] = d.planRef(id)
	}
	return out
}

func (d *diagnoser) skuRef(id licensing.SkuID) SkuRef {
	return SkuRef{SkuID: id, SkuPartNumber: d.skuName(id)}
}

// failing is the paths of one source of one user that are in error: a group's paths (Entra
// processes all of a group's SKUs for a member together), or one direct path.
type failing struct {
	src   Source
	paths []licensing.Path
}

func (f *failing) has(p licensing.Path) bool {
	if f.src.Direct() {
		return p.Direct() && p.Sku == f.paths[0].Sku
	}
	return p.Group == f.src.GroupID
}

// kind is the error the source's paths report (the first one that names one).
func (f *failing) kind() licensing.Kind {
	for _, p := range f.paths {
		if p.Error != licensing.None {
			return p.Error
		}
	}
	return licensing.Other
}

func (f *failing) skus(d *diagnoser) []SkuRef {
	out := make([]SkuRef, len(f.paths))
	for i, p := range f.paths {
		out[i] = d.skuRef(p.Sku)
	}
	return out
}

// failingSources groups a user's paths in error by source, in the order of each source's first
// path (paths come by SKU, then direct, then groups: deterministic).
func failingSources(d *diagnoser, ps []licensing.Path) []failing {
	var out []failing
	for _, p := range ps {
		if !inError(p) {
			continue
		}
		k := -1
		for i := range out {
			if out[i].has(p) {
				k = i
				break
			}
		}
		if k < 0 {
			out = append(out, failing{src: d.source(p)})
			k = len(out) - 1
		}
		out[k].paths = append(out[k].paths, p)
	}
	return out
}

// others returns the plans each SKU enables through the user's active paths outside f.
func (d *diagnoser) others(ps []licensing.Path, f *failing) []licensing.SkuPlans {
	var out []licensing.SkuPlans
	for _, p := range ps {
		if !p.State.Enables() || f.has(p) {
			continue
		}
		en := d.enabled(p)
		if n := len(out); n > 0 && out[n-1].Sku == p.Sku {
			out[n-1].Plans.UnionWith(en)
			continue
		}
		out = append(out, licensing.SkuPlans{Sku: p.Sku, Plans: en})
	}
	return out
}

func union(sp []licensing.SkuPlans) licensing.PlanSet {
	var s licensing.PlanSet
	for _, x := range sp {
		s.UnionWith(x.Plans)
	}
	return s
}

// sourcesEnabling returns the sources of the user's active paths outside f of SKU sku that enable plan.
func (d *diagnoser) sourcesEnabling(ps []licensing.Path, f *failing, sku licensing.SkuID, plan licensing.PlanID) []Source {
	i, ok := d.cat.PlanIndex(plan)
	out := []Source{}
	if !ok {
		return out
	}
	for _, p := range ps {
		if p.Sku == sku && p.State.Enables() && (f == nil || !f.has(p)) && d.enabled(p).Has(i) {
			out = append(out, d.source(p))
		}
	}
	return out
}

// conflicts returns the pairs of plans that f's paths would enable in conflict with the
// plans the user's other active paths enable. The first side of each is f's plan.
func (d *diagnoser) conflicts(ps []licensing.Path, f *failing) []PlanConflict {
	others := d.others(ps, f)
	base := d.rules.Conflicts(others)
	var out []PlanConflict
	for _, p := range f.paths {
		mine := licensing.SkuPlans{Sku: p.Sku, Plans: d.enabled(p)}
		for _, c := range d.rules.Conflicts(append(slices.Clip(others), mine)) {
			if slices.ContainsFunc(base, func(b licensing.Conflict) bool { return b.Rule == c.Rule && b.Plans == c.Plans && b.Skus == c.Skus }) {
				continue
			}
			k := 0
			if i, ok := d.cat.PlanIndex(c.Plans[1]); ok && c.Skus[1] == mine.Sku && mine.Plans.Has(i) {
				k = 1
			}
			pc := PlanConflict{Rule: c.Rule.Name}
			pc.Sides[0] = ConflictSide{Plan: d.planRef(c.Plans[k]), Sku: d.skuRef(c.Skus[k]), Sources: []Source{f.src}}
			pc.Sides[1] = ConflictSide{Plan: d.planRef(c.Plans[1-k]), Sku: d.skuRef(c.Skus[1-k]), Sources: d.sourcesEnabling(ps, f, c.Skus[1-k], c.Plans[1-k])}
			if !slices.ContainsFunc(out, func(x PlanConflict) bool { return samePair(x, pc) }) {
				out = append(out, pc)
			}
		}
	}
	return out
}

func samePair(a, b PlanConflict) bool {
	return a.Rule == b.Rule && a.Sides[0].Plan == b.Sides[0].Plan && a.Sides[1].Plan == b.Sides[1].Plan &&
		a.Sides[0].Sku == b.Sides[0].Sku && a.Sides[1].Sku == b.Sides[1].Sku
}

func (d *diagnoser) missing(ms []licensing.MissingPrerequisite) []MissingPrerequisite {
	out := make([]MissingPrerequisite, len(ms))
	for i, m := range ms {
		out[i] = MissingPrerequisite{Rule: m.Rule.Name, Plan: d.planRef(m.Plan), RequiresAnyOf: d.planRefs(m.AnyOf)}
	}
	return out
}

func (d *diagnoser) prohibited(ps []licensing.Prohibition, loc string) []Prohibition {
	out := make([]Prohibition, len(ps))
	for i, p := range ps {
		out[i] = Prohibition{Rule: p.Rule.Name, UsageLocation: loc, Plans: d.planRefs(p.Plans)}
	}
	return out
}

// diagnosis is what is known about one failing source of one user.
type diagnosis struct {
	kind       licensing.Kind // the error Entra reports
	likely     licensing.Kind // for Other: the cause the rules and seats point to, or Other
	conflicts  []PlanConflict
	missing    []MissingPrerequisite
	needed     []MissingPrerequisite // prerequisites f's paths provide that would be missing without them
	prohibited []Prohibition
	location   string // the usage location that applies to f (the tenant default for a group when the user has none)
	byDefault  bool   // location is the tenant default
	noSeat     []int  // subscription positions f's SKUs lack a seat of (CountViolation)
	seatsFree  bool   // every SKU in noSeat has a free seat now
	detail     string
}

// diagnose explains why f's paths of user i are in error.
func (d *diagnoser) diagnose(i int, ps []licensing.Path, f *failing) diagnosis {
	st := d.st
	dg := diagnosis{kind: f.kind(), location: st.UsageLocation(i)}
	if dg.location == "" && !f.src.Direct() && st.DefaultUsageLocation() != "" {
		dg.location, dg.byDefault = st.DefaultUsageLocation(), true
	}
	others := d.others(ps, f)
	var mine licensing.PlanSet
	for _, p := range f.paths {
		mine.UnionWith(d.enabled(p))
	}
	withMine := union(others).Union(mine)

	checkSeats := func() {
		var full, free []int
		for _, p := range f.paths {
			if holdsSeatOutside(ps, f, p.Sku) {
				continue
			}
			if sub, k := d.sku(p.Sku); sub != nil && sub.Prepaid.Enabled-sub.Consumed <= 0 {
				full = append(full, k)
			} else if sub != nil {
				free = append(free, k)
			}
		}
		if len(full) > 0 {
			dg.noSeat, dg.seatsFree = full, false
		} else {
			dg.noSeat, dg.seatsFree = free, true
		}
	}
	checkMissing := func() {
		dg.missing = d.missing(d.rules.MissingPrerequisites(withMine))
		if len(dg.missing) == 0 {
			before := d.rules.MissingPrerequisites(withMine)
			for _, m := range d.rules.MissingPrerequisites(union(others)) {
				if !slices.ContainsFunc(before, func(b licensing.MissingPrerequisite) bool { return b.Plan == m.Plan }) {
					dg.needed = append(dg.needed, d.missing([]licensing.MissingPrerequisite{m})...)
				}
			}
		}
	}
	checkLocation := func() {
		if dg.location != "" {
			dg.prohibited = d.prohibited(d.rules.Prohibited(mine, dg.location), dg.location)
		}
	}

	switch dg.kind {
	case licensing.CountViolation:
		checkSeats()
	case licensing.MutuallyExclusiveViolation:
		dg.conflicts = d.conflicts(ps, f)
	case licensing.DependencyViolation:
		checkMissing()
	case licensing.ProhibitedInUsageLocationViolation:
		checkLocation()
	case licensing.UniquenessViolation:
	default: // Other, or a reason this library does not know: look for one.
		dg.likely = licensing.Other
		switch {
		case dg.location == "":
			dg.likely = licensing.UsageLocationMissing
		default:
			if dg.conflicts = d.conflicts(ps, f); len(dg.conflicts) > 0 {
				dg.likely = licensing.MutuallyExclusiveViolation
				break
			}
			if checkMissing(); len(dg.missing)+len(dg.needed) > 0 {
				dg.likely = licensing.DependencyViolation
				break
			}
			if checkLocation(); len(dg.prohibited) > 0 {
				dg.likely = licensing.ProhibitedInUsageLocationViolation
				break
			}
			if checkSeats(); !dg.seatsFree {
				dg.likely = licensing.CountViolation
			} else {
				dg.noSeat = nil
			}
		}
	}
	dg.detail = d.detail(i, f, &dg)
	return dg
}

// holdsSeatOutside reports whether a path of sku outside f, not in Error, gives the user a seat.
func holdsSeatOutside(ps []licensing.Path, f *failing, sku licensing.SkuID) bool {
	for _, p := range ps {
		if p.Sku == sku && p.State != licensing.PathError && !f.has(p) {
			return true
		}
	}
	return false
}

// detail is a sentence about the cause.
func (d *diagnoser) detail(i int, f *failing, dg *diagnosis) string {
	from := f.src.String()
	var parts []string
	cause := dg.kind
	if dg.kind == licensing.Other || !dg.kind.IsEntraError() {
		cause = dg.likely
		switch dg.likely {
		case licensing.Other:
			return fmt.Sprintf("Entra gives no specific reason for %s's licenses from %s, and the seats and rules show none", userRef(d.st.User(i)), from)
		case licensing.UsageLocationMissing:
			return fmt.Sprintf("Entra gives no specific reason; %s has no usage location and the tenant has no default", userRef(d.st.User(i)))
		}
		parts = append(parts, "Entra gives no specific reason; likely "+dg.likely.String())
	}
	switch cause {
	case licensing.CountViolation:
		if len(dg.noSeat) == 0 {
			parts = append(parts, fmt.Sprintf("%s now holds a seat of every SKU of %s", userRef(d.st.User(i)), from))
		}
		for _, k := range dg.noSeat {
			s := d.subs[k]
			if dg.seatsFree {
				parts = append(parts, fmt.Sprintf("%d of %d seats of %s are in use: seats are free now", s.Consumed, s.Prepaid.Enabled, s.Sku.Label()))
			} else {
				parts = append(parts, fmt.Sprintf("no free seat of %s for %s (%d of %d in use)", s.Sku.Label(), from, s.Consumed, s.Prepaid.Enabled))
			}
		}
	case licensing.MutuallyExclusiveViolation:
		for _, c := range dg.conflicts {
			parts = append(parts, c.String())
		}
		if len(dg.conflicts) == 0 {
			parts = append(parts, "the rules find no conflicting plans now (the other license may have changed)")
		}
	case licensing.DependencyViolation:
		for _, m := range dg.missing {
			parts = append(parts, m.String())
		}
		for _, m := range dg.needed {
			parts = append(parts, fmt.Sprintf("without %s, %s", from, m.String()))
		}
		if len(dg.missing)+len(dg.needed) == 0 {
			parts = append(parts, "the rules find no missing prerequisite now")
		}
	case licensing.ProhibitedInUsageLocationViolation:
		for _, p := range dg.prohibited {
			parts = append(parts, p.String())
		}
		if len(dg.prohibited) == 0 {
			parts = append(parts, fmt.Sprintf("the rules know no plan of %s prohibited in %s; add the prohibition to a rules file", from, orText(dg.location, "an empty usage location")))
		}
		if dg.byDefault {
			parts = append(parts, fmt.Sprintf("%s has no usage location, so group licensing used the tenant default %s", userRef(d.st.User(i)), dg.location))
		}
	case licensing.UniquenessViolation:
		parts = append(parts, fmt.Sprintf("another object uses one of %s's proxy addresses (Exchange)", userRef(d.st.User(i))))
	}
	return strings.Join(parts, "; ")
}

// fix returns the options and the step after them for one failing source of user i.
// seatsNeeded gives, per subscription position, the seats to buy or free (CountViolation).
func (d *diagnoser) fix(i int, ps []licensing.Path, f *failing, dg *diagnosis, seatsNeeded func(int) int) Fix {
	u := userRef(d.st.User(i))
	fx := Fix{Options: []string{}, Then: "reprocess " + u}
	add := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		if !slices.Contains(fx.Options, s) {
			fx.Options = append(fx.Options, s)
		}
	}
	leave := func() {
		if !f.src.Direct() {
			add("remove %s from group %s", u, f.src.GroupDisplayName)
		}
	}
	disableIn := func(src Source, sku, plan string) {
		if src.Direct() {
			add("disable %s in %s's direct %s, or remove the direct %s from %s", plan, u, sku, sku, u)
		} else {
			add("disable %s in group %s's %s assignment (for all of its members)", plan, src.GroupDisplayName, sku)
		}
	}
	cause := dg.kind
	if !cause.IsEntraError() || cause == licensing.Other {
		cause = dg.likely
	}
	switch cause {
	case licensing.CountViolation:
		for _, k := range dg.noSeat {
			s := d.subs[k]
			if n := seatsNeeded(k); n > 0 && !dg.seatsFree {
				for _, o := range seatOptions(n, s.Sku.Label()) {
					add("%s", o)
				}
			}
		}
		leave()
	case licensing.MutuallyExclusiveViolation:
		for _, c := range dg.conflicts {
			disableIn(f.src, c.Sides[0].Sku.SkuPartNumber, c.Sides[0].Plan.ServicePlanName)
		}
		leave()
		for _, c := range dg.conflicts {
			for _, src := range c.Sides[1].Sources {
				disableIn(src, c.Sides[1].Sku.SkuPartNumber, c.Sides[1].Plan.ServicePlanName)
				if !src.Direct() {
					add("remove %s from group %s", u, src.GroupDisplayName)
				}
			}
		}
	case licensing.DependencyViolation:
		for _, m := range dg.missing {
			d.enablePrerequisite(ps, u, m, add)
			if k, ok := d.cat.PlanIndex(m.Plan.ServicePlanID); ok {
				for _, p := range ps {
					if (p.State.Enables() || f.has(p)) && d.enabled(p).Has(k) {
						disableIn(d.source(p), d.skuName(p.Sku), m.Plan.ServicePlanName)
					}
				}
			}
		}
		for _, m := range dg.needed {
			d.enablePrerequisite(ps, u, m, add)
			if k, ok := d.cat.PlanIndex(m.Plan.ServicePlanID); ok {
				for _, p := range ps {
					if p.State.Enables() && !f.has(p) && d.enabled(p).Has(k) {
						disableIn(d.source(p), d.skuName(p.Sku), m.Plan.ServicePlanName)
					}
				}
			}
		}
	case licensing.ProhibitedInUsageLocationViolation:
		if dg.byDefault {
			add("set %s's usage location to the country where the user works (PATCH /users/{id} usageLocation)", u)
		} else {
			add("if %s is not where %s works, correct the usage location (PATCH /users/{id} usageLocation)", dg.location, u)
		}
		for _, p := range dg.prohibited {
			for _, path := range f.paths {
				idx := d.enabled(path)
				for _, pl := range p.Plans {
					if k, ok := d.cat.PlanIndex(pl.ServicePlanID); ok && idx.Has(k) {
						disableIn(f.src, d.skuName(path.Sku), pl.ServicePlanName)
					}
				}
			}
		}
		leave()
	case licensing.UniquenessViolation:
		add("find the object with the same proxy address as %s (Exchange admin center) and remove the duplicate", u)
	case licensing.UsageLocationMissing:
		add("set %s's usage location (PATCH /users/{id} usageLocation), or a tenant default", u)
	default:
		add("look at %s in the Entra admin center (Licenses) and the audit log for the failed assignment", u)
		leave()
	}
	return fx
}

// enablePrerequisite adds the ways to enable one of m's required plans for the user: on a
// path that has it disabled, or by assigning a subscribed SKU that contains it.
func (d *diagnoser) enablePrerequisite(ps []licensing.Path, u string, m MissingPrerequisite, add func(string, ...any)) {
	found := false
	for _, need := range m.RequiresAnyOf {
		k, ok := d.cat.PlanIndex(need.ServicePlanID)
		if !ok {
			continue
		}
		for _, p := range ps {
			if p.Disabled.Has(k) && d.skuPlans(p.Sku).Has(k) {
				src := d.source(p)
				if src.Direct() {
					add("enable %s in %s's direct %s", need.ServicePlanName, u, d.skuName(p.Sku))
				} else {
					add("enable %s in group %s's %s assignment", need.ServicePlanName, src.GroupDisplayName, d.skuName(p.Sku))
				}
				found = true
			}
		}
	}
	if found {
		return
	}
	for _, need := range m.RequiresAnyOf {
		k, ok := d.cat.PlanIndex(need.ServicePlanID)
		if !ok {
			continue
		}
		for _, s := range d.subs {
			if ok, _ := s.Assignable(); ok && s.Sku.PlanSet().Has(k) {
				add("assign %s (it contains %s) to %s", s.Sku.Label(), need.ServicePlanName, u)
				found = true
				break
			}
		}
		if found {
			return
		}
	}
}

// seatOptions are the ways to get n seats of a SKU.
func seatOptions(n int, sku string) []string {
	return []string{
		fmt.Sprintf("buy %s of %s", seats(n), sku),
		fmt.Sprintf("free %d by removing %s from users who no longer need it", n, sku),
	}
}

func seats(n int) string {
	if n == 1 {
		return "1 more seat"
	}
	return fmt.Sprintf("%d more seats", n)
}
