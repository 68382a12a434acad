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
	// ProductName is the product name ("Office 365 E3"), or the part number when no catalog
	// knows one.
	ProductName string `json:"productName"`
}

// Named names the SKU for people in the style, as licensing.Sku.Named does: "Office 365 E3
// (ENTERPRISEPACK)" (NamesBoth), "ENTERPRISEPACK" (NamesPart) or "Office 365 E3" (NamesProduct).
func (s SkuRef) Named(style licensing.NameStyle) string {
	return skuNamed(style, s.SkuID, s.SkuPartNumber, s.ProductName)
}

// PlanRef names a service plan in a report.
type PlanRef struct {
	ServicePlanID   licensing.PlanID `json:"servicePlanId"`
	ServicePlanName string           `json:"servicePlanName"`
	// FriendlyName is the plan's friendly name ("Microsoft Teams" for TEAMS1), or its name when
	// no catalog knows one.
	FriendlyName string `json:"friendlyName"`
}

// Named names the plan for people in the style, as licensing.ServicePlan.Named does:
// "Microsoft Teams (TEAMS1)" (NamesBoth), "TEAMS1" (NamesPart) or "Microsoft Teams" (NamesProduct).
func (p PlanRef) Named(style licensing.NameStyle) string {
	return planNamed(style, p.ServicePlanName, p.FriendlyName)
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

// String describes the conflict in one sentence, naming plans and SKUs in the default style.
func (c PlanConflict) String() string { return c.text(licensing.NamesBoth) }

func (c PlanConflict) text(style licensing.NameStyle) string {
	side := func(s ConflictSide) string {
		src := make([]string, len(s.Sources))
		for i, x := range s.Sources {
			src[i] = x.String()
		}
		return fmt.Sprintf("%s in %s from %s", s.Plan.Named(style), s.Sku.Named(style), orText(strings.Join(src, " and "), "no path"))
	}
	return fmt.Sprintf("%s and %s cannot be enabled together (rule %q)", side(c.Sides[0]), side(c.Sides[1]), c.Rule)
}

// MissingPrerequisite is an enabled add-on plan none of whose required plans is enabled.
type MissingPrerequisite struct {
	Rule          string    `json:"rule"`
	Plan          PlanRef   `json:"plan"`
	RequiresAnyOf []PlanRef `json:"requiresAnyOf"`
}

// String describes the missing prerequisite in one sentence, naming plans in the default style.
func (m MissingPrerequisite) String() string { return m.text(licensing.NamesBoth) }

func (m MissingPrerequisite) text(style licensing.NameStyle) string {
	return fmt.Sprintf("%s needs one of %s (rule %q)", m.Plan.Named(style), planRefsText(style, m.RequiresAnyOf, " or "), m.Rule)
}

// Prohibition is a set of plans not offered in a usage location.
type Prohibition struct {
	Rule          string    `json:"rule"`
	UsageLocation string    `json:"usageLocation"`
	Plans         []PlanRef `json:"plans"`
}

// String describes the prohibition in one sentence, naming plans in the default style.
func (p Prohibition) String() string { return p.text(licensing.NamesBoth) }

func (p Prohibition) text(style licensing.NameStyle) string {
	return fmt.Sprintf("%s not offered in usage location %s (rule %q)", planRefsText(style, p.Plans, ", "), p.UsageLocation, p.Rule)
}

// Fix is how to resolve an error: do one of the Options, then Then.
type Fix struct {
	Options []string `json:"options"`
	Then    string   `json:"then"`
}

// planRefsText names plans for people in a style, in their order, joined with sep.
func planRefsText(style licensing.NameStyle, ps []PlanRef, sep string) string {
	n := make([]string, len(ps))
	for i, p := range ps {
		n[i] = p.Named(style)
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

func newDiagnoser(st *licensing.State, names licensing.NameStyle) *diagnoser {
	return &diagnoser{view: newView(st, names), rules: st.Rules()}
}

// failing is the paths of one source of one user that are in error: a group's paths (Entra
// processes all of a group's SKUs for a member together), or one direct path. A group's stuck
// paths (licensing.Path.Stuck) are a source of their own: they are no longer part of the
// group's assignment.
type failing struct {
	src   Source
	paths []licensing.Path
	stuck string // why the paths outlived the group's assignment (StuckGroupDeleted, …); "" when not stuck
}

func (f *failing) has(p licensing.Path) bool {
	if f.src.Direct() {
		return p.Direct() && p.Sku == f.paths[0].Sku
	}
	return p.Group == f.src.GroupID && p.Stuck == (f.stuck != "")
}

// kind is the error the source's paths report: the first that names a reason other than
// Other (a group's other licenses report Other when one of them fails), else Other.
func (f *failing) kind() licensing.Kind {
	for _, p := range f.paths {
		if p.Error != licensing.None && p.Error != licensing.Other {
			return p.Error
		}
	}
	return licensing.Other
}

// otherPaths returns the paths of a group source that report Other while another license of
// the same group names the error (Entra: "typically the result of an error with another license
// assigned by the same group"); nil when no path names one.
func (f *failing) otherPaths() []licensing.Path {
	if f.src.Direct() || f.kind() == licensing.Other {
		return nil
	}
	var out []licensing.Path
	for _, p := range f.paths {
		if p.Error == licensing.Other || p.Error == licensing.None {
			out = append(out, p)
		}
	}
	return out
}

func (f *failing) skus(d *diagnoser) []SkuRef {
	out := make([]SkuRef, len(f.paths))
	for i, p := range f.paths {
		out[i] = d.skuRef(p.Sku)
	}
	return out
}

// failingSources groups user i's paths in error by source, in the order of each source's first
// path (paths come by SKU, then direct, then groups: deterministic).
func failingSources(d *diagnoser, i int, ps []licensing.Path) []failing {
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
			out = append(out, failing{src: d.source(p), stuck: d.stuckCause(i, p)})
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
	stuck      string // why f's paths outlived the group's assignment (StuckGroupDeleted, …); "" when not stuck
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
			if sub, k := d.sku(p.Sku); sub != nil && sub.Available() <= 0 {
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

	if f.stuck != "" {
		// A stuck path stays while an enabled plan depends on it: the prerequisites that
		// would be missing from the user's other enabled plans without it.
		dg.stuck = f.stuck
		before := d.rules.MissingPrerequisites(withMine)
		for _, m := range d.rules.MissingPrerequisites(union(others)) {
			if !slices.ContainsFunc(before, func(b licensing.MissingPrerequisite) bool { return b.Plan == m.Plan }) {
				dg.needed = append(dg.needed, d.missing([]licensing.MissingPrerequisite{m})...)
			}
		}
		if dg.kind == licensing.Other || !dg.kind.IsEntraError() {
			dg.likely = licensing.Other
			if len(dg.needed) > 0 {
				dg.likely = licensing.DependencyViolation
			}
		}
		dg.detail = d.stuckDetail(i, ps, f, &dg)
		return dg
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
	if pre := d.groupNote(i, f, &dg); pre != "" {
		dg.detail = pre + "; " + dg.detail
	}
	return dg
}

// stuckDetail says why a stuck path is still there: what outlived it, the plan that depends
// on it, and what it still holds.
func (d *diagnoser) stuckDetail(i int, ps []licensing.Path, f *failing, dg *diagnosis) string {
	var skus []string
	holds, enables := false, false
	for _, p := range f.paths {
		skus = append(skus, d.skuText(p.Sku))
		holds = holds || p.State != licensing.PathError
		enables = enables || p.State.Enables()
	}
	sku := strings.Join(skus, ", ")
	var b strings.Builder
	fmt.Fprintf(&b, "stuck: %s, but %s from it is still on the user", stuckText(f.stuck, f.src, sku), sku)
	if len(dg.needed) == 0 {
		b.WriteString("; the rules find no enabled plan that depends on it now, so reprocessing the user should remove it")
	} else {
		b.WriteString(": Entra keeps it while another plan depends on it (\"can't be removed until the dependency is resolved\")")
		for _, m := range dg.needed {
			fmt.Fprintf(&b, "; without it, %s from %s needs one of %s (rule %q)", d.planText(m.Plan),
				orText(sourceNames(d.enablers(ps, f, m.Plan.ServicePlanID)), "no path"), planRefsText(d.names, m.RequiresAnyOf, " or "), m.Rule)
		}
	}
	switch {
	case enables:
		fmt.Fprintf(&b, "; until then it holds a seat of %s and enables its plans", sku)
	case holds:
		fmt.Fprintf(&b, "; until then it holds a seat of %s", sku)
	}
	return b.String()
}

// enablers returns the sources of the user's active paths outside f (and not stuck) that enable plan.
func (d *diagnoser) enablers(ps []licensing.Path, f *failing, plan licensing.PlanID) []Source {
	k, ok := d.cat.PlanIndex(plan)
	out := []Source{}
	if !ok {
		return out
	}
	for _, p := range ps {
		if p.State.Enables() && !f.has(p) && d.enabled(p).Has(k) {
			src := d.source(p)
			if !slices.Contains(out, src) {
				out = append(out, src)
			}
		}
	}
	return out
}

// groupNote is what a group source adds to the cause: the licenses the user keeps
// (ActiveWithError: Entra does not take a working license away), and the group's other
// licenses that report Other because of the one that failed; "" when there is nothing to add.
func (d *diagnoser) groupNote(i int, f *failing, dg *diagnosis) string {
	var notes, kept []string
	for _, p := range f.paths {
		if p.State == licensing.PathActiveWithError {
			kept = append(kept, d.skuText(p.Sku))
		}
	}
	if len(kept) > 0 {
		from := "direct"
		if !f.src.Direct() {
			from = "from " + f.src.String()
		}
		notes = append(notes, fmt.Sprintf("%s keeps the working %s %s (ActiveWithError: Entra does not take a working license away), but the latest change of the assignment failed",
			userRef(d.st.User(i)), strings.Join(kept, ", "), from))
	}
	if others := f.otherPaths(); len(others) > 0 {
		var named, other []string
		for _, p := range f.paths {
			if p.Error == licensing.Other || p.Error == licensing.None {
				other = append(other, d.skuText(p.Sku))
			} else if n := d.skuText(p.Sku) + " with " + p.Error.String(); !slices.Contains(named, n) {
				named = append(named, n)
			}
		}
		notes = append(notes, fmt.Sprintf("Entra reports Other on %s because another license of the same group failed: %s (a group's licenses apply to a member together or not at all)",
			strings.Join(other, ", "), strings.Join(named, ", ")))
	} else if !f.src.Direct() && dg.kind == licensing.Other {
		if g, _, _ := d.group(f.src.GroupID); g >= 0 && len(d.st.GroupLicenses(g)) > 1 {
			notes = append(notes, fmt.Sprintf("Other is typically the result of an error with another license assigned by the same group; %s has no path from group %s that names one",
				userRef(d.st.User(i)), f.src.Label()))
		}
	}
	return strings.Join(notes, "; ")
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
				parts = append(parts, fmt.Sprintf("%d of %d seats of %s are in use%s: seats are free now", s.Consumed, s.Seats(), d.skuText(s.Sku.ID), graceNote(s)))
			} else {
				parts = append(parts, fmt.Sprintf("no free seat of %s for %s (%s)", d.skuText(s.Sku.ID), from, seatsInUse(s)))
			}
		}
	case licensing.MutuallyExclusiveViolation:
		for _, c := range dg.conflicts {
			parts = append(parts, c.text(d.names))
		}
		if len(dg.conflicts) == 0 {
			parts = append(parts, "the rules find no conflicting plans now (the other license may have changed)")
		}
	case licensing.DependencyViolation:
		for _, m := range dg.missing {
			parts = append(parts, m.text(d.names))
		}
		for _, m := range dg.needed {
			parts = append(parts, fmt.Sprintf("without %s, %s", from, m.text(d.names)))
		}
		if len(dg.missing)+len(dg.needed) == 0 {
			parts = append(parts, "the rules find no missing prerequisite now")
		}
	case licensing.ProhibitedInUsageLocationViolation:
		for _, p := range dg.prohibited {
			parts = append(parts, p.text(d.names))
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
			add("%s", leaveText(u, f.src))
		}
	}
	disableIn := func(src Source, sku, plan string) {
		if src.Direct() {
			add("disable %s in %s's direct %s, or remove the direct %s from %s", plan, u, sku, sku, u)
		} else {
			add("disable %s in group %s's %s assignment (for all of its members)", plan, src.Label(), sku)
		}
	}
	if f.stuck != "" {
		d.stuckFix(i, ps, f, dg, &fx, add, disableIn)
		return fx
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
				for _, o := range seatOptions(n, d.skuText(s.Sku.ID)) {
					add("%s", o)
				}
			}
		}
		leave()
	case licensing.MutuallyExclusiveViolation:
		for _, c := range dg.conflicts {
			disableIn(f.src, c.Sides[0].Sku.Named(d.names), d.planText(c.Sides[0].Plan))
		}
		leave()
		for _, c := range dg.conflicts {
			for _, src := range c.Sides[1].Sources {
				disableIn(src, c.Sides[1].Sku.Named(d.names), d.planText(c.Sides[1].Plan))
				if !src.Direct() {
					add("%s", leaveText(u, src))
				}
			}
		}
	case licensing.DependencyViolation:
		for _, m := range dg.missing {
			d.enablePrerequisite(ps, u, m, add, true)
			if k, ok := d.cat.PlanIndex(m.Plan.ServicePlanID); ok {
				for _, p := range ps {
					if (p.State.Enables() || f.has(p)) && d.enabled(p).Has(k) {
						disableIn(d.source(p), d.skuText(p.Sku), d.planText(m.Plan))
					}
				}
			}
		}
		for _, m := range dg.needed {
			d.enablePrerequisite(ps, u, m, add, true)
			if k, ok := d.cat.PlanIndex(m.Plan.ServicePlanID); ok {
				for _, p := range ps {
					if p.State.Enables() && !f.has(p) && d.enabled(p).Has(k) {
						disableIn(d.source(p), d.skuText(p.Sku), d.planText(m.Plan))
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
						disableIn(f.src, d.skuText(path.Sku), d.planText(pl))
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

// stuckFix is the fix of a stuck path: resolve the dependency that keeps it (give the user a
// required plan another way, or disable or remove the plan that depends on it), then reprocess
// the user, and the path goes. Restoring what it outlived (the membership, the group's license)
// is an option too.
func (d *diagnoser) stuckFix(i int, ps []licensing.Path, f *failing, dg *diagnosis, fx *Fix, add func(string, ...any), disableIn func(Source, string, string)) {
	u := userRef(d.st.User(i))
	for _, m := range dg.needed {
		// The stuck path's own SKU, assigned directly: no extra seat (one seat per user per SKU).
		direct := false
		for _, p := range f.paths {
			sub, _ := d.sku(p.Sku)
			if sub == nil {
				continue
			}
			if ok, _ := sub.Assignable(); !ok {
				continue
			}
			for _, need := range m.RequiresAnyOf {
				if k, ok := d.cat.PlanIndex(need.ServicePlanID); ok && d.enabled(p).Has(k) {
					add("assign %s to %s directly (it contains %s; no extra seat, the user already holds one)", d.skuText(p.Sku), u, d.planText(need))
					direct = true
					break
				}
			}
		}
		d.enablePrerequisite(ps, u, m, add, !direct)
		for _, src := range d.enablers(ps, f, m.Plan.ServicePlanID) {
			for _, p := range ps {
				if k, ok := d.cat.PlanIndex(m.Plan.ServicePlanID); ok && p.State.Enables() && !p.Stuck && d.source(p) == src && d.enabled(p).Has(k) {
					disableIn(src, d.skuText(p.Sku), d.planText(m.Plan))
				}
			}
		}
	}
	var skus []string
	for _, p := range f.paths {
		skus = append(skus, d.skuText(p.Sku))
	}
	if len(dg.needed) == 0 {
		fx.Then = fmt.Sprintf("reprocess %s (POST /users/{id}/reprocessLicenseAssignment): no enabled plan depends on the path now, so it should go", u)
		return
	}
	switch f.stuck {
	case StuckNoLongerMember:
		add("add %s back to group %s (its license then applies normally again)", u, f.src.Label())
	case StuckSkuRemoved:
		add("assign %s to group %s again (its license then applies normally again)", strings.Join(skus, ", "), f.src.Label())
	}
	fx.Then = fmt.Sprintf("reprocess %s (POST /users/{id}/reprocessLicenseAssignment), and the stuck path goes", u)
}

// enablePrerequisite adds the ways to enable one of m's required plans for the user: on a
// path that has it disabled, or (with assign) by assigning a subscribed SKU that contains it.
func (d *diagnoser) enablePrerequisite(ps []licensing.Path, u string, m MissingPrerequisite, add func(string, ...any), assign bool) {
	found := false
	for _, need := range m.RequiresAnyOf {
		k, ok := d.cat.PlanIndex(need.ServicePlanID)
		if !ok {
			continue
		}
		for _, p := range ps {
			if p.Disabled.Has(k) && d.skuPlans(p.Sku).Has(k) && !p.Stuck {
				src := d.source(p)
				if src.Direct() {
					add("enable %s in %s's direct %s", d.planText(need), u, d.skuText(p.Sku))
				} else {
					add("enable %s in group %s's %s assignment", d.planText(need), src.Label(), d.skuText(p.Sku))
				}
				found = true
			}
		}
	}
	if found || !assign {
		return
	}
	for _, need := range m.RequiresAnyOf {
		k, ok := d.cat.PlanIndex(need.ServicePlanID)
		if !ok {
			continue
		}
		for _, s := range d.subs {
			if ok, _ := s.Assignable(); ok && s.Sku.PlanSet().Has(k) {
				add("assign %s (it contains %s) to %s", d.skuText(s.Sku.ID), d.planText(need), u)
				found = true
				break
			}
		}
		if found {
			return
		}
	}
}

// seatsInUse says "C of S in use": consumed of the assignable seats (prepaidUnits.enabled +
// warning), noting the grace-period seats among them.
func seatsInUse(s *licensing.Subscription) string {
	return fmt.Sprintf("%d of %d in use%s", s.Consumed, s.Seats(), graceNote(s))
}

// graceNote is " (N of the S seats are grace-period seats)" for a SKU with seats in their grace
// period (prepaidUnits.warning: assignable, but they lapse when the grace period ends), else "".
func graceNote(s *licensing.Subscription) string {
	if !s.OnGracePeriod() {
		return ""
	}
	return fmt.Sprintf(" (%d of the %d seats are grace-period seats)", s.Prepaid.Warning, s.Seats())
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
