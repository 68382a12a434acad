package licensing_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// smallCSV is an excerpt of Microsoft's "Product names and service plan identifiers for
// licensing" CSV (same columns, real GUIDs), in the tidy form; see catalog_csv_test.go for the quirks.
const smallCSV = `Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names
Office 365 E1,STANDARDPACK,18181a46-0d4e-45cd-891e-60aabd171b4e,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c,Exchange Online (Plan 1)
Office 365 E1,STANDARDPACK,18181a46-0d4e-45cd-891e-60aabd171b4e,SHAREPOINTSTANDARD,c7699d2e-19aa-44de-8edf-1736da088ca1,SharePoint Online (Plan 1)
Office 365 E1,STANDARDPACK,18181a46-0d4e-45cd-891e-60aabd171b4e,MCOSTANDARD,0feaeb32-d00e-4d66-bd5a-43b5b83db82c,Skype for Business Online (Plan 2)
Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,EXCHANGE_S_ENTERPRISE,efb87545-963c-4e0d-99df-69c6916d9eb0,Exchange Online (Plan 2)
Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,SHAREPOINTENTERPRISE,5dbe027f-2339-4123-9542-606e4d348a72,SharePoint Online (Plan 2)
Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,MCOSTANDARD,0feaeb32-d00e-4d66-bd5a-43b5b83db82c,Skype for Business Online (Plan 2)
Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,Microsoft Teams
Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,EXCHANGE_S_FOUNDATION,113feb6c-3fe4-4440-bddc-54d774bf0318,Exchange Foundation
Exchange Online (Plan 1),EXCHANGESTANDARD,4b9405b0-7788-4568-add1-99614e613b69,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c,Exchange Online (Plan 1)
Exchange Online (Plan 2),EXCHANGEENTERPRISE,19ec0d23-8335-4cbd-94ac-6050e30712fa,EXCHANGE_S_ENTERPRISE,efb87545-963c-4e0d-99df-69c6916d9eb0,Exchange Online (Plan 2)
Power BI Premium EM1,PBI_PREMIUM_EM1_ADDON,bc757c42-5622-4583-a483-a9e537fcb71c,EXCHANGE_S_FOUNDATION_PBI,113feb6c-3fe4-4440-bddc-54d774bf0318,Exchange Foundation
`

func smallCatalog(t *testing.T) *licensing.Catalog {
	t.Helper()
	c, err := licensing.ReadCatalogCSV(strings.NewReader(smallCSV))
	require.NoError(t, err)
	return c
}

func TestCatalogLooksUpSkus(t *testing.T) {
	c := smallCatalog(t)
	for _, ref := range []string{
		e3ID,
		strings.ToUpper(e3ID),
		"ENTERPRISEPACK",
		"enterprisepack",
		"  ENTERPRISEPACK ",
		"Office 365 E3",
		"office 365 e3",
	} {
		t.Run(ref, func(t *testing.T) {
			s, err := c.LookupSku(ref)
			require.NoError(t, err)
			assert.Equal(t, e3ID, s.ID.String())
			assert.Equal(t, "ENTERPRISEPACK", s.PartNumber)
			assert.Equal(t, "Office 365 E3", s.DisplayName)
			assert.Equal(t, "ENTERPRISEPACK", s.Label())
		})
	}
}

func TestCatalogUnknownSkuSuggestsTheClosestNames(t *testing.T) {
	c := smallCatalog(t)
	cases := []struct {
		ref     string
		suggest string // the first suggestion, or "" for none
	}{
		{"ENTERPRISEPAK", "ENTERPRISEPACK"},
		{"enterprisepak", "ENTERPRISEPACK"},
		{"STANDARDPAK", "STANDARDPACK"},
		{"EXCHANGESTANDART", "EXCHANGESTANDARD"},
		{"POWER_BI_PRO", ""},
	}
	for _, tc := range cases {
		t.Run(tc.ref, func(t *testing.T) {
			_, err := c.LookupSku(tc.ref)
			require.Error(t, err)
			assert.ErrorIs(t, err, licensing.UnknownSku)
			assert.Contains(t, err.Error(), `"`+tc.ref+`"`, "the error names what was asked for")
			if tc.suggest == "" {
				assert.NotContains(t, err.Error(), "did you mean")
				return
			}
			assert.Contains(t, err.Error(), `(did you mean "`+tc.suggest+`"`, "closest name first")
		})
	}

	_, err := c.LookupSku("c7df2760-2c81-4ef7-b578-5b5392b571df")
	require.Error(t, err)
	assert.ErrorIs(t, err, licensing.UnknownSku)
	var le *licensing.Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "c7df2760-2c81-4ef7-b578-5b5392b571df", le.SkuID.String(), "an unknown id is carried in the error")
}

