package licensing

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// RulesFormatVersion is the formatVersion of a rules file.
const RulesFormatVersion = "rules/v1"

//go:embed rules_default.json
var defaultRulesJSON []byte

// PlanRef names a service plan in a rule: the id decides, the name is for people.
type PlanRef struct {
	ID   PlanID `json:"id"`
	Name string `json:"name,omitempty"`
}

// String returns the plan's name, or its id when the rule gives no name.
func (p PlanRef) String() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID.String()
}

// Strength says what Entra does with a case a rule describes. The zero value (a rule file
// written before strengths existed) reads as StrengthRefused.
type Strength string

const (
	// StrengthRefused: Entra refuses it (documented, or quoted from a real Graph error): an error.
	StrengthRefused Strength = "refused"
	// StrengthDiscouraged: Microsoft says "not recommended", Entra accepts it: a warning.
	StrengthDiscouraged Strength = "discouraged"
)

// Refused reports whether the rule's cases are refused by Entra (the empty strength included).
func (s Strength) Refused() bool { return s == "" || s == StrengthRefused }

func (s Strength) valid() bool { return s == "" || s == StrengthRefused || s == StrengthDiscouraged }

// ExclusionRule says that no two of its plans may be enabled together for one user when they
// come from different SKUs (plans of one SKU never conflict with each other).
type ExclusionRule struct {
	Name     string    `json:"name"`
	Strength Strength  `json:"strength,omitempty"`
	Source   string    `json:"source"`
	Date     string    `json:"date"`
	Plans    []PlanRef `json:"plans"`
}

// StackingRule says that its plans may be enabled together even where an ExclusionRule lists
// them: Exchange Online plans since January 2023 (the superior plan wins), Skype for Business
// Online (MCOSTANDARD, in the "(no Teams)" suites) with the MCOIMP of Microsoft Teams EEA and
// Teams Enterprise, which Microsoft sells together. It says nothing about service levels.
type StackingRule struct {
	Name   string    `json:"name"`
	Source string    `json:"source"`
	Date   string    `json:"date"`
	Plans  []PlanRef `json:"plans"`
}

// PrerequisiteRule says that Plan may be enabled for a user only when at least one of
// RequiresAnyOf is enabled too. For a group, the prerequisite must be in the same group's assignment.
type PrerequisiteRule struct {
	Name          string    `json:"name"`
	Strength      Strength  `json:"strength,omitempty"`
	Source        string    `json:"source"`
	Date          string    `json:"date"`
	Plan          PlanRef   `json:"plan"`
	RequiresAnyOf []PlanRef `json:"requiresAnyOf"`
}

// UsageLocationRule says where Plans are offered: never in ProhibitedIn, and only in
// AllowedOnlyIn when that list is not empty (ISO 3166 alpha-2 country codes).
type UsageLocationRule struct {
	Name          string    `json:"name"`
	Strength      Strength  `json:"strength,omitempty"`
	Source        string    `json:"source"`
	Date          string    `json:"date"`
	Plans         []PlanRef `json:"plans"`
	ProhibitedIn  []string  `json:"prohibitedIn,omitempty"`
	AllowedOnlyIn []string  `json:"allowedOnlyIn,omitempty"`
}

// ServiceRule says that its plans deliver one service (a family) at ordered levels, lowest
// first: "levels": [[EXCHANGE_S_DESKLESS], [EXCHANGE_S_STANDARD, …], [EXCHANGE_S_ENTERPRISE]].
// Plans of one level are equal. Losing a plan is not a service loss while another plan of the
// family at the same or a higher level stays enabled (an upgrade); a downgrade loses the higher
// level. The older form "plans": [...] is one level: every plan equal. A rule has plans or
// levels, not both. Exclusion and stacking rules are not service families.
type ServiceRule struct {
	Name   string      `json:"name"`
	Source string      `json:"source"`
	Date   string      `json:"date"`
	Plans  []PlanRef   `json:"plans,omitempty"`
	Levels [][]PlanRef `json:"levels,omitempty"`
}

// AllLevels returns the rule's levels, lowest first: Levels, or Plans as the only level.
func (s *ServiceRule) AllLevels() [][]PlanRef {
	if len(s.Levels) > 0 {
		return s.Levels
	}
	if len(s.Plans) == 0 {
		return nil
	}
	return [][]PlanRef{s.Plans}
}

