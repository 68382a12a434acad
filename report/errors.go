package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/licenseplan/licenseplan/internal/nonnil"
	"github.com/licenseplan/licenseplan/licensing"
)

// ErrorReport is every license path in an error state, grouped by cause, each with a concrete
// fix; and the licensed groups with members in error.
type ErrorReport struct {
	TenantID string        `json:"tenantId"`
	Users    int           `json:"users"` // users with at least one path in error
	Causes   []ErrorCause  `json:"causes"`
	Groups   []GroupErrors `json:"groups"`

	names licensing.NameStyle // how WriteText names SKUs (Options.Names)
}

// ErrorCause is one cause of errors: an error kind, and for CountViolation one SKU.
type ErrorCause struct {
	// Error is Entra's error name: CountViolation, MutuallyExclusiveViolation,
	// DependencyViolation, ProhibitedInUsageLocationViolation, UniquenessViolation or Other.
	Error licensing.Kind `json:"error"`
	// Sku is the SKU short of seats (CountViolation only).
	Sku *SkuRef `json:"sku"`
	// Summary says what the cause means, with the numbers that matter.
	Summary string `json:"summary"`
	// SeatsNeeded is how many seats of Sku to buy or free so that every waiting user gets one
	// (CountViolation only): waiting users + consumed − assignable seats (prepaidUnits.enabled +
	// warning: grace-period seats are assignable).
	SeatsNeeded int `json:"seatsNeeded"`
	// Fix is the fix shared by every entry (CountViolation), or nil: see each entry's fix.
	Fix *Fix `json:"fix"`
	// Entries are the failing sources, users in snapshot order.
	Entries []ErrorEntry `json:"entries"`
}

// ErrorEntry is one user's paths in error from one source (a group's SKUs fail together for
// a member; a direct path fails on its own), with why and how to fix it.
type ErrorEntry struct {
	UserID            string   `json:"userId"`
	UserPrincipalName string   `json:"userPrincipalName"`
	UsageLocation     string   `json:"usageLocation"` // the user's own; "" when not set
	Source            Source   `json:"source"`
	Skus              []SkuRef `json:"skus"`  // the source's SKUs in error
	State             string   `json:"state"` // Error or ActiveWithError
	Error             string   `json:"error"` // Entra's error name on the paths
	// LikelyCause is, when Entra reports Other, the cause the seats and rules point to
	// (or Other, or UsageLocationMissing); "" otherwise.
	LikelyCause          string                `json:"likelyCause"`
	Conflicts            []PlanConflict        `json:"conflicts"`            // MutuallyExclusiveViolation: the plans in conflict
	MissingPrerequisites []MissingPrerequisite `json:"missingPrerequisites"` // DependencyViolation
	Prohibited           []Prohibition         `json:"prohibited"`           // ProhibitedInUsageLocationViolation
	Detail               string                `json:"detail"`
	Fix                  Fix                   `json:"fix"`
	// StuckCause is set for group paths that outlived their group's assignment and that Entra
	// keeps while another plan depends on them (licensing.Path.Stuck): StuckGroupDeleted,
	// StuckSkuRemoved or StuckNoLongerMember. MissingPrerequisites then lists what depends on
	// them, and the fix resolves that dependency before a reprocess.
	StuckCause string `json:"stuckCause,omitempty"`
	// OtherSkus are the source's SKUs whose paths report Other because another license of the
	// same group failed (the one Error names).
	OtherSkus []SkuRef `json:"otherSkus,omitempty"`
}

