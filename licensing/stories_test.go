package licensing_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

// The stories of issue 13, told with Microsoft's own SKUs as its CSV lists them (skipped in a
// clone without ../shared/data): a tenant subscribing to them, users assigned the way Microsoft
// sells them, and what State.Predict says Entra does.

// microsoftTenant returns a tenant subscribing to the named SKUs (part numbers from Microsoft's
// CSV, every plan as the CSV lists it), seats per SKU as given, with users u0…u(n-1) in the US
// holding nothing.
func microsoftTenant(t *testing.T, users int, seats map[string]licensing.PrepaidUnits) *licensing.State {
	t.Helper()
	cat := readCatalogFile(t, invariantCatalogs[0])
	snap := &licensing.Snapshot{FormatVersion: licensing.TenantFormatVersion, TenantID: "t", DefaultUsageLocation: "US"}
	for part, units := range seats {
		sku, err := cat.LookupSku(part)
		require.NoError(t, err, part)
		k := licensing.SubscribedSku{SkuID: sku.ID, SkuPartNumber: sku.PartNumber, AppliesTo: "User", CapabilityStatus: "Enabled", PrepaidUnits: units}
		if units.Enabled == 0 && units.Warning > 0 {
			k.CapabilityStatus = "Warning"
		}
		for _, id := range sku.Plans {
			p, _ := cat.Plan(id)
			k.ServicePlans = append(k.ServicePlans, licensing.ServicePlanInfo{ServicePlanID: id, ServicePlanName: p.Name, AppliesTo: "User", ProvisioningStatus: "Success"})
		}
		snap.SubscribedSkus = append(snap.SubscribedSkus, k)
	}
	for i := range users {
		snap.Users = append(snap.Users, licensing.User{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), UserPrincipalName: fmt.Sprintf("u%d@contoso.com", i), UsageLocation: "US"})
	}
	st, err := licensing.NewState(snap, licensing.WithCatalog(cat))
	require.NoError(t, err)
	return st
}

func skuOf(t *testing.T, st *licensing.State, part string) licensing.SkuID {
	t.Helper()
	sub, err := st.LookupSku(part)
	require.NoError(t, err)
	return sub.Sku.ID
}

