package licensing_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// sharedData returns the path of a reference file in ../shared/data (outside the repository),
// skipping the test when the folder is not there, as in a user's clone.
func sharedData(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference data folder %s is absent (it lives beside the repository, never in it): skipping", dir)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference file %s is absent: skipping", p)
	}
	return p
}

func readCatalogFile(t *testing.T, name string) *licensing.Catalog {
	t.Helper()
	f, err := os.Open(sharedData(t, name))
	require.NoError(t, err)
	defer f.Close()
	c, err := licensing.ReadCatalogCSV(f)
	require.NoError(t, err)
	return c
}

func TestReadCatalogCSVToleratesThePublishedQuirks(t *testing.T) {
	const nbsp, bom = "\u00a0", "\ufeff"
	lines := []string{
		// Columns in another order than Microsoft's, with a byte-order mark before the first.
		bom + "String_Id,Product_Display_Name,GUID,Service_Plan_Id,Service_Plan_Name,Service_Plans_Included_Friendly_Names",
		// A non-breaking space inside and after the SKU id, a trailing space after the part number.
		"MCOCAP_FACULTY ,Microsoft Teams Shared Devices for Faculty,420c7602-7f70-" + nbsp + "4895-9394-d3d679ea36fb" + nbsp + ",57ff2da0-773e-42df-b2af-ffb7a2317929,TEAMS1,Microsoft Teams",
		// Tabs inside a quoted name; a quoted display name with a comma.
		`WIN10_VDA_E3,"Windows 10/11 Enterprise E3, VDA",6a0f6da5-0b87-4190-a6ae-9bb5a2b9546a,e7c91390-7625-45be-94e0-e16907e03118,"Virtualization ` + "\t" + `Rights ` + "\t" + `for Windows 10 (E3/E5+VDA)",Windows 10 Enterprise (New)`,
		// A duplicate row.
		`WIN10_VDA_E3,"Windows 10/11 Enterprise E3, VDA",6a0f6da5-0b87-4190-a6ae-9bb5a2b9546a,e7c91390-7625-45be-94e0-e16907e03118,"Virtualization ` + "\t" + `Rights ` + "\t" + `for Windows 10 (E3/E5+VDA)",Windows 10 Enterprise (New)`,
		// One plan id under two names: the first wins, the second is an alias.
		"EMS,Enterprise Mobility + Security E3,efccb6f7-5641-4e0e-bd10-b4976e1bf68e,113feb6c-3fe4-4440-bddc-54d774bf0318,EXCHANGE_S_FOUNDATION,Exchange Foundation",
		"PBI_PREMIUM_EM1_ADDON,Power BI Premium EM1,bc757c42-5622-4583-a483-a9e537fcb71c,113feb6c-3fe4-4440-bddc-54d774bf0318,EXCHANGE_S_FOUNDATION_EM1,Exchange Foundation",
		// Upper-case GUIDs, as some copies have them.
		"EMS,Enterprise Mobility + Security E3,EFCCB6F7-5641-4E0E-BD10-B4976E1BF68E,C1EC4A95-1F05-45B3-A911-AA3FA01094F5,INTUNE_A,Microsoft Intune",
		"",
		nbsp,
	}
	in := strings.Join(lines, "\r\n") + "\r\n" // CRLF line ends

	c, err := licensing.ReadCatalogCSV(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, "catalog: 4 SKUs, 4 service plans", c.String())

	teams, err := c.LookupSku("MCOCAP_FACULTY")
	require.NoError(t, err, "the part number is trimmed")
	assert.Equal(t, "420c7602-7f70-4895-9394-d3d679ea36fb", teams.ID.String(), "non-breaking spaces are dropped from ids")

	vda, err := c.LookupSku("6a0f6da5-0b87-4190-a6ae-9bb5a2b9546a")
	require.NoError(t, err)
	assert.Equal(t, "Windows 10/11 Enterprise E3, VDA", vda.DisplayName)
	require.Len(t, vda.Plans, 1, "a duplicate row adds nothing")
	p, ok := c.Plan(vda.Plans[0])
	require.True(t, ok)
	assert.Equal(t, "Virtualization Rights for Windows 10 (E3/E5+VDA)", p.Name, "tabs collapse to single spaces")
	assert.Equal(t, "Windows 10 Enterprise (New)", p.DisplayName)

	found, err := c.LookupPlan("EXCHANGE_S_FOUNDATION")
	require.NoError(t, err)
	assert.Equal(t, "EXCHANGE_S_FOUNDATION", found.Name, "the first name wins")
	assert.Equal(t, []string{"EXCHANGE_S_FOUNDATION_EM1"}, found.Aliases)
	alias, err := c.LookupPlan("exchange_s_foundation_em1")
	require.NoError(t, err, "the other name still resolves")
	assert.Equal(t, found.ID, alias.ID)

	ems, err := c.LookupSku("EMS")
	require.NoError(t, err)
	assert.Equal(t, []string{"EXCHANGE_S_FOUNDATION", "INTUNE_A"}, c.PlanNames(ems.PlanSet()), "upper-case GUIDs key the same SKU")
	assert.Equal(t, "efccb6f7-5641-4e0e-bd10-b4976e1bf68e", ems.ID.String())
}

