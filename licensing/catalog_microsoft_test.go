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

const microsoftCSV = "ms-product-names-service-plan-identifiers-for-licensing.2025-12-30.nubrixsecurity.csv"

// The embedded catalog holds exactly what Microsoft's CSV says: every SKU with its part number,
// product name and plan list, every plan with its name and one of its published friendly names.
func TestMicrosoftCatalogRoundTripsTheCSV(t *testing.T) {
	csv := readCatalogFile(t, microsoftCSV)
	emb := licensing.MicrosoftCatalog()

	assert.Len(t, emb.Skus(), 569, "SKU GUIDs in the CSV")
	assert.Equal(t, 723, emb.NumPlans(), "service plan ids in the CSV")
	assert.Len(t, emb.Skus(), len(csv.Skus()))
	assert.Equal(t, csv.NumPlans(), emb.NumPlans())
	o := licensing.MicrosoftCatalogOrigin()
	assert.Equal(t, "2025-12-30", o.Date, "the date of the CSV it was generated from")
	assert.Contains(t, o.Source, "Product names and service plan identifiers for licensing")
	assert.Equal(t, 569, o.Skus)
	assert.Equal(t, 723, o.Plans)

	for _, want := range csv.Skus() {
		got, ok := emb.Sku(want.ID)
		if !assert.True(t, ok, "SKU %s", want.Label()) {
			continue
		}
		assert.Equal(t, want.PartNumber, got.PartNumber)
		assert.Equal(t, want.DisplayName, got.DisplayName)
		assert.Equal(t, want.Plans, got.Plans, "SKU %s keeps the CSV's plan order", want.Label())
	}
	for _, want := range csv.Plans() {
		got, ok := emb.Plan(want.ID)
		if !assert.True(t, ok, "plan %s", want.Name) {
			continue
		}
		assert.Equal(t, want.Name, got.Name)
		assert.ElementsMatch(t, want.Aliases, got.Aliases, "plan %s", want.Name)
		assert.NotEmpty(t, got.DisplayName, "plan %s has a friendly name", want.Name)
	}
}

// Without ../shared/data the embedded catalog is all there is: it must load and name things.
func TestMicrosoftCatalogNamesProducts(t *testing.T) {
	c := licensing.MicrosoftCatalog()
	require.Greater(t, len(c.Skus()), 500)

	e3, err := c.LookupSku("office 365 e3")
	require.NoError(t, err)
	assert.Equal(t, sampletenant.E3, e3.ID.String())
	assert.Equal(t, "Office 365 E3 (ENTERPRISEPACK)", e3.Title())
	assert.Equal(t, "Office 365 E3", e3.Named(licensing.NamesProduct))
	assert.Equal(t, "ENTERPRISEPACK", e3.Named(licensing.NamesPart))

	exo, err := c.LookupPlanInSku(e3, "Exchange Online (Plan 2)")
	require.NoError(t, err)
	assert.Equal(t, "EXCHANGE_S_ENTERPRISE", exo.Name)
	assert.Equal(t, "Exchange Online (Plan 2) (EXCHANGE_S_ENTERPRISE)", exo.Title())
	// The friendly name is the one Microsoft's rows use most for the plan.
	rms, err := c.LookupPlan("RMS_S_ENTERPRISE")
	require.NoError(t, err)
	assert.Equal(t, "Azure Rights Management", rms.FriendlyName())

	// Each call is a new catalog: changing one leaves the embedded data alone.
	c.AddSku(licensing.Sku{ID: e3.ID, DisplayName: "changed"})
	e3b, _ := licensing.MicrosoftCatalog().Sku(e3.ID)
	assert.Equal(t, "Office 365 E3", e3b.DisplayName)
}

