package planner_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

type priceList map[licensing.SkuID]float64

func (p priceList) Monthly(id licensing.SkuID) (float64, bool) { m, ok := p[id]; return m, ok }

// With prices, the seat tables show each SKU's monthly cost before and after and the plan's
// saving; unpriced SKUs are named, never counted as free; plan/v1 does not change.
func TestPlanWithPrices(t *testing.T) {
	st, desired := loadCase(t, "testdata/e1-to-e3-swap")
	p := planner.Build(st, desired)
	prices := priceList{licensing.MustParseSkuID(sampletenant.E3): 22.5, licensing.MustParseSkuID(sampletenant.E1): 8}
	q := p.WithPrices("EUR", prices)

	var txt, md, js, plain bytes.Buffer
	require.NoError(t, q.WriteText(&txt))
	require.NoError(t, q.WriteMarkdown(&md))
	require.NoError(t, q.WriteJSON(&js))
	require.NoError(t, p.WriteJSON(&plain))
	assert.Equal(t, plain.String(), js.String(), "plan/v1 carries no prices")

	out := txt.String()
	assert.Contains(t, out, "cost before    cost after")
	// E3: 16 → 17 seats at 22.50; E1: 2 → 1 at 8.00.
	assert.Regexp(t, `Office 365 E3 \(ENTERPRISEPACK\) +25 +16 +17 +360\.00 +382\.50`, out)
	assert.Regexp(t, `Office 365 E1 \(STANDARDPACK\) +20 +2 +1 +16\.00 +8\.00`, out)
	assert.Regexp(t, `Exchange Online \(Plan 1\) \(EXCHANGESTANDARD\) +10 +1 +1 +— +—`, out)
	assert.Contains(t, out, "Monthly cost of the priced SKUs: 376.00 → 390.50 EUR (adds 14.50 EUR a month); not priced, not counted: ")
	assert.Contains(t, out, "Exchange Online (Plan 1) (EXCHANGESTANDARD)")
	assert.Contains(t, md.String(), "| cost before (EUR) | cost after (EUR) |")
	assert.Contains(t, md.String(), "| Office 365 E3 (ENTERPRISEPACK) | 25 | 16 | 17 | 360.00 | 382.50 |")

	// A saving reads as one.
	down := priceList{licensing.MustParseSkuID(sampletenant.E1): 8}
	var saving bytes.Buffer
	require.NoError(t, p.WithPrices("USD", down).WriteText(&saving))
	assert.Contains(t, saving.String(), "16.00 → 8.00 USD (saves 8.00 USD a month)")

	// Without prices the table is as before.
	var none bytes.Buffer
	require.NoError(t, p.WriteText(&none))
	assert.False(t, strings.Contains(none.String(), "cost before"))
}
