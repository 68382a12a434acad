package fake

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// object is one Graph entity as JSON. encoding/json writes its keys sorted, so output is deterministic.
type object = map[string]any

// property is one property of a Graph entity type as the fake models it.
type property[T any] struct {
	name string
	get  func(T) any
}

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
				out[p.name] = p.get(v)
			}
			continue
		}
		i, ok := e.byLower[strings.ToLower(name)]
		if !ok {
			return nil, errInvalidQuery(fmt.Sprintf("Could not find a property named '%s' on type '%s'.", name, e.name))
		}
		out[e.props[i].name] = e.props[i].get(v)
	}
	if _, ok := out["id"]; !ok {
		if i, ok := e.byLower["id"]; ok {
			out["id"] = e.props[i].get(v) // Graph always returns the key
		}
	}
	return out, nil
}

func nullProps[T any](names ...string) []property[T] {
	out := make([]property[T], len(names))
	for i, n := range names {
		out[i] = property[T]{name: n, get: func(T) any { return nil }}
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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
		{"id", func(v userView) any { return v.u.data.ID }},
		{"userPrincipalName", func(v userView) any { return strOrNull(v.u.data.UserPrincipalName) }},
		{"displayName", func(v userView) any { return strOrNull(v.u.data.DisplayName) }},
		{"accountEnabled", func(v userView) any {
			if v.u.data.AccountEnabled == nil {
				return nil
			}
			return *v.u.data.AccountEnabled
		}},
		{"usageLocation", func(v userView) any { return strOrNull(v.u.usage) }},
		{"department", func(v userView) any { return strOrNull(v.u.data.Department) }},
		{"jobTitle", func(v userView) any { return strOrNull(v.u.data.JobTitle) }},
		{"onPremisesExtensionAttributes", func(v userView) any {
			out := object{}
			for i := 1; i <= 15; i++ {
				k := fmt.Sprintf("extensionAttribute%d", i)
				out[k] = strOrNull(v.u.data.OnPremisesExtensionAttributes[k])
			}
			return out
		}},
		{"assignedLicenses", func(v userView) any { return v.t.assignedLicenses(v.u.paths) }},
		{"licenseAssignmentStates", func(v userView) any {
			out := make([]licensing.LicenseAssignmentState, len(v.u.paths))
			for i, p := range v.u.paths {
				out[i] = v.t.exportPath(p)
			}
			return out
		}},
		{"businessPhones", func(userView) any { return []string{} }},
		{"otherMails", func(userView) any { return []string{} }},
		{"proxyAddresses", func(userView) any { return []string{} }},
		{"userType", func(userView) any { return "Member" }},
	}
	props = append(props, nullProps[userView]("givenName", "surname", "mail", "mobilePhone", "officeLocation",
		"preferredLanguage", "city", "country", "companyName", "employeeId", "mailNickname", "createdDateTime",
		"onPremisesSyncEnabled", "onPremisesImmutableId", "state", "streetAddress", "postalCode")...)
	defaults := []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
		"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}
	return newEntityType("microsoft.graph.user", defaults, props...)
}

type groupView struct {
	t *Tenant
	g *group
}

func (t *Tenant) groupType() *entityType[groupView] {
	props := []property[groupView]{
		{"id", func(v groupView) any { return v.g.data.ID }},
		{"displayName", func(v groupView) any { return strOrNull(v.g.data.DisplayName) }},
		// The kind fields as the snapshot has them; one it lacks reads as a plain security
		// group's (groupTypes [], mailEnabled false, securityEnabled true), or null.
		{"groupTypes", func(v groupView) any { return nonNilStrings(v.g.data.GroupTypes) }},
		{"mailEnabled", func(v groupView) any { return boolOr(v.g.data.MailEnabled, false) }},
		{"securityEnabled", func(v groupView) any { return !v.g.data.Kind().NotSecurity }},
		{"membershipRule", func(v groupView) any { return strOrNull(v.g.data.MembershipRule) }},
		{"membershipRuleProcessingState", func(v groupView) any { return strOrNull(v.g.data.MembershipRuleProcessingState) }},
		{"onPremisesSyncEnabled", func(v groupView) any { return boolOrNull(v.g.data.OnPremisesSyncEnabled) }},
		{"mailNickname", func(v groupView) any { return strings.ReplaceAll(v.g.data.DisplayName, " ", "") }},
		{"assignedLicenses", func(v groupView) any { return v.t.exportGroupLicenses(v.g) }},
		{"licenseProcessingState", func(v groupView) any { return object{"state": v.g.processing} }},
		{"hasMembersWithLicenseErrors", func(v groupView) any { return v.t.hasMemberErrors(v.g) }},
		{"proxyAddresses", func(groupView) any { return []string{} }},
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
		{"id", func(k licensing.SubscribedSku) any { return k.ID }},
		{"accountId", func(k licensing.SubscribedSku) any { return strOrNull(k.AccountID) }},
		{"accountName", func(k licensing.SubscribedSku) any { return strOrNull(k.AccountName) }},
		{"skuId", func(k licensing.SubscribedSku) any { return k.SkuID }},
		{"skuPartNumber", func(k licensing.SubscribedSku) any { return k.SkuPartNumber }},
		{"appliesTo", func(k licensing.SubscribedSku) any { return k.AppliesTo }},
		{"capabilityStatus", func(k licensing.SubscribedSku) any { return k.CapabilityStatus }},
		{"consumedUnits", func(k licensing.SubscribedSku) any { return k.ConsumedUnits }},
		{"prepaidUnits", func(k licensing.SubscribedSku) any { return k.PrepaidUnits }},
		{"servicePlans", func(k licensing.SubscribedSku) any {
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
		{"subscriptionIds", func(k licensing.SubscribedSku) any {
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
