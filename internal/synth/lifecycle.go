package synth

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
)

// DefaultReadAt is a lifecycle tenant's readAt unless Options.ReadAt says otherwise.
var DefaultReadAt = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

// The kinds of user a lifecycle tenant has, and the share of each (per thousand users; the
// rest are active members). Users 1 to 5 are one of each, so that a small tenant has them all.
const (
	activeMember = iota
	disabledUser // a leaver: accountEnabled false, last signed in 30 to 400 days before readAt
	idleUser     // enabled, last signed in 90 to 540 days before readAt
	neverSignedIn
	activeGuest
	idleGuest
)

var kindPerMille = [...]int{disabledUser: 30, idleUser: 60, neverSignedIn: 15, activeGuest: 25, idleGuest: 15}

// Guests come from these domains.
var guestDomains = []string{"fabrikam.example", "contoso-partners.example", "gmail.example", "northwind.example"}

// rfc3339 formats a time as Graph does: UTC, whole seconds.
func rfc3339(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// ago is readAt minus a random time between lo and hi days (to the second).
func ago(r *rand.Rand, at time.Time, lo, hi int) time.Time {
	span := time.Duration(hi-lo) * 24 * time.Hour
	return at.Add(-time.Duration(lo)*24*time.Hour - time.Duration(r.Int64N(int64(span)+1)))
}

// addLifecycle gives snap's users their lifecycle fields and snap its readAt and subscriptions,
// from a random stream of their own.
func addLifecycle(snap *licensing.Snapshot, o Options) {
	at := o.ReadAt
	if at.IsZero() {
		at = DefaultReadAt
	}
	at = at.UTC().Truncate(time.Second)
	snap.ReadAt = rfc3339(at)
	r := rand.New(rand.NewPCG(o.Seed, 0x11fec7c1e))
	no := false
	for i := range snap.Users {
		u := &snap.Users[i]
		kind := activeMember
		if i >= 1 && i <= 5 {
			kind = i
		} else {
			roll := r.IntN(1000)
			for k, share := range kindPerMille {
				if roll < share {
					kind = k
					break
				}
				roll -= share
			}
		}
		u.UserType = licensing.UserTypeMember
		created := ago(r, at, 30, 6*365)
		a := &licensing.SignInActivity{}
		active := func() {
			last := ago(r, at, 0, 30)
			a.LastSignInDateTime = rfc3339(last)
			a.LastNonInteractiveSignInDateTime = rfc3339(ago(r, at, 0, 3))
			if r.IntN(20) != 0 { // a few users' last attempt failed: their last success is older
				a.LastSuccessfulSignInDateTime = a.LastNonInteractiveSignInDateTime
			} else {
				a.LastSuccessfulSignInDateTime = rfc3339(last.Add(-time.Duration(1+r.IntN(72)) * time.Hour))
			}
		}
		idle := func(lo, hi int) {
			last := ago(r, at, lo, hi)
			if last.Before(created) {
				created = last.Add(-time.Duration(1+r.IntN(400)) * 24 * time.Hour)
			}
			a.LastSignInDateTime = rfc3339(last)
			if r.IntN(2) == 0 {
				a.LastNonInteractiveSignInDateTime = rfc3339(last.Add(time.Duration(r.IntN(48)) * time.Hour))
			}
			if last.After(time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC)) { // Graph has no earlier successes
				a.LastSuccessfulSignInDateTime = a.LastSignInDateTime
			}
		}
		switch kind {
		case activeMember, activeGuest:
			active()
		case disabledUser:
			u.AccountEnabled = &no
			idle(30, 400)
		case idleUser, idleGuest:
			idle(90, 540)
		case neverSignedIn: // signInActivity {}: read, nothing recorded (often a recent account)
			if r.IntN(2) == 0 {
				created = ago(r, at, 0, 30)
			}
		}
		if kind == activeGuest || kind == idleGuest {
			u.UserType = licensing.UserTypeGuest
			u.UserPrincipalName = fmt.Sprintf("guest%07d_%s#EXT#@synth.example", i+1, guestDomains[r.IntN(len(guestDomains))])
			u.JobTitle = ""
		}
		u.CreatedDateTime = rfc3339(created)
		u.SignInActivity = a
	}
	addSubscriptions(snap, r, at)
}

// addSubscriptions gives every SKU a paid yearly subscription renewing 31 to 365 days after
// readAt, except Office 365 E3, whose seats come from two (the second renews 12 days after
// readAt), and Workplace Analytics, a trial ending 9 days after readAt. The seats of each SKU's
// subscriptions add up to its prepaid enabled units, and subscribedSkus list their ids.
func addSubscriptions(snap *licensing.Snapshot, r *rand.Rand, at time.Time) {
	snap.Subscriptions = []licensing.CompanySubscription{}
	day := 24 * time.Hour
	for i := range snap.SubscribedSkus {
		k := &snap.SubscribedSkus[i]
		seats := k.PrepaidUnits.Enabled
		sub := func(total int, trial bool, created, next time.Time) {
			c := licensing.CompanySubscription{ID: guid(r), CommerceSubscriptionID: guid(r), SkuID: k.SkuID, SkuPartNumber: k.SkuPartNumber,
				Status: licensing.SubscriptionEnabled, TotalLicenses: total, IsTrial: trial, CreatedDateTime: rfc3339(created), NextLifecycleDateTime: rfc3339(next)}
			snap.Subscriptions = append(snap.Subscriptions, c)
			k.SubscriptionIDs = append(k.SubscriptionIDs, c.ID)
		}
		// A yearly subscription renews on the anniversary of its creation.
		yearly := func(total, lo, hi int) {
			next := at.Add(time.Duration(lo)*day + time.Duration(r.Int64N(int64(time.Duration(hi-lo)*day)))).Truncate(day)
			sub(total, false, next.AddDate(-1-r.IntN(3), 0, 0), next)
		}
		switch k.SkuPartNumber {
		case "ENTERPRISEPACK":
			extra := max(1, seats/10)
			yearly(seats-extra, 31, 365)
			yearly(extra, 12, 13) // renewing within 30 days
		case "WORKPLACE_ANALYTICS":
			sub(seats, true, at.Add(-21*day).Truncate(day), at.Add(9*day).Truncate(day)) // a trial ending soon
		default:
			yearly(seats, 31, 365)
		}
	}
}
