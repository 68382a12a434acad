package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
)

// ReportReclaim, ReportExpiring and ReportCost are the names of the money reports (they take
// options, so Write does not know them).
const (
	ReportReclaim  = "reclaim"
	ReportExpiring = "expiring"
	ReportCost     = "cost"
)

// The values of ReclaimRow.Reason.
const (
	ReasonDisabled      = "disabled"      // accountEnabled is false
	ReasonInactive      = "inactive"      // no sign-in for InactiveDays
	ReasonNeverSignedIn = "neverSignedIn" // signInActivity read, and no sign-in recorded
)

// ReclaimOptions are the options of Reclaim.
type ReclaimOptions struct {
	// InactiveDays is how many days without a sign-in make a user inactive (default 90).
	InactiveDays int
	// Now is the moment "days ago" is measured from; the zero time means the snapshot's readAt
	// (an error when the snapshot has none).
	Now time.Time
	// Prices, when not nil, gives each license its monthly cost.
	Prices *Prices
}

// ReclaimLicense is one license a reclaimable user holds, and how.
type ReclaimLicense struct {
	SkuID         licensing.SkuID `json:"skuId"`
	SkuPartNumber string          `json:"skuPartNumber"`
	ProductName   string          `json:"productName"`
	// Via is "direct", "group" or "both" (as in Consumers); Groups are the groups whose paths
	// carry it. An inherited license is reclaimed by taking the user out of the group.
	Via    string   `json:"via"`
	Groups []Source `json:"groups"`
	// MonthlyCost is the SKU's monthly price, null when the prices do not give it.
	MonthlyCost *float64 `json:"monthlyCost"`
}

