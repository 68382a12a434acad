package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/internal/nonnil"
	"github.com/licenseplan/licenseplan/licensing"
)

// ExpiringOptions are the options of Expiring.
type ExpiringOptions struct {
	// WithinDays is the window, in days from Now, in which a subscription's
	// nextLifecycleDateTime must fall (default 30).
	WithinDays int
	// Now is the start of the window; the zero time means the snapshot's readAt (an error when
	// the snapshot has none).
	Now time.Time
}

// firstUsers is how many holders an ExpiringRow names.
const firstUsers = 5

// The values of ExpiringRow.ServiceLoss.
const (
	// LossAfterGracePeriod: an Enabled subscription moves to Warning (Microsoft's "Expired"):
	// users keep the service for the grace period (30 days for most offers) and lose it when
	// the subscription is then Suspended ("Disabled").
	LossAfterGracePeriod = "afterGracePeriod"
	// LossAtNextLifecycle: a Warning subscription moves to Suspended: users lose the service
	// at nextLifecycleDateTime.
	LossAtNextLifecycle = "atNextLifecycle"
	// LossAlready: the subscription is Suspended, LockedOut or Deleted: its seats already give
	// no service.
	LossAlready = "already"
)

// ExpiringRow is one company subscription whose nextLifecycleDateTime falls in the window,
// with what its lapse would do to its SKU.
//
// The model is Microsoft's subscription lifecycle ("What happens to my data and access when my
// Microsoft 365 for business subscription ends?",
// https://learn.microsoft.com/microsoft-365/commerce/subscriptions/what-if-my-subscription-expires):
// Active > Expired (30 days for most offers, data accessible to all) > Disabled (90 days,
// admins only) > Deleted, which Graph's companySubscription calls Enabled > Warning >
// Suspended > Deleted. At an Enabled subscription's nextLifecycleDateTime nobody loses
// anything yet (its seats move to prepaidUnits.warning and stay assignable); the loss comes at
// the end of the grace period, unless the subscription is renewed. SeatsAfter and Shortfall
// are the seats after the loss, whenever it comes.
type ExpiringRow struct {
	SubscriptionID         string          `json:"subscriptionId"`
	CommerceSubscriptionID string          `json:"commerceSubscriptionId"`
	SkuID                  licensing.SkuID `json:"skuId"`
	SkuPartNumber          string          `json:"skuPartNumber"`
	ProductName            string          `json:"productName"`
	Status                 string          `json:"status"`
	// NextStatus is the status at nextLifecycleDateTime: Warning after Enabled, Suspended
	// after Warning, Deleted after Suspended ("" when Graph's status is another one).
	NextStatus            string `json:"nextStatus"`
	IsTrial               bool   `json:"isTrial"`
	TotalLicenses         int    `json:"totalLicenses"`
	NextLifecycleDateTime string `json:"nextLifecycleDateTime"`
	DaysLeft              int    `json:"daysLeft"`
	// ServiceLoss is when users lose the service if the subscription is not renewed:
	// "afterGracePeriod", "atNextLifecycle" or "already".
	ServiceLoss string `json:"serviceLoss"`
	// SeatsAfter is the SKU's assignable seats (prepaidUnits.enabled + warning) without this
	// subscription's totalLicenses, never negative; Consumed the SKU's consumed seats;
	// Shortfall how many holders have no seat then (Consumed − SeatsAfter, never negative).
	SeatsAfter int `json:"seatsAfter"`
	Consumed   int `json:"consumed"`
	Shortfall  int `json:"shortfall"`
	// Users is how many users hold a seat of the SKU; FirstUsers the first few (snapshot
	// order) by userPrincipalName; Holders all of them, each with the plans it would lose.
	Users      int              `json:"userCount"`
	FirstUsers []string         `json:"firstUsers"`
	Holders    []ExpiringHolder `json:"users"`
	// PlansLost are the service plans that holders would lose if the SKU went: plans only
	// this SKU gives them (no other SKU they hold enables the same plan), over all holders;
	// UsersLosingService how many holders lose at least one plan.
	PlansLost          []PlanRef `json:"plansLost"`
	UsersLosingService int       `json:"usersLosingService"`
}

// ExpiringHolder is a user holding a seat of an expiring subscription's SKU, and the plans
// only that SKU gives them (what they lose if it lapses; empty when other licenses cover it).
type ExpiringHolder struct {
	UserID            string   `json:"userId"`
	UserPrincipalName string   `json:"userPrincipalName"`
	PlansLost         []string `json:"plansLost"` // servicePlanName, sorted
}

// ExpiringReport is the result of Expiring.
type ExpiringReport struct {
	Now        string `json:"now"`
	WithinDays int    `json:"withinDays"`
	// SubscriptionsUnknown is true when the snapshot has no subscriptions (they were not read).
	SubscriptionsUnknown bool          `json:"subscriptionsUnknown"`
	Subscriptions        []ExpiringRow `json:"expiring"`
	names                licensing.NameStyle
	st                   *licensing.State
}

