package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// The dimensions Cost splits the assigned seats by (CostOptions.By).
const (
	CostBySku           = "sku"
	CostByDepartment    = "department"
	CostByUsageLocation = "usageLocation"
	CostByGroup         = "group"
)

// CostDimensions returns the values CostOptions.By takes, in the order a help text lists them.
func CostDimensions() []string {
	return []string{CostBySku, CostByDepartment, CostByUsageLocation, CostByGroup}
}

// CostDirect is the value of a CostRow, by group, for seats no group carries.
const CostDirect = "direct"

// CostOptions are the options of Cost.
type CostOptions struct {
	// Prices gives each SKU its monthly price per seat (required).
	Prices *Prices
	// By is the dimension the assigned seats are split by: "sku" (the default), "department",
	// "usageLocation" or "group" (CostDimensions).
	By string
}

// CostRow is the assigned seats of one SKU under one value of the dimension.
type CostRow struct {
	// Value is the dimension's value: the SKU's part number (by sku), the users' department or
	// usageLocation ("" when they have none), or the group's displayName ("direct" for seats
	// no group carries) by group.
	Value string `json:"value"`
	// GroupID is the group's id, by group ("" for "direct" and for the other dimensions).
	GroupID       string          `json:"groupId,omitempty"`
	SkuID         licensing.SkuID `json:"skuId"`
	SkuPartNumber string          `json:"skuPartNumber"`
	ProductName   string          `json:"productName"`
	Seats         int             `json:"seats"`
	// MonthlyPrice is the price per seat and MonthlyCost Seats × MonthlyPrice: both null when
	// the prices do not give the SKU.
	MonthlyPrice *float64 `json:"monthlyPrice"`
	MonthlyCost  *float64 `json:"monthlyCost"`
}

// CostUnusedRow is the paid seats of one SKU that nobody holds: its assignable seats
// (prepaidUnits.enabled + warning) less the consumed ones, less the seats of its trial
// subscriptions (free: an idle seat is counted as a trial seat first, so the cost of idle paid
// seats is never overstated). TrialSeats are those trial seats (0 when the snapshot has no
// subscriptions).
type CostUnusedRow struct {
	SkuID         licensing.SkuID `json:"skuId"`
	SkuPartNumber string          `json:"skuPartNumber"`
	ProductName   string          `json:"productName"`
	Seats         int             `json:"seats"`
	TrialSeats    int             `json:"trialSeats"`
	MonthlyPrice  *float64        `json:"monthlyPrice"`
	MonthlyCost   *float64        `json:"monthlyCost"`
}

// CostTotals are the report's totals. Seats of SKUs without a price are counted in
// NotPricedSeats (and their SKUs in NotPriced), never as costing nothing.
type CostTotals struct {
	AssignedSeats       int     `json:"assignedSeats"`
	AssignedMonthlyCost float64 `json:"assignedMonthlyCost"`
	UnusedSeats         int     `json:"unusedSeats"`
	UnusedMonthlyCost   float64 `json:"unusedMonthlyCost"`
	// MonthlyCost is AssignedMonthlyCost + UnusedMonthlyCost: what the priced SKUs cost a month.
	MonthlyCost float64 `json:"monthlyCost"`
	// NotPricedSeats is the assigned and unused seats of SKUs the prices do not give;
	// NotPriced those SKUs (snapshot order).
	NotPricedSeats int      `json:"notPricedSeats"`
	NotPriced      []SkuRef `json:"notPriced"`
}

// CostReport is the result of Cost.
type CostReport struct {
	By       string          `json:"by"`
	Currency string          `json:"currency"`
	Rows     []CostRow       `json:"cost"`
	Unused   []CostUnusedRow `json:"unused"`
	Totals   CostTotals      `json:"totals"`
	names    licensing.NameStyle
	st       *licensing.State
}

// Cost returns the monthly cost of the tenant's seats: the assigned ones (each user's seat of
// a SKU, a path not in Error, times the SKU's price), split by opts.By, and the paid seats
// nobody holds (per SKU: assignable seats less consumed ones, times the price).
//
// A user's seat of a SKU is counted once. By department or usageLocation it goes under the
// user's value. By group it goes under the first, by displayName then id, of the groups whose
// paths carry it (not in Error), also when the user holds it directly as well (removing the
// direct assignment would not free the seat); under "direct" when only a direct assignment
// carries it.
//
// Rows come by SKU in snapshot order (by sku), or by value, then SKU in snapshot order; by
// group, "direct" comes first. A SKU the prices do not give is listed with null prices and
// costs and counted in Totals.NotPriced, never as costing nothing.
func Cost(st *licensing.State, opts CostOptions) (*CostReport, error) {
	return Options{}.Cost(st, opts)
}

