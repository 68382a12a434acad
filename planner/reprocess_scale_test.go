package planner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// seatWaitTenant has `holders` users holding every seat of E3 directly and `waiting` members of
// a licensed group whose E3 paths are in CountViolation, and the desired state that takes E3
// from the holders: every holder's step frees a seat a waiting member's reprocess needs.
func seatWaitTenant(t *testing.T, clk *fake.ManualClock, holders, waiting int) (*fake.Tenant, *planner.Desired) {
	t.Helper()
	e3 := licensing.MustParseSkuID(sampletenant.E3)
	exo := licensing.ServicePlan{ID: licensing.PlanID(licensing.MustParseGUID("efb87545-963c-4e0d-99df-69c6916d9eb0")), Name: "EXCHANGE_S_ENTERPRISE"}
	b := fake.NewBuilder(sampletenant.TenantID).DefaultUsageLocation("US").Sku(e3, "ENTERPRISEPACK", holders, exo)
	var d strings.Builder
	d.WriteString(`{"formatVersion":"desired/v1","users":[`)
	for i := range holders {
		b.User(fmt.Sprintf("h%d", i), fmt.Sprintf("h%d@contoso.com", i), "US", licensing.AssignedLicense{SkuID: e3})
		if i > 0 {
			d.WriteString(",")
		}
		fmt.Fprintf(&d, `{"user":"h%d@contoso.com","mode":"exact","licenses":[]}`, i)
	}
	d.WriteString(`],"options":{"allowServiceLoss":true}}`) // the holders leave
	var members []string
	for i := range waiting {
		b.User(fmt.Sprintf("w%d", i), fmt.Sprintf("w%d@contoso.com", i), "US")
		members = append(members, fmt.Sprintf("w%d", i))
	}
	b.Group("gWait", "Licensing_Wait", []licensing.AssignedLicense{{SkuID: e3}}, members...)
	snap := b.Snapshot()
	snap.SubscribedSkus[0].ID = sampletenant.TenantID + "_" + e3.String()
	ft, err := fake.New(snap, fake.WithClock(clk))
	require.NoError(t, err)
	ft.ProcessGroups()
	return ft, desired(t, d.String())
}

// A reprocess of a member waiting for a seat depends on the steps that free seats of the SKU,
// by name while they are few; when many steps free seats for many members, it goes in a wave
// after them instead, so that the plan stays linear in size (not members × freed seats) and
// still applies in a safe order.
func TestReprocessWaitsForFreedSeatsAndScales(t *testing.T) {
	for _, tc := range []struct {
		holders, waiting int
		byWave           bool
	}{{3, 2, false}, {32, 2, false}, {33, 2, true}, {400, 300, true}} {
		t.Run(fmt.Sprintf("%d holders %d waiting", tc.holders, tc.waiting), func(t *testing.T) {
			clk := fake.NewManualClock(epoch)
			ft, d := seatWaitTenant(t, clk, tc.holders, tc.waiting)
			st := fakeState(t, ft)
			for i := range tc.waiting {
				u, err := st.LookupUser(fmt.Sprintf("w%d@contoso.com", i))
				require.NoError(t, err)
				require.True(t, st.Bulk().HasPathInError(u, licensing.CountViolation, true), "w%d waits for a seat", i)
			}
			p := planner.Build(st, d)
			require.True(t, p.Applyable(), "%s", p)

			releasers := map[string]int{} // step id → wave
			var reprocess []*planner.Step
			deps := 0
			for _, s := range p.Steps {
				deps += len(s.DependsOn)
				switch s.Action {
				case planner.AssignLicense:
					releasers[s.ID] = s.Wave
				case planner.ReprocessLicenseAssignment:
					reprocess = append(reprocess, s)
				}
			}
			require.Len(t, releasers, tc.holders)
			require.Len(t, reprocess, tc.waiting, "every waiting member gets a seat")
			assert.LessOrEqual(t, deps, 2*(tc.holders+tc.waiting), "dependencies grow with the plan, not with holders × waiting")
			for _, s := range reprocess {
				if tc.byWave {
					assert.Empty(t, s.DependsOn, s.ID)
					for id, w := range releasers {
						require.Greater(t, s.Wave, w, "%s runs in a wave after %s", s.ID, id)
					}
					assert.Contains(t, s.Reason, "wave")
				} else {
					assert.Len(t, s.DependsOn, tc.holders, "%s depends on each step that frees a seat", s.ID)
					for _, d := range s.DependsOn {
						assert.Contains(t, releasers, d)
					}
				}
			}

			res, err := planner.Apply(context.Background(), ft, p, planner.WithClock(manualSleeper{clk}))
			require.NoError(t, err, "%v", res)
			assert.Equal(t, len(p.Steps), res.Succeeded)
			after := fakeState(t, ft)
			for i := range tc.waiting {
				u, _ := after.LookupUser(fmt.Sprintf("w%d@contoso.com", i))
				assert.False(t, after.Bulk().HasPathInError(u, licensing.None, false), "w%d has their seat", i)
			}
			assert.Empty(t, planner.Build(after, d).Steps)
		})
	}
}