// Expiring returns each company subscription whose nextLifecycleDateTime falls within
// WithinDays of Now (snapshot order), with the seats its SKU keeps when it lapses, the seats
// consumed, the shortfall, and the users who hold the SKU and which plans they would lose.
func Expiring(st *licensing.State, opts ExpiringOptions) (*ExpiringReport, error) {
	return Options{}.Expiring(st, opts)
}

// Expiring is Expiring naming SKUs and plans in o.Names when written as text.
func (o Options) Expiring(st *licensing.State, opts ExpiringOptions) (*ExpiringReport, error) {
	if opts.WithinDays == 0 {
		opts.WithinDays = 30
	}
	if opts.WithinDays < 0 {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("within days %d: want 1 or more", opts.WithinDays)}
	}
	now, err := reportNow(st, opts.Now)
	if err != nil {
		return nil, err
	}
	end := now.AddDate(0, 0, opts.WithinDays)
	rep := &ExpiringReport{Now: now.UTC().Format(time.RFC3339), WithinDays: opts.WithinDays, Subscriptions: []ExpiringRow{}, names: o.Names, st: st}
	subs, ok := st.CompanySubscriptions()
	rep.SubscriptionsUnknown = !ok
	v := newView(st, o.Names)
	bySku := map[licensing.SkuID][]int{}
	for _, cs := range subs {
		t, ok := cs.NextLifecycle()
		if !ok || t.Before(now) || t.After(end) {
			continue
		}
		r := ExpiringRow{SubscriptionID: cs.ID, CommerceSubscriptionID: cs.CommerceSubscriptionID, SkuID: cs.SkuID, Status: cs.Status,
			IsTrial: cs.IsTrial, TotalLicenses: cs.TotalLicenses, NextLifecycleDateTime: t.UTC().Format(time.RFC3339),
			DaysLeft: daysBetween(now, t), FirstUsers: []string{}, Holders: []ExpiringHolder{}, PlansLost: []PlanRef{}}
		r.SkuPartNumber, r.ProductName = cs.SkuPartNumber, cs.SkuPartNumber
		if s, ok := v.cat.Sku(cs.SkuID); ok {
			r.SkuPartNumber, r.ProductName = s.Label(), s.ProductName()
		}
		switch strings.ToLower(cs.Status) {
		case "enabled":
			r.NextStatus, r.ServiceLoss = "Warning", LossAfterGracePeriod
		case "warning":
			r.NextStatus, r.ServiceLoss = "Suspended", LossAtNextLifecycle
		case "suspended":
			r.NextStatus, r.ServiceLoss = "Deleted", LossAlready
		default:
			r.ServiceLoss = LossAlready
		}
		if sub, _ := v.sku(cs.SkuID); sub != nil {
			seats := sub.Prepaid.Enabled + sub.Prepaid.Warning
			if r.ServiceLoss != LossAlready {
				seats -= cs.TotalLicenses
			}
			r.SeatsAfter, r.Consumed = max(0, seats), sub.Consumed
			r.Shortfall = max(0, r.Consumed-r.SeatsAfter)
		}
		bySku[cs.SkuID] = append(bySku[cs.SkuID], len(rep.Subscriptions))
		rep.Subscriptions = append(rep.Subscriptions, r)
	}
	if len(bySku) == 0 {
		return rep, nil
	}
	lost := map[licensing.SkuID]licensing.PlanSet{}
	for i := range st.NumUsers() {
		eff := st.Effective(i)
		for k, sp := range eff.BySku {
			rows, ok := bySku[sp.Sku]
			if !ok {
				continue
			}
			only := sp.Plans.Clone()
			for j, other := range eff.BySku {
				if j != k {
					only = only.Minus(other.Plans)
				}
			}
			if !only.IsEmpty() {
				l := lost[sp.Sku]
				l.UnionWith(only)
				lost[sp.Sku] = l
			}
			u := st.User(i)
			holder := ExpiringHolder{UserID: u.ID, UserPrincipalName: u.UserPrincipalName, PlansLost: nonnil.Slice(v.cat.PlanNames(only))}
			for _, ri := range rows {
				r := &rep.Subscriptions[ri]
				r.Holders = append(r.Holders, holder)
				r.Users++
				if len(r.FirstUsers) < firstUsers {
					r.FirstUsers = append(r.FirstUsers, firstOf(u.UserPrincipalName, u.ID))
				}
				if !only.IsEmpty() {
					r.UsersLosingService++
				}
			}
		}
	}
	for sku, rows := range bySku {
		refs := v.planRefs(v.cat.PlanIDs(lost[sku]))
		for _, ri := range rows {
			rep.Subscriptions[ri].PlansLost = refs
		}
	}
	return rep, nil
}

// Write writes the report: text (a table, then the users and plans of each subscription),
// CSV (a row per subscription, with the JSON field names as header; firstUsers and plansLost
// joined), or a report/v1 JSON document with the subscriptions under "expiring".
func (r *ExpiringReport) Write(w io.Writer, f Format) error {
	return sectioned{title: "Expiring subscriptions", json: r.writeJSON, csv: r.writeCSV, text: r.writeText}.write(w, f)
}

