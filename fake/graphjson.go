package fake

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/licenseplan/licenseplan/internal/nonnil"
	"github.com/licenseplan/licenseplan/licensing"
)

// object is one Graph entity as JSON. encoding/json writes its keys sorted, so output is deterministic.
type object = map[string]any

// property is one property of a Graph entity type as the fake models it.
type property[T any] struct {
	name string
	get  func(T) any // absent: the object has no such property, and Graph leaves it out
	// selectOnly: returned only when $select names it (not for "*"), as Graph's signInActivity.
	selectOnly bool
}

// absentValue is what a property's get returns for a property Graph leaves out of the object
// rather than answering null (a user's signInActivity when no sign-in is recorded).
type absentValue struct{}

var absent any = absentValue{}

// entityType is a Graph entity type: its properties and the ones returned without $select.
type entityType[T any] struct {
	name     string // e.g. "microsoft.graph.user"
	props    []property[T]
	byLower  map[string]int
	defaults []string
}

func newEntityType[T any](name string, defaults []string, props ...property[T]) *entityType[T] {
	e := &entityType[T]{name: name, props: props, byLower: map[string]int{}, defaults: defaults}
	for i, p := range props {
		e.byLower[strings.ToLower(p.name)] = i
	}
	return e
}

// render returns the entity with the selected properties (Graph's default set when sel is nil).
// $select is case-insensitive; an unknown property is Graph's 400.
func (e *entityType[T]) render(v T, sel []string) (object, *licensing.Error) {
	if sel == nil {
		sel = e.defaults
	}
	out := make(object, len(sel)+1)
	for _, name := range sel {
		if name == "*" {
			for _, p := range e.props {
				if !p.selectOnly {
					put(out, p, v)
				}
			}
			continue
		}
		i, ok := e.byLower[strings.ToLower(name)]
		if !ok {
			return nil, errInvalidQuery(fmt.Sprintf("Could not find a property named '%s' on type '%s'.", name, e.name))
		}
		put(out, e.props[i], v)
	}
	if _, ok := out["id"]; !ok {
		if i, ok := e.byLower["id"]; ok {
			out["id"] = e.props[i].get(v) // Graph always returns the key
		}
	}
	return out, nil
}

// put sets property p of v in out, unless v does not have it.
func put[T any](out object, p property[T], v T) {
	if x := p.get(v); x != absent {
		out[p.name] = x
	}
}

