package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

// everyText renders every report and the explanation of carol, erin and mobile4 as text in a
// style.
func everyText(t *testing.T, st *licensing.State, o report.Options) string {
	t.Helper()
	var b bytes.Buffer
	for _, name := range report.Names() {
		require.NoError(t, o.Write(&b, st, name, report.Text), name)
	}
	for _, u := range []string{"carol", "erin", "mobile4"} {
		ex, err := o.Explain(st, u+"@contoso.com")
		require.NoError(t, err)
		require.NoError(t, ex.WriteText(&b))
	}
	return b.String()
}

// Each style names SKUs and plans as it says, in every text report and explanation.
func TestTextNamesEachStyle(t *testing.T) {
	st := contoso(t)

	both := everyText(t, st, report.Options{})
	assert.Equal(t, both, everyText(t, st, report.Options{Names: licensing.NamesBoth}), "the zero Options names both")
	var plain bytes.Buffer
	require.NoError(t, report.Write(&plain, st, report.ReportSeats, report.Text))
	assert.Contains(t, both, plain.String(), "the package functions use the default")
	for _, want := range []string{
		"Office 365 E3 (ENTERPRISEPACK)", "Office 365 E1 (STANDARDPACK)", "Enterprise Mobility + Security E3 (EMS)", // SKUs
		"Microsoft Teams (TEAMS1)", "SharePoint (Plan 2) (SHAREPOINTENTERPRISE)", // plans: explain, disabled plans, conflicts, fixes
		"buy 1 more seat of Enterprise Mobility + Security E3 (EMS)",
		"disable SharePoint (Plan 2) (SHAREPOINTENTERPRISE) in group Licensing_E3_Base's Office 365 E3 (ENTERPRISEPACK) assignment",
	} {
		assert.Contains(t, both, want)
	}

	part := everyText(t, st, partNames)
	for _, product := range []string{"Office 365", "Enterprise Mobility", "Microsoft Teams", "SharePoint (Plan", "Exchange Online"} {
		assert.NotContains(t, part, product, "--names part shows no product or friendly name")
	}
	for _, want := range []string{"ENTERPRISEPACK", "TEAMS1", "buy 1 more seat of EMS", "disable SHAREPOINTENTERPRISE in group Licensing_E3_Base's ENTERPRISEPACK assignment"} {
		assert.Contains(t, part, want)
	}

	product := everyText(t, st, report.Options{Names: licensing.NamesProduct})
	for _, id := range []string{"ENTERPRISEPACK", "STANDARDPACK", "(EMS)", "TEAMS1", "SHAREPOINTENTERPRISE", "EXCHANGE_S_ENTERPRISE"} {
		assert.NotContains(t, product, id, "--names product shows no part number or plan name")
	}
	for _, want := range []string{"Office 365 E3", "Microsoft Teams", "buy 1 more seat of Enterprise Mobility + Security E3",
		"disable SharePoint (Plan 2) in group Licensing_E3_Base's Office 365 E3 assignment"} {
		assert.Contains(t, product, want)
	}
}

// Text lists plans in the order of the names it shows.
func TestTextSortsPlansByTheNamesShown(t *testing.T) {
	st := contoso(t)
	ex, err := report.Options{Names: licensing.NamesProduct}.Explain(st, "carol@contoso.com")
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, ex.WriteText(&b))
	out := b.String()
	assert.Contains(t, out, "disabled: Microsoft Forms (Plan E3), Microsoft Teams, Sway, Yammer Enterprise\n")
	assert.Less(t, strings.Index(out, "on   Azure Rights Management"), strings.Index(out, "on   Exchange Online (Plan 2)"))

	ex, err = partNames.Explain(st, "carol@contoso.com")
	require.NoError(t, err)
	b.Reset()
	require.NoError(t, ex.WriteText(&b))
	assert.Contains(t, b.String(), "disabled: FORMS_PLAN_E3, SWAY, TEAMS1, YAMMER_ENTERPRISE\n")
}