func TestParseNameStyle(t *testing.T) {
	for in, want := range map[string]licensing.NameStyle{"part": licensing.NamesPart, "Product": licensing.NamesProduct, " both ": licensing.NamesBoth} {
		got, err := licensing.ParseNameStyle(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, want, must(licensing.ParseNameStyle(got.String())))
	}
	_, err := licensing.ParseNameStyle("friendly")
	assert.ErrorIs(t, err, licensing.InvalidInput)
	assert.Contains(t, err.Error(), "want part, product or both")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A tenant's State names its SKUs and plans from the embedded catalog, keeps the tenant's own
// names where they differ, and answers lookups with the whole catalog in view.
func TestStateUsesTheMicrosoftCatalog(t *testing.T) {
	s := contoso(t)
	e3, err := s.LookupSku("Office 365 E3")
	require.NoError(t, err, "product names resolve without --catalog")
	assert.Equal(t, sampletenant.E3, e3.Sku.ID.String())
	assert.Equal(t, "Office 365 E3 (ENTERPRISEPACK)", e3.Sku.Title())
	p, err := s.Catalog().LookupPlanInSku(e3.Sku, "exchange online (plan 2)")
	require.NoError(t, err)
	assert.Equal(t, "EXCHANGE_S_ENTERPRISE", p.Name)

	// The tenant's catalog holds the tenant's SKUs only (its plan sets stay small).
	assert.Len(t, s.Catalog().Skus(), len(sampletenant.Snapshot().SubscribedSkus))

	_, err = s.LookupSku("Microsoft 365 E5")
	require.ErrorIs(t, err, licensing.UnknownSku)
	assert.Contains(t, err.Error(), "Microsoft 365 E5 (SPE_E5) is a Microsoft product, but this tenant does not subscribe to it")
	assert.Contains(t, err.Error(), "it subscribes to Office 365 E1 (STANDARDPACK), Office 365 E3 (ENTERPRISEPACK)")
	_, err = s.LookupSku("06ebc4ee-1bb5-47dd-8120-11324bc54e06")
	assert.Contains(t, err.Error(), "Microsoft 365 E5 (SPE_E5) is a Microsoft product", "by id too")

	_, err = s.LookupSku("SPE_E6")
	require.ErrorIs(t, err, licensing.UnknownSku)
	assert.Contains(t, err.Error(), `"SPE_E5" (Microsoft 365 E5), not subscribed here`, "suggestions come from the whole catalog")
	_, err = s.LookupSku("Ofice 365 E3")
	assert.Contains(t, err.Error(), `did you mean "Office 365 E3" (ENTERPRISEPACK)`)

	_, err = s.Catalog().LookupPlan("Microsoft Defender for Endpoint")
	require.ErrorIs(t, err, licensing.UnknownServicePlan)
	assert.Contains(t, err.Error(), "is Microsoft's, but none of this tenant's SKUs includes it")
}

// The tenant's own names win over Microsoft's, and a user's CSV over the embedded one.
func TestTenantAndUserNamesTakePrecedence(t *testing.T) {
	snap := sampletenant.Snapshot()
	for i := range snap.SubscribedSkus {
		if snap.SubscribedSkus[i].SkuID.String() == sampletenant.E3 {
			snap.SubscribedSkus[i].SkuPartNumber = "E3_AS_THE_TENANT_CALLS_IT"
		}
	}
	user := licensing.NewCatalog()
	user.AddSku(licensing.Sku{ID: licensing.MustParseSkuID(sampletenant.E3), PartNumber: "ENTERPRISEPACK", DisplayName: "Office 365 E3 (renamed)"})
	s, err := licensing.NewState(snap, licensing.WithCatalog(user))
	require.NoError(t, err)
	e3, err := s.LookupSku(sampletenant.E3)
	require.NoError(t, err)
	assert.Equal(t, "E3_AS_THE_TENANT_CALLS_IT", e3.Sku.PartNumber)
	assert.Equal(t, "Office 365 E3 (renamed)", e3.Sku.DisplayName)
	for _, ref := range []string{"ENTERPRISEPACK", "Office 365 E3 (renamed)", "E3_AS_THE_TENANT_CALLS_IT"} {
		got, err := s.LookupSku(ref)
		if assert.NoError(t, err, ref) {
			assert.Equal(t, e3.Sku.ID, got.Sku.ID)
		}
	}
	// Microsoft's names still fill what neither gives.
	e1, err := s.LookupSku("Office 365 E1")
	require.NoError(t, err)
	assert.True(t, slices.Contains([]string{"STANDARDPACK"}, e1.Sku.PartNumber))
}

// A product name two SKUs share is an error listing both, and a reference to Microsoft products
// the tenant lacks names them all.
func TestAmbiguousProductNames(t *testing.T) {
	c := licensing.MicrosoftCatalog()
	_, err := c.LookupSku("Microsoft 365 F1")
	require.ErrorIs(t, err, licensing.UnknownSku)
	assert.Contains(t, err.Error(), `SKU name "Microsoft 365 F1" is ambiguous: it names Microsoft 365 F1 (`)
	assert.Equal(t, 2, strings.Count(err.Error(), "Microsoft 365 F1 ("), "both SKUs are listed: %v", err)

	s := contoso(t)
	_, err = s.LookupSku("microsoft 365 f1")
	require.ErrorIs(t, err, licensing.UnknownSku)
	assert.Contains(t, err.Error(), `"microsoft 365 f1" names the Microsoft products Microsoft 365 F1 (`)
	assert.Contains(t, err.Error(), "but this tenant subscribes to none of them")
}