func TestCatalogAmbiguousSkuNameListsTheIDs(t *testing.T) {
	// Microsoft's CSV publishes two SKUs under the part number MCOPSTN5.
	c := licensing.NewCatalog()
	c.AddSku(licensing.Sku{ID: licensing.MustParseSkuID("d43177b5-475b-4880-92d4-d54c27b5efbd"), PartNumber: "MCOPSTN5"})
	c.AddSku(licensing.Sku{ID: licensing.MustParseSkuID("54a152dc-90de-4996-93d2-bc47e670fc06"), PartNumber: "MCOPSTN5"})
	_, err := c.LookupSku("MCOPSTN5")
	require.Error(t, err)
	assert.ErrorIs(t, err, licensing.UnknownSku)
	assert.Contains(t, err.Error(), "ambiguous")
	assert.Contains(t, err.Error(), "d43177b5-475b-4880-92d4-d54c27b5efbd")
	assert.Contains(t, err.Error(), "54a152dc-90de-4996-93d2-bc47e670fc06")

	s, err := c.LookupSku("54a152dc-90de-4996-93d2-bc47e670fc06")
	require.NoError(t, err, "the id always resolves")
	assert.Equal(t, "MCOPSTN5", s.PartNumber)
}

func TestCatalogLooksUpPlans(t *testing.T) {
	c := smallCatalog(t)
	const exo2 = "efb87545-963c-4e0d-99df-69c6916d9eb0"
	for _, ref := range []string{exo2, strings.ToUpper(exo2), "EXCHANGE_S_ENTERPRISE", "exchange_s_enterprise", "Exchange Online (Plan 2)"} {
		t.Run(ref, func(t *testing.T) {
			p, err := c.LookupPlan(ref)
			require.NoError(t, err)
			assert.Equal(t, exo2, p.ID.String())
			assert.Equal(t, "EXCHANGE_S_ENTERPRISE", p.Name)
			assert.Equal(t, "Exchange Online (Plan 2)", p.DisplayName)
		})
	}

	t.Run("alias", func(t *testing.T) {
		p, err := c.LookupPlan("EXCHANGE_S_FOUNDATION_PBI")
		require.NoError(t, err, "a second name for the same id still resolves")
		assert.Equal(t, "113feb6c-3fe4-4440-bddc-54d774bf0318", p.ID.String())
		assert.Equal(t, "EXCHANGE_S_FOUNDATION", p.Name, "the first name published wins")
		assert.Equal(t, []string{"EXCHANGE_S_FOUNDATION_PBI"}, p.Aliases)
	})

	t.Run("unknown name suggests", func(t *testing.T) {
		_, err := c.LookupPlan("EXCHANGE_S_ENTERPRIS")
		require.Error(t, err)
		assert.ErrorIs(t, err, licensing.UnknownServicePlan)
		assert.Contains(t, err.Error(), `(did you mean "EXCHANGE_S_ENTERPRISE"`)
	})

	t.Run("unknown id", func(t *testing.T) {
		_, err := c.LookupPlan("00000000-0000-4000-8000-000000000000")
		require.Error(t, err)
		var le *licensing.Error
		require.ErrorAs(t, err, &le)
		assert.Equal(t, licensing.UnknownServicePlan, le.Kind)
		assert.Equal(t, []licensing.PlanID{licensing.MustParsePlanID("00000000-0000-4000-8000-000000000000")}, le.Plans)
	})

	t.Run("ambiguous display name", func(t *testing.T) {
		c := licensing.NewCatalog()
		c.AddPlan(licensing.ServicePlan{ID: licensing.MustParsePlanID("113feb6c-3fe4-4440-bddc-54d774bf0318"), Name: "EXCHANGE_S_FOUNDATION", DisplayName: "Exchange Foundation"})
		c.AddPlan(licensing.ServicePlan{ID: licensing.MustParsePlanID("922ba911-5694-4e99-a794-73aed9bfeec8"), Name: "EXCHANGE_S_FOUNDATION_GOV", DisplayName: "Exchange Foundation"})
		_, err := c.LookupPlan("Exchange Foundation")
		require.Error(t, err)
		assert.ErrorIs(t, err, licensing.UnknownServicePlan)
		assert.Contains(t, err.Error(), "ambiguous")
		assert.Contains(t, err.Error(), "113feb6c-3fe4-4440-bddc-54d774bf0318")
		assert.Contains(t, err.Error(), "922ba911-5694-4e99-a794-73aed9bfeec8")
	})
}

func TestCatalogLooksUpPlansWithinASku(t *testing.T) {
	c := smallCatalog(t)
	e1, err := c.LookupSku("STANDARDPACK")
	require.NoError(t, err)

	p, err := c.LookupPlanInSku(e1, "SharePoint Online (Plan 1)")
	require.NoError(t, err)
	assert.Equal(t, "SHAREPOINTSTANDARD", p.Name)

	_, err = c.LookupPlanInSku(e1, "SHAREPOINTENTERPRISE")
	require.Error(t, err, "a plan of another SKU is not found in this one")
	var le *licensing.Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, licensing.UnknownServicePlan, le.Kind)
	assert.Equal(t, e1.ID, le.SkuID)
	assert.Contains(t, err.Error(), "is not part of SKU Office 365 E1 (STANDARDPACK)")
	assert.Contains(t, err.Error(), `did you mean "SHAREPOINTSTANDARD"`, "suggestions come from the SKU's own plans")

	_, err = c.LookupPlanInSku(e1, "efb87545-963c-4e0d-99df-69c6916d9eb0")
	require.Error(t, err, "an id of a plan outside the SKU is refused too")
	assert.Contains(t, err.Error(), "Exchange Online (Plan 2) (EXCHANGE_S_ENTERPRISE) is not part of SKU Office 365 E1 (STANDARDPACK)")
}

