package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plan --prices puts the monthly cost before and after into the seat table; a prices file that
// does not read is bad input (2).
func TestPlanWithPrices(t *testing.T) {
	dir, tenant, prices := lifecycleFiles(t)
	desired := writeFile(t, dir, "desired.json", `{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"Office 365 E3"}]}]}`)
	out, errs, code := cli(t, "", "plan", "--tenant", tenant, "--desired", desired, "--prices", prices)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "cost before    cost after")
	assert.Regexp(t, `Office 365 E3 \(ENTERPRISEPACK\) +25 +16 +17 +360\.00 +382\.50`, out)
	assert.Contains(t, out, "Monthly cost of the priced SKUs: 364.00 → 386.50 EUR (adds 22.50 EUR a month)")

	bad := writeFile(t, dir, "bad.json", `{"formatVersion":"prices/v1","currency":"EUR","skus":[{"sku":"ENTERPRISEPAK","monthly":1}]}`)
	_, errs, code = cli(t, "", "plan", "--tenant", tenant, "--desired", desired, "--prices", bad)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "bad.json")
	assert.Contains(t, errs, `did you mean "ENTERPRISEPACK"`)
}