// selected reports whether sel names the property (case-insensitively, as Graph reads $select).
func selected(sel []string, name string) bool {
	for _, s := range sel {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

func nullProps[T any](names ...string) []property[T] {
	out := make([]property[T], len(names))
	for i, n := range names {
		out[i] = property[T]{name: n, get: func(T) any { return nil }}
	}
	return out
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

func boolOrNull(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func strOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// userView is a user read under the tenant's lock.
type userView struct {
	t *Tenant
	u *user
}

func (t *Tenant) userType() *entityType[userView] {
	props := []property[userView]{
		{name: "id", get: func(v userView) any { return v.u.data.ID }},
		{name: "userPrincipalName", get: func(v userView) any { return strOrNull(v.u.data.UserPrincipalName) }},
		{name: "displayName", get: func(v userView) any { return strOrNull(v.u.data.DisplayName) }},
		{name: "accountEnabled", get: func(v userView) any {
			if v.u.data.AccountEnabled == nil {
				return nil
			}
			return *v.u.data.AccountEnabled
		}},
		{name: "usageLocation", get: func(v userView) any { return strOrNull(v.u.usage) }},
		{name: "department", get: func(v userView) any { return strOrNull(v.u.data.Department) }},
		{name: "jobTitle", get: func(v userView) any { return strOrNull(v.u.data.JobTitle) }},
		{name: "onPremisesExtensionAttributes", get: func(v userView) any {
			out := object{}
			for i := 1; i <= 15; i++ {
				k := fmt.Sprintf("extensionAttribute%d", i)
				out[k] = strOrNull(v.u.data.OnPremisesExtensionAttributes[k])
			}
			return out
		}},
		{name: "assignedLicenses", get: func(v userView) any { return v.t.assignedLicenses(v.u.paths) }},
		{name: "licenseAssignmentStates", get: func(v userView) any {
			out := make([]licensing.LicenseAssignmentState, len(v.u.paths))
			for i, p := range v.u.paths {
				out[i] = v.t.exportPath(p)
			}
			return out
		}},
		{name: "businessPhones", get: func(userView) any { return []string{} }},
		{name: "otherMails", get: func(userView) any { return []string{} }},
		{name: "proxyAddresses", get: func(userView) any { return []string{} }},
		// The lifecycle properties as the snapshot has them; null where it has none.
		{name: "userType", get: func(v userView) any { return strOrNull(v.u.data.UserType) }},
		{name: "createdDateTime", get: func(v userView) any { return strOrNull(v.u.data.CreatedDateTime) }},
		{name: "signInActivity", get: func(v userView) any { return signInActivity(v.u.data.SignInActivity) }, selectOnly: true},
	}
	props = append(props, nullProps[userView]("givenName", "surname", "mail", "mobilePhone", "officeLocation",
		"preferredLanguage", "city", "country", "companyName", "employeeId", "mailNickname",
		"onPremisesSyncEnabled", "onPremisesImmutableId", "state", "streetAddress", "postalCode")...)
	defaults := []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
		"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}
	return newEntityType("microsoft.graph.user", defaults, props...)
}

// signInActivity is Graph's signInActivity of a user: left out when the snapshot records none
// (Graph does not return it for a user who never signed in), else each time or null. The fake
// keeps no request ids: they are null.
func signInActivity(a *licensing.SignInActivity) any {
	if a == nil {
		return absent
	}
	return object{
		"lastSignInDateTime":                strOrNull(a.LastSignInDateTime),
		"lastSignInRequestId":               nil,
		"lastNonInteractiveSignInDateTime":  strOrNull(a.LastNonInteractiveSignInDateTime),
		"lastNonInteractiveSignInRequestId": nil,
		"lastSuccessfulSignInDateTime":      strOrNull(a.LastSuccessfulSignInDateTime),
		"lastSuccessfulSignInRequestId":     nil,
	}
}

type groupView struct {
	t *Tenant
	g *group
}

func (t *Tenant) groupType() *entityType[groupView] {
	props := []property[groupView]{
		{name: "id", get: func(v groupView) any { return v.g.data.ID }},
		{name: "displayName", get: func(v groupView) any { return strOrNull(v.g.data.DisplayName) }},
		// The kind fields as the snapshot has them; one it lacks reads as a plain security
		// group's (groupTypes [], mailEnabled false, securityEnabled true), or null.
		{name: "groupTypes", get: func(v groupView) any { return nonnil.Slice(v.g.data.GroupTypes) }},
		{name: "mailEnabled", get: func(v groupView) any { return boolOr(v.g.data.MailEnabled, false) }},
		{name: "securityEnabled", get: func(v groupView) any { return !v.g.data.Kind().NotSecurity }},
		{name: "membershipRule", get: func(v groupView) any { return strOrNull(v.g.data.MembershipRule) }},
		{name: "membershipRuleProcessingState", get: func(v groupView) any { return strOrNull(v.g.data.MembershipRuleProcessingState) }},
		{name: "onPremisesSyncEnabled", get: func(v groupView) any { return boolOrNull(v.g.data.OnPremisesSyncEnabled) }},
		{name: "mailNickname", get: func(v groupView) any { return strings.ReplaceAll(v.g.data.DisplayName, " ", "") }},
		{name: "assignedLicenses", get: func(v groupView) any { return v.t.exportGroupLicenses(v.g) }},
		{name: "licenseProcessingState", get: func(v groupView) any { return object{"state": v.g.processing} }},
		{name: "hasMembersWithLicenseErrors", get: func(v groupView) any { return v.t.hasMemberErrors(v.g) }},
		{name: "proxyAddresses", get: func(groupView) any { return []string{} }},
	}
	props = append(props, nullProps[groupView]("description", "mail", "createdDateTime", "deletedDateTime",
		"classification", "visibility", "securityIdentifier", "renewedDateTime", "expirationDateTime")...)
	defaults := []string{"id", "deletedDateTime", "classification", "createdDateTime", "description", "displayName",
		"expirationDateTime", "groupTypes", "mail", "mailEnabled", "mailNickname", "membershipRule",
		"membershipRuleProcessingState", "onPremisesSyncEnabled", "proxyAddresses", "renewedDateTime",
		"securityEnabled", "securityIdentifier", "visibility"}
	return newEntityType("microsoft.graph.group", defaults, props...)
}

func (t *Tenant) skuType() *entityType[licensing.SubscribedSku] {
	props := []property[licensing.SubscribedSku]{
		{name: "id", get: func(k licensing.SubscribedSku) any { return k.ID }},
		{name: "accountId", get: func(k licensing.SubscribedSku) any { return strOrNull(k.AccountID) }},
		{name: "accountName", get: func(k licensing.SubscribedSku) any { return strOrNull(k.AccountName) }},
		{name: "skuId", get: func(k licensing.SubscribedSku) any { return k.SkuID }},
		{name: "skuPartNumber", get: func(k licensing.SubscribedSku) any { return k.SkuPartNumber }},
		{name: "appliesTo", get: func(k licensing.SubscribedSku) any { return k.AppliesTo }},
		{name: "capabilityStatus", get: func(k licensing.SubscribedSku) any { return k.CapabilityStatus }},
		{name: "consumedUnits", get: func(k licensing.SubscribedSku) any { return k.ConsumedUnits }},
		{name: "prepaidUnits", get: func(k licensing.SubscribedSku) any { return k.PrepaidUnits }},
		{name: "servicePlans", get: func(k licensing.SubscribedSku) any {
			out := make([]licensing.ServicePlanInfo, len(k.ServicePlans))
			for i, p := range k.ServicePlans {
				if p.AppliesTo == "" {
					p.AppliesTo = "User"
				}
				if p.ProvisioningStatus == "" {
					p.ProvisioningStatus = "Success"
				}
				out[i] = p
			}
			return out
		}},
		{name: "subscriptionIds", get: func(k licensing.SubscribedSku) any {
			if k.SubscriptionIDs == nil {
				return []string{}
			}
			return k.SubscriptionIDs
		}},
	}
	defaults := make([]string, len(props))
	for i, p := range props {
		defaults[i] = p.name
	}
	return newEntityType("microsoft.graph.subscribedSku", defaults, props...)
}

// subscriptionView is a companySubscription read under the tenant's lock.
type subscriptionView struct {
	t *Tenant
	c licensing.CompanySubscription
}

// subscriptionType is Graph's companySubscription (GET /directory/subscriptions): the snapshot's
// properties, serviceStatus from the SKU's service plans when the tenant subscribes to it
// (else []), and the owner properties null. Every property is returned by default.
func (t *Tenant) subscriptionType() *entityType[subscriptionView] {
	props := []property[subscriptionView]{
		{name: "id", get: func(v subscriptionView) any { return v.c.ID }},
		{name: "commerceSubscriptionId", get: func(v subscriptionView) any { return strOrNull(v.c.CommerceSubscriptionID) }},
		{name: "createdDateTime", get: func(v subscriptionView) any { return strOrNull(v.c.CreatedDateTime) }},
		{name: "isTrial", get: func(v subscriptionView) any { return v.c.IsTrial }},
		{name: "nextLifecycleDateTime", get: func(v subscriptionView) any { return strOrNull(v.c.NextLifecycleDateTime) }},
		{name: "serviceStatus", get: func(v subscriptionView) any {
			out := []object{}
			if i, ok := v.t.skuByID[v.c.SkuID]; ok {
				for _, p := range v.t.skus[i].info.ServicePlans {
					applies, status := p.AppliesTo, p.ProvisioningStatus
					if applies == "" {
						applies = "User"
					}
					if status == "" {
						status = "Success"
					}
					out = append(out, object{"servicePlanId": p.ServicePlanID, "servicePlanName": p.ServicePlanName, "provisioningStatus": status, "appliesTo": applies})
				}
			}
			return out
		}},
		{name: "skuId", get: func(v subscriptionView) any { return v.c.SkuID }},
		{name: "skuPartNumber", get: func(v subscriptionView) any { return strOrNull(v.c.SkuPartNumber) }},
		{name: "status", get: func(v subscriptionView) any { return strOrNull(v.c.Status) }},
		{name: "totalLicenses", get: func(v subscriptionView) any { return v.c.TotalLicenses }},
	}
	props = append(props, nullProps[subscriptionView]("ownerId", "ownerTenantId", "ownerType")...)
	defaults := make([]string, len(props))
	for i, p := range props {
		defaults[i] = p.name
	}
	return newEntityType("microsoft.graph.companySubscription", defaults, props...)
}

// licenseDetails is Graph's licenseDetails of a user: one entry per SKU with an active path,
// every plan of the SKU with provisioningStatus Success (enabled) or Disabled.
func (t *Tenant) licenseDetails(u *user) []object {
	out := []object{}
	for _, l := range t.assignedLicenses(u.paths) {
		s := t.skus[t.skuByID[l.SkuID]]
		off := t.cat.PlanSetOf(l.DisabledPlans)
		plans := make([]object, 0, len(s.info.ServicePlans))
		for _, p := range s.info.ServicePlans {
			status := "Success"
			if x, ok := t.cat.PlanIndex(p.ServicePlanID); ok && off.Has(x) {
				status = "Disabled"
			}
			applies := p.AppliesTo
			if applies == "" {
				applies = "User"
			}
			plans = append(plans, object{"servicePlanId": p.ServicePlanID, "servicePlanName": p.ServicePlanName,
				"provisioningStatus": status, "appliesTo": applies})
		}
		out = append(out, object{
			"id":            licenseDetailsID(u.data.ID, l.SkuID),
			"skuId":         l.SkuID,
			"skuPartNumber": s.info.SkuPartNumber,
			"servicePlans":  plans,
		})
	}
	return out
}

// licenseDetailsID makes an opaque id shaped like Graph's: base64url of the user and SKU GUIDs.
func licenseDetailsID(userID string, s licensing.SkuID) string {
	b := []byte(userID)
	if g, err := licensing.ParseGUID(userID); err == nil {
		b = g[:]
	}
	return base64.RawURLEncoding.EncodeToString(append(b, s[:]...))
}
