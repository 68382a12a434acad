package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lifecycleFiles copies licensing/testdata/tenant-lifecycle.json (readAt 2026-03-01, sign-in
// activity, subscriptions) and writes a prices file beside it.
func lifecycleFiles(t *testing.T) (dir, tenant, prices string) {
	dir = t.TempDir()
	b, err := os.ReadFile("../../licensing/testdata/tenant-lifecycle.json")
	require.NoError(t, err)
	tenant = filepath.Join(dir, "tenant.json")
	require.NoError(t, os.WriteFile(tenant, b, 0o644))
	prices = writeFile(t, dir, "prices.json", `{"formatVersion":"prices/v1","currency":"EUR","skus":[{"sku":"ENTERPRISEPACK","monthly":22.5},{"sku":"Exchange Online (Plan 1)","monthly":4}]}`)
	return dir, tenant, prices
}

func TestReportReclaim(t *testing.T) {
	dir, tenant, prices := lifecycleFiles(t)
	out, errs, code := cli(t, "", "report", "reclaim", "--tenant", tenant, "--prices", prices)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "bob@contoso.com")
	assert.Contains(t, out, "2 users, 2 seats, 26.50 EUR a month")

	out, errs, code = cli(t, "", "report", "reclaim", "--tenant", tenant, "--inactive-days", "30", "--output", "json", "--now", "2026-03-01T08:00:00Z")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"userPrincipalName": "erin@contoso.com"`)
	assert.Contains(t, out, `"monthlyCost": null`)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--inactive-days", "0"}, "--inactive-days 0: want 1 to 36500 days"},
		{[]string{"--now", "yesterday"}, `--now "yesterday": want an RFC 3339 time`},
		{[]string{"--within-days", "5"}, "--within-days applies to report expiring only, not reclaim"},
		{[]string{"--prices", writeFile(t, dir, "bad.json", `{"formatVersion":"prices/v1","currency":"EUR","skus":[{"sku":"E3PACK","monthly":1}]}`)}, "bad.json: InvalidInput: prices: skus[0] (\"E3PACK\")"},
		{[]string{"--prices", filepath.Join(dir, "missing.json")}, "missing.json"},
	} {
		_, errs, code := cli(t, "", append([]string{"report", "reclaim", "--tenant", tenant}, c.args...)...)
		assert.Equal(t, 2, code, c.args)
		assert.Contains(t, errs, c.want, c.args)
	}
	// The sample tenant has no readAt.
	_, sample := files(t)
	_, errs, code = cli(t, "", "report", "reclaim", "--tenant", sample)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--now")
	_, errs, code = cli(t, "", "report", "paths", "--tenant", sample, "--prices", prices)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--prices applies to report reclaim and cost only, not paths")
}

func TestReportExpiring(t *testing.T) {
	_, tenant, _ := lifecycleFiles(t)
	out, errs, code := cli(t, "", "report", "expiring", "--tenant", tenant, "--within-days", "3", "--output", "json")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"skuPartNumber": "EMS"`)
	assert.NotContains(t, out, `"skuPartNumber": "ENTERPRISEPACK"`)
	assert.Contains(t, out, `"shortfall": 3`)

	out, errs, code = cli(t, "", "report", "expiring", "--tenant", tenant)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Office 365 E3 (ENTERPRISEPACK)")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--within-days", "0"}, "--within-days 0: want 1 to 3650 days"},
		{[]string{"--inactive-days", "5"}, "--inactive-days applies to report reclaim only, not expiring"},
	} {
		_, errs, code := cli(t, "", append([]string{"report", "expiring", "--tenant", tenant}, c.args...)...)
		assert.Equal(t, 2, code, c.args)
		assert.Contains(t, errs, c.want, c.args)
	}
}

func TestReportSeatsMinFree(t *testing.T) {
	_, tenant, _ := lifecycleFiles(t)
	out, errs, code := cli(t, "", "report", "seats", "--tenant", tenant, "--min-free", "5")
	assert.Equal(t, 3, code, errs)
	assert.Contains(t, out, "Office 365 E3 (ENTERPRISEPACK)", "the report is written before the alert")
	assert.Contains(t, errs, "2 SKU(s) with fewer than 5 free seats: MCOMEETADV has 4 free, WORKPLACE_ANALYTICS has 4 free")
	assert.NotContains(t, errs, "EMS", "a trial-only SKU is ignored")

	_, errs, code = cli(t, "", "report", "seats", "--tenant", tenant, "--min-free", "1", "--include-free")
	assert.Equal(t, 3, code)
	assert.Contains(t, errs, "1 SKU(s) with fewer than 1 free seats: EMS has 0 free")

	_, errs, code = cli(t, "", "report", "seats", "--tenant", tenant, "--min-free", "4")
	assert.Equal(t, 0, code, errs)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--min-free", "-1"}, "--min-free -1: want 0 or more"},
		{[]string{"--include-free"}, "--include-free needs --min-free N"},
	} {
		_, errs, code := cli(t, "", append([]string{"report", "seats", "--tenant", tenant}, c.args...)...)
		assert.Equal(t, 2, code, c.args)
		assert.Contains(t, errs, c.want, c.args)
	}
	_, errs, code = cli(t, "", "report", "paths", "--tenant", tenant, "--min-free", "1")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--min-free applies to report seats only, not paths")
}

func TestReportCost(t *testing.T) {
	_, tenant, prices := lifecycleFiles(t)
	out, errs, code := cli(t, "", "report", "cost", "--tenant", tenant, "--prices", prices)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Office 365 E3 (ENTERPRISEPACK)")
	assert.Contains(t, out, "Paid seats nobody holds:")
	assert.Contains(t, out, "Not priced: ")

	out, errs, code = cli(t, "", "report", "cost", "--tenant", tenant, "--prices", prices, "--by", "department", "--output", "json")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"report": "cost"`)
	assert.Contains(t, out, `"by": "department"`)
	assert.Contains(t, out, `"value": "Operations"`)
	assert.Contains(t, out, `"monthlyCost": null`)

	out, errs, code = cli(t, "", "report", "cost", "--tenant", tenant, "--prices", prices, "--by", "group", "--output", "csv")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "assigned,group,Licensing_E3_Base,")

	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "report cost needs --prices FILE"},
		{[]string{"--prices", prices, "--by", "country"}, `--by "country": want one of sku, department, usageLocation, group`},
		{[]string{"--prices", prices, "--now", "2026-03-01T08:00:00Z"}, "--now applies to report reclaim and expiring only, not cost"},
	} {
		_, errs, code := cli(t, "", append([]string{"report", "cost", "--tenant", tenant}, c.args...)...)
		assert.Equal(t, 2, code, c.args)
		assert.Contains(t, errs, c.want, c.args)
	}
	for _, r := range []string{"reclaim", "seats"} {
		_, errs, code := cli(t, "", "report", r, "--tenant", tenant, "--by", "sku")
		assert.Equal(t, 2, code, r)
		assert.Contains(t, errs, "--by applies to report cost only, not "+r)
	}
}
