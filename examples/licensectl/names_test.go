package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

// productNames are names of the sample tenant's products and plans that only the product
// styles show.
var productNames = []string{"Office 365", "Enterprise Mobility", "Exchange Online (Plan", "Microsoft Teams", "SharePoint (Plan"}

// reportsText runs every report and explains carol, erin and mobile4, with args added.
func reportsText(t *testing.T, tenant string, args ...string) string {
	t.Helper()
	var all strings.Builder
	for _, name := range report.Names() {
		out, errOut, code := cli(t, "", append([]string{"report", name, "--tenant", tenant}, args...)...)
		require.Equal(t, 0, code, errOut)
		all.WriteString(out)
	}
	for _, u := range []string{"carol", "erin", "mobile4"} {
		out, errOut, code := cli(t, "", append([]string{"explain", "--tenant", tenant, "--user", u + "@contoso.com"}, args...)...)
		require.Equal(t, 0, code, errOut)
		all.WriteString(out)
	}
	return all.String()
}

func TestNamesFlag(t *testing.T) {
	dir, tenant := files(t)

	both := reportsText(t, tenant)
	assert.Equal(t, both, reportsText(t, tenant, "--names", "both"), "both is the default")
	for _, want := range []string{"Office 365 E3 (ENTERPRISEPACK)", "Enterprise Mobility + Security E3 (EMS)", "Microsoft Teams (TEAMS1)",
		"buy 1 more seat of Enterprise Mobility + Security E3 (EMS)"} {
		assert.Contains(t, both, want)
	}

	part := reportsText(t, tenant, "--names", "part")
	for _, p := range productNames {
		assert.NotContains(t, part, p, "--names part shows no product name")
	}
	assert.Contains(t, part, "buy 1 more seat of EMS")
	assert.Contains(t, part, "ENTERPRISEPACK — 10 of 13 plans on")

	product := reportsText(t, tenant, "--names", "PRODUCT")
	for _, id := range []string{"ENTERPRISEPACK", "STANDARDPACK", "TEAMS1", "SHAREPOINTENTERPRISE"} {
		assert.NotContains(t, product, id, "--names product shows no part number")
	}
	assert.Contains(t, product, "Office 365 E3 — 10 of 13 plans on")

	// JSON and CSV carry ids, part numbers and product names whatever --names says.
	for _, f := range []string{"json", "csv"} {
		def, _, code := cli(t, "", "report", "paths", "--tenant", tenant, "--output", f)
		require.Equal(t, 0, code)
		partOut, _, code := cli(t, "", "report", "paths", "--tenant", tenant, "--output", f, "--names", "part")
		require.Equal(t, 0, code)
		assert.Equal(t, def, partOut, f)
		assert.Contains(t, def, "ENTERPRISEPACK")
		assert.Contains(t, def, "Office 365 E3")
		assert.Contains(t, def, sampletenant.E3)
	}
	out, _, code := cli(t, "", "report", "seats", "--tenant", tenant, "--output", "json")
	require.Equal(t, 0, code)
	var seats struct {
		Seats []map[string]any `json:"seats"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &seats))
	assert.Equal(t, "ENTERPRISEPACK", seats.Seats[1]["skuPartNumber"])
	assert.Equal(t, "Office 365 E3", seats.Seats[1]["productName"])
	assert.Equal(t, "Office 365 E3", seats.Seats[1]["displayName"], "kept for the readers of report/v1")

	// plan and apply: the steps and the seats.
	desired := writeFile(t, dir, "desired.json", swap)
	out, _, code = cli(t, "", "plan", "--tenant", tenant, "--desired", desired, "--names", "part")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "assignLicense +ENTERPRISEPACK -STANDARDPACK")
	assert.Regexp(t, `\n  ENTERPRISEPACK +25 +16 +17\n`, out, "the seats table names part numbers")
	assert.Contains(t, out, "why: swap STANDARDPACK → ENTERPRISEPACK", "reasons name SKUs in the style too")
	for _, line := range strings.Split(out, "\n") {
		for _, p := range productNames {
			assert.NotContains(t, line, p, "--names part")
		}
	}
	out, _, code = cli(t, "", "plan", "--tenant", tenant, "--desired", desired, "--names", "product", "--output", "markdown")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "assignLicense +Office 365 E3 -Office 365 E1")
	out, _, code = cli(t, "", "apply", "--tenant", tenant, "--desired", desired, "--yes", "--names", "part", "--out", filepath.Join(dir, "after.json"))
	require.Equal(t, 0, code)
	assert.Contains(t, out, "assignLicense +ENTERPRISEPACK -STANDARDPACK")
	out, _, code = cli(t, "", "apply", "--tenant", tenant, "--desired", desired, "--yes", "--out", filepath.Join(dir, "after2.json"))
	require.Equal(t, 0, code)
	assert.Contains(t, out, "assignLicense +Office 365 E3 (ENTERPRISEPACK) -Office 365 E1 (STANDARDPACK)")
}

// --catalog is optional: the embedded catalog names the products, and a newer CSV's names take
// precedence over it.
func TestCatalogOverridesTheEmbeddedNames(t *testing.T) {
	dir, tenant := files(t)
	csvFile := writeFile(t, dir, "catalog.csv", "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names\n"+
		"Office 365 E3 (renamed),ENTERPRISEPACK,"+sampletenant.E3+",TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,Teams (renamed)\n")
	out, errOut, code := cli(t, "", "explain", "--tenant", tenant, "--user", "carol@contoso.com", "--catalog", csvFile)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Office 365 E3 (renamed) (ENTERPRISEPACK) — 10 of 13 plans on")
	assert.Contains(t, out, "Teams (renamed) (TEAMS1)")
	assert.Contains(t, out, "Exchange Online (Plan 2) (EXCHANGE_S_ENTERPRISE)", "the embedded catalog names the rest")
}

// licensectl version and --help say which catalog names the products.
func TestVersionNamesTheEmbeddedCatalog(t *testing.T) {
	o := licensing.MicrosoftCatalogOrigin()
	require.NotEmpty(t, o.Date)
	out, _, code := cli(t, "", "version")
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "licensectl "), out)
	assert.Contains(t, out, "product names: Microsoft's licensing CSV of "+o.Date+", ")
	assert.Regexp(t, `, [1-9][0-9]{2,} products, [1-9][0-9]{2,} service plans\n`, out)
	assert.Contains(t, out, o.Source)

	help, _, code := cli(t, "", "--help")
	require.Equal(t, 0, code)
	assert.Contains(t, help, "Product names: Microsoft's licensing CSV of "+o.Date)
	assert.Contains(t, help, "--names STYLE")
	assert.Contains(t, help, "licensectl version")

	_, errOut, code := cli(t, "", "version", "extra")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unexpected argument "extra"`)
	for _, cmd := range []string{"plan", "apply", "report", "explain"} {
		_, errOut, code := cli(t, "", cmd, "--help")
		assert.Equal(t, 0, code, cmd)
		assert.Contains(t, errOut, "--names part|product|both", cmd)
		assert.Contains(t, errOut, "-names STYLE", cmd)
	}
}