// Rules is the rule set (rules/v1): the data Entra's checks are made from. Every rule names
// its source and date. A rules file either extends the defaults (dropping any default rule
// named in Disable) or, with ReplaceDefaults, stands alone.
type Rules struct {
	FormatVersion     string              `json:"formatVersion"`
	ReplaceDefaults   bool                `json:"replaceDefaults,omitempty"`
	Disable           []string            `json:"disable,omitempty"`
	MutuallyExclusive []ExclusionRule     `json:"mutuallyExclusive"`
	Stacking          []StackingRule      `json:"stacking"`
	Prerequisites     []PrerequisiteRule  `json:"prerequisites"`
	UsageLocation     []UsageLocationRule `json:"usageLocation"`
	Services          []ServiceRule       `json:"services,omitempty"`
}

// DefaultRules returns a fresh copy of the embedded default rule set. Every rule names its
// source and date; every exclusion and prerequisite has an explicit strength.
//
//   - Exclusions (refused): Microsoft's table of service plans that cannot be assigned at the
//     same time (Microsoft Learn, 2025-10-29), verbatim. Microsoft does not maintain it for new
//     services, so stacking rules allow what Microsoft sells together.
//   - Stacking: Exchange Online plans (Exchange Team blog, January 2023: the superior plan
//     wins); Skype for Business Online (MCOSTANDARD) with the MCOIMP of Microsoft Teams EEA /
//     Teams Enterprise, which new Enterprise customers must buy with a "(no Teams)" suite
//     (Microsoft Learn, April 2024).
//   - Prerequisites (refused), each accepting every alternative Microsoft's own SKUs carry
//     (checked over Microsoft's whole CSV by catalog_invariant_test.go): Workplace Analytics →
//     Exchange Online Plan 1 or 2; Audio Conferencing → Skype for Business Online or Teams (and
//     its GCC plan → TEAMS_GOV or MCOSTANDARD_GOV, quoted from a Graph error); Office for the
//     web → a SharePoint or OneDrive plan; Teams Phone → Skype for Business Online or Teams;
//     Defender for Office 365 (Plan 2) → an Exchange Online plan; Project Online →
//     SharePoint (Plan 2), quoted from a Graph error.
//   - Service families with ordered levels (Microsoft's service descriptions): Exchange Online
//     (Kiosk < Essentials < Plan 1 < Plan 2), SharePoint (Kiosk < Plan 1 < Plan 2), Microsoft
//     365 Apps (mobile < business < enterprise), Intune, Information Protection (RMS), Entra ID,
//     Skype for Business Online, Calling Plans, Defender for Office 365 and for Endpoint, and the
//     E1/E3/E5 tiers of Forms, Stream, Whiteboard, To Do and the Power Platform for Office 365.
//
// It has no usage-location prohibitions: Microsoft publishes no machine-readable list; add your
// own with a rules file.
func DefaultRules() *Rules {
	r, err := ReadRules(bytes.NewReader(defaultRulesJSON))
	if err != nil {
		panic("licensing: embedded default rules are invalid: " + err.Error())
	}
	return r
}

