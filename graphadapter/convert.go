package graphadapter

import (
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/licenseplan/licenseplan/licensing"
)

// Conversions between the SDK's models and tenant/v1. Graph's field names are kept; absent
// strings become "", absent lists become empty lists (never nil where tenant/v1 writes []).

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(p *int32) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

func skuFromModel(m models.SubscribedSkuable) (licensing.SubscribedSku, error) {
	k := licensing.SubscribedSku{
		ID:               str(m.GetId()),
		AccountID:        str(m.GetAccountId()),
		AccountName:      str(m.GetAccountName()),
		SkuPartNumber:    str(m.GetSkuPartNumber()),
		AppliesTo:        str(m.GetAppliesTo()),
		CapabilityStatus: str(m.GetCapabilityStatus()),
		ConsumedUnits:    num(m.GetConsumedUnits()),
		ServicePlans:     []licensing.ServicePlanInfo{},
		SubscriptionIDs:  m.GetSubscriptionIds(),
	}
	if id := m.GetSkuId(); id != nil {
		k.SkuID = licensing.SkuID(*id)
	} else {
		return k, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("Graph listed subscribedSku %q (%s) without a skuId", k.ID, k.SkuPartNumber)}
	}
	if p := m.GetPrepaidUnits(); p != nil {
		k.PrepaidUnits = licensing.PrepaidUnits{
			Enabled:   num(p.GetEnabled()),
			Suspended: num(p.GetSuspended()),
			Warning:   num(p.GetWarning()),
			LockedOut: num(p.GetLockedOut()),
		}
	}
	for _, sp := range m.GetServicePlans() {
		if sp == nil {
			continue
		}
		info := licensing.ServicePlanInfo{
			ServicePlanName:    str(sp.GetServicePlanName()),
			AppliesTo:          str(sp.GetAppliesTo()),
			ProvisioningStatus: str(sp.GetProvisioningStatus()),
		}
		if id := sp.GetServicePlanId(); id != nil {
			info.ServicePlanID = licensing.PlanID(*id)
		}
		k.ServicePlans = append(k.ServicePlans, info)
	}
	return k, nil
}

func userFromModel(m models.Userable) (licensing.User, error) {
	u := licensing.User{
		ID:                str(m.GetId()),
		UserPrincipalName: str(m.GetUserPrincipalName()),
		DisplayName:       str(m.GetDisplayName()),
		AccountEnabled:    m.GetAccountEnabled(),
		UserType:          str(m.GetUserType()),
		CreatedDateTime:   dateTime(m.GetCreatedDateTime()),
		SignInActivity:    signInActivityFromModel(m.GetSignInActivity()),
		UsageLocation:     str(m.GetUsageLocation()),
		Department:        str(m.GetDepartment()),
		JobTitle:          str(m.GetJobTitle()),
	}
	if u.ID == "" {
		return u, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("Graph listed a user (%q) without an id", u.UserPrincipalName)}
	}
	u.OnPremisesExtensionAttributes = extensionAttributes(m.GetOnPremisesExtensionAttributes())
	var err error
	if u.AssignedLicenses, err = licensesFromModels(m.GetAssignedLicenses(), "user "+u.ID); err != nil {
		return u, err
	}
	// No paths reads as nil, as a tenant/v1 file reads back (the field is omitted when empty).
	if states := m.GetLicenseAssignmentStates(); len(states) > 0 {
		u.LicenseAssignmentStates = make([]licensing.LicenseAssignmentState, 0, len(states))
		for _, s := range states {
			if s == nil {
				continue
			}
			st := licensing.LicenseAssignmentState{
				DisabledPlans:   plansFromUUIDs(s.GetDisabledPlans()),
				AssignedByGroup: s.GetAssignedByGroup(),
				State:           str(s.GetState()),
				Error:           str(s.GetError()),
			}
			if id := s.GetSkuId(); id != nil {
				st.SkuID = licensing.SkuID(*id)
			} else {
				return u, &licensing.Error{Kind: licensing.InvalidInput, Target: licensing.Target{Type: licensing.TargetUser, ID: u.ID}, Message: fmt.Sprintf("Graph listed a licenseAssignmentState of user %s without a skuId", u.ID)}
			}
			if t := s.GetLastUpdatedDateTime(); t != nil {
				st.LastUpdatedDateTime = t.UTC().Format(time.RFC3339Nano)
			}
			u.LicenseAssignmentStates = append(u.LicenseAssignmentStates, st)
		}
	}
	return u, nil
}

