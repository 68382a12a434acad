package planner_test

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// lifecycleSnapshot reads licensing/testdata/tenant-lifecycle.json: readAt 2026-03-01, the 25
// E3 seats all from one subscription renewing on 2026-03-15, an EMS trial ending on 03-03.
func lifecycleSnapshot(t *testing.T) *licensing.Snapshot {
	t.Helper()
	f, err := os.Open("../licensing/testdata/tenant-lifecycle.json")
	require.NoError(t, err)
	defer f.Close()
	st, err := licensing.LoadState(f)
	require.NoError(t, err)
	return st.Snapshot()
}

func expiryPlan(t *testing.T, snap *licensing.Snapshot, desired string) *planner.Plan {
	t.Helper()
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	d, err := planner.ReadDesired(strings.NewReader(desired))
	require.NoError(t, err)
	return planner.Build(st, d)
}

// expiring returns the plan's subscription-expiry warnings.
func expiring(p *planner.Plan) []planner.Problem {
	var out []planner.Problem
	for _, pr := range p.Problems {
		if pr.Severity == planner.SeverityWarning && strings.Contains(pr.Message, "report expiring says which users to move first") {
			out = append(out, pr)
		}
	}
	return out
}

const assignE3 = `{"formatVersion":"desired/v1","users":[
 {"user":"alice@contoso.com","mode":"ensure","licenses":[{"sku":"ENTERPRISEPACK"}]},
 {"user":"bob@contoso.com","mode":"ensure","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`

func TestSubscriptionExpiringWarning(t *testing.T) {
	p := expiryPlan(t, lifecycleSnapshot(t), assignE3)
	w := expiring(p)
	require.Len(t, w, 1, "one warning per SKU, not per step: %v", p.Problems)
	pr := w[0]
	assert.Equal(t, licensing.SubscriptionExpiring, pr.Kind)
	assert.Equal(t, "6fd2c87f-b296-42f0-b197-1e91e994b900", pr.SkuID.String())
	var js bytes.Buffer
	require.NoError(t, p.WriteJSON(&js))
	assert.Contains(t, js.String(), `"kind": "SubscriptionExpiring"`)
	back, err := planner.ReadPlan(bytes.NewReader(js.Bytes()), "")
	require.NoError(t, err, "the kind reads back")
	assert.True(t, slices.ContainsFunc(back.Problems, func(q planner.Problem) bool { return q.Kind == licensing.SubscriptionExpiring }))
	assert.Contains(t, pr.Message, "Office 365 E3 (ENTERPRISEPACK)")
	assert.Contains(t, pr.Message, "subscription b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a01")
	assert.Contains(t, pr.Message, "2026-03-15")
	assert.Contains(t, pr.Message, "keeps 0 seats")
	var after int
	for _, s := range p.Seats {
		if s.SkuPartNumber == "ENTERPRISEPACK" {
			after = s.ConsumedAfter
		}
	}
	assert.Contains(t, pr.Message, "fewer than the "+strconv.Itoa(after)+" this plan leaves consumed")
	require.NotEmpty(t, pr.Step)
	s, ok := p.Step(pr.Step)
	require.True(t, ok)
	assert.Equal(t, planner.AssignLicense, s.Action)

	// Deterministic.
	assert.Equal(t, p.String(), expiryPlan(t, lifecycleSnapshot(t), assignE3).String())
}

func TestSubscriptionExpiringNoWarning(t *testing.T) {
	// Enough seats besides the lapsing subscription.
	snap := lifecycleSnapshot(t)
	for i := range snap.SubscribedSkus {
		if snap.SubscribedSkus[i].SkuPartNumber == "ENTERPRISEPACK" {
			snap.SubscribedSkus[i].PrepaidUnits.Enabled = 60
		}
	}
	assert.Empty(t, expiring(expiryPlan(t, snap, assignE3)))

	// The subscription renews after the window.
	snap = lifecycleSnapshot(t)
	for i := range snap.Subscriptions {
		if snap.Subscriptions[i].SkuPartNumber == "ENTERPRISEPACK" {
			snap.Subscriptions[i].NextLifecycleDateTime = "2026-04-15T00:00:00Z"
		}
	}
	assert.Empty(t, expiring(expiryPlan(t, snap, assignE3)))

	// A SKU without a lapsing subscription.
	assert.Empty(t, expiring(expiryPlan(t, lifecycleSnapshot(t), `{"formatVersion":"desired/v1","users":[
 {"user":"alice@contoso.com","mode":"ensure","licenses":[{"sku":"EXCHANGESTANDARD"}]}]}`)))

	// A snapshot without subscriptions (the sample tenant): never a warning.
	st, err := licensing.NewState(sampletenant.Snapshot())
	require.NoError(t, err)
	d, err := planner.ReadDesired(strings.NewReader(`{"formatVersion":"desired/v1","users":[
 {"user":"alice@contoso.com","mode":"ensure","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`))
	require.NoError(t, err)
	assert.Empty(t, expiring(planner.Build(st, d)))
}