// ReadRules reads and validates a rules/v1 document. Errors name the rule and field at fault.
func ReadRules(rd io.Reader) (*Rules, error) {
	var r Rules
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, &Error{Kind: InvalidInput, Message: "rules file is not valid rules/v1 JSON", Err: err}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Validate checks the format version and that every rule has a name and usable plans.
func (r *Rules) Validate() error {
	if r.FormatVersion != RulesFormatVersion {
		return errorf(InvalidInput, "rules file formatVersion is %q, want %q", r.FormatVersion, RulesFormatVersion)
	}
	bad := func(section string, i int, name, format string, args ...any) error {
		return errorf(InvalidInput, "rules %s[%d] (%q): %s", section, i, name, fmt.Sprintf(format, args...))
	}
	checkPlans := func(section string, i int, name string, plans []PlanRef, least int) error {
		if name == "" {
			return bad(section, i, name, "a rule needs a name")
		}
		if len(plans) < least {
			return bad(section, i, name, "needs at least %d plans, has %d", least, len(plans))
		}
		for k, p := range plans {
			if p.ID.IsZero() {
				return bad(section, i, name, "plan %d has no id", k)
			}
		}
		return nil
	}
	checkStrength := func(section string, i int, name string, s Strength) error {
		if !s.valid() {
			return bad(section, i, name, "strength is %q, want %q or %q", s, StrengthRefused, StrengthDiscouraged)
		}
		return nil
	}
	for i, x := range r.MutuallyExclusive {
		if err := checkPlans("mutuallyExclusive", i, x.Name, x.Plans, 2); err != nil {
			return err
		}
		if err := checkStrength("mutuallyExclusive", i, x.Name, x.Strength); err != nil {
			return err
		}
	}
	for i, x := range r.Stacking {
		if err := checkPlans("stacking", i, x.Name, x.Plans, 2); err != nil {
			return err
		}
	}
	for i, x := range r.Prerequisites {
		if err := checkPlans("prerequisites", i, x.Name, append([]PlanRef{x.Plan}, x.RequiresAnyOf...), 2); err != nil {
			return err
		}
		if err := checkStrength("prerequisites", i, x.Name, x.Strength); err != nil {
			return err
		}
	}
	for i, x := range r.Services {
		if len(x.Plans) > 0 && len(x.Levels) > 0 {
			return bad("services", i, x.Name, "has both plans and levels: give plans (one level) or levels (lowest first)")
		}
		var all []PlanRef
		for k, l := range x.AllLevels() {
			if len(l) == 0 {
				return bad("services", i, x.Name, "level %d has no plans", k)
			}
			all = append(all, l...)
		}
		if err := checkPlans("services", i, x.Name, all, 2); err != nil {
			return err
		}
		seen := map[PlanID]bool{}
		for _, p := range all {
			if seen[p.ID] {
				return bad("services", i, x.Name, "plan %s is listed twice", p)
			}
			seen[p.ID] = true
		}
	}
	for i, x := range r.UsageLocation {
		if err := checkPlans("usageLocation", i, x.Name, x.Plans, 1); err != nil {
			return err
		}
		if err := checkStrength("usageLocation", i, x.Name, x.Strength); err != nil {
			return err
		}
		if len(x.ProhibitedIn) == 0 && len(x.AllowedOnlyIn) == 0 {
			return bad("usageLocation", i, x.Name, "needs prohibitedIn or allowedOnlyIn")
		}
		for _, c := range append(slices.Clone(x.ProhibitedIn), x.AllowedOnlyIn...) {
			if !IsCountryCode(c) {
				return bad("usageLocation", i, x.Name, "%q is not an ISO 3166-1 alpha-2 country code such as \"US\"%s", c, countryHint(c))
			}
		}
	}
	return nil
}

// Extend returns the rules o applied on top of r: when o.ReplaceDefaults, o alone; otherwise
// r without the rules named in o.Disable, followed by o's rules.
func (r *Rules) Extend(o *Rules) *Rules {
	if o.ReplaceDefaults {
		c := *o
		c.ReplaceDefaults, c.Disable = false, nil
		return &c
	}
	off := func(name string) bool { return slices.Contains(o.Disable, name) }
	out := &Rules{FormatVersion: RulesFormatVersion}
	for _, x := range r.MutuallyExclusive {
		if !off(x.Name) {
			out.MutuallyExclusive = append(out.MutuallyExclusive, x)
		}
	}
	for _, x := range r.Stacking {
		if !off(x.Name) {
			out.Stacking = append(out.Stacking, x)
		}
	}
	for _, x := range r.Prerequisites {
		if !off(x.Name) {
			out.Prerequisites = append(out.Prerequisites, x)
		}
	}
	for _, x := range r.UsageLocation {
		if !off(x.Name) {
			out.UsageLocation = append(out.UsageLocation, x)
		}
	}
	for _, x := range r.Services {
		if !off(x.Name) {
			out.Services = append(out.Services, x)
		}
	}
	out.Services = append(out.Services, o.Services...)
	out.MutuallyExclusive = append(out.MutuallyExclusive, o.MutuallyExclusive...)
	out.Stacking = append(out.Stacking, o.Stacking...)
	out.Prerequisites = append(out.Prerequisites, o.Prerequisites...)
	out.UsageLocation = append(out.UsageLocation, o.UsageLocation...)
	return out
}

// Names returns the names of every rule, in file order (exclusions, stacking, prerequisites,
// usage locations, services): what a rules file's disable list may name.
func (r *Rules) Names() []string {
	var out []string
	for _, x := range r.MutuallyExclusive {
		out = append(out, x.Name)
	}
	for _, x := range r.Stacking {
		out = append(out, x.Name)
	}
	for _, x := range r.Prerequisites {
		out = append(out, x.Name)
	}
	for _, x := range r.UsageLocation {
		out = append(out, x.Name)
	}
	for _, x := range r.Services {
		out = append(out, x.Name)
	}
	return out
}

// WriteJSON writes the rules as an indented rules/v1 document.
func (r *Rules) WriteJSON(w io.Writer) error {
	c := *r
	c.FormatVersion = RulesFormatVersion
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&c)
}