// Cost is Cost naming SKUs in o.Names when written as text.
func (o Options) Cost(st *licensing.State, opts CostOptions) (*CostReport, error) {
	if opts.Prices == nil {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "the cost report needs prices: give a prices/v1 file (--prices FILE)"}
	}
	if opts.By == "" {
		opts.By = CostBySku
	}
	if !slices.Contains(CostDimensions(), opts.By) {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("cost by %q: want one of %s", opts.By, strings.Join(CostDimensions(), ", "))}
	}
	v := newView(st, o.Names)
	rep := &CostReport{By: opts.By, Currency: opts.Prices.Currency, Rows: []CostRow{}, Unused: []CostUnusedRow{},
		Totals: CostTotals{NotPriced: []SkuRef{}}, names: o.Names, st: st}

	type key struct {
		value, group string
		sub          int
	}
	seats := map[key]int{}
	for i := range st.NumUsers() {
		u := st.User(i)
		eachSeat(v, st.Paths(i), func(sub int, direct, group bool, run []licensing.Path) {
			if !direct && !group {
				return
			}
			k := key{sub: sub}
			switch opts.By {
			case CostByDepartment:
				k.value = u.Department
			case CostByUsageLocation:
				k.value = u.UsageLocation
			case CostByGroup:
				k.value = CostDirect
				if group {
					var first *Source
					for _, p := range run {
						if p.Direct() || p.State == licensing.PathError {
							continue
						}
						s := v.source(p)
						if first == nil || compareSource(&s, first) < 0 {
							first = &s
						}
					}
					k.value, k.group = first.Label(), first.GroupID
				}
			}
			seats[k]++
		})
	}
	keys := make([]key, 0, len(seats))
	for k := range seats {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if (a.group == "") != (b.group == "") && opts.By == CostByGroup {
			if a.group == "" {
				return -1
			}
			return 1
		}
		return cmp.Or(strings.Compare(a.value, b.value), strings.Compare(a.group, b.group), cmp.Compare(a.sub, b.sub))
	})
	notPriced := make([]bool, len(v.subs))
	for _, k := range keys {
		s := v.subs[k.sub].Sku
		r := CostRow{Value: k.value, GroupID: k.group, SkuID: s.ID, SkuPartNumber: s.Label(), ProductName: s.ProductName(), Seats: seats[k]}
		if opts.By == CostBySku {
			r.Value = s.Label()
		}
		rep.Totals.AssignedSeats += r.Seats
		if m, ok := opts.Prices.Monthly(s.ID); ok {
			c := m * float64(r.Seats)
			r.MonthlyPrice, r.MonthlyCost = &m, &c
			rep.Totals.AssignedMonthlyCost += c
		} else {
			notPriced[k.sub] = true
			rep.Totals.NotPricedSeats += r.Seats
		}
		rep.Rows = append(rep.Rows, r)
	}
	trial := map[licensing.SkuID]int{}
	if subs, ok := st.CompanySubscriptions(); ok {
		for _, cs := range subs {
			if cs.IsTrial && (cs.Status == licensing.SubscriptionEnabled || cs.Status == licensing.SubscriptionWarning) {
				trial[cs.SkuID] += cs.TotalLicenses
			}
		}
	}
	for i, sub := range v.subs {
		s := sub.Sku
		n := max(0, sub.Available()-trial[s.ID])
		if n == 0 {
			continue
		}
		r := CostUnusedRow{SkuID: s.ID, SkuPartNumber: s.Label(), ProductName: s.ProductName(), Seats: n, TrialSeats: trial[s.ID]}
		rep.Totals.UnusedSeats += n
		if m, ok := opts.Prices.Monthly(s.ID); ok {
			c := m * float64(n)
			r.MonthlyPrice, r.MonthlyCost = &m, &c
			rep.Totals.UnusedMonthlyCost += c
		} else {
			notPriced[i] = true
			rep.Totals.NotPricedSeats += n
		}
		rep.Unused = append(rep.Unused, r)
	}
	for i, np := range notPriced {
		if np {
			rep.Totals.NotPriced = append(rep.Totals.NotPriced, v.skuRef(v.subs[i].Sku.ID))
		}
	}
	rep.Totals.MonthlyCost = rep.Totals.AssignedMonthlyCost + rep.Totals.UnusedMonthlyCost
	return rep, nil
}

// compareSource orders group sources by displayName, then id.
func compareSource(a, b *Source) int {
	return cmp.Or(strings.Compare(a.GroupDisplayName, b.GroupDisplayName), strings.Compare(a.GroupID, b.GroupID))
}

// costHeads are the text headers of the dimension column.
var costHeads = map[string]string{CostBySku: "", CostByDepartment: "DEPARTMENT", CostByUsageLocation: "USAGE LOCATION", CostByGroup: "GROUP"}