// GroupErrors is a licensed group with members whose paths from it are in error, or a group
// that users' stuck paths still name.
type GroupErrors struct {
	GroupID                string       `json:"groupId"`
	DisplayName            string       `json:"displayName"` // its id when it has none (a deleted group)
	LicenseProcessingState string       `json:"licenseProcessingState"`
	Members                int          `json:"members"`
	MembersInError         int          `json:"membersInError"`
	Errors                 []ErrorCount `json:"errors"`
	// Deleted is true for a group no longer in the tenant: only users' stuck paths name it.
	Deleted bool `json:"deleted,omitempty"`
	// StuckUsers counts the users with stuck paths from the group (not counted in MembersInError).
	StuckUsers int `json:"stuckUsers,omitempty"`
	// Kind is the group's kind (see Source.GroupKind); "" for a deleted group.
	Kind string `json:"kind,omitempty"`
}

// ErrorCount is how many members of a group have an error.
type ErrorCount struct {
	Error licensing.Kind `json:"error"`
	Users int            `json:"users"`
}

// causeOrder is the order of causes in the report: the actionable, common ones first.
var causeOrder = []licensing.Kind{
	licensing.CountViolation, licensing.MutuallyExclusiveViolation, licensing.DependencyViolation,
	licensing.ProhibitedInUsageLocationViolation, licensing.UniquenessViolation, licensing.Other,
}

func causeRank(k licensing.Kind) int {
	if i := slices.Index(causeOrder, k); i >= 0 {
		return i
	}
	return len(causeOrder)
}

// Errors finds every path in an error state (Error, ActiveWithError, or an error recorded) and
// explains it. Conflicting plans, missing prerequisites and prohibited plans are computed
// from the rules (licensing.RuleIndex), not only echoed from the error kind; for CountViolation
// the seats to buy or free are counted over all waiting users. It makes one pass over the
// users; only users in error are held. Its sentences (summaries, details, fixes) name SKUs and
// plans in the default style (see Options).
func Errors(st *licensing.State) *ErrorReport { return Options{}.Errors(st) }