// RuleIndex is a rule set compiled against a Catalog for fast checks on PlanSets.
// It is read-only and safe for concurrent use.
type RuleIndex struct {
	cat      *Catalog
	rules    *Rules
	excl     []compiledExcl // refused exclusions
	exclD    []compiledExcl // discouraged exclusions
	stack    []PlanSet
	prereq   []compiledPrereq // refused prerequisites
	prereqD  []compiledPrereq // discouraged prerequisites
	usage    []compiledUsage
	hasPrq   PlanSet // plans that have a refused prerequisite
	hasPrqD  PlanSet // plans that have a discouraged prerequisite
	allExcl  PlanSet // plans in any refused exclusion set
	allExclD PlanSet // plans in any discouraged exclusion set
	family   []compiledFamily
	inFamily PlanSet // plans in any service family
}

type compiledExcl struct {
	rule  int // index in rules.MutuallyExclusive
	plans PlanSet
}

type compiledPrereq struct {
	rule  *PrerequisiteRule
	plan  int
	anyOf PlanSet
}

type compiledUsage struct {
	rule  *UsageLocationRule
	plans PlanSet
}

// compiledFamily is a service family: level[k] holds the plans of level k (lowest first),
// atOrAbove[k] the plans of level k and every higher level.
type compiledFamily struct {
	all       PlanSet
	level     []PlanSet
	atOrAbove []PlanSet
}

// Compile indexes the rules over the catalog. Plans named by rules that the catalog does not
// know yet are added to it (with their names), so rule plans always have an index.
func (r *Rules) Compile(c *Catalog) *RuleIndex {
	ri := &RuleIndex{cat: c, rules: r}
	set := func(refs []PlanRef) PlanSet {
		var s PlanSet
		for _, p := range refs {
			s.Add(c.AddPlan(ServicePlan{ID: p.ID, Name: p.Name}).index)
		}
		return s
	}
	for i, x := range r.MutuallyExclusive {
		s := set(x.Plans)
		if x.Strength.Refused() {
			ri.excl = append(ri.excl, compiledExcl{rule: i, plans: s})
			ri.allExcl.UnionWith(s)
		} else {
			ri.exclD = append(ri.exclD, compiledExcl{rule: i, plans: s})
			ri.allExclD.UnionWith(s)
		}
	}
	for _, x := range r.Stacking {
		ri.stack = append(ri.stack, set(x.Plans))
	}
	for i := range r.Services {
		levels := r.Services[i].AllLevels()
		f := compiledFamily{level: make([]PlanSet, len(levels)), atOrAbove: make([]PlanSet, len(levels))}
		for k, l := range levels {
			f.level[k] = set(l)
			f.all.UnionWith(f.level[k])
		}
		var above PlanSet
		for k := len(levels) - 1; k >= 0; k-- {
			above.UnionWith(f.level[k])
			f.atOrAbove[k] = above.Clone()
		}
		ri.family = append(ri.family, f)
		ri.inFamily.UnionWith(f.all)
	}
	for i := range r.Prerequisites {
		x := &r.Prerequisites[i]
		p := c.AddPlan(ServicePlan{ID: x.Plan.ID, Name: x.Plan.Name}).index
		cp := compiledPrereq{rule: x, plan: p, anyOf: set(x.RequiresAnyOf)}
		if x.Strength.Refused() {
			ri.prereq = append(ri.prereq, cp)
			ri.hasPrq.Add(p)
		} else {
			ri.prereqD = append(ri.prereqD, cp)
			ri.hasPrqD.Add(p)
		}
	}
	for i := range r.UsageLocation {
		x := &r.UsageLocation[i]
		ri.usage = append(ri.usage, compiledUsage{rule: x, plans: set(x.Plans)})
	}
	return ri
}