// JSON and CSV carry part numbers and product names, plan names and friendly names, whatever
// the style; only sentences follow it.
func TestDataCarriesProductNames(t *testing.T) {
	st := contoso(t)
	for _, name := range []string{report.ReportPaths, report.ReportSeats, report.ReportConsumers, report.ReportRedundant, report.ReportDirectOnly} {
		for _, f := range []report.Format{report.JSON, report.CSV} {
			var def, part bytes.Buffer
			require.NoError(t, report.Write(&def, st, name, f))
			require.NoError(t, partNames.Write(&part, st, name, f))
			assert.Equal(t, def.String(), part.String(), "%s %s does not depend on the style", name, f)
			if f == report.JSON && name != report.ReportDirectOnly {
				assert.Contains(t, def.String(), `"productName": "Office 365 E3"`, name)
				assert.Contains(t, def.String(), `"ENTERPRISEPACK"`, name)
			} else if f == report.JSON {
				assert.Contains(t, def.String(), "\"productNames\": [\n        \"Office 365 E3\"", name)
				assert.Contains(t, def.String(), `"ENTERPRISEPACK"`, name)
			}
		}
	}

	var b bytes.Buffer
	require.NoError(t, report.WritePaths(&b, st, report.JSON))
	var doc struct {
		Paths []map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	var carol map[string]any
	for _, p := range doc.Paths {
		if p["userPrincipalName"] == "carol@contoso.com" && p["groupDisplayName"] == "Licensing_E3_Base" {
			carol = p
		}
	}
	require.NotNil(t, carol)
	assert.Equal(t, "ENTERPRISEPACK", carol["skuPartNumber"])
	assert.Equal(t, "6fd2c87f-b296-42f0-b197-1e91e994b900", carol["skuId"])
	assert.Equal(t, "Office 365 E3", carol["productName"])
	assert.Equal(t, []any{"FORMS_PLAN_E3", "SWAY", "TEAMS1", "YAMMER_ENTERPRISE"}, carol["disabledPlans"])
	assert.Equal(t, []any{"Microsoft Forms (Plan E3)", "Sway", "Microsoft Teams", "Yammer Enterprise"}, carol["disabledPlanFriendlyNames"], "in the order of disabledPlans")

	b.Reset()
	require.NoError(t, report.WritePaths(&b, st, report.CSV))
	recs, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	head := recs[0]
	assert.Equal(t, []string{"productName", "disabledPlanFriendlyNames"}, head[len(head)-2:], "new columns come last")
	for _, r := range recs[1:] {
		if r[0] == "carol@contoso.com" && r[6] == "Licensing_E3_Base" {
			assert.Equal(t, "Office 365 E3", r[len(r)-2])
			assert.Equal(t, "Microsoft Forms (Plan E3); Sway; Microsoft Teams; Yammer Enterprise", r[len(r)-1])
		}
	}

	// Errors and Explain: every SkuRef has its product name, every PlanRef its friendly name.
	r := report.Errors(st)
	_, e := entry(t, r, "erin@contoso.com")
	assert.Equal(t, report.SkuRef{SkuID: licensing.MustParseSkuID(sampletenant.E3), SkuPartNumber: "ENTERPRISEPACK", ProductName: "Office 365 E3"}, e.Skus[0])
	assert.Equal(t, "SharePoint (Plan 2)", e.Conflicts[0].Sides[0].Plan.FriendlyName)
	assert.Equal(t, "Office 365 E1", e.Conflicts[0].Sides[1].Sku.ProductName)
	b.Reset()
	require.NoError(t, r.WriteJSON(&b))
	assert.Contains(t, b.String(), `"productName": "Enterprise Mobility + Security E3"`)
	assert.Contains(t, b.String(), `"friendlyName": "SharePoint (Plan 1)"`)
	b.Reset()
	require.NoError(t, r.WriteCSV(&b))
	recs, err = csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"productNames", "planFriendlyNames"}, recs[0][len(recs[0])-2:])
	assert.Equal(t, []string{"Office 365 E3", "SharePoint (Plan 2); SharePoint (Plan 1)"}, recs[2][len(recs[2])-2:])

	ex, err := report.Explain(st, "carol@contoso.com")
	require.NoError(t, err)
	assert.Equal(t, "Office 365 E3", ex.Skus[0].ProductName)
	assert.Equal(t, []string{"Office 365 E3"}, ex.Groups[0].ProductNames)
	for _, p := range ex.Skus[0].Plans {
		if p.ServicePlanName == "TEAMS1" {
			assert.Equal(t, "Microsoft Teams", p.FriendlyName)
		}
	}
	assert.Equal(t, []string{"Microsoft Forms (Plan E3)", "Sway", "Microsoft Teams", "Yammer Enterprise"}, ex.Skus[0].Paths[0].DisabledPlanFriendlyNames)
}

