package planner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// randomDesired writes a random desired state for a tenant: user targets in both modes with
// disabled or enabled plan lists, usage locations, group memberships, group license changes,
// sometimes a migration, sometimes make-before-break, sometimes consent to lose service.
func randomDesired(r *rand.Rand, snap *licensing.Snapshot) *planner.Desired {
	d := &planner.Desired{FormatVersion: planner.DesiredFormatVersion}
	skus := snap.SubscribedSkus
	spec := func() planner.LicenseSpec {
		k := skus[r.IntN(len(skus))]
		for k.SkuPartNumber == "EMS" { // EMS is short of seats on purpose; keep most cases applyable
			k = skus[r.IntN(len(skus))]
		}
		ls := planner.LicenseSpec{Sku: k.SkuPartNumber}
		switch r.IntN(3) {
		case 1:
			ls.DisabledPlans = []string{k.ServicePlans[r.IntN(len(k.ServicePlans))].ServicePlanName}
		case 2:
			ls.EnabledPlans = []string{k.ServicePlans[r.IntN(len(k.ServicePlans))].ServicePlanName}
		}
		return ls
	}
	seen := map[int]bool{}
	for n := 1 + r.IntN(8); n > 0; n-- {
		i := r.IntN(len(snap.Users))
		if seen[i] {
			continue
		}
		seen[i] = true
		u := snap.Users[i]
		t := planner.UserTarget{User: u.UserPrincipalName, Mode: []string{planner.ModeEnsure, planner.ModeExact}[r.IntN(2)], Licenses: []planner.LicenseSpec{}}
		if u.UsageLocation == "" || r.IntN(5) == 0 {
			t.UsageLocation = []string{"US", "NO", "DE"}[r.IntN(3)]
		}
		used := map[string]bool{}
		for k := r.IntN(3); k > 0; k-- {
			s := spec()
			if !used[s.Sku] {
				used[s.Sku] = true
				t.Licenses = append(t.Licenses, s)
			}
		}
		if r.IntN(3) == 0 || t.Mode == planner.ModeExact {
			// Keep some of the user's licensed groups and maybe join another one.
			t.Groups = []string{}
			for _, g := range snap.Groups {
				for _, m := range g.Members {
					if m == u.ID && r.IntN(4) != 0 {
						t.Groups = append(t.Groups, g.DisplayName)
					}
				}
			}
			if r.IntN(2) == 0 {
				t.Groups = append(t.Groups, snap.Groups[3+r.IntN(len(snap.Groups)-3)].DisplayName)
			}
		}
		if len(u.AssignedLicenses) > 0 && r.IntN(3) == 0 {
			// Consent to lose every plan of one license the user has (so that some plans need
			// it, and the check below tells consented losses from the rest).
			l := u.AssignedLicenses[r.IntN(len(u.AssignedLicenses))]
			for _, k := range snap.SubscribedSkus {
				if k.SkuID == l.SkuID {
					for _, sp := range k.ServicePlans {
						t.AllowServiceLoss = append(t.AllowServiceLoss, sp.ServicePlanID.String())
					}
				}
			}
		}
		d.Users = append(d.Users, t)
	}
	if r.IntN(3) == 0 {
		g := snap.Groups[3+r.IntN(len(snap.Groups)-3)]
		d.Groups = append(d.Groups, planner.GroupTarget{Group: g.DisplayName, Mode: planner.ModeEnsure, Licenses: []planner.LicenseSpec{spec()}})
	}
	if r.IntN(2) == 0 {
		d.MigrateDirectToGroup = &planner.Migration{Users: planner.UserSelector{All: true}, Waves: []float64{0.3, 1}}
	}
	d.Options.MakeBeforeBreak = r.IntN(2) == 0
	d.Options.AllowServiceLoss = r.IntN(2) == 0
	return d
}

// TestPropertyPlanApplyOnFake: for random tenants and random desired states, a plan that the
// planner calls applyable runs on the fake tenant (an independent model of Entra) with no
// unpredicted error, no seat overdraft and no service loss the desired state did not allow,
// and planning again gives an empty plan. LICENSEPLAN_PROPERTY_CASES sets the number of cases.
func TestPropertyPlanApplyOnFake(t *testing.T) {
	cases := 150
	if testing.Short() {
		cases = 30
	}
	if v, err := strconv.Atoi(os.Getenv("LICENSEPLAN_PROPERTY_CASES")); err == nil {
		cases = v
	}
	applied := 0
	for seed := uint64(1); seed <= uint64(cases); seed++ {
		snap := synth.Tenant(synth.Options{Users: 40 + int(seed%40), Skus: 12, Groups: 6, Seed: seed})
		r := rand.New(rand.NewPCG(seed, 99))
		d := randomDesired(r, snap)
		doc, _ := json.Marshal(d)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			st, err := licensing.NewState(snap)
			require.NoError(t, err)
			p := planner.Build(st, d)
			if !p.Applyable() {
				return
			}
			applied++
			tenant, err := fake.New(snap)
			require.NoError(t, err)
			before, err := tenant.SubscribedSkus(context.Background())
			require.NoError(t, err)
			res, err := planner.Apply(context.Background(), tenant, p, planner.WithTenantID(snap.TenantID),
				planner.WithGroupProcessing(time.Millisecond, 10*time.Second))
			require.NoError(t, err, "desired: %s\nplan:\n%s\nresult: %v", doc, p, res)

			after, err := tenant.SubscribedSkus(context.Background())
			require.NoError(t, err)
			for i, k := range after {
				if k.ConsumedUnits > k.PrepaidUnits.Enabled {
					assert.LessOrEqual(t, k.ConsumedUnits, before[i].ConsumedUnits, "%s overdrawn by the plan", k.SkuPartNumber)
				}
			}
			if !d.Options.AllowServiceLoss {
				// A user may lose exactly the plans their allowServiceLoss names.
				consent := map[string]licensing.PlanSet{}
				for _, u := range d.Users {
					i, err := st.LookupUser(u.User)
					if err != nil {
						continue
					}
					allowed := consent[st.User(i).ID]
					for _, ref := range u.AllowServiceLoss {
						if pl, err := st.Catalog().LookupPlan(ref); err == nil {
							allowed.Add(pl.Index())
						}
					}
					consent[st.User(i).ID] = allowed
				}
				for _, h := range tenant.History() {
					lost := st.Rules().ServiceLoss(st.Catalog().PlanSetOf(h.EnabledPlansBefore), st.Catalog().PlanSetOf(h.EnabledPlansAfter))
					lost = lost.Minus(consent[h.UserID])
					assert.True(t, lost.IsEmpty(), "user %s lost %v (%s) without consent\ndesired: %s\nplan:\n%s", h.UserID, st.Catalog().PlanNames(lost), h.Cause, doc, p)
				}
			}
			snap2, err := tenant.Snapshot(context.Background())
			require.NoError(t, err)
			st2, err := licensing.NewState(snap2)
			require.NoError(t, err)
			again := planner.Build(st2, d)
			assert.Empty(t, again.Steps, "second plan not empty\ndesired: %s\nfirst plan:\n%s\nsecond plan:\n%s", doc, p, again)
		})
	}
	t.Logf("%d of %d random cases were applyable and applied", applied, cases)
	assert.Greater(t, applied, cases/10, "too few applyable cases to prove anything")
}
