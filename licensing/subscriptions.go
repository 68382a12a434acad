package licensing

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// CompanySubscription is Graph's companySubscription, one commercial subscription of the tenant
// as GET /directory/subscriptions lists it, with the properties tenant/v1 keeps
// (https://learn.microsoft.com/graph/api/resources/companysubscription; ownerId, ownerTenantId,
// ownerType and serviceStatus are not kept). Several subscriptions may feed the seats of one
// SKU: subscribedSkus has the seats, the subscriptions say where they come from and when they
// lapse.
type CompanySubscription struct {
	// ID is the subscription's id in the directory.
	ID string `json:"id"`
	// CommerceSubscriptionID is its id in the commerce system (an alternate key).
	CommerceSubscriptionID string `json:"commerceSubscriptionId,omitempty"`
	// SkuID and SkuPartNumber are the SKU it is a subscription of.
	SkuID         SkuID  `json:"skuId"`
	SkuPartNumber string `json:"skuPartNumber,omitempty"`
	// Status is Enabled, Warning, Suspended, Deleted or LockedOut (Graph also documents Expired);
	// other values are kept as they are.
	Status string `json:"status,omitempty"`
	// TotalLicenses is the number of licenses (seats) the subscription includes.
	TotalLicenses int `json:"totalLicenses"`
	// IsTrial is true for a free trial, false for a purchased subscription.
	IsTrial bool `json:"isTrial"`
	// CreatedDateTime is when the subscription was created (RFC 3339), "" when Graph did not say.
	CreatedDateTime string `json:"createdDateTime,omitempty"`
	// NextLifecycleDateTime is when the subscription moves to its next state (as Status defines
	// it: an Enabled one to Warning, a Warning one to Suspended, …) unless it is renewed (RFC
	// 3339), "" when Graph did not say.
	NextLifecycleDateTime string `json:"nextLifecycleDateTime,omitempty"`
}

// The subscription statuses Graph documents for companySubscription.
const (
	SubscriptionEnabled   = "Enabled"
	SubscriptionWarning   = "Warning"
	SubscriptionSuspended = "Suspended"
	SubscriptionDeleted   = "Deleted"
	SubscriptionLockedOut = "LockedOut"
	SubscriptionExpired   = "Expired"
)

// NextLifecycle returns NextLifecycleDateTime as a time, and false when there is none.
func (c *CompanySubscription) NextLifecycle() (time.Time, bool) {
	return ParseDateTime(c.NextLifecycleDateTime)
}

// label names the subscription in errors.
func (c *CompanySubscription) label(i int) string {
	if c.SkuPartNumber != "" {
		return fmt.Sprintf("subscriptions[%d] (%s)", i, c.SkuPartNumber)
	}
	return fmt.Sprintf("subscriptions[%d]", i)
}

// checkSubscriptions is Validate's check of the subscriptions: each has an id (unique, in any
// case) and a skuId, totalLicenses ≥ 0, and RFC 3339 times. A skuId that subscribedSkus does not
// list is allowed.
func checkSubscriptions(subs []CompanySubscription) error {
	seen := make(map[string]int, len(subs))
	for i := range subs {
		c := &subs[i]
		where := c.label(i)
		if c.ID == "" {
			return errorf(InvalidInput, "%s has no id", where)
		}
		if j, dup := seen[strings.ToLower(c.ID)]; dup {
			return errorf(InvalidInput, "%s: subscription id %s appears twice (also subscriptions[%d])", where, c.ID, j)
		}
		seen[strings.ToLower(c.ID)] = i
		if c.SkuID.IsZero() {
			return errorf(InvalidInput, "%s, id %s, has no skuId", where, c.ID)
		}
		if c.TotalLicenses < 0 {
			return errorf(InvalidInput, "%s: totalLicenses is %d, want 0 or more", where, c.TotalLicenses)
		}
		if err := checkDateTime(func() string { return where }, "createdDateTime", c.CreatedDateTime); err != nil {
			return err
		}
		if err := checkDateTime(func() string { return where }, "nextLifecycleDateTime", c.NextLifecycleDateTime); err != nil {
			return err
		}
	}
	return nil
}

// CompanySubscriptions returns the snapshot's subscriptions (Snapshot.Subscriptions, a copy) in
// snapshot order, and whether the snapshot has them: false when they were not read, which means
// unknown (not "none").
func (s *State) CompanySubscriptions() ([]CompanySubscription, bool) {
	if s.header.subscriptions == nil {
		return nil, false
	}
	return slices.Clone(s.header.subscriptions), true
}

// SignInActivityUnknown reports whether the snapshot could not read the users' sign-in activity
// (Snapshot.SignInActivityUnknown): then no user's User.SignInActivity is known.
func (s *State) SignInActivityUnknown() bool { return s.header.signInUnknown }
