package report_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

// lifecycle compiles licensing/testdata/tenant-lifecycle.json (readAt 2026-03-01, sign-in
// activity, subscriptions: an E3 renewal on 03-15, an EMS trial ending 03-03).
func lifecycle(t testing.TB) *licensing.State {
	t.Helper()
	f, err := os.Open("../licensing/testdata/tenant-lifecycle.json")
	require.NoError(t, err)
	defer f.Close()
	st, err := licensing.LoadState(f)
	require.NoError(t, err)
	return st
}

const lifecyclePrices = `{"formatVersion":"prices/v1","currency":"EUR","skus":[
 {"sku":"ENTERPRISEPACK","monthly":22.5},{"sku":"Office 365 E1","monthly":7.8},
 {"sku":"efccb6f7-5641-4e0e-bd10-b4976e1bf68e","monthly":10.6},{"sku":"exchangestandard","monthly":4},
 {"sku":"SPE_E5","monthly":57}]}`

func lifecyclePricesOf(t testing.TB, st *licensing.State) *report.Prices {
	t.Helper()
	p, err := report.ReadPrices(strings.NewReader(lifecyclePrices), st)
	require.NoError(t, err)
	return p
}

func TestReadPrices(t *testing.T) {
	st := lifecycle(t)
	p := lifecyclePricesOf(t, st)
	assert.Equal(t, "EUR", p.Currency)
	require.Len(t, p.Skus, 5)
	assert.Equal(t, "STANDARDPACK", p.Skus[1].SkuPartNumber)
	assert.Equal(t, "EMS", p.Skus[2].SkuPartNumber)
	assert.Equal(t, "SPE_E5", p.Skus[4].SkuPartNumber)
	assert.False(t, p.Skus[4].InTenant, "a Microsoft product the tenant lacks may be priced")
	assert.True(t, p.Skus[0].InTenant)
	m, ok := p.Monthly(p.Skus[0].SkuID)
	assert.True(t, ok)
	assert.Equal(t, 22.5, m)

	for doc, want := range map[string]string{
		`{"formatVersion":"prices/v2","currency":"EUR","skus":[]}`:                                                    `formatVersion "prices/v2"`,
		`{"formatVersion":"prices/v1","currency":"euro","skus":[]}`:                                                   `currency "euro": want an ISO 4217 code`,
		`{"formatVersion":"prices/v1","currency":"EUR","skus":[{"sku":"ENTERPRISEPAK","monthly":1}]}`:                 `skus[0] ("ENTERPRISEPAK"): unknown SKU "ENTERPRISEPAK" (did you mean "ENTERPRISEPACK"`,
		`{"formatVersion":"prices/v1","currency":"EUR","skus":[{"sku":"EMS","monthly":-1}]}`:                          `skus[0] ("EMS"): monthly -1 is negative`,
		`{"formatVersion":"prices/v1","currency":"EUR","skus":[{"sku":"EMS"}]}`:                                       `skus[0] ("EMS"): monthly is missing`,
		`{"formatVersion":"prices/v1","currency":"EUR","skus":[{"sku":"EMS","monthly":1},{"sku":"ems","monthly":2}]}`: `skus[1] ("ems"): Enterprise Mobility + Security E3 (EMS) is priced twice (first at skus[0] ("EMS"))`,
		`{"formatVersion":"prices/v1","currency":"EUR","skus":[{"sku":"EMS","monthly":1,"yearly":12}]}`:               `unknown field "yearly"`,
		`{"formatVersion":"prices/v1","currency":"EUR","skus":[]} {}`:                                                 `unexpected data after`,
	} {
		_, err := report.ReadPrices(strings.NewReader(doc), st)
		require.Error(t, err, doc)
		assert.Contains(t, err.Error(), want, doc)
	}
}