func TestReadCatalogCSVWithoutFriendlyNames(t *testing.T) {
	in := "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\n" +
		"Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929\n"
	c, err := licensing.ReadCatalogCSV(strings.NewReader(in))
	require.NoError(t, err, "the friendly-names column is optional")
	p, err := c.LookupPlan("TEAMS1")
	require.NoError(t, err)
	assert.Empty(t, p.DisplayName)
}

func TestReadCatalogCSVRejectsMalformedInput(t *testing.T) {
	const header = "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names\n"
	const good = "Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,Microsoft Teams\n"
	cases := []struct {
		name string
		in   string
		want []string // substrings of the error
	}{
		{"empty", "", []string{"empty", "GUID"}},
		{"missing column", "Product_Display_Name,String_Id,Service_Plan_Name,Service_Plan_Id\n", []string{"no GUID column"}},
		{"bad SKU id", header + good + "Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197,TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,x\n",
			[]string{"line 3", "column GUID", `"6fd2c87f-b296-42f0-b197"`}},
		{"bad plan id", header + "Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,TEAMS1,TEAMS1,x\n",
			[]string{"line 2", "column Service_Plan_Id", `"TEAMS1"`}},
		{"empty plan id", header + "Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,TEAMS1,,x\n",
			[]string{"line 2", "Service_Plan_Id"}},
		{"too few fields", header + good + good + "Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900\n",
			[]string{"line 4", "has 3 fields"}},
		{"bare quote", header + `Office "365" E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,x` + "\n",
			[]string{"line 2"}},
		{"unterminated quote", header + good + `"Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,x` + "\n",
			[]string{"line 3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := licensing.ReadCatalogCSV(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, licensing.InvalidInput)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestAddCSVAddsNothingOnError(t *testing.T) {
	c := smallCatalog(t)
	before := c.String()
	err := c.AddCSV(strings.NewReader("Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\n" +
		"Microsoft 365 E3,SPE_E3,05e9a617-0261-4cee-bb44-138d3ef5d965,RMS_S_ENTERPRISE,bea4c11e-220a-4e6d-8eb8-8ea15d019f90\n" +
		"Microsoft 365 E3,SPE_E3,not-a-guid,RMS_S_ENTERPRISE,bea4c11e-220a-4e6d-8eb8-8ea15d019f90\n"))
	require.Error(t, err)
	assert.Equal(t, before, c.String())
	_, err = c.LookupSku("SPE_E3")
	assert.ErrorIs(t, err, licensing.UnknownSku, "the valid row before the bad one was not added either")
}

// The files Microsoft publishes (or copies of them), read as they are.
func TestReadCatalogCSVReadsMicrosoftsFile(t *testing.T) {
	cases := []struct {
		file         string
		skus, plans  int
		skuPlanPairs int // distinct SKU × plan rows (the files repeat some rows)
	}{
		{"ms-product-names-service-plan-identifiers-for-licensing.2025-12-30.nubrixsecurity.csv", 569, 723, 5448},
		{"ms-product-names-service-plan-identifiers-for-licensing.CIPP-superset.2026-06-24.csv", 619, 791, 5959},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			c := readCatalogFile(t, tc.file)
			assert.Len(t, c.Skus(), tc.skus, "distinct SKU GUIDs")
			assert.Equal(t, tc.plans, c.NumPlans(), "distinct service plan ids")

			pairs := 0
			for _, s := range c.Skus() {
				assert.Equal(t, len(s.Plans), s.PlanSet().Len(), "SKU %s lists a plan twice", s.Label())
				pairs += len(s.Plans)
				assert.NotEmpty(t, s.PartNumber, "SKU %s has a part number", s.ID)
				assertClean(t, s.PartNumber)
				assertClean(t, s.DisplayName)
			}
			assert.Equal(t, tc.skuPlanPairs, pairs, "duplicate rows are merged")
			for _, p := range c.Plans() {
				assertClean(t, p.Name)
				assertClean(t, p.DisplayName)
				for _, a := range p.Aliases {
					assertClean(t, a)
				}
			}

			// A non-breaking space follows this SKU's GUID on every one of its rows.
			shared, err := c.LookupSku("420c7602-7f70-4895-9394-d3d679ea36fb")
			require.NoError(t, err)
			assert.Equal(t, "MCOCAP_FACULTY", shared.PartNumber)
			assert.Len(t, shared.Plans, 7)

			// A name published with tabs inside.
			vdi, ok := c.Plan(licensing.MustParsePlanID("e7c91390-7625-45be-94e0-e16907e03118"))
			require.True(t, ok)
			assert.Equal(t, "Virtualization Rights for Windows 10 (E3/E5+VDA)", vdi.Name)

			// 113feb6c is published as EXCHANGE_S_FOUNDATION and, once, under a garbled name
			// that another plan (a64b30ba) also carries: the first name wins, the other is an alias,
			// and the shared garbled name is reported as ambiguous with both ids.
			found, ok := c.Plan(licensing.MustParsePlanID("113feb6c-3fe4-4440-bddc-54d774bf0318"))
			require.True(t, ok)
			assert.Equal(t, "EXCHANGE_S_FOUNDATION", found.Name)
			assert.Contains(t, found.Aliases, "EXCHANGE_S_FOUNDATION PBI_PREMIUM_EM1_ADDON")
			p, err := c.LookupPlan("EXCHANGE_S_FOUNDATION")
			require.NoError(t, err)
			assert.Equal(t, found.ID, p.ID)
			_, err = c.LookupPlan("EXCHANGE_S_FOUNDATION PBI_PREMIUM_EM1_ADDON")
			require.Error(t, err)
			assert.Contains(t, err.Error(), "ambiguous")
			assert.Contains(t, err.Error(), "113feb6c-3fe4-4440-bddc-54d774bf0318")
			assert.Contains(t, err.Error(), "a64b30ba-f310-4065-b444-2670ef146db0")

			// Other plans published under two names resolve by either.
			for alias, id := range map[string]string{
				"RMS_S_ENTERPRISE)":       "bea4c11e-220a-4e6d-8eb8-8ea15d019f90",
				"EXCHANGE_FOUNDATION_GOV": "922ba911-5694-4e99-a794-73aed9bfeec8",
			} {
				p, err := c.LookupPlan(alias)
				if assert.NoError(t, err, alias) {
					assert.Equal(t, id, p.ID.String(), alias)
				}
			}

			e3, err := c.LookupSku("enterprisepack")
			require.NoError(t, err)
			assert.Equal(t, e3ID, e3.ID.String())
			assert.Equal(t, "Office 365 E3", e3.DisplayName)
			_, err = c.LookupSku("ENTERPRISEPAK")
			require.Error(t, err)
			assert.ErrorIs(t, err, licensing.UnknownSku)
			assert.Contains(t, err.Error(), `did you mean "ENTERPRISEPACK"`)
			_, err = c.LookupPlan("EXCHANGE_S_ENTERPRIS")
			assert.Contains(t, err.Error(), `did you mean "EXCHANGE_S_ENTERPRISE"`)
		})
	}
}

// The sample tenant claims Microsoft's GUIDs and a subset of each SKU's real plans: hold it to that.
func TestSampleTenantAgreesWithMicrosoftsFile(t *testing.T) {
	c := readCatalogFile(t, "ms-product-names-service-plan-identifiers-for-licensing.2025-12-30.nubrixsecurity.csv")
	for _, k := range sampletenant.Snapshot().SubscribedSkus {
		t.Run(k.SkuPartNumber, func(t *testing.T) {
			ms, ok := c.Sku(k.SkuID)
			require.True(t, ok, "SKU %s is in Microsoft's file", k.SkuID)
			assert.Equal(t, ms.PartNumber, k.SkuPartNumber)
			for _, p := range k.ServicePlans {
				assert.Contains(t, ms.Plans, p.ServicePlanID, "plan %s is in Microsoft's %s", p.ServicePlanName, ms.PartNumber)
				mp, ok := c.Plan(p.ServicePlanID)
				if assert.True(t, ok) {
					assert.Equal(t, mp.Name, p.ServicePlanName)
				}
			}
		})
	}
}

func assertClean(t *testing.T, s string) {
	t.Helper()
	assert.NotContains(t, s, "\ufeff", "no byte-order mark in %q", s)
	assert.NotContains(t, s, "\u00a0", "no non-breaking space in %q", s)
	assert.NotContains(t, s, "\t", "no tab in %q", s)
	assert.NotContains(t, s, "\r", "no carriage return in %q", s)
	assert.Equal(t, strings.TrimSpace(s), s, "no surrounding space in %q", s)
}