// dateTime formats one of Graph's DateTimeOffsets as tenant/v1 keeps it (RFC 3339, UTC): "" for
// none, and for Graph's placeholder for none, 0001-01-01T00:00:00Z (signInActivity has it for a
// kind of sign-in never recorded).
func dateTime(t *time.Time) string {
	if t == nil || t.Year() <= 1 {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// signInActivityFromModel keeps signInActivity's three times; nil when Graph sent none (the
// snapshot decides what that means: see snapshotRead.readUsers).
func signInActivityFromModel(m models.SignInActivityable) *licensing.SignInActivity {
	if m == nil {
		return nil
	}
	return &licensing.SignInActivity{
		LastSignInDateTime:               dateTime(m.GetLastSignInDateTime()),
		LastNonInteractiveSignInDateTime: dateTime(m.GetLastNonInteractiveSignInDateTime()),
		LastSuccessfulSignInDateTime:     dateTime(m.GetLastSuccessfulSignInDateTime()),
	}
}

// subscriptionFromModel converts a companySubscription
// (https://learn.microsoft.com/graph/api/resources/companysubscription); false for one without
// an id or a skuId that is a GUID, which tenant/v1 cannot hold.
func subscriptionFromModel(m models.CompanySubscriptionable) (licensing.CompanySubscription, bool) {
	c := licensing.CompanySubscription{
		ID:                     str(m.GetId()),
		CommerceSubscriptionID: str(m.GetCommerceSubscriptionId()),
		SkuPartNumber:          str(m.GetSkuPartNumber()),
		Status:                 str(m.GetStatus()),
		TotalLicenses:          num(m.GetTotalLicenses()),
		CreatedDateTime:        dateTime(m.GetCreatedDateTime()),
		NextLifecycleDateTime:  dateTime(m.GetNextLifecycleDateTime()),
	}
	if p := m.GetIsTrial(); p != nil {
		c.IsTrial = *p
	}
	id, err := licensing.ParseSkuID(str(m.GetSkuId()))
	if err != nil || c.ID == "" {
		return c, false
	}
	c.SkuID = id
	return c, true
}

func groupFromModel(m models.Groupable) (licensing.Group, error) {
	g := licensing.Group{
		ID:          str(m.GetId()),
		DisplayName: str(m.GetDisplayName()),
		Members:     []string{},
	}
	if g.ID == "" {
		return g, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("Graph listed a group (%q) without an id", g.DisplayName)}
	}
	var err error
	if g.AssignedLicenses, err = licensesFromModels(m.GetAssignedLicenses(), "group "+g.ID); err != nil {
		return g, err
	}
	if p := m.GetLicenseProcessingState(); p != nil && p.GetState() != nil {
		g.LicenseProcessingState = &licensing.LicenseProcessingState{State: *p.GetState()}
	}
	// The group's kind, by Graph's names.
	if ts := m.GetGroupTypes(); len(ts) > 0 {
		g.GroupTypes = ts
	}
	g.SecurityEnabled = m.GetSecurityEnabled()
	g.MailEnabled = m.GetMailEnabled()
	g.MembershipRule = str(m.GetMembershipRule())
	g.MembershipRuleProcessingState = str(m.GetMembershipRuleProcessingState())
	g.OnPremisesSyncEnabled = m.GetOnPremisesSyncEnabled()
	return g, nil
}

func licensesFromModels(ms []models.AssignedLicenseable, who string) ([]licensing.AssignedLicense, error) {
	out := make([]licensing.AssignedLicense, 0, len(ms))
	for _, l := range ms {
		if l == nil {
			continue
		}
		id := l.GetSkuId()
		if id == nil {
			return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("Graph listed an assignedLicense of %s without a skuId", who)}
		}
		out = append(out, licensing.AssignedLicense{SkuID: licensing.SkuID(*id), DisabledPlans: plansFromUUIDs(l.GetDisabledPlans())})
	}
	return out, nil
}

func plansFromUUIDs(ids []uuid.UUID) []licensing.PlanID {
	out := make([]licensing.PlanID, len(ids))
	for i, id := range ids {
		out[i] = licensing.PlanID(id)
	}
	return out
}

// extensionAttributes keeps the set attributes by Graph's names (extensionAttribute1…15).
func extensionAttributes(a models.OnPremisesExtensionAttributesable) map[string]string {
	if a == nil {
		return nil
	}
	getters := [...]func() *string{
		a.GetExtensionAttribute1, a.GetExtensionAttribute2, a.GetExtensionAttribute3, a.GetExtensionAttribute4,
		a.GetExtensionAttribute5, a.GetExtensionAttribute6, a.GetExtensionAttribute7, a.GetExtensionAttribute8,
		a.GetExtensionAttribute9, a.GetExtensionAttribute10, a.GetExtensionAttribute11, a.GetExtensionAttribute12,
		a.GetExtensionAttribute13, a.GetExtensionAttribute14, a.GetExtensionAttribute15,
	}
	var out map[string]string
	for i, get := range getters {
		if v := get(); v != nil {
			if out == nil {
				out = make(map[string]string)
			}
			out["extensionAttribute"+strconv.Itoa(i+1)] = *v
		}
	}
	return out
}

// licensesToModels builds addLicenses: every disabledPlans is a non-nil list, because the SDK's
// serializer drops nil lists and Graph answers 400 to an assignedLicense without disabledPlans.
func licensesToModels(ls []licensing.AssignedLicense) []models.AssignedLicenseable {
	out := make([]models.AssignedLicenseable, 0, len(ls))
	for _, l := range ls {
		m := models.NewAssignedLicense()
		id := uuid.UUID(l.SkuID)
		m.SetSkuId(&id)
		plans := make([]uuid.UUID, 0, len(l.DisabledPlans))
		for _, p := range l.DisabledPlans {
			plans = append(plans, uuid.UUID(p))
		}
		m.SetDisabledPlans(plans)
		out = append(out, m)
	}
	return out
}

// skusToUUIDs builds removeLicenses, never nil.
func skusToUUIDs(ids []licensing.SkuID) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		out = append(out, uuid.UUID(id))
	}
	return out
}
