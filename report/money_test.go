package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

func goldenAll(t *testing.T, name string, write func(w *bytes.Buffer, f report.Format) error) {
	t.Helper()
	for _, f := range formats {
		var a, b bytes.Buffer
		require.NoError(t, write(&a, f))
		require.NoError(t, write(&b, f))
		assert.Equal(t, a.String(), b.String(), "same state must give the same bytes")
		if f == report.JSON {
			assert.True(t, json.Valid(a.Bytes()), "invalid JSON")
		}
		golden(t, name+"."+ext(f), a.Bytes())
	}
}

func TestGoldenReclaim(t *testing.T) {
	st := lifecycle(t)
	p := lifecyclePricesOf(t, st)
	rep, err := report.Reclaim(st, report.ReclaimOptions{Prices: p})
	require.NoError(t, err)
	goldenAll(t, "reclaim", func(w *bytes.Buffer, f report.Format) error { return rep.Write(w, f) })

	byUser := map[string]report.ReclaimRow{}
	for _, r := range rep.Users {
		byUser[strings.TrimSuffix(r.UserPrincipalName, "@contoso.com")] = r
	}
	// bob: {} signInActivity, created 2025-01-10: no sign-in recorded, reclaimable.
	assert.Equal(t, report.ReasonNeverSignedIn, byUser["bob"].Reason)
	// erin: last sign-in 2025-12-24, 67 days before readAt: active at 90 days.
	assert.NotContains(t, byUser, "erin")
	// alice signed in yesterday; frank and the others have no signInActivity: unknown, never inactive.
	assert.NotContains(t, byUser, "alice")
	assert.NotContains(t, byUser, "frank")

	rep, err = report.Reclaim(st, report.ReclaimOptions{InactiveDays: 30, Prices: p})
	require.NoError(t, err)
	var erin *report.ReclaimRow
	for i := range rep.Users {
		if rep.Users[i].UserPrincipalName == "erin@contoso.com" {
			erin = &rep.Users[i]
		}
	}
	require.NotNil(t, erin, "erin is inactive at 30 days")
	assert.Equal(t, report.ReasonInactive, erin.Reason)
	assert.Equal(t, "2025-12-24T17:00:00Z", erin.LastSignInDateTime)
	// Her E3 from Licensing_E3_Base is in error (it conflicts with her direct E1): no seat to reclaim.
	require.Len(t, erin.Licenses, 1)
	assert.Equal(t, "STANDARDPACK", erin.Licenses[0].SkuPartNumber)
	assert.Equal(t, report.ViaDirect, erin.Licenses[0].Via)
	require.NotNil(t, erin.MonthlyCost)
	assert.InDelta(t, 7.8, *erin.MonthlyCost, 1e-9)

	// A user created within the window is not inactive.
	rep, err = report.Reclaim(st, report.ReclaimOptions{Now: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	for _, r := range rep.Users {
		assert.NotEqual(t, "bob@contoso.com", r.UserPrincipalName)
		assert.Nil(t, r.MonthlyCost, "no prices, no cost")
	}
}

func TestReclaimSignInUnknownAndNoReadAt(t *testing.T) {
	snap := lifecycle(t).Snapshot()
	snap.SignInActivityUnknown = true
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	rep, err := report.Reclaim(st, report.ReclaimOptions{InactiveDays: 1})
	require.NoError(t, err)
	for _, r := range rep.Users {
		assert.Equal(t, report.ReasonDisabled, r.Reason, r.UserPrincipalName)
	}

	_, err = report.Reclaim(contoso(t), report.ReclaimOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--now")
}

func TestGoldenExpiring(t *testing.T) {
	st := lifecycle(t)
	rep, err := report.Expiring(st, report.ExpiringOptions{})
	require.NoError(t, err)
	goldenAll(t, "expiring", func(w *bytes.Buffer, f report.Format) error { return rep.Write(w, f) })

	require.Len(t, rep.Subscriptions, 2, "the E3 renewal on 03-15 and the EMS trial ending 03-03; the deleted E5 has no date")
	e3, ems := rep.Subscriptions[0], rep.Subscriptions[1]
	assert.Equal(t, "ENTERPRISEPACK", e3.SkuPartNumber)
	assert.Equal(t, report.LossAfterGracePeriod, e3.ServiceLoss)
	assert.Equal(t, 0, e3.SeatsAfter, "25 seats, all from this subscription")
	assert.Equal(t, e3.Consumed, e3.Shortfall)
	assert.Equal(t, e3.Consumed, e3.Users)
	assert.Len(t, e3.FirstUsers, 5)
	assert.True(t, ems.IsTrial)
	assert.Equal(t, 13, e3.DaysLeft, "13 days and 16 hours")

	rep, err = report.Expiring(st, report.ExpiringOptions{WithinDays: 3})
	require.NoError(t, err)
	require.Len(t, rep.Subscriptions, 1)
	assert.Equal(t, "EMS", rep.Subscriptions[0].SkuPartNumber)
	assert.Equal(t, 3, rep.Subscriptions[0].Users, "mobile4 waits for a seat: he holds none")
	assert.NotEmpty(t, rep.Subscriptions[0].PlansLost)
}

func TestLowSeats(t *testing.T) {
	st := lifecycle(t)
	parts := func(rs []report.SeatRow) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.SkuPartNumber)
		}
		return out
	}
	// EMS (3 seats, all used) has only a trial subscription: ignored unless includeFree.
	assert.NotContains(t, parts(report.LowSeats(st, 1, false)), "EMS")
	assert.Contains(t, parts(report.LowSeats(st, 1, true)), "EMS")
	assert.Empty(t, report.LowSeats(st, 0, true))
	for _, r := range report.LowSeats(st, 10, false) {
		assert.Less(t, r.Available, 10)
	}
}