// A SKU or plan no catalog knows is named by its part number (or id) in every style, and its
// productName is its part number.
func TestUnknownProductsKeepTheirPartNumber(t *testing.T) {
	snap := sampletenant.Snapshot()
	custom := licensing.MustParseSkuID("99999999-0000-4000-8000-0000000000aa")
	plan := licensing.MustParsePlanID("99999999-0000-4000-8000-0000000000bb")
	snap.SubscribedSkus = append(snap.SubscribedSkus, licensing.SubscribedSku{SkuID: custom, SkuPartNumber: "CONTOSO_CUSTOM", AppliesTo: "User",
		CapabilityStatus: "Enabled", PrepaidUnits: licensing.PrepaidUnits{Enabled: 5},
		ServicePlans: []licensing.ServicePlanInfo{{ServicePlanID: plan, ServicePlanName: "CONTOSO_PLAN", AppliesTo: "User"}}})
	for i := range snap.Users {
		if snap.Users[i].ID == sampletenant.Frank {
			snap.Users[i].AssignedLicenses = append(snap.Users[i].AssignedLicenses, licensing.AssignedLicense{SkuID: custom, DisabledPlans: []licensing.PlanID{plan}})
			snap.Users[i].LicenseAssignmentStates = append(snap.Users[i].LicenseAssignmentStates,
				licensing.LicenseAssignmentState{SkuID: custom, DisabledPlans: []licensing.PlanID{plan}, State: "Active", Error: "None"})
		}
	}
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	for _, style := range []licensing.NameStyle{licensing.NamesBoth, licensing.NamesPart, licensing.NamesProduct} {
		o := report.Options{Names: style}
		var b bytes.Buffer
		require.NoError(t, o.WritePaths(&b, st, report.Text))
		assert.Regexp(t, `frank@contoso.com +US +CONTOSO_CUSTOM +direct +Active +None +CONTOSO_PLAN\n`, b.String(), style)
	}
	for r := range report.Paths(st) {
		if r.SkuID == custom {
			assert.Equal(t, "CONTOSO_CUSTOM", r.ProductName)
			assert.Equal(t, []string{"CONTOSO_PLAN"}, r.DisabledPlanFriendlyNames)
		}
	}
	for _, r := range report.Seats(st) {
		if r.SkuID == custom {
			assert.Equal(t, "CONTOSO_CUSTOM", r.ProductName)
			assert.Empty(t, r.DisplayName, "displayName stays empty when no catalog knows the product")
		}
	}
}

// A newer catalog given to the state (licensectl --catalog) names the products over the
// embedded one.
func TestReportsFollowTheStateCatalog(t *testing.T) {
	cat, err := licensing.ReadCatalogCSV(strings.NewReader("Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names\n" +
		"Office 365 E3 (renamed),ENTERPRISEPACK," + sampletenant.E3 + ",TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,Teams (renamed)\n"))
	require.NoError(t, err)
	st := contoso(t, licensing.WithCatalog(cat))
	var b bytes.Buffer
	require.NoError(t, report.WritePaths(&b, st, report.Text))
	assert.Contains(t, b.String(), "Office 365 E3 (renamed) (ENTERPRISEPACK)")
	assert.Contains(t, b.String(), "Teams (renamed) (TEAMS1)")
	assert.Contains(t, b.String(), "Office 365 E1 (STANDARDPACK)", "the embedded catalog names the rest")
}

func TestRefsNamed(t *testing.T) {
	sku := report.SkuRef{SkuPartNumber: "ENTERPRISEPACK", ProductName: "Office 365 E3"}
	plan := report.PlanRef{ServicePlanName: "EXCHANGE_S_ENTERPRISE", FriendlyName: "Exchange Online (Plan 2)"}
	for style, want := range map[licensing.NameStyle][2]string{
		licensing.NamesBoth:    {"Office 365 E3 (ENTERPRISEPACK)", "Exchange Online (Plan 2) (EXCHANGE_S_ENTERPRISE)"},
		licensing.NamesPart:    {"ENTERPRISEPACK", "EXCHANGE_S_ENTERPRISE"},
		licensing.NamesProduct: {"Office 365 E3", "Exchange Online (Plan 2)"},
	} {
		assert.Equal(t, want[0], sku.Named(style), style)
		assert.Equal(t, want[1], plan.Named(style), style)
	}
	// A document written before productName (or a reader that drops it) still names by part number.
	assert.Equal(t, "ENTERPRISEPACK", report.SkuRef{SkuPartNumber: "ENTERPRISEPACK"}.Named(licensing.NamesProduct))
}
