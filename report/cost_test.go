package report_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

// costPrices reads testdata/prices-lifecycle.json: MCOMEETADV and WORKPLACE_ANALYTICS are not
// priced.
func costPrices(t *testing.T, st *licensing.State) *report.Prices {
	t.Helper()
	f, err := os.Open("testdata/prices-lifecycle.json")
	require.NoError(t, err)
	defer f.Close()
	p, err := report.ReadPrices(f, st)
	require.NoError(t, err)
	return p
}

func TestGoldenCost(t *testing.T) {
	st := lifecycle(t)
	p := costPrices(t, st)
	for _, by := range report.CostDimensions() {
		t.Run(by, func(t *testing.T) {
			rep, err := report.Cost(st, report.CostOptions{Prices: p, By: by})
			require.NoError(t, err)
			goldenAll(t, "cost-"+by, func(w *bytes.Buffer, f report.Format) error { return rep.Write(w, f) })
		})
	}
}

func TestCostTotals(t *testing.T) {
	st := lifecycle(t)
	p := costPrices(t, st)
	bySku, err := report.Cost(st, report.CostOptions{Prices: p})
	require.NoError(t, err)
	assert.Equal(t, report.CostBySku, bySku.By)
	assert.Equal(t, "EUR", bySku.Currency)

	consumed := map[licensing.SkuID]int{}
	unused := 0
	for _, s := range st.Subscriptions() {
		consumed[s.Sku.ID] = s.Consumed
		unused += s.Available()
	}
	var priced float64
	for _, r := range bySku.Rows {
		assert.Equal(t, consumed[r.SkuID], r.Seats, r.SkuPartNumber)
		assert.Equal(t, r.SkuPartNumber, r.Value)
		if r.MonthlyCost != nil {
			priced += *r.MonthlyCost
		}
	}
	assert.Equal(t, unused, bySku.Totals.UnusedSeats)
	assert.InDelta(t, priced, bySku.Totals.AssignedMonthlyCost, 1e-9)
	assert.InDelta(t, bySku.Totals.AssignedMonthlyCost+bySku.Totals.UnusedMonthlyCost, bySku.Totals.MonthlyCost, 1e-9)

	// Unpriced SKUs are listed with null costs and counted, never zero.
	var parts []string
	for _, s := range bySku.Totals.NotPriced {
		parts = append(parts, s.SkuPartNumber)
	}
	assert.Equal(t, []string{"MCOMEETADV", "WORKPLACE_ANALYTICS"}, parts)
	assert.Positive(t, bySku.Totals.NotPricedSeats)
	for _, r := range bySku.Unused {
		if r.SkuPartNumber == "MCOMEETADV" {
			assert.Nil(t, r.MonthlyCost)
			assert.Nil(t, r.MonthlyPrice)
		}
	}

	// Every dimension counts each seat once: the same totals.
	for _, by := range report.CostDimensions()[1:] {
		rep, err := report.Cost(st, report.CostOptions{Prices: p, By: by})
		require.NoError(t, err)
		assert.Equal(t, bySku.Totals, rep.Totals, by)
		perSku := map[licensing.SkuID]int{}
		for _, r := range rep.Rows {
			perSku[r.SkuID] += r.Seats
		}
		for _, r := range bySku.Rows {
			assert.Equal(t, r.Seats, perSku[r.SkuID], "%s %s", by, r.SkuPartNumber)
		}
	}
}

func TestCostByGroup(t *testing.T) {
	st := lifecycle(t)
	rep, err := report.Cost(st, report.CostOptions{Prices: costPrices(t, st), By: report.CostByGroup})
	require.NoError(t, err)
	require.NotEmpty(t, rep.Rows)
	assert.Equal(t, report.CostDirect, rep.Rows[0].Value, "direct comes first")
	assert.Empty(t, rep.Rows[0].GroupID)
	groups := map[string]bool{}
	for _, r := range rep.Rows {
		if r.Value != report.CostDirect {
			assert.NotEmpty(t, r.GroupID, r.Value)
			groups[r.Value] = true
		}
	}
	assert.Contains(t, groups, "Licensing_E3_Base")
}

func TestCostErrors(t *testing.T) {
	st := lifecycle(t)
	_, err := report.Cost(st, report.CostOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs prices")
	_, err = report.Cost(st, report.CostOptions{Prices: costPrices(t, st), By: "country"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `cost by "country": want one of sku, department, usageLocation, group`)
}

// Trial seats are free: idle seats of a SKU with a trial subscription count as trial seats
// first, and only the rest as paid seats nobody uses.
func TestCostIdleTrialSeatsAreFree(t *testing.T) {
	f, err := os.Open("../licensing/testdata/tenant-lifecycle.json")
	require.NoError(t, err)
	defer f.Close()
	snap, err := licensing.ReadSnapshot(f)
	require.NoError(t, err)
	idle := func(snap *licensing.Snapshot) (seats, trial int) {
		st, err := licensing.NewState(snap)
		require.NoError(t, err)
		rep, err := report.Cost(st, report.CostOptions{Prices: lifecyclePricesOf(t, st)})
		require.NoError(t, err)
		for _, u := range rep.Unused {
			if u.SkuPartNumber == "ENTERPRISEPACK" {
				return u.Seats, u.TrialSeats
			}
		}
		return 0, 0
	}
	seats, trial := idle(snap)
	assert.Equal(t, 9, seats, "25 paid seats, 16 held")
	assert.Zero(t, trial)
	for i := range snap.Subscriptions {
		if snap.Subscriptions[i].SkuPartNumber == "ENTERPRISEPACK" {
			snap.Subscriptions[i].IsTrial = true
			snap.Subscriptions[i].TotalLicenses = 5
		}
	}
	seats, trial = idle(snap)
	assert.Equal(t, 4, seats, "9 idle, 5 of them trial seats")
	assert.Equal(t, 5, trial)
}
