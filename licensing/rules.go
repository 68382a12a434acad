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

// ExclusionRule says that no two of its plans may be enabled together for one user when they
// come from different SKUs (plans of one SKU never conflict with each other).
type ExclusionRule struct {
	Name   string    `json:"name"`
	Source string    `json:"source"`
	Date   string    `json:"date"`
	Plans  []PlanRef `json:"plans"`
}

// StackingRule says that its plans may be enabled together even where an ExclusionRule
// lists them (the superior plan wins), as Exchange Online allows since January 2023.
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
	Source        string    `json:"source"`
	Date          string    `json:"date"`
	Plan          PlanRef   `json:"plan"`
	RequiresAnyOf []PlanRef `json:"requiresAnyOf"`
}

// UsageLocationRule says where Plans are offered: never in ProhibitedIn, and only in
// AllowedOnlyIn when that list is not empty (ISO 3166 alpha-2 country codes).
type UsageLocationRule struct {
	Name          string    `json:"name"`
	Source        string    `json:"source"`
	Date          string    `json:"date"`
	Plans         []PlanRef `json:"plans"`
	ProhibitedIn  []string  `json:"prohibitedIn,omitempty"`
	AllowedOnlyIn []string  `json:"allowedOnlyIn,omitempty"`
}

// ServiceRule says that its plans deliver one service at different levels (Exchange Online
// Plan 1 and Plan 2; Forms for E1 and for E3). Losing one of them while another is enabled is
// not a service loss. Plans of one exclusion or stacking rule are treated the same way.
type ServiceRule struct {
	Name   string    `json:"name"`
	Source string    `json:"source"`
	Date   string    `json:"date"`
	Plans  []PlanRef `json:"plans"`
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

// DefaultRules returns a fresh copy of the embedded default rule set: Microsoft's table of
// service plans that cannot be assigned at the same time (2025-10-29), Exchange Online
// stacking (January 2023), and the documented add-on prerequisites (Workplace Analytics →
// Exchange Online Plan 1 or 2; Audio Conferencing → Skype for Business Online; Office for the
// web → a SharePoint plan). It has no usage-location prohibitions: Microsoft publishes no
// machine-readable list; add your own with a rules file.
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
	for i, x := range r.MutuallyExclusive {
		if err := checkPlans("mutuallyExclusive", i, x.Name, x.Plans, 2); err != nil {
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
	}
	for i, x := range r.Services {
		if err := checkPlans("services", i, x.Name, x.Plans, 2); err != nil {
			return err
		}
	}
	for i, x := range r.UsageLocation {
		if err := checkPlans("usageLocation", i, x.Name, x.Plans, 1); err != nil {
			return err
		}
		if len(x.ProhibitedIn) == 0 && len(x.AllowedOnlyIn) == 0 {
			return bad("usageLocation", i, x.Name, "needs prohibitedIn or allowedOnlyIn")
		}
		for _, c := range append(slices.Clone(x.ProhibitedIn), x.AllowedOnlyIn...) {
			if !IsCountryCode(c) {
				return bad("usageLocation", i, x.Name, "%q is not an ISO 3166 alpha-2 country code such as \"US\"", c)
			}
		}
	}
	return nil
}

// IsCountryCode reports whether c is an upper-case ISO 3166 alpha-2 code such as "NO", the form
// Entra's usageLocation takes.
func IsCountryCode(c string) bool {
	return len(c) == 2 && 'A' <= c[0] && c[0] <= 'Z' && 'A' <= c[1] && c[1] <= 'Z'
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
	cat     *Catalog
	rules   *Rules
	excl    []PlanSet
	stack   []PlanSet
	prereq  []compiledPrereq
	usage   []compiledUsage
	hasPrq  PlanSet // plans that have a prerequisite
	allExcl PlanSet // plans in any exclusion set
	family  []PlanSet
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
	for _, x := range r.MutuallyExclusive {
		s := set(x.Plans)
		ri.excl = append(ri.excl, s)
		ri.allExcl.UnionWith(s)
	}
	for _, x := range r.Stacking {
		ri.stack = append(ri.stack, set(x.Plans))
	}
	ri.family = append(append([]PlanSet{}, ri.excl...), ri.stack...)
	for _, x := range r.Services {
		ri.family = append(ri.family, set(x.Plans))
	}
	for i := range r.Prerequisites {
		x := &r.Prerequisites[i]
		p := c.AddPlan(ServicePlan{ID: x.Plan.ID, Name: x.Plan.Name}).index
		ri.prereq = append(ri.prereq, compiledPrereq{rule: x, plan: p, anyOf: set(x.RequiresAnyOf)})
		ri.hasPrq.Add(p)
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

// Conflicts returns every pair of plans that may not be enabled together, given the plans
// each SKU enables for one user. Plans of one SKU never conflict; plans both in one stacking
// rule never conflict. Pairs come in a deterministic order.
func (ri *RuleIndex) Conflicts(bySku []SkuPlans) []Conflict {
	if len(bySku) < 2 {
		return nil
	}
	// Most users hold no two SKUs with plans in an exclusion set: find that out without allocating.
	hits := 0
	for _, sp := range bySku {
		if sp.Plans.Intersects(ri.allExcl) {
			hits++
		}
	}
	if hits < 2 {
		return nil
	}
	var out []Conflict
	for e, ex := range ri.excl {
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
							Rule:  &ri.rules.MutuallyExclusive[e],
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

// MayConflict reports whether some exclusion rule has plans in both a and b: a cheap
// necessary condition for Conflicts to find a pair between two SKUs.
func (ri *RuleIndex) MayConflict(a, b PlanSet) bool {
	if !a.Intersects(ri.allExcl) || !b.Intersects(ri.allExcl) {
		return false
	}
	for _, ex := range ri.excl {
		if a.Intersects(ex) && b.Intersects(ex) {
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

// MissingPrerequisites returns the enabled plans whose prerequisites are not enabled.
func (ri *RuleIndex) MissingPrerequisites(enabled PlanSet) []MissingPrerequisite {
	if !enabled.Intersects(ri.hasPrq) {
		return nil
	}
	var out []MissingPrerequisite
	for _, p := range ri.prereq {
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

// Prohibited returns the enabled plans that are not offered in the country (ISO alpha-2).
func (ri *RuleIndex) Prohibited(enabled PlanSet, country string) []Prohibition {
	country = strings.ToUpper(country)
	var out []Prohibition
	for _, u := range ri.usage {
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
// after by another level of it (see ServiceRule). E1 → E3 loses SHAREPOINTSTANDARD but gains
// SHAREPOINTENTERPRISE: no loss. Removing Exchange Online Plan 1 with no other mailbox plan: loss.
func (ri *RuleIndex) ServiceLoss(before, after PlanSet) PlanSet {
	lost := before.Minus(after)
	if lost.IsEmpty() {
		return lost
	}
	for _, f := range ri.family {
		if lost.Intersects(f) && after.Intersects(f) {
			lost = lost.Minus(f)
		}
	}
	return lost
}