func TestCatalogNamesAndSets(t *testing.T) {
	c := smallCatalog(t)
	e3, err := c.LookupSku("ENTERPRISEPACK")
	require.NoError(t, err)

	assert.Equal(t, []string{"EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_FOUNDATION", "MCOSTANDARD", "SHAREPOINTENTERPRISE", "TEAMS1"},
		c.PlanNames(e3.PlanSet()), "names come sorted")
	assert.Len(t, e3.Plans, 5, "the SKU's plans, in CSV order")
	assert.Equal(t, "efb87545-963c-4e0d-99df-69c6916d9eb0", e3.Plans[0].String())

	unknownPlan := licensing.MustParsePlanID("00000000-0000-4000-8000-0000000000aa")
	unknownSku := licensing.MustParseSkuID("00000000-0000-4000-8000-0000000000bb")
	assert.Equal(t, unknownPlan.String(), c.PlanName(unknownPlan), "an unknown plan is named by its id")
	assert.Equal(t, unknownSku.String(), c.SkuName(unknownSku))
	assert.Equal(t, "ENTERPRISEPACK", c.SkuName(e3.ID))

	set := c.PlanSetOf([]licensing.PlanID{e3.Plans[0], unknownPlan})
	assert.Equal(t, 1, set.Len(), "unknown ids are skipped")

	assert.Equal(t, "catalog: 5 SKUs, 7 service plans", c.String())
	for i := 0; i < c.NumPlans(); i++ {
		p := c.PlanAt(i)
		assert.Equal(t, i, p.Index())
		idx, ok := c.PlanIndex(p.ID)
		assert.True(t, ok)
		assert.Equal(t, i, idx)
	}
	for i, s := range c.Skus() {
		assert.Equal(t, i, s.Index())
	}
}

func TestEnrichKeepsTheTenantsPlanLists(t *testing.T) {
	tenant := sampletenant.Snapshot().Catalog()
	e3, ok := tenant.Sku(licensing.MustParseSkuID(sampletenant.E3))
	require.True(t, ok)
	plansBefore := slices.Clone(e3.Plans)
	require.Len(t, plansBefore, 13)
	require.Empty(t, e3.DisplayName, "subscribedSkus carry no product names")

	// EMS in the tenant has EXCHANGE_S_FOUNDATION; the CSV knows a second name for it.
	foundation := licensing.MustParsePlanID("113feb6c-3fe4-4440-bddc-54d774bf0318")
	tenant.Enrich(smallCatalog(t))

	assert.Equal(t, plansBefore, e3.Plans, "the tenant's subscribedSkus are the truth about what a SKU contains")
	assert.Equal(t, 13, e3.PlanSet().Len())
	assert.NotContains(t, e3.Plans, foundation, "a plan the CSV lists for E3 is not added to the tenant's E3")
	assert.Equal(t, "Office 365 E3", e3.DisplayName, "names are filled in")

	s, err := tenant.LookupSku("Office 365 E3")
	require.NoError(t, err)
	assert.Equal(t, e3.ID, s.ID)

	p, err := tenant.LookupPlan("Exchange Online (Plan 2)")
	require.NoError(t, err, "plan display names are filled in")
	assert.Equal(t, "EXCHANGE_S_ENTERPRISE", p.Name)

	p, err = tenant.LookupPlan("EXCHANGE_S_FOUNDATION_PBI")
	require.NoError(t, err, "aliases are copied to plans the tenant already has")
	assert.Equal(t, foundation, p.ID)
	assert.Equal(t, "EXCHANGE_S_FOUNDATION", p.Name, "the tenant's own name wins")

	pbi, err := tenant.LookupSku("PBI_PREMIUM_EM1_ADDON")
	require.NoError(t, err, "SKUs the tenant lacks are added, for names and suggestions")
	assert.Equal(t, []licensing.PlanID{foundation}, pbi.Plans)
}

func TestClosest(t *testing.T) {
	names := []string{"ENTERPRISEPACK", "ENTERPRISEPREMIUM", "STANDARDPACK", "EMS", "ENTERPRISEPACK", "", "SPE_E3"}
	assert.Equal(t, []string{"ENTERPRISEPACK"}, licensing.Closest("ENTERPRISEPAK", names, 1))
	assert.Equal(t, []string{"ENTERPRISEPACK", "ENTERPRISEPREMIUM"}, licensing.Closest("enterprise", names, 5),
		"names containing the reference count as close; duplicates and empty names are dropped")
	assert.Empty(t, licensing.Closest("POWER_BI_STANDARD", names, 3))
	assert.Equal(t, []string{"EMS"}, licensing.Closest("EM", names, 1))
}
