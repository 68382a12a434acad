package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/internal/nonnil"
	"github.com/licenseplan/licenseplan/licensing"
)

// Explanation answers "why does this user have (or not have) this service?": every SKU the
// user holds by any path, every plan of it on or off and why, the paths with their states and
// errors, and any conflict, missing prerequisite or prohibited plan among the enabled plans.
type Explanation struct {
	TenantID          string `json:"tenantId"`
	UserID            string `json:"userId"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	AccountEnabled    *bool  `json:"accountEnabled"`
	// UsageLocation is the user's own; "" when not set (direct assignments then fail).
	UsageLocation string `json:"usageLocation"`
	// GroupUsageLocation is the location group-based licensing uses: the user's own, or the
	// tenant's default when the user has none.
	GroupUsageLocation string `json:"groupUsageLocation"`
	// Groups are the licensed groups the user is a direct member of (nested groups pass no licenses).
	Groups []Membership `json:"groups"`
	// EnabledPlans is the number of distinct plans enabled for the user.
	EnabledPlans         int                   `json:"enabledPlans"`
	Skus                 []SkuExplanation      `json:"skus"`
	Conflicts            []PlanConflict        `json:"conflicts"`
	MissingPrerequisites []MissingPrerequisite `json:"missingPrerequisites"`
	Prohibited           []Prohibition         `json:"prohibited"`

	names licensing.NameStyle // how WriteText names SKUs and plans (Options.Names)
}

// Membership is a licensed group of the user.
type Membership struct {
	GroupID                string   `json:"groupId"`
	DisplayName            string   `json:"displayName"`
	LicenseProcessingState string   `json:"licenseProcessingState"`
	Skus                   []string `json:"skus"` // the part numbers the group assigns
	// ProductNames are the product names of Skus, in the same order (a part number where no
	// catalog knows the product's name).
	ProductNames []string `json:"productNames"`
	// Kind is the group's kind (see Source.GroupKind).
	Kind string `json:"kind,omitempty"`
	// MembershipRule and MembershipRuleProcessingState are a dynamic group's: the user is a
	// member because it matches the rule.
	MembershipRule                string `json:"membershipRule,omitempty"`
	MembershipRuleProcessingState string `json:"membershipRuleProcessingState,omitempty"`
}

// SkuExplanation is one SKU of the user.
type SkuExplanation struct {
	SkuID         licensing.SkuID   `json:"skuId"`
	SkuPartNumber string            `json:"skuPartNumber"`
	ProductName   string            `json:"productName"`  // the product name, or the part number when no catalog knows one
	ConsumesSeat  bool              `json:"consumesSeat"` // a path not in Error carries it
	EnabledPlans  int               `json:"enabledPlans"` // plans of the SKU on for the user
	TotalPlans    int               `json:"totalPlans"`   // plans in the SKU
	Paths         []PathExplanation `json:"paths"`
	Plans         []PlanExplanation `json:"plans"` // by name (servicePlanName)
}

// PathExplanation is one assignment path of the SKU; paths in error carry why and a fix.
type PathExplanation struct {
	Source        Source   `json:"source"`
	State         string   `json:"state"`
	Error         string   `json:"error"`
	DisabledPlans []string `json:"disabledPlans"` // names, sorted
	// DisabledPlanFriendlyNames are the friendly names of DisabledPlans, in the same order; a
	// plan without one is given by its name.
	DisabledPlanFriendlyNames []string `json:"disabledPlanFriendlyNames"`
	Detail                    string   `json:"detail"` // why the path is in error (or, stuck, still there); "" when it is not
	Fix                       *Fix     `json:"fix"`    // how to fix the error; nil when there is none
	// StuckCause is set for a group path that outlived its group's assignment (StuckGroupDeleted,
	// StuckSkuRemoved or StuckNoLongerMember): Entra keeps it while another plan depends on it;
	// Detail says which, and Fix how to clear it.
	StuckCause string `json:"stuckCause,omitempty"`
	// Membership says why the user is a member of the path's group where its members are not
	// changed by hand through Graph: a dynamic group (its membershipRule), a group synced from
	// on-premises, a mail-enabled one; "" otherwise.
	Membership string `json:"membership,omitempty"`
}

// PlanExplanation is one service plan of a SKU for the user.
type PlanExplanation struct {
	ServicePlanID   licensing.PlanID `json:"servicePlanId"`
	ServicePlanName string           `json:"servicePlanName"`
	// FriendlyName is the plan's friendly name ("Microsoft Teams" for TEAMS1), or its name
	// when no catalog knows one.
	FriendlyName string   `json:"friendlyName"`
	On           bool     `json:"on"`
	EnabledBy    []Source `json:"enabledBy"`  // active paths that enable it
	DisabledBy   []Source `json:"disabledBy"` // paths that list it in disabledPlans
	Inactive     []Source `json:"inactive"`   // paths that would enable it but are in Error or Disabled
}

// Explain explains the licensing of one user, given by id or userPrincipalName (any case).
// An unknown user is a licensing.UnknownUser error that suggests close names. Its sentences
// (details, fixes) and its text name SKUs and plans in the default style (see Options).
func Explain(st *licensing.State, user string) (*Explanation, error) {
	return Options{}.Explain(st, user)
}

// Explain is Explain naming SKUs and plans in o.Names, in its sentences and its text.
func (o Options) Explain(st *licensing.State, user string) (*Explanation, error) {
	i, err := st.LookupUser(user)
	if err != nil {
		return nil, err
	}
	return explainUser(newDiagnoser(st, o.Names), i), nil
}

func explainUser(d *diagnoser, i int) *Explanation {
	st := d.st
	u := st.User(i)
	ps := st.Paths(i)
	ex := &Explanation{
		TenantID: st.TenantID(), UserID: u.ID, UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName,
		AccountEnabled: u.AccountEnabled, UsageLocation: st.UsageLocation(i), GroupUsageLocation: st.UsageLocation(i),
		Groups: []Membership{}, Skus: []SkuExplanation{}, names: d.names,
	}
	if ex.GroupUsageLocation == "" {
		ex.GroupUsageLocation = st.DefaultUsageLocation()
	}
	for _, g := range st.UserGroups(i) {
		grp := st.Group(g)
		m := Membership{GroupID: grp.ID, DisplayName: firstOf(grp.DisplayName, grp.ID), LicenseProcessingState: st.GroupProcessingState(g), Skus: []string{}, ProductNames: []string{}}
		for _, l := range st.GroupLicenses(g) {
			sku := d.skuRef(l.SkuID)
			m.Skus = append(m.Skus, sku.SkuPartNumber)
			m.ProductNames = append(m.ProductNames, sku.ProductName)
		}
		m.Kind, m.MembershipRule, _ = d.groupKind(g)
		if m.MembershipRule != "" {
			m.MembershipRuleProcessingState = grp.MembershipRuleProcessingState
		}
		ex.Groups = append(ex.Groups, m)
	}
	fails := failingSources(d, i, ps)
	diags := make([]diagnosis, len(fails))
	for k := range fails {
		diags[k] = d.diagnose(i, ps, &fails[k])
	}
	for start := 0; start < len(ps); {
		end := start + 1
		for end < len(ps) && ps[end].Sku == ps[start].Sku {
			end++
		}
		ex.Skus = append(ex.Skus, d.explainSku(i, ps, ps[start:end], fails, diags))
		start = end
	}
	eff := st.Effective(i)
	ex.EnabledPlans = eff.Enabled.Len()
	ex.Conflicts = []PlanConflict{}
	for _, c := range d.rules.Conflicts(eff.BySku) {
		pc := PlanConflict{Rule: c.Rule.Name}
		for k := range 2 {
			pc.Sides[k] = ConflictSide{Plan: d.planRef(c.Plans[k]), Sku: d.skuRef(c.Skus[k]), Sources: d.sourcesEnabling(ps, nil, c.Skus[k], c.Plans[k])}
		}
		ex.Conflicts = append(ex.Conflicts, pc)
	}
	ex.MissingPrerequisites = nonnil.Slice(d.missing(d.rules.MissingPrerequisites(eff.Enabled)))
	ex.Prohibited = []Prohibition{}
	if loc := ex.GroupUsageLocation; loc != "" {
		ex.Prohibited = nonnil.Slice(d.prohibited(d.rules.Prohibited(eff.Enabled, loc), loc))
	}
	return ex
}

// explainSku explains the paths run (one SKU) of user i.
func (d *diagnoser) explainSku(i int, ps, run []licensing.Path, fails []failing, diags []diagnosis) SkuExplanation {
	id := run[0].Sku
	all := d.skuPlans(id)
	sku := d.skuRef(id)
	se := SkuExplanation{SkuID: id, SkuPartNumber: sku.SkuPartNumber, ProductName: sku.ProductName, TotalPlans: all.Len(), Paths: []PathExplanation{}, Plans: []PlanExplanation{}}
	var on licensing.PlanSet
	for _, p := range run {
		if p.State != licensing.PathError {
			se.ConsumesSeat = true
		}
		if p.State.Enables() {
			on.UnionWith(d.enabled(p))
		}
		disabled := d.planList(p.Disabled)
		pe := PathExplanation{Source: d.source(p), State: p.State.String(), Error: errorName(p.Error), DisabledPlans: disabled.names,
			DisabledPlanFriendlyNames: disabled.friendly, StuckCause: d.stuckCause(i, p)}
		pe.Membership = membershipNote(pe.Source)
		for k := range fails {
			if fails[k].has(p) {
				fx := d.fix(i, ps, &fails[k], &diags[k], func(sub int) int {
					s := d.subs[sub]
					return max(1, s.Consumed+1-s.Seats())
				})
				pe.Detail, pe.Fix = diags[k].detail, &fx
			}
		}
		se.Paths = append(se.Paths, pe)
	}
	se.EnabledPlans = on.Len()
	for _, k := range d.planIndexes(all) {
		plan := d.cat.PlanAt(k)
		pe := PlanExplanation{ServicePlanID: plan.ID, ServicePlanName: planNameOf(plan), FriendlyName: plan.FriendlyName(), On: on.Has(k),
			EnabledBy: []Source{}, DisabledBy: []Source{}, Inactive: []Source{}}
		for _, p := range run {
			src := d.source(p)
			switch {
			case p.Disabled.Has(k):
				pe.DisabledBy = append(pe.DisabledBy, src)
			case p.State.Enables():
				pe.EnabledBy = append(pe.EnabledBy, src)
			default:
				pe.Inactive = append(pe.Inactive, src)
			}
		}
		se.Plans = append(se.Plans, pe)
	}
	return se
}

// Write writes the explanation as text or JSON (an explanation has no CSV form).
func (ex *Explanation) Write(w io.Writer, f Format) error {
	return sectioned{title: "Licensing of " + ex.UserPrincipalName, json: ex.WriteJSON, text: ex.WriteText,
		noCSV: "explain writes text, json or markdown, not csv; use the paths report for a table"}.write(w, f)
}

// WriteJSON writes the explanation as an indented report/v1 document.
func (ex *Explanation) WriteJSON(w io.Writer) error {
	return writeJSONDocument(w, struct {
		FormatVersion string `json:"formatVersion"`
		Report        string `json:"report"`
		*Explanation
	}{FormatVersion, "explain", ex})
}

// pathState returns the state of the SKU's path from src.
func (s *SkuExplanation) pathState(src Source) string {
	for _, p := range s.Paths {
		if p.Source == src {
			return p.State
		}
	}
	return ""
}

func sourceNames(ss []Source) string {
	n := make([]string, len(ss))
	for i, s := range ss {
		n[i] = s.String()
	}
	return strings.Join(n, ", ")
}

// WriteText writes the explanation for a person to read, as licensectl explain --user prints it,
// naming SKUs and plans in the style it was made with (Options.Explain); plans are listed
// sorted by the names shown.
func (ex *Explanation) WriteText(w io.Writer) error {
	style := ex.names
	bw := bufio.NewWriter(w)
	name := firstOf(ex.UserPrincipalName, ex.UserID)
	head := name
	if ex.DisplayName != "" {
		head += " (" + ex.DisplayName + ")"
	}
	fmt.Fprintf(bw, "%s  id %s\n", head, ex.UserID)
	if ex.AccountEnabled != nil && !*ex.AccountEnabled {
		bw.WriteString("account disabled (its licenses still consume seats)\n")
	}
	switch {
	case ex.UsageLocation != "":
		fmt.Fprintf(bw, "usage location: %s\n", ex.UsageLocation)
	case ex.GroupUsageLocation != "":
		fmt.Fprintf(bw, "usage location: none — direct assignments fail; group licenses use the tenant default %s\n", ex.GroupUsageLocation)
	default:
		bw.WriteString("usage location: none, and the tenant has no default — every assignment fails until one is set\n")
	}
	if len(ex.Groups) == 0 {
		bw.WriteString("licensed groups: none\n")
	} else {
		gs := make([]string, len(ex.Groups))
		for i, g := range ex.Groups {
			kind := ""
			if note := kindNote(g.Kind); note != "" {
				kind = "; " + g.Kind
			}
			gs[i] = fmt.Sprintf("%s (%s; %s%s)", g.DisplayName, orText(skusText(style, g.Skus, g.ProductNames), "no licenses"), g.LicenseProcessingState, kind)
		}
		fmt.Fprintf(bw, "licensed groups: %s\n", strings.Join(gs, ", "))
	}
	if len(ex.Skus) == 0 {
		bw.WriteString("\nno licenses\n")
	}
	for _, s := range ex.Skus {
		seat := "no seat (every path in Error)"
		if s.ConsumesSeat {
			seat = "1 seat"
		}
		fmt.Fprintf(bw, "\n%s — %d of %d plans on, %s\n", skuNamed(style, s.SkuID, s.SkuPartNumber, s.ProductName), s.EnabledPlans, s.TotalPlans, seat)
		bw.WriteString("  paths:\n")
		var rows [][]string
		for _, p := range s.Paths {
			state := p.State
			if p.StuckCause != "" {
				state += " (stuck)"
			}
			rows = append(rows, []string{p.Source.String(), state, p.Error, "disabled: " + orText(plansText(style, p.DisabledPlans, p.DisabledPlanFriendlyNames), "none")})
		}
		alignedRows(bw, "    ", rows)
		for _, p := range s.Paths {
			if p.Membership != "" {
				fmt.Fprintf(bw, "    %s: %s\n", p.Source, p.Membership)
			}
			if p.Detail != "" {
				fmt.Fprintf(bw, "    %s: %s\n", p.Source, p.Detail)
			}
			if p.Fix != nil {
				writeFix(bw, "      ", *p.Fix)
			}
		}
		bw.WriteString("  plans:\n")
		rows = rows[:0]
		for _, p := range s.Plans {
			state := "off"
			if p.On {
				state = "on"
			}
			var why []string
			if len(p.EnabledBy) > 0 {
				why = append(why, "on via "+sourceNames(p.EnabledBy))
			}
			if len(p.DisabledBy) > 0 {
				why = append(why, "off on "+sourceNames(p.DisabledBy))
			}
			if len(p.Inactive) > 0 {
				var in []string
				for _, src := range p.Inactive {
					in = append(in, fmt.Sprintf("%s (%s)", src, s.pathState(src)))
				}
				why = append(why, "would be on via "+strings.Join(in, ", "))
			}
			rows = append(rows, []string{state, planNamed(style, p.ServicePlanName, p.FriendlyName), strings.Join(why, "; ")})
		}
		if style != licensing.NamesPart { // by name already
			slices.SortStableFunc(rows, func(a, b []string) int { return compareNames(a[1], b[1]) })
		}
		alignedRows(bw, "    ", rows)
	}
	bw.WriteString("\n")
	if len(ex.Conflicts)+len(ex.MissingPrerequisites)+len(ex.Prohibited) == 0 {
		bw.WriteString("no conflicts, missing prerequisites or prohibited plans among the enabled plans\n")
	}
	for _, c := range ex.Conflicts {
		fmt.Fprintf(bw, "conflict: %s\n", c.text(style))
	}
	for _, m := range ex.MissingPrerequisites {
		fmt.Fprintf(bw, "missing prerequisite: %s\n", m.text(style))
	}
	for _, p := range ex.Prohibited {
		fmt.Fprintf(bw, "prohibited: %s\n", p.text(style))
	}
	return bw.Flush()
}
