package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
)

// expiryWindowDays is how far after the snapshot's readAt a subscription's lapse is warned of.
const expiryWindowDays = 30

// subscriptionExpiring is the kind of the warning expiryChecks gives.
const subscriptionExpiring = licensing.SubscriptionExpiring

// expiryChecks warns, once per SKU, when a step assigns a SKU (a user's or a group's
// assignLicense adding it) whose seats shrink below the plan's consumption within
// expiryWindowDays of the snapshot's readAt: the SKU's company subscriptions whose
// nextLifecycleDateTime falls in the window lapse, and the seats left (prepaidUnits.enabled +
// warning, less those subscriptions' totalLicenses) are fewer than the seats consumed after the
// plan. The model is report.Expiring's: an Enabled subscription moving to Warning keeps its
// seats through the grace period but is counted as lost (the loss comes when the grace period
// ends, unless it is renewed), a Warning one moving to Suspended loses them on the date, and a
// Suspended, Deleted or LockedOut one gives no seats already (nothing more to subtract). Tenants
// without subscriptions (not read) or without readAt get no warning. The warning names the
// first step that assigns the SKU; SKUs come in the order of those steps.
func (b *builder) expiryChecks() {
	subs, ok := b.before.CompanySubscriptions()
	if !ok || len(subs) == 0 {
		return
	}
	readAt, err := time.Parse(time.RFC3339, b.before.ReadAt())
	if err != nil {
		return
	}
	end := readAt.AddDate(0, 0, expiryWindowDays)
	var order []licensing.SkuID
	first := map[licensing.SkuID]*stepSlot{}
	var last *licensing.AssignedLicense // steps share their bodies: each is read once in a row
	for _, s := range b.steps {
		if s.Action != AssignLicense || len(s.AddLicenses) == 0 || &s.AddLicenses[0] == last {
			continue
		}
		last = &s.AddLicenses[0]
		for _, a := range s.AddLicenses {
			if _, seen := first[a.SkuID]; !seen {
				first[a.SkuID] = s
				order = append(order, a.SkuID)
			}
		}
	}
	if len(order) == 0 {
		return
	}
	type lapse struct {
		ids      []string
		when     time.Time
		licenses int
	}
	lapses := map[licensing.SkuID]*lapse{}
	for _, cs := range subs {
		if _, assigned := first[cs.SkuID]; !assigned {
			continue
		}
		t, ok := cs.NextLifecycle()
		if !ok || t.Before(readAt) || t.After(end) {
			continue
		}
		switch strings.ToLower(cs.Status) {
		case "enabled", "warning":
		default:
			continue // its seats already give no service: the SKU's seats do not count them
		}
		l := lapses[cs.SkuID]
		if l == nil {
			l = &lapse{when: t}
			lapses[cs.SkuID] = l
		}
		l.ids = append(l.ids, cs.ID)
		l.when = minTime(l.when, t)
		l.licenses += cs.TotalLicenses
	}
	before, after := b.before.Subscriptions(), b.w.Subscriptions()
	for _, sku := range order {
		l := lapses[sku]
		if l == nil {
			continue
		}
		i := subscriptionIndex(before, sku)
		if i < 0 {
			continue
		}
		seatsAfter := max(0, before[i].Seats()-l.licenses)
		consumed := after[i].Consumed
		if seatsAfter >= consumed {
			continue
		}
		what := "subscription " + l.ids[0]
		if len(l.ids) > 1 {
			what = "subscriptions " + strings.Join(l.ids, ", ")
		}
		b.stepProblem(first[sku], Problem{Kind: subscriptionExpiring, Severity: SeverityWarning, SkuID: sku,
			Message: fmt.Sprintf("%s: %s reaches its next lifecycle date on %s (within %d days of the snapshot): the SKU then keeps %d seats, fewer than the %d this plan leaves consumed; renew it or buy seats before the grace period ends — report expiring says which users to move first",
				b.cat.SkuNamed(sku, licensing.NamesBoth), what, l.when.UTC().Format("2006-01-02"), expiryWindowDays, seatsAfter, consumed)})
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func subscriptionIndex(subs []*licensing.Subscription, sku licensing.SkuID) int {
	for i, s := range subs {
		if s.Sku.ID == sku {
			return i
		}
	}
	return -1
}