// Rules returns the rule set the index was compiled from.
func (ri *RuleIndex) Rules() *Rules { return ri.rules }

// Catalog returns the catalog the index was compiled over.
func (ri *RuleIndex) Catalog() *Catalog { return ri.cat }

// SkuPlans is the set of plans one SKU enables for a user (over all of its active paths).
type SkuPlans struct {
	Sku   SkuID
	Plans PlanSet
}

// Conflict is a pair of mutually exclusive plans enabled by two different SKUs.
type Conflict struct {
	Rule  *ExclusionRule
	Plans [2]PlanID
	Skus  [2]SkuID
}

// Conflicts returns every pair of plans that Entra refuses to enable together (refused
// exclusion rules), given the plans each SKU enables for one user. Plans of one SKU never
// conflict; plans both in one stacking rule never conflict. Pairs come in a deterministic order.
// Discouraged exclusions are left to DiscouragedConflicts.
func (ri *RuleIndex) Conflicts(bySku []SkuPlans) []Conflict {
	return ri.conflicts(bySku, ri.excl, ri.allExcl)
}

// DiscouragedConflicts is Conflicts for the discouraged exclusion rules: pairs Entra accepts
// but Microsoft does not recommend (warnings).
func (ri *RuleIndex) DiscouragedConflicts(bySku []SkuPlans) []Conflict {
	return ri.conflicts(bySku, ri.exclD, ri.allExclD)
}

func (ri *RuleIndex) conflicts(bySku []SkuPlans, excl []compiledExcl, all PlanSet) []Conflict {
	if len(bySku) < 2 || len(excl) == 0 {
		return nil
	}
	// Most users hold no two SKUs with plans in an exclusion set: find that out without allocating.
	hits := 0
	for _, sp := range bySku {
		if sp.Plans.Intersects(all) {
			hits++
		}
	}
	if hits < 2 {
		return nil
	}
	var out []Conflict
	for _, e := range excl {
		ex := e.plans
		for a := 0; a < len(bySku); a++ {
			if !bySku[a].Plans.Intersects(ex) {
				continue
			}
			pa := bySku[a].Plans.Intersect(ex)
			for b := a + 1; b < len(bySku); b++ {
				if bySku[a].Sku == bySku[b].Sku || !bySku[b].Plans.Intersects(ex) {
					continue
				}
				pb := bySku[b].Plans.Intersect(ex)
				for _, p := range pa.Indexes() {
					for _, q := range pb.Indexes() {
						if p == q || ri.stackable(p, q) {
							continue
						}
						out = append(out, Conflict{
							Rule:  &ri.rules.MutuallyExclusive[e.rule],
							Plans: [2]PlanID{ri.cat.plans[p].ID, ri.cat.plans[q].ID},
							Skus:  [2]SkuID{bySku[a].Sku, bySku[b].Sku},
						})
					}
				}
			}
		}
	}
	return out
}

// mayConflict reports whether some refused exclusion rule has plans in both a and b: a cheap
// necessary condition for Conflicts to find a pair between two SKUs (Bulk.MayConflict).
func (ri *RuleIndex) mayConflict(a, b PlanSet) bool {
	if !a.Intersects(ri.allExcl) || !b.Intersects(ri.allExcl) {
		return false
	}
	for _, ex := range ri.excl {
		if a.Intersects(ex.plans) && b.Intersects(ex.plans) {
			return true
		}
	}
	return false
}

func (ri *RuleIndex) stackable(p, q int) bool {
	for _, s := range ri.stack {
		if s.Has(p) && s.Has(q) {
			return true
		}
	}
	return false
}