func (r *ExpiringReport) writeJSON(w io.Writer) error {
	return writeJSONDocument(w, struct {
		FormatVersion string `json:"formatVersion"`
		Report        string `json:"report"`
		TenantID      string `json:"tenantId"`
		*ExpiringReport
	}{FormatVersion, ReportExpiring, r.st.TenantID(), r})
}

func (r *ExpiringReport) writeCSV(w io.Writer) error {
	itoa := strconv.Itoa
	t := table[ExpiringRow]{
		csvHead: []string{"subscriptionId", "commerceSubscriptionId", "skuPartNumber", "skuId", "productName", "status", "nextStatus", "isTrial", "totalLicenses",
			"nextLifecycleDateTime", "daysLeft", "serviceLoss", "seatsAfter", "consumed", "shortfall", "userCount", "firstUsers", "plansLost", "plansLostFriendlyNames", "usersLosingService"},
		csv: func(x *ExpiringRow, c []string) {
			names, friendly := make([]string, len(x.PlansLost)), make([]string, len(x.PlansLost))
			for i, p := range x.PlansLost {
				names[i], friendly[i] = p.ServicePlanName, p.FriendlyName
			}
			c[0], c[1], c[2], c[3], c[4], c[5], c[6] = x.SubscriptionID, x.CommerceSubscriptionID, x.SkuPartNumber, x.SkuID.String(), safeCell(x.ProductName), x.Status, x.NextStatus
			c[7], c[8], c[9], c[10], c[11] = strconv.FormatBool(x.IsTrial), itoa(x.TotalLicenses), x.NextLifecycleDateTime, itoa(x.DaysLeft), x.ServiceLoss
			c[12], c[13], c[14], c[15], c[16] = itoa(x.SeatsAfter), itoa(x.Consumed), itoa(x.Shortfall), itoa(x.Users), joinList(x.FirstUsers)
			c[17], c[18], c[19] = joinList(names), safeCell(joinNames(friendly)), itoa(x.UsersLosingService)
		},
	}
	t.rows = slices.Values(r.Subscriptions)
	return t.writeCSV(w)
}

func (r *ExpiringReport) writeText(w io.Writer) error {
	itoa := strconv.Itoa
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Subscriptions whose next lifecycle date falls within %d days of %s", r.WithinDays, r.Now)
	if r.SubscriptionsUnknown {
		bw.WriteString(" (the snapshot has no subscriptions: they were not read)")
	}
	bw.WriteString(":\n\n")
	rows := [][]string{{"SKU", "SUBSCRIPTION", "TRIAL", "STATUS", "NEXT", "DATE", "DAYS", "SEATS", "SEATS AFTER", "CONSUMED", "SHORTFALL", "USERS"}}
	for _, x := range r.Subscriptions {
		trial := "no"
		if x.IsTrial {
			trial = "yes"
		}
		rows = append(rows, []string{skuNamed(r.names, x.SkuID, x.SkuPartNumber, x.ProductName), x.SubscriptionID, trial, x.Status, orDash(x.NextStatus),
			x.NextLifecycleDateTime[:10], itoa(x.DaysLeft), itoa(x.TotalLicenses), itoa(x.SeatsAfter), itoa(x.Consumed), itoa(x.Shortfall), itoa(x.Users)})
	}
	if len(rows) == 1 {
		rows[0] = []string{"(none)"}
	}
	alignedRows(bw, "", rows)
	for _, x := range r.Subscriptions {
		fmt.Fprintf(bw, "\n%s, subscription %s (%s on %s):\n", skuNamed(r.names, x.SkuID, x.SkuPartNumber, x.ProductName), x.SubscriptionID,
			orDash(x.NextStatus), x.NextLifecycleDateTime[:10])
		switch x.ServiceLoss {
		case LossAfterGracePeriod:
			bw.WriteString("  Users keep the service through the grace period that follows (30 days for most offers); renew before it ends.\n")
		case LossAtNextLifecycle:
			bw.WriteString("  The grace period ends: users lose the service on that date unless it is renewed.\n")
		default:
			bw.WriteString("  Its seats already give no service.\n")
		}
		if x.Shortfall > 0 {
			fmt.Fprintf(bw, "  %s than the %s left: free or buy %d, or move users first.\n", plural(x.Shortfall, "more holder"), plural(x.SeatsAfter, "seat"), x.Shortfall)
		}
		if x.Users > 0 {
			more := ""
			if x.Users > len(x.FirstUsers) {
				more = fmt.Sprintf(", and %d more", x.Users-len(x.FirstUsers))
			}
			fmt.Fprintf(bw, "  %s hold the SKU: %s%s.\n", plural(x.Users, "user"), strings.Join(x.FirstUsers, ", "), more)
		}
		if len(x.PlansLost) > 0 {
			fmt.Fprintf(bw, "  %s would lose plans only it gives them: %s.\n", plural(x.UsersLosingService, "user"), planRefsText(r.names, x.PlansLost, ", "))
		}
	}
	return bw.Flush()
}
