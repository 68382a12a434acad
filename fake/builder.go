package fake

import (
	"github.com/licenseplan/licenseplan/licensing"
)

// Builder assembles a small tenant in code, for tests and examples:
//
//	t, err := fake.NewBuilder("contoso").DefaultUsageLocation("US").
//		Sku(e3, "ENTERPRISEPACK", 25, exchange, sharePoint).
//		User("u1", "alice@contoso.com", "NO", licensing.AssignedLicense{SkuID: e3}).
//		Group("g1", "Licensing_E3", []licensing.AssignedLicense{{SkuID: e3}}, "u1").
//		Build()
type Builder struct {
	snap licensing.Snapshot
}

// NewBuilder starts an empty tenant with the id.
func NewBuilder(tenantID string) *Builder {
	return &Builder{snap: licensing.Snapshot{FormatVersion: licensing.TenantFormatVersion, TenantID: tenantID}}
}

// DefaultUsageLocation sets the country group-based licensing falls back to.
func (b *Builder) DefaultUsageLocation(country string) *Builder {
	b.snap.DefaultUsageLocation = country
	return b
}

// Sku adds an Enabled user SKU with seats and plans (the plans' ids and names).
func (b *Builder) Sku(id licensing.SkuID, partNumber string, seats int, plans ...licensing.ServicePlan) *Builder {
	k := licensing.SubscribedSku{
		SkuID: id, SkuPartNumber: partNumber, AppliesTo: "User", CapabilityStatus: "Enabled",
		PrepaidUnits: licensing.PrepaidUnits{Enabled: seats},
	}
	for _, p := range plans {
		k.ServicePlans = append(k.ServicePlans, licensing.ServicePlanInfo{ServicePlanID: p.ID, ServicePlanName: p.Name, AppliesTo: "User", ProvisioningStatus: "Success"})
	}
	return b.SubscribedSku(k)
}

// SubscribedSku adds a SKU as Graph describes it (for other appliesTo or capabilityStatus values).
func (b *Builder) SubscribedSku(k licensing.SubscribedSku) *Builder {
	b.snap.SubscribedSkus = append(b.snap.SubscribedSkus, k)
	return b
}

// User adds a user with its usage location ("" for none) and direct licenses.
func (b *Builder) User(id, upn, usageLocation string, direct ...licensing.AssignedLicense) *Builder {
	enabled := true
	u := licensing.User{ID: id, UserPrincipalName: upn, DisplayName: upn, AccountEnabled: &enabled, UsageLocation: usageLocation, AssignedLicenses: []licensing.AssignedLicense{}}
	for _, l := range direct {
		if l.DisabledPlans == nil {
			l.DisabledPlans = []licensing.PlanID{}
		}
		u.AssignedLicenses = append(u.AssignedLicenses, l)
	}
	b.snap.Users = append(b.snap.Users, u)
	return b
}

// Group adds a group with its licenses and members (user ids).
func (b *Builder) Group(id, displayName string, licenses []licensing.AssignedLicense, members ...string) *Builder {
	g := licensing.Group{ID: id, DisplayName: displayName, Members: append([]string{}, members...), AssignedLicenses: []licensing.AssignedLicense{}}
	for _, l := range licenses {
		if l.DisabledPlans == nil {
			l.DisabledPlans = []licensing.PlanID{}
		}
		g.AssignedLicenses = append(g.AssignedLicenses, l)
	}
	b.snap.Groups = append(b.snap.Groups, g)
	return b
}

// GroupOf adds a group as tenant/v1 has it, kind fields included (groupTypes,
// securityEnabled, mailEnabled, membershipRule, membershipRuleProcessingState,
// onPremisesSyncEnabled): e.g. a dynamic group, whose members the fake then refuses to change.
func (b *Builder) GroupOf(g licensing.Group) *Builder {
	g.Members = append([]string{}, g.Members...)
	g.AssignedLicenses = append([]licensing.AssignedLicense{}, g.AssignedLicenses...)
	for i := range g.AssignedLicenses {
		if g.AssignedLicenses[i].DisabledPlans == nil {
			g.AssignedLicenses[i].DisabledPlans = []licensing.PlanID{}
		}
	}
	b.snap.Groups = append(b.snap.Groups, g)
	return b
}

// Snapshot returns the tenant built so far as tenant/v1.
func (b *Builder) Snapshot() *licensing.Snapshot {
	s := b.snap
	return &s
}

// Build returns a Tenant holding the snapshot (see New).
func (b *Builder) Build(opts ...Option) (*Tenant, error) { return New(b.Snapshot(), opts...) }