// Write writes the report: text (the assigned seats, the unused seats, and the totals), CSV (a
// row per assigned and unused row, "kind" saying which, with the JSON field names as header),
// or a report/v1 JSON document with the assigned rows under "cost", the unused under "unused"
// and the totals under "totals".
func (r *CostReport) Write(w io.Writer, f Format) error {
	return sectioned{title: "Cost", json: r.writeJSON, csv: r.writeCSV, text: r.writeText}.write(w, f)
}

func (r *CostReport) writeJSON(w io.Writer) error {
	return writeJSONDocument(w, struct {
		FormatVersion string `json:"formatVersion"`
		Report        string `json:"report"`
		TenantID      string `json:"tenantId"`
		*CostReport
	}{FormatVersion, ReportCost, r.st.TenantID(), r})
}

func (r *CostReport) writeCSV(w io.Writer) error {
	itoa := strconv.Itoa
	type cell struct {
		kind string
		row  CostRow
	}
	t := table[cell]{
		csvHead: []string{"kind", "by", "value", "groupId", "skuPartNumber", "skuId", "productName", "seats", "monthlyPrice", "monthlyCost", "currency"},
		csv: func(c *cell, s []string) {
			x := &c.row
			s[0], s[1], s[2], s[3] = c.kind, r.By, safeCell(x.Value), x.GroupID
			s[4], s[5], s[6], s[7] = x.SkuPartNumber, x.SkuID.String(), safeCell(x.ProductName), itoa(x.Seats)
			s[8], s[9], s[10] = costCell(x.MonthlyPrice), costCell(x.MonthlyCost), r.Currency
		},
		rows: func(yield func(cell) bool) {
			for _, x := range r.Rows {
				if !yield(cell{"assigned", x}) {
					return
				}
			}
			for _, x := range r.Unused {
				row := CostRow{SkuID: x.SkuID, SkuPartNumber: x.SkuPartNumber, ProductName: x.ProductName, Seats: x.Seats, MonthlyPrice: x.MonthlyPrice, MonthlyCost: x.MonthlyCost}
				if !yield(cell{"unused", row}) {
					return
				}
			}
		},
	}
	return t.writeCSV(w)
}

func (r *CostReport) writeText(w io.Writer) error {
	itoa := strconv.Itoa
	bw := bufio.NewWriter(w)
	by := "SKU"
	if r.By != CostBySku {
		by = "SKU and " + map[string]string{CostByDepartment: "department", CostByUsageLocation: "usage location", CostByGroup: "licensed group"}[r.By]
	}
	fmt.Fprintf(bw, "Monthly cost of the assigned seats by %s, in %s:\n\n", by, r.Currency)
	head := []string{"SKU", "SEATS", "PRICE", "MONTHLY"}
	if h := costHeads[r.By]; h != "" {
		head = append([]string{h}, head...)
	}
	rows := [][]string{head}
	for _, x := range r.Rows {
		row := []string{skuNamed(r.names, x.SkuID, x.SkuPartNumber, x.ProductName), itoa(x.Seats), costText(x.MonthlyPrice), costText(x.MonthlyCost)}
		if r.By != CostBySku {
			row = append([]string{orNone(x.Value)}, row...)
		}
		rows = append(rows, row)
	}
	if len(rows) == 1 {
		rows[0] = []string{"(none)"}
	}
	alignedRows(bw, "", rows)
	bw.WriteString("\nPaid seats nobody holds:\n\n")
	rows = [][]string{{"SKU", "SEATS", "PRICE", "MONTHLY"}}
	for _, x := range r.Unused {
		rows = append(rows, []string{skuNamed(r.names, x.SkuID, x.SkuPartNumber, x.ProductName), itoa(x.Seats), costText(x.MonthlyPrice), costText(x.MonthlyCost)})
	}
	if len(rows) == 1 {
		rows[0] = []string{"(none)"}
	}
	alignedRows(bw, "", rows)
	t := &r.Totals
	fmt.Fprintf(bw, "\nAssigned: %s, %s %s a month. Unused: %s, %s %s a month. Total: %s %s a month.\n",
		plural(t.AssignedSeats, "seat"), formatMoney(t.AssignedMonthlyCost), r.Currency,
		plural(t.UnusedSeats, "seat"), formatMoney(t.UnusedMonthlyCost), r.Currency, formatMoney(t.MonthlyCost), r.Currency)
	if len(t.NotPriced) > 0 {
		names := make([]string, len(t.NotPriced))
		for i, s := range t.NotPriced {
			names[i] = s.Named(r.names)
		}
		fmt.Fprintf(bw, "Not priced: %s of %s (%s), not counted in the totals: add them to the prices file.\n",
			plural(t.NotPricedSeats, "seat"), plural(len(t.NotPriced), "SKU"), strings.Join(names, ", "))
	}
	return bw.Flush()
}

// orNone shows an empty dimension value as "(none)".
func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