// ReclaimRow is a user holding licenses who is disabled or inactive.
type ReclaimRow struct {
	UserID            string `json:"userId"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	// Reason is "disabled", "inactive" or "neverSignedIn"; Detail says it in a sentence
	// ("inactive since 2025-12-24 (67 days)").
	Reason string `json:"reason"`
	Detail string `json:"detail"`
	// LastSignInDateTime is the latest of the user's signInActivity times, "" when none is
	// recorded or activity is unknown.
	LastSignInDateTime string           `json:"lastSignInDateTime"`
	CreatedDateTime    string           `json:"createdDateTime"`
	Licenses           []ReclaimLicense `json:"licenses"`
	// MonthlyCost is the sum of the priced licenses' costs, null without prices.
	MonthlyCost *float64 `json:"monthlyCost"`
}

// ReclaimTotal is the reclaimable seats of one SKU.
type ReclaimTotal struct {
	SkuID         licensing.SkuID `json:"skuId"`
	SkuPartNumber string          `json:"skuPartNumber"`
	ProductName   string          `json:"productName"`
	Users         int             `json:"users"`
	MonthlyCost   *float64        `json:"monthlyCost"`
}

// ReclaimReport is the result of Reclaim.
type ReclaimReport struct {
	Now          string         `json:"now"`
	InactiveDays int            `json:"inactiveDays"`
	Currency     string         `json:"currency,omitempty"`
	Users        []ReclaimRow   `json:"reclaim"`
	Totals       []ReclaimTotal `json:"totals"` // per SKU, snapshot order
	// MonthlyCost is the total over every user, null without prices.
	MonthlyCost *float64 `json:"monthlyCost"`
	// SignInActivityUnknown is true when the snapshot could not read sign-in activity: only
	// disabled users are reported.
	SignInActivityUnknown bool `json:"signInActivityUnknown"`
	names                 licensing.NameStyle
	st                    *licensing.State
}

// reportNow is opts' Now, or the snapshot's readAt.
func reportNow(st *licensing.State, now time.Time) (time.Time, error) {
	if !now.IsZero() {
		return now, nil
	}
	if st.ReadAt() == "" {
		return time.Time{}, &licensing.Error{Kind: licensing.InvalidInput, Message: "the snapshot has no readAt: give the moment to measure from (--now RFC3339)"}
	}
	t, err := time.Parse(time.RFC3339, st.ReadAt())
	if err != nil {
		return time.Time{}, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("the snapshot's readAt %q is not RFC 3339: give --now", st.ReadAt())}
	}
	return t, nil
}

func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil && t.Year() > 1
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// Reclaim returns every user holding a license (a seat: a path not in Error) who is disabled
// (accountEnabled false) or has not signed in for InactiveDays days: the latest of the
// signInActivity times is older than Now − InactiveDays, or none is recorded. A user whose
// activity is unknown (no signInActivity, or a snapshot with signInActivityUnknown) is never
// called inactive, and neither is one created within InactiveDays. Users come in snapshot
// order, their licenses in snapshot order.
func Reclaim(st *licensing.State, opts ReclaimOptions) (*ReclaimReport, error) {
	return Options{}.Reclaim(st, opts)
}

// Reclaim is Reclaim naming SKUs in o.Names when written as text.
func (o Options) Reclaim(st *licensing.State, opts ReclaimOptions) (*ReclaimReport, error) {
	if opts.InactiveDays == 0 {
		opts.InactiveDays = 90
	}
	if opts.InactiveDays < 0 {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("inactive days %d: want 1 or more", opts.InactiveDays)}
	}
	now, err := reportNow(st, opts.Now)
	if err != nil {
		return nil, err
	}
	cutoff := now.AddDate(0, 0, -opts.InactiveDays)
	v := newView(st, o.Names)
	rep := &ReclaimReport{Now: now.UTC().Format(time.RFC3339), InactiveDays: opts.InactiveDays, Users: []ReclaimRow{},
		SignInActivityUnknown: st.SignInActivityUnknown(), names: o.Names, st: st}
	if opts.Prices != nil {
		rep.Currency = opts.Prices.Currency
	}
	totals := make([]ReclaimTotal, len(v.subs))
	var total float64
	for i := range st.NumUsers() {
		u := st.User(i)
		r := ReclaimRow{UserID: u.ID, UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName, CreatedDateTime: u.CreatedDateTime}
		known := !st.SignInActivityUnknown() && u.SignInActivity != nil
		var last time.Time
		hasLast := false
		if known {
			last, hasLast = u.SignInActivity.Latest()
			if hasLast {
				r.LastSignInDateTime = last.UTC().Format(time.RFC3339)
			}
		}
		created, hasCreated := parseTime(u.CreatedDateTime)
		switch {
		case u.AccountEnabled != nil && !*u.AccountEnabled:
			r.Reason, r.Detail = ReasonDisabled, "account disabled"
			if hasLast {
				r.Detail += ", last sign-in " + day(last)
			}
		case !known || (hasCreated && created.After(cutoff)):
			continue
		case !hasLast:
			r.Reason, r.Detail = ReasonNeverSignedIn, "no sign-in recorded"
			if hasCreated {
				r.Detail += fmt.Sprintf(" (created %s, %d days ago)", day(created), daysBetween(created, now))
			}
		case last.Before(cutoff):
			r.Reason, r.Detail = ReasonInactive, fmt.Sprintf("inactive since %s (%d days)", day(last), daysBetween(last, now))
		default:
			continue
		}
		var cost float64
		eachSeat(v, st.Paths(i), func(sub int, direct, group bool, run []licensing.Path) {
			if !direct && !group {
				return
			}
			s := v.subs[sub].Sku
			l := ReclaimLicense{SkuID: s.ID, SkuPartNumber: s.Label(), ProductName: s.ProductName(), Groups: []Source{}, Via: viaOf(direct, group)}
			for _, p := range run {
				if !p.Direct() && p.State != licensing.PathError {
					l.Groups = append(l.Groups, v.source(p))
				}
			}
			t := &totals[sub]
			t.Users++
			if m, ok := opts.Prices.Monthly(s.ID); ok {
				l.MonthlyCost = &m
				cost += m
				t.MonthlyCost = addCost(t.MonthlyCost, m)
			}
			r.Licenses = append(r.Licenses, l)
		})
		if len(r.Licenses) == 0 {
			continue
		}
		if opts.Prices != nil {
			c := cost
			r.MonthlyCost = &c
			total += cost
		}
		rep.Users = append(rep.Users, r)
	}
	rep.Totals = []ReclaimTotal{}
	for i, t := range totals {
		if t.Users == 0 {
			continue
		}
		s := v.subs[i].Sku
		t.SkuID, t.SkuPartNumber, t.ProductName = s.ID, s.Label(), s.ProductName()
		rep.Totals = append(rep.Totals, t)
	}
	if opts.Prices != nil {
		rep.MonthlyCost = &total
	}
	return rep, nil
}

func addCost(p *float64, m float64) *float64 {
	if p == nil {
		return &m
	}
	x := *p + m
	return &x
}

func daysBetween(a, b time.Time) int { return int(b.Sub(a).Hours() / 24) }

func viaOf(direct, group bool) string {
	switch {
	case direct && group:
		return ViaBoth
	case direct:
		return ViaDirect
	}
	return ViaGroup
}

// costText is a cost for a text cell: "-" when unknown.
func costText(c *float64) string {
	if c == nil {
		return "-"
	}
	return formatMoney(*c)
}

func costCell(c *float64) string {
	if c == nil {
		return ""
	}
	return formatMoney(*c)
}

// heldText says how a license is held, for people: "direct", "group Sales", "direct + group Sales".
func (l *ReclaimLicense) heldText() string {
	var parts []string
	if l.Via != ViaGroup {
		parts = append(parts, "direct")
	}
	for _, g := range l.Groups {
		parts = append(parts, "group "+g.Label())
	}
	return strings.Join(parts, " + ")
}

// Write writes the report: text (a row per user × license, then totals per SKU and overall),
// CSV (a row per user × license, with the JSON field names as header), or a report/v1 JSON
// document with the users under "reclaim" and the totals under "totals".
func (r *ReclaimReport) Write(w io.Writer, f Format) error {
	return sectioned{title: "Licenses to reclaim", json: r.writeJSON, csv: r.writeCSV, text: r.writeText}.write(w, f)
}

func (r *ReclaimReport) writeJSON(w io.Writer) error {
	return writeJSONDocument(w, struct {
		FormatVersion string `json:"formatVersion"`
		Report        string `json:"report"`
		TenantID      string `json:"tenantId"`
		*ReclaimReport
	}{FormatVersion, ReportReclaim, r.st.TenantID(), r})
}

func (r *ReclaimReport) writeCSV(w io.Writer) error {
	type cell struct {
		u *ReclaimRow
		l *ReclaimLicense
	}
	t := table[cell]{
		csvHead: []string{"userPrincipalName", "userId", "reason", "detail", "lastSignInDateTime", "createdDateTime", "skuPartNumber", "skuId", "productName", "via", "groups", "groupIds", "monthlyCost", "userMonthlyCost"},
		csv: func(c *cell, s []string) {
			names, ids := sourceLists(c.l.Groups)
			s[0], s[1], s[2], s[3], s[4], s[5] = c.u.UserPrincipalName, c.u.UserID, c.u.Reason, c.u.Detail, c.u.LastSignInDateTime, c.u.CreatedDateTime
			s[6], s[7], s[8], s[9], s[10], s[11] = c.l.SkuPartNumber, c.l.SkuID.String(), safeCell(c.l.ProductName), c.l.Via, safeCell(names), ids
			s[12], s[13] = costCell(c.l.MonthlyCost), costCell(c.u.MonthlyCost)
		},
		rows: func(yield func(cell) bool) {
			for i := range r.Users {
				for j := range r.Users[i].Licenses {
					if !yield(cell{&r.Users[i], &r.Users[i].Licenses[j]}) {
						return
					}
				}
			}
		},
	}
	return t.writeCSV(w)
}

func (r *ReclaimReport) writeText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Licenses held by disabled users and users without a sign-in for %d days (measured from %s)", r.InactiveDays, r.Now)
	if r.SignInActivityUnknown {
		bw.WriteString("; sign-in activity was not read, so only disabled users are listed")
	}
	bw.WriteString(":\n\n")
	rows := [][]string{{"USER", "REASON", "LAST SIGN-IN", "SKU", "HELD", "MONTHLY"}}
	for i := range r.Users {
		u := &r.Users[i]
		for j := range u.Licenses {
			l := &u.Licenses[j]
			user, reason, last := "", "", ""
			if j == 0 {
				user, reason, last = firstOf(u.UserPrincipalName, u.UserID), u.Detail, orDash(u.LastSignInDateTime)
			}
			rows = append(rows, []string{user, reason, last, skuNamed(r.names, l.SkuID, l.SkuPartNumber, l.ProductName), l.heldText(), costText(l.MonthlyCost)})
		}
	}
	if len(rows) == 1 {
		rows[0] = []string{"(none)"}
	}
	alignedRows(bw, "", rows)
	if len(r.Totals) > 0 {
		bw.WriteString("\nPer SKU:\n")
		rows = [][]string{{"SKU", "USERS", "MONTHLY"}}
		for _, t := range r.Totals {
			rows = append(rows, []string{skuNamed(r.names, t.SkuID, t.SkuPartNumber, t.ProductName), fmt.Sprint(t.Users), costText(t.MonthlyCost)})
		}
		alignedRows(bw, "  ", rows)
		fmt.Fprintf(bw, "\n%s, %s", plural(len(r.Users), "user"), plural(seatCount(r.Totals), "seat"))
		if r.MonthlyCost != nil {
			fmt.Fprintf(bw, ", %s %s a month", formatMoney(*r.MonthlyCost), r.Currency)
		}
		bw.WriteString(". A license held through a group is reclaimed by taking the user out of the group (a dynamic group's rule, or where a synced group is managed).\n")
	}
	return bw.Flush()
}

func seatCount(ts []ReclaimTotal) int {
	n := 0
	for _, t := range ts {
		n += t.Users
	}
	return n
}