// Errors is Errors naming SKUs and plans in o.Names, in its sentences and its text.
func (o Options) Errors(st *licensing.State) *ErrorReport {
	d := newDiagnoser(st, o.Names)
	rep := &ErrorReport{TenantID: st.TenantID(), Causes: []ErrorCause{}, Groups: []GroupErrors{}, names: o.Names}
	type pending struct {
		user int
		ps   []licensing.Path
		f    failing
		dg   diagnosis
	}
	var found []pending
	waiting := make([]int, len(d.subs)) // users waiting for a seat, per subscription
	groupCounts := make([][]int, st.NumGroups())
	for i := range st.NumUsers() {
		ps := st.Paths(i)
		if !slices.ContainsFunc(ps, inError) {
			continue
		}
		rep.Users++
		var short []int // subscriptions this user waits for, counted once
		for _, f := range failingSources(d, i, ps) {
			dg := d.diagnose(i, ps, &f)
			if (dg.kind == licensing.CountViolation || dg.likely == licensing.CountViolation) && !dg.seatsFree {
				for _, k := range dg.noSeat {
					if !slices.Contains(short, k) {
						short = append(short, k)
						waiting[k]++
					}
				}
			}
			if !f.src.Direct() {
				if g, _, _ := d.group(f.src.GroupID); g >= 0 {
					if groupCounts[g] == nil {
						groupCounts[g] = make([]int, len(causeOrder)+2) // the last counts stuck users
					}
					if f.stuck != "" {
						groupCounts[g][len(causeOrder)+1]++
					} else {
						groupCounts[g][causeRank(dg.kind)]++
					}
				}
			}
			found = append(found, pending{user: i, ps: ps, f: f, dg: dg})
		}
	}
	needed := func(k int) int {
		s := d.subs[k]
		return max(0, waiting[k]+s.Consumed-s.Seats())
	}
	index := map[string]int{} // cause key → position in rep.Causes
	for _, p := range found {
		u := st.User(p.user)
		e := ErrorEntry{
			UserID: u.ID, UserPrincipalName: u.UserPrincipalName, UsageLocation: st.UsageLocation(p.user),
			Source: p.f.src, Skus: p.f.skus(d), State: p.f.paths[0].State.String(), Error: p.dg.kind.String(),
			Conflicts: nonnil.Slice(p.dg.conflicts), MissingPrerequisites: nonnil.Slice(append(slices.Clip(p.dg.missing), p.dg.needed...)),
			Prohibited: nonnil.Slice(p.dg.prohibited), Detail: p.dg.detail,
			Fix: d.fix(p.user, p.ps, &p.f, &p.dg, needed), StuckCause: p.f.stuck,
		}
		for _, o := range p.f.otherPaths() {
			e.OtherSkus = append(e.OtherSkus, d.skuRef(o.Sku))
		}
		if p.dg.kind == licensing.Other || !p.dg.kind.IsEntraError() {
			e.LikelyCause = p.dg.likely.String()
		}
		keys := []int{-1}
		if p.dg.kind == licensing.CountViolation && len(p.dg.noSeat) > 0 {
			keys = p.dg.noSeat
		}
		for _, k := range keys {
			key := p.dg.kind.String() + "/" + strconv.Itoa(k)
			ci, ok := index[key]
			if !ok {
				c := ErrorCause{Error: p.dg.kind, Summary: summary(p.dg.kind), Entries: []ErrorEntry{}}
				if k >= 0 {
					s := d.subs[k]
					ref, name := d.skuRef(s.Sku.ID), d.skuText(s.Sku.ID)
					c.Sku = &ref
					c.SeatsNeeded = needed(k)
					c.Summary = fmt.Sprintf("not enough seats of %s: %s, %s waiting", name, seatsInUse(s), plural(waiting[k], "user"))
					c.Fix = &Fix{Options: []string{}, Then: "reprocess the waiting users"}
					if n := c.SeatsNeeded; n > 0 {
						c.Fix.Options = seatOptions(n, name)
					} else {
						c.Summary = fmt.Sprintf("%s had no free seat; %d of %d are in use now%s", name, s.Consumed, s.Seats(), graceNote(s))
					}
				}
				ci = len(rep.Causes)
				index[key] = ci
				rep.Causes = append(rep.Causes, c)
			}
			rep.Causes[ci].Entries = append(rep.Causes[ci].Entries, e)
		}
	}
	slices.SortStableFunc(rep.Causes, func(a, b ErrorCause) int {
		if r := causeRank(a.Error) - causeRank(b.Error); r != 0 {
			return r
		}
		ak, bk := -1, -1
		if a.Sku != nil {
			_, ak = d.sku(a.Sku.SkuID)
		}
		if b.Sku != nil {
			_, bk = d.sku(b.Sku.SkuID)
		}
		return ak - bk
	})
	for g, counts := range groupCounts {
		if counts == nil {
			continue
		}
		grp := st.Group(g)
		ge := GroupErrors{GroupID: grp.ID, DisplayName: firstOf(grp.DisplayName, grp.ID), LicenseProcessingState: st.GroupProcessingState(g),
			Members: len(st.GroupMembers(g)), Errors: []ErrorCount{}, Deleted: st.GroupAbsent(g), StuckUsers: counts[len(counts)-1]}
		ge.Kind, _, _ = d.groupKind(g)
		for r, n := range counts[:len(counts)-1] {
			if n > 0 {
				k := licensing.Other
				if r < len(causeOrder) {
					k = causeOrder[r]
				}
				ge.MembersInError += n
				ge.Errors = append(ge.Errors, ErrorCount{Error: k, Users: n})
			}
		}
		rep.Groups = append(rep.Groups, ge)
	}
	return rep
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func summary(k licensing.Kind) string {
	switch k {
	case licensing.CountViolation:
		return "not enough seats"
	case licensing.MutuallyExclusiveViolation:
		return "a license would enable a service plan that may not be enabled together with one the user has from another SKU"
	case licensing.DependencyViolation:
		return "an add-on plan would be left without a plan it requires"
	case licensing.ProhibitedInUsageLocationViolation:
		return "a service plan is not offered in the user's usage location"
	case licensing.UniquenessViolation:
		return "a proxy address of the user is used by another object (Exchange)"
	}
	return "Entra gives no specific reason"
}

// Write writes the report in the format.
func (r *ErrorReport) Write(w io.Writer, f Format) error {
	return sectioned{title: "License errors", json: r.WriteJSON, csv: r.WriteCSV, text: r.WriteText}.write(w, f)
}

// WriteJSON writes the report as an indented report/v1 document.
func (r *ErrorReport) WriteJSON(w io.Writer) error {
	return writeJSONDocument(w, struct {
		FormatVersion string `json:"formatVersion"`
		Report        string `json:"report"`
		*ErrorReport
	}{FormatVersion, ReportErrors, r})
}

// errorsCSVHeader is the CSV header of the errors report: one row per entry.
var errorsCSVHeader = []string{"error", "userPrincipalName", "userId", "usageLocation", "source", "groupDisplayName", "groupId",
	"skuPartNumbers", "state", "likelyCause", "plans", "detail", "fix", "stuckCause", "productNames", "planFriendlyNames"}

// WriteCSV writes one row per entry (an entry under two CountViolation causes appears once per
// cause). "plans" lists the plans involved (in conflict, missing or prohibited); "fix" is the
// options joined by " | ", then the step after them. "productNames" and "planFriendlyNames"
// are the product names of "skuPartNumbers" and the friendly names of "plans", in the same
// order, joined with "; ".
func (r *ErrorReport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(errorsCSVHeader)
	for _, c := range r.Causes {
		for _, e := range c.Entries {
			skus := make([]string, len(e.Skus))
			products := make([]string, len(e.Skus))
			for i, s := range e.Skus {
				skus[i], products[i] = s.SkuPartNumber, s.ProductName
			}
			plans := e.plans()
			names := make([]string, len(plans))
			friendly := make([]string, len(plans))
			for i, p := range plans {
				names[i], friendly[i] = p.ServicePlanName, p.FriendlyName
			}
			cw.Write([]string{e.Error, e.UserPrincipalName, e.UserID, e.UsageLocation, e.Source.Type, safeCell(e.Source.Label()), e.Source.GroupID,
				joinList(skus), e.State, e.LikelyCause, joinList(names), e.Detail, e.Fix.String(), e.StuckCause,
				safeCell(joinNames(products)), safeCell(joinNames(friendly))})
		}
	}
	cw.Flush()
	return cw.Error()
}

// plans lists the plans an entry involves, each once.
func (e *ErrorEntry) plans() []PlanRef {
	var out []PlanRef
	add := func(p PlanRef) {
		if !slices.ContainsFunc(out, func(x PlanRef) bool { return x.ServicePlanName == p.ServicePlanName }) {
			out = append(out, p)
		}
	}
	for _, c := range e.Conflicts {
		add(c.Sides[0].Plan)
		add(c.Sides[1].Plan)
	}
	for _, m := range e.MissingPrerequisites {
		add(m.Plan)
		for _, p := range m.RequiresAnyOf {
			add(p)
		}
	}
	for _, p := range e.Prohibited {
		for _, x := range p.Plans {
			add(x)
		}
	}
	return out
}

// String returns the fix on one line: "a | b, then c".
func (f Fix) String() string {
	s := strings.Join(f.Options, " | ")
	if f.Then == "" {
		return s
	}
	if s == "" {
		return f.Then
	}
	return s + "; then " + f.Then
}

// WriteText writes the report for people: each cause with its summary and fix, each entry
// with the user, source, SKUs, detail and fix; then the groups with members in error. SKUs are
// named in the style the report was made with (Options.Errors).
func (r *ErrorReport) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if len(r.Causes) == 0 {
		bw.WriteString("No license errors.\n")
		return bw.Flush()
	}
	entries := 0
	for _, c := range r.Causes {
		entries += len(c.Entries)
	}
	fmt.Fprintf(bw, "License errors: %s, %s\n", plural(r.Users, "user"), plural(entries, "failing assignment"))
	for _, c := range r.Causes {
		bw.WriteString("\n")
		if c.Sku != nil {
			fmt.Fprintf(bw, "%s — %s\n", c.Error, c.Summary)
		} else {
			fmt.Fprintf(bw, "%s — %s (%s)\n", c.Error, c.Summary, plural(len(c.Entries), "failing assignment"))
		}
		if c.Fix != nil {
			writeFix(bw, "  ", *c.Fix)
		}
		for _, e := range c.Entries {
			skus := make([]string, len(e.Skus))
			for i, s := range e.Skus {
				skus[i] = s.Named(r.names)
			}
			state := e.State
			if e.StuckCause != "" {
				state += ", stuck"
			}
			fmt.Fprintf(bw, "  %s  %s  %s  %s\n", firstOf(e.UserPrincipalName, e.UserID), e.Source, strings.Join(skus, ", "), state)
			if e.Detail != "" {
				fmt.Fprintf(bw, "    %s\n", e.Detail)
			}
			if c.Fix == nil {
				writeFix(bw, "    ", e.Fix)
				continue
			}
			// The cause's fix is printed above; add what is particular to the entry.
			var more []string
			for _, o := range e.Fix.Options {
				if !slices.Contains(c.Fix.Options, o) {
					more = append(more, o)
				}
			}
			if len(more) > 0 {
				fmt.Fprintf(bw, "    or %s; then %s\n", strings.Join(more, ", or "), e.Fix.Then)
			} else {
				fmt.Fprintf(bw, "    then %s\n", e.Fix.Then)
			}
		}
	}
	if len(r.Groups) > 0 {
		stuck := slices.ContainsFunc(r.Groups, func(g GroupErrors) bool { return g.StuckUsers > 0 })
		if stuck {
			bw.WriteString("\nGroups with members in error or users with stuck paths:\n")
		} else {
			bw.WriteString("\nGroups with members in error:\n")
		}
		head := []string{"GROUP", "MEMBERS", "IN ERROR", "ERRORS", "PROCESSING"}
		if stuck {
			head = append(head, "STUCK")
		}
		// The KIND column shows when a group is not a plain security group.
		kinds := slices.ContainsFunc(r.Groups, func(g GroupErrors) bool { return kindNote(g.Kind) != "" })
		if kinds {
			head = append(head, "KIND")
		}
		rows := [][]string{head}
		for _, g := range r.Groups {
			var errs []string
			for _, e := range g.Errors {
				errs = append(errs, fmt.Sprintf("%s %d", e.Error, e.Users))
			}
			row := []string{groupLabel(firstOf(g.DisplayName, g.GroupID), g.Deleted), strconv.Itoa(g.Members), strconv.Itoa(g.MembersInError),
				orDash(joinList(errs)), orDash(g.LicenseProcessingState)}
			if stuck {
				row = append(row, strconv.Itoa(g.StuckUsers))
			}
			if kinds {
				row = append(row, orDash(g.Kind))
			}
			rows = append(rows, row)
		}
		alignedRows(bw, "  ", rows)
	}
	return bw.Flush()
}

func writeFix(bw *bufio.Writer, indent string, f Fix) {
	switch len(f.Options) {
	case 0:
		fmt.Fprintf(bw, "%sfix: %s\n", indent, f.Then)
		return
	case 1:
		fmt.Fprintf(bw, "%sfix: %s\n", indent, f.Options[0])
	default:
		fmt.Fprintf(bw, "%sfix, one of:\n", indent)
		for _, o := range f.Options {
			fmt.Fprintf(bw, "%s  - %s\n", indent, o)
		}
	}
	if f.Then != "" {
		fmt.Fprintf(bw, "%sthen %s\n", indent, f.Then)
	}
}