func TestMicrosoftSkusAssignedAsSold(t *testing.T) {
	parts := []string{"Office_365_E3_(no_Teams)", "Microsoft_Teams_EEA_New", "OFFICESUBSCRIPTION", "WACONEDRIVESTANDARD",
		"Teams_Ess", "Microsoft_Teams_Rooms_Basic", "MCOEV", "THREAT_INTELLIGENCE", "PROJECTPROFESSIONAL", "ENTERPRISEPACK", "STANDARDPACK", "EMS"}
	seats := map[string]licensing.PrepaidUnits{}
	for _, p := range parts {
		seats[p] = licensing.PrepaidUnits{Enabled: 5}
	}
	st := microsoftTenant(t, 4, seats)
	assign := func(add ...licensing.AssignedLicense) *licensing.Outcome {
		return st.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: "u0@contoso.com", AddLicenses: add})
	}
	all := func(part string) licensing.AssignedLicense {
		return licensing.AssignedLicense{SkuID: skuOf(t, st, part)}
	}

	t.Run("E3 (no Teams) with Teams EEA, as new Enterprise customers must buy them", func(t *testing.T) {
		o := assign(all("Office_365_E3_(no_Teams)"), all("Microsoft_Teams_EEA_New"))
		assert.False(t, o.Refused, "%v", o.Err())
	})
	for _, part := range []string{"OFFICESUBSCRIPTION", "WACONEDRIVESTANDARD", "Microsoft_Teams_EEA_New", "Teams_Ess", "Microsoft_Teams_Rooms_Basic"} {
		t.Run(part+" alone (Office for the web with OneDrive, Audio Conferencing with Teams)", func(t *testing.T) {
			o := assign(all(part))
			assert.False(t, o.Refused, "%v", o.Err())
		})
	}
	for _, part := range []string{"MCOEV", "THREAT_INTELLIGENCE"} {
		t.Run(part+" without its base is refused", func(t *testing.T) {
			o := assign(all(part))
			require.True(t, o.Refused)
			assert.ErrorIs(t, o.Err(), licensing.DependencyViolation)
		})
	}
	t.Run("Project Plan 3 with SharePoint (Plan 2) disabled is refused", func(t *testing.T) {
		sp, err := st.Catalog().LookupPlan("SHAREPOINTENTERPRISE")
		require.NoError(t, err)
		o := assign(licensing.AssignedLicense{SkuID: skuOf(t, st, "PROJECTPROFESSIONAL"), DisabledPlans: []licensing.PlanID{sp.ID}})
		require.True(t, o.Refused)
		assert.ErrorIs(t, o.Err(), licensing.DependencyViolation)
		assert.Contains(t, o.Err().Error(), "SHAREPOINT_PROJECT")
	})
	t.Run("E3 to E1 is a downgrade: desktop Office, Exchange Plan 2, SharePoint Plan 2 and RMS go", func(t *testing.T) {
		st := st.Clone()
		require.False(t, st.Apply(licensing.Change{Kind: licensing.AssignUserLicenses, User: "u1@contoso.com", AddLicenses: []licensing.AssignedLicense{all("ENTERPRISEPACK")}}).Refused)
		o := st.Apply(licensing.Change{Kind: licensing.AssignUserLicenses, User: "u1@contoso.com", AddLicenses: []licensing.AssignedLicense{all("STANDARDPACK")}, RemoveLicenses: []licensing.SkuID{skuOf(t, st, "ENTERPRISEPACK")}})
		require.False(t, o.Refused, "%v", o.Err())
		require.Len(t, o.Users, 1)
		lost := st.Catalog().PlanNames(st.Rules().ServiceLoss(o.Users[0].Before, o.Users[0].After))
		assert.Subset(t, lost, []string{"OFFICESUBSCRIPTION", "EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "RMS_S_ENTERPRISE"})
	})
	t.Run("removing EMS from an E3 user loses Intune and AIP P1", func(t *testing.T) {
		st := st.Clone()
		require.False(t, st.Apply(licensing.Change{Kind: licensing.AssignUserLicenses, User: "u2@contoso.com", AddLicenses: []licensing.AssignedLicense{all("ENTERPRISEPACK"), all("EMS")}}).Refused)
		o := st.Apply(licensing.Change{Kind: licensing.AssignUserLicenses, User: "u2@contoso.com", RemoveLicenses: []licensing.SkuID{skuOf(t, st, "EMS")}})
		require.False(t, o.Refused, "%v", o.Err())
		lost := st.Catalog().PlanNames(st.Rules().ServiceLoss(o.Users[0].Before, o.Users[0].After))
		assert.Subset(t, lost, []string{"INTUNE_A", "RMS_S_PREMIUM"})
	})
	t.Run("a usage location that is no country is refused", func(t *testing.T) {
		o := st.Predict(licensing.Change{Kind: licensing.SetUsageLocation, User: "u3@contoso.com", UsageLocation: "XX"})
		require.True(t, o.Refused)
		assert.ErrorIs(t, o.Err(), licensing.InvalidInput)
	})
}

func TestGracePeriodSeatsAreAssignable(t *testing.T) {
	// Graph's subscribedSku: prepaidUnits.warning are units "in a warning state… available for
	// normal use and assignment". A SKU living only on them still assigns, up to their number.
	st := microsoftTenant(t, 3, map[string]licensing.PrepaidUnits{"ENTERPRISEPACK": {Enabled: 0, Warning: 2}})
	e3 := skuOf(t, st, "ENTERPRISEPACK")
	sub, _ := st.Subscription(e3)
	assert.True(t, sub.OnGracePeriod())
	assert.Equal(t, 2, sub.Available())
	for _, u := range []string{"u0@contoso.com", "u1@contoso.com"} {
		o := st.Apply(licensing.Change{Kind: licensing.AssignUserLicenses, User: u, AddLicenses: []licensing.AssignedLicense{{SkuID: e3}}})
		require.False(t, o.Refused, "%v", o.Err())
	}
	o := st.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: "u2@contoso.com", AddLicenses: []licensing.AssignedLicense{{SkuID: e3}}})
	require.True(t, o.Refused)
	assert.ErrorIs(t, o.Err(), licensing.CountViolation)
}