// MissingPrerequisite is an enabled plan none of whose required plans is enabled.
type MissingPrerequisite struct {
	Rule  *PrerequisiteRule
	Plan  PlanID
	AnyOf []PlanID
}

// MissingPrerequisites returns the enabled plans whose refused prerequisites are not enabled:
// what Entra answers with DependencyViolation. Discouraged ones are left to
// DiscouragedPrerequisites.
func (ri *RuleIndex) MissingPrerequisites(enabled PlanSet) []MissingPrerequisite {
	return ri.missing(enabled, ri.prereq, ri.hasPrq)
}

// DiscouragedPrerequisites is MissingPrerequisites for the discouraged prerequisite rules
// (warnings: Entra accepts the assignment).
func (ri *RuleIndex) DiscouragedPrerequisites(enabled PlanSet) []MissingPrerequisite {
	return ri.missing(enabled, ri.prereqD, ri.hasPrqD)
}

func (ri *RuleIndex) missing(enabled PlanSet, prereq []compiledPrereq, has PlanSet) []MissingPrerequisite {
	if !enabled.Intersects(has) {
		return nil
	}
	var out []MissingPrerequisite
	for _, p := range prereq {
		if enabled.Has(p.plan) && !enabled.Intersects(p.anyOf) {
			out = append(out, MissingPrerequisite{Rule: p.rule, Plan: ri.cat.plans[p.plan].ID, AnyOf: ri.cat.PlanIDs(p.anyOf)})
		}
	}
	return out
}

// Prohibition is a set of enabled plans not offered in a usage location.
type Prohibition struct {
	Rule  *UsageLocationRule
	Plans []PlanID
}

// Prohibited returns the enabled plans that are not offered in the country (ISO alpha-2),
// by the refused usage-location rules.
func (ri *RuleIndex) Prohibited(enabled PlanSet, country string) []Prohibition {
	return ri.prohibited(enabled, country, true)
}

// DiscouragedProhibited is Prohibited for the discouraged usage-location rules (warnings).
func (ri *RuleIndex) DiscouragedProhibited(enabled PlanSet, country string) []Prohibition {
	return ri.prohibited(enabled, country, false)
}

func (ri *RuleIndex) prohibited(enabled PlanSet, country string, refused bool) []Prohibition {
	country = strings.ToUpper(country)
	var out []Prohibition
	for _, u := range ri.usage {
		if u.rule.Strength.Refused() != refused {
			continue
		}
		hit := enabled.Intersect(u.plans)
		if hit.IsEmpty() {
			continue
		}
		deny := slices.Contains(u.rule.ProhibitedIn, country) ||
			(len(u.rule.AllowedOnlyIn) > 0 && !slices.Contains(u.rule.AllowedOnlyIn, country))
		if deny {
			out = append(out, Prohibition{Rule: u.rule, Plans: ri.cat.PlanIDs(hit)})
		}
	}
	return out
}

// ServiceLoss returns the plans enabled before and not after whose service is not delivered
// after at the same or a higher level of its family (see ServiceRule). E1 → E3 loses
// SHAREPOINTSTANDARD but gains SHAREPOINTENTERPRISE, a higher level: no loss. E3 → E1 loses
// SHAREPOINTENTERPRISE: SHAREPOINTSTANDARD is a lower level, so the loss counts. A plan in
// several families is kept when any of them keeps it. Exclusion and stacking rules play no part.
func (ri *RuleIndex) ServiceLoss(before, after PlanSet) PlanSet {
	if before.SubsetOf(after) {
		return PlanSet{} // nothing lost (most changes only add): no set to make
	}
	lost := before.Minus(after)
	if lost.IsEmpty() || !lost.Intersects(ri.inFamily) {
		return lost
	}
	kept := PlanSet{}
	for _, f := range ri.family {
		if !lost.Intersects(f.all) || !after.Intersects(f.all) {
			continue
		}
		for k, l := range f.level {
			if lost.Intersects(l) && after.Intersects(f.atOrAbove[k]) {
				kept.UnionWith(lost.Intersect(l))
			}
		}
	}
	if kept.IsEmpty() {
		return lost
	}
	return lost.Minus(kept)
}
