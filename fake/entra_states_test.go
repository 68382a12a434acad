package fake_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/licensing"
)

// Plans used by the stories below, with Microsoft's ids.
var (
	planIntuneA    = licensing.MustParsePlanID("c1ec4a95-1f05-45b3-a911-aa3fa01094f5") // INTUNE_A
	planAADPremium = licensing.MustParsePlanID("41781fb2-bc02-4b7c-bd55-b576c07bb09d") // AAD_PREMIUM
)

// testRules stands alone (the defaults are being reworked elsewhere): SharePoint Plan 1 and 2
// exclude each other; Audio Conferencing needs Skype for Business Online or Teams.
func testRules() *licensing.Rules {
	return &licensing.Rules{
		FormatVersion:   licensing.RulesFormatVersion,
		ReplaceDefaults: true,
		MutuallyExclusive: []licensing.ExclusionRule{{Name: "SharePoint Plan 1 and Plan 2", Source: "test", Date: "2026-03-01",
			Plans: []licensing.PlanRef{{ID: planSharePointP1, Name: "SHAREPOINTSTANDARD"}, {ID: planSharePointP2, Name: "SHAREPOINTENTERPRISE"}}}},
		Prerequisites: []licensing.PrerequisiteRule{{Name: "Audio Conferencing needs Skype for Business or Teams", Source: "test", Date: "2026-03-01",
			Plan:          licensing.PlanRef{ID: planAudioConf, Name: "MCOMEETADV"},
			RequiresAnyOf: []licensing.PlanRef{{ID: planSkype, Name: "MCOSTANDARD"}, {ID: planTeams, Name: "TEAMS1"}}}},
	}
}

var (
	spE3      = licensing.ServicePlan{ID: planSharePointP2, Name: "SHAREPOINTENTERPRISE"}
	exoE3     = licensing.ServicePlan{ID: planExchangeP2, Name: "EXCHANGE_S_ENTERPRISE"}
	skype     = licensing.ServicePlan{ID: planSkype, Name: "MCOSTANDARD"}
	teams     = licensing.ServicePlan{ID: planTeams, Name: "TEAMS1"}
	sway      = licensing.ServicePlan{ID: planSway, Name: "SWAY"}
	audioConf = licensing.ServicePlan{ID: planAudioConf, Name: "MCOMEETADV"}
	intuneA   = licensing.ServicePlan{ID: planIntuneA, Name: "INTUNE_A"}
	aadP1     = licensing.ServicePlan{ID: planAADPremium, Name: "AAD_PREMIUM"}
)

const (
	u1 = "10000000-0000-4000-8000-0000000000a1"
	u2 = "10000000-0000-4000-8000-0000000000a2"
	u3 = "10000000-0000-4000-8000-0000000000a3"
	g1 = "a0000000-0000-4000-8000-0000000000c1"
	g2 = "a0000000-0000-4000-8000-0000000000c2"
)

func build(t *testing.T, b *fake.Builder, opts ...fake.Option) (*fake.Tenant, *fake.ManualClock) {
	t.Helper()
	clk := fake.NewManualClock(t0)
	tn, err := b.Build(append([]fake.Option{fake.WithClock(clk), fake.WithRules(testRules())}, opts...)...)
	require.NoError(t, err)
	return tn, clk
}

func requirePath(t *testing.T, tn *fake.Tenant, user string, sku licensing.SkuID, group string) licensing.LicenseAssignmentState {
	t.Helper()
	p, ok := groupPath(getUser(t, tn, user), sku, group)
	require.True(t, ok, "user %s has a path of %s from %s", user, sku, group)
	return p
}

// A group one seat short: members are processed in ascending id order, so the member with the
// highest id gets CountViolation on the SKU without seats and Other on the group's other SKU.
func TestGroupOneSeatShort(t *testing.T) {
	for _, how := range []string{"loading the tenant", "licensing the group", "adding the members"} {
		t.Run(how, func(t *testing.T) {
			b := fake.NewBuilder("t").DefaultUsageLocation("US").
				Sku(skuE3, "ENTERPRISEPACK", 2, exoE3, spE3, skype).
				Sku(skuEMS, "EMS", 10, intuneA, aadP1).
				User(u3, "u3@t", "US").User(u1, "u1@t", "US").User(u2, "u2@t", "US")
			both := []licensing.AssignedLicense{lic(skuE3), lic(skuEMS)}
			switch how {
			case "loading the tenant":
				b = b.Group(g1, "Licensing_E3_EMS", both, u3, u1, u2)
			case "licensing the group":
				b = b.Group(g1, "Licensing_E3_EMS", nil, u3, u1, u2)
			default:
				b = b.Group(g1, "Licensing_E3_EMS", both)
			}
			tn, _ := build(t, b, fake.WithProcessingDelay(time.Minute))
			switch how {
			case "licensing the group":
				require.NoError(t, tn.AssignGroupLicenses(ctx, g1, both, nil))
			case "adding the members":
				for _, u := range []string{u3, u1, u2} { // one queued processing for all three
					require.NoError(t, tn.AddGroupMember(ctx, g1, u))
				}
			}
			tn.ProcessGroups()

			for _, u := range []string{u1, u2} {
				for _, sku := range []licensing.SkuID{skuE3, skuEMS} {
					p := requirePath(t, tn, u, sku, g1)
					assert.Equal(t, licensing.StateActive, p.State, "%s %s", u, sku)
					assert.Equal(t, "None", p.Error)
				}
			}
			e3 := requirePath(t, tn, u3, skuE3, g1)
			assert.Equal(t, licensing.StateError, e3.State)
			assert.Equal(t, "CountViolation", e3.Error, "the highest id is beyond the seats")
			ems := requirePath(t, tn, u3, skuEMS, g1)
			assert.Equal(t, licensing.StateError, ems.State)
			assert.Equal(t, "Other", ems.Error, "the group's other license fails with Other")
			assert.Empty(t, getUser(t, tn, u3).AssignedLicenses)
			assert.Equal(t, 2, consumed(t, tn, skuE3))
			assert.Equal(t, 2, consumed(t, tn, skuEMS), "a path in Error holds no seat")
		})
	}
}

// A member whose group gives E3 keeps it when the group adds a SKU without free seats: the
// new license is in Error (CountViolation), E3 is ActiveWithError (Other) with the disabled
// plans it had, and its seat. A reprocess once a seat is free applies the group as it is.
func TestActiveLicenseKeptWhenTheGroupChangeFails(t *testing.T) {
	tn, _ := build(t, fake.NewBuilder("t").DefaultUsageLocation("US").
		Sku(skuE3, "ENTERPRISEPACK", 5, exoE3, spE3, skype, sway).
		Sku(skuEMS, "EMS", 1, intuneA, aadP1).
		User(u1, "u1@t", "US").
		User(u2, "u2@t", "US", lic(skuEMS)).
		Group(g1, "Licensing_E3", []licensing.AssignedLicense{lic(skuE3, planSway)}, u1))
	require.Equal(t, licensing.StateActive, requirePath(t, tn, u1, skuE3, g1).State)

	// The group adds EMS (no free seat) and enables Sway in the same call.
	require.NoError(t, tn.AssignGroupLicenses(ctx, g1, []licensing.AssignedLicense{lic(skuE3), lic(skuEMS)}, nil))
	e3 := requirePath(t, tn, u1, skuE3, g1)
	assert.Equal(t, licensing.StateActiveWithError, e3.State, "Entra does not take a working license away")
	assert.Equal(t, "Other", e3.Error)
	assert.Equal(t, []licensing.PlanID{planSway}, e3.DisabledPlans, "the previous disabled plans are kept")
	ems := requirePath(t, tn, u1, skuEMS, g1)
	assert.Equal(t, licensing.StateError, ems.State)
	assert.Equal(t, "CountViolation", ems.Error)
	assert.Equal(t, 1, consumed(t, tn, skuE3), "the ActiveWithError path keeps its seat")
	assert.Empty(t, tn.History(), "no plan changed")

	require.NoError(t, tn.AssignUserLicenses(ctx, u2, nil, []licensing.SkuID{skuEMS}))
	require.NoError(t, tn.ReprocessUser(ctx, u1))
	for _, sku := range []licensing.SkuID{skuE3, skuEMS} {
		p := requirePath(t, tn, u1, sku, g1)
		assert.Equal(t, licensing.StateActive, p.State)
		assert.Equal(t, "None", p.Error)
		assert.Empty(t, p.DisabledPlans)
	}
	assert.Equal(t, 1, consumed(t, tn, skuEMS))
}

// Audio Conferencing held directly needs Skype for Business or Teams, which only the group's E3
// gives. Taking the group's E3 away leaves the path stuck (ActiveWithError, DependencyViolation,
// its disabled plans and seat kept) instead of converting it to a direct assignment; once the
// dependency is gone, a reprocess finishes the change.
func TestDependencyLeavesGroupPathStuck(t *testing.T) {
	for _, how := range []string{"member removed", "SKU removed from the group", "group unlicensed and deleted", "group disables the plans"} {
		t.Run(how, func(t *testing.T) {
			tn, clk := build(t, fake.NewBuilder("t").DefaultUsageLocation("US").
				Sku(skuE3, "ENTERPRISEPACK", 5, exoE3, spE3, skype, teams, sway).
				Sku(skuAudioConf, "MCOMEETADV", 5, audioConf).
				User(u1, "u1@t", "US", lic(skuAudioConf)).
				Group(g1, "Licensing_E3", []licensing.AssignedLicense{lic(skuE3, planSway)}, u1))
			before := getUser(t, tn, u1)

			clk.Advance(time.Minute)
			switch how {
			case "member removed":
				require.NoError(t, tn.RemoveGroupMember(ctx, g1, u1))
			case "SKU removed from the group":
				require.NoError(t, tn.AssignGroupLicenses(ctx, g1, nil, []licensing.SkuID{skuE3}))
			case "group unlicensed and deleted":
				require.NoError(t, tn.AssignGroupLicenses(ctx, g1, nil, []licensing.SkuID{skuE3}))
				require.NoError(t, tn.DeleteGroup(ctx, g1))
			case "group disables the plans":
				require.NoError(t, tn.AssignGroupLicenses(ctx, g1, []licensing.AssignedLicense{lic(skuE3, planSway, planSkype, planTeams)}, nil))
			}
			u := getUser(t, tn, u1)
			p := requirePath(t, tn, u1, skuE3, g1)
			assert.Equal(t, licensing.StateActiveWithError, p.State)
			assert.Equal(t, "DependencyViolation", p.Error)
			assert.Equal(t, []licensing.PlanID{planSway}, p.DisabledPlans, "disabled plans unchanged")
			_, direct := directPath(u, skuE3)
			assert.False(t, direct, "no conversion to a direct assignment")
			assert.Equal(t, before.AssignedLicenses, u.AssignedLicenses, "no plan is lost")
			assert.Equal(t, 1, consumed(t, tn, skuE3), "the stuck path holds its seat")
			assert.Empty(t, tn.History())

			// Reprocessing before the dependency is fixed changes nothing.
			require.NoError(t, tn.ReprocessUser(ctx, u1))
			assert.Equal(t, p, requirePath(t, tn, u1, skuE3, g1))

			// Remove the add-on, then reprocess: the stuck path goes (or follows the group).
			require.NoError(t, tn.AssignUserLicenses(ctx, u1, nil, []licensing.SkuID{skuAudioConf}))
			require.NoError(t, tn.ReprocessUser(ctx, u1))
			after := getUser(t, tn, u1)
			if how == "group disables the plans" {
				p := requirePath(t, tn, u1, skuE3, g1)
				assert.Equal(t, licensing.StateActive, p.State)
				assert.Equal(t, sortedPlans(planSway, planSkype, planTeams), p.DisabledPlans)
				assert.Equal(t, 1, consumed(t, tn, skuE3))
				return
			}
			assert.Empty(t, after.LicenseAssignmentStates)
			assert.Zero(t, consumed(t, tn, skuE3), "the seat is freed")
			h := tn.History()
			require.Len(t, h, 2)
			assert.Equal(t, fake.CauseReprocess, h[1].Cause)
		})
	}
}

// A tenant/v1 snapshot may report paths that outlived their group (the user left it, the group
// no longer carries the SKU, or the group is gone). They load as reported, hold a seat, enable
// their plans and are exported again.
func TestSnapshotWithStuckPathsLoads(t *testing.T) {
	cases := []struct {
		name  string
		group string // the group the stuck path names
	}{
		{"user is not a member", g1},
		{"group lacks the SKU", g2},
		{"group is absent", "a0000000-0000-4000-8000-0000000000ff"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := fake.NewBuilder("t").DefaultUsageLocation("US").
				Sku(skuE3, "ENTERPRISEPACK", 5, exoE3, spE3, skype, teams, sway).
				Sku(skuAudioConf, "MCOMEETADV", 5, audioConf).
				Sku(skuEMS, "EMS", 5, intuneA, aadP1).
				User(u1, "u1@t", "US").
				User(u2, "u2@t", "US").
				Group(g1, "Licensing_E3", []licensing.AssignedLicense{lic(skuE3)}, u2).
				Group(g2, "Licensing_EMS", []licensing.AssignedLicense{lic(skuEMS)}, u1).
				Snapshot()
			gid := c.group
			stuck := licensing.LicenseAssignmentState{SkuID: skuE3, DisabledPlans: []licensing.PlanID{planSway}, AssignedByGroup: &gid,
				State: licensing.StateActiveWithError, Error: "DependencyViolation"}
			snap.Users[0].LicenseAssignmentStates = []licensing.LicenseAssignmentState{
				{SkuID: skuAudioConf, DisabledPlans: []licensing.PlanID{}, State: licensing.StateActive, Error: "None"},
				stuck,
			}
			if err := snap.Validate(); errors.Is(err, licensing.UnknownGroup) {
				t.Skip("licensing.Snapshot.Validate does not accept a path naming an absent group yet: ", err)
			}
			tn, err := fake.New(snap, fake.WithClock(fake.NewManualClock(t0)), fake.WithRules(testRules()))
			require.NoError(t, err)

			p := requirePath(t, tn, u1, skuE3, gid)
			assert.Equal(t, licensing.StateActiveWithError, p.State)
			assert.Equal(t, "DependencyViolation", p.Error)
			assert.Equal(t, []licensing.PlanID{planSway}, p.DisabledPlans)
			l, ok := assigned(getUser(t, tn, u1), skuE3)
			require.True(t, ok, "the stuck path enables its plans")
			assert.Equal(t, []licensing.PlanID{planSway}, l.DisabledPlans)
			assert.Equal(t, 2, consumed(t, tn, skuE3), "u1's stuck path and u2's group path")
			if c.group == g2 {
				ems := requirePath(t, tn, u1, skuEMS, g2)
				assert.Equal(t, licensing.StateActive, ems.State, "the group's own SKU is processed as usual")
			}

			// Exported and loaded again, the tenant is the same.
			out := tn.State()
			again, err := fake.New(out, fake.WithClock(fake.NewManualClock(t0)), fake.WithRules(testRules()))
			require.NoError(t, err)
			assert.Equal(t, out, again.State())

			// The dependency holds (Audio Conferencing needs the stuck path's Skype): a reprocess keeps it.
			require.NoError(t, tn.ReprocessUser(ctx, u1))
			assert.Equal(t, p, requirePath(t, tn, u1, skuE3, gid))
			require.NoError(t, tn.AssignUserLicenses(ctx, u1, nil, []licensing.SkuID{skuAudioConf}))
			require.NoError(t, tn.ReprocessUser(ctx, u1))
			_, ok = groupPath(getUser(t, tn, u1), skuE3, gid)
			assert.False(t, ok, "with the dependency gone a reprocess removes the stuck path")
		})
	}
}

func TestLicensedGroupCannotBeDeleted(t *testing.T) {
	tn, _ := build(t, fake.NewBuilder("t").DefaultUsageLocation("US").
		Sku(skuE3, "ENTERPRISEPACK", 5, exoE3, spE3).
		User(u1, "u1@t", "US").
		Group(g1, "Licensing_E3", []licensing.AssignedLicense{lic(skuE3)}, u1).
		Group(g2, "Sales", nil, u1))

	err := tn.DeleteGroup(ctx, g1)
	require.Error(t, err)
	assert.True(t, errors.Is(err, licensing.InvalidInput), "%v", err)
	var e *licensing.Error
	require.True(t, errors.As(err, &e))
	var ge *fake.GraphError
	require.True(t, errors.As(err, &ge))
	assert.Equal(t, fake.CodeBadRequest, ge.Code)
	assert.Equal(t, 400, ge.StatusCode)
	assert.Contains(t, e.Message, "remove any product licenses first")
	_, err = tn.Group(ctx, g1)
	assert.NoError(t, err, "the group is still there")

	require.NoError(t, tn.DeleteGroup(ctx, g2), "an unlicensed group can be deleted")
	_, err = tn.Group(ctx, g2)
	assert.True(t, errors.Is(err, licensing.UnknownGroup))
	assert.Equal(t, licensing.StateActive, requirePath(t, tn, u1, skuE3, g1).State)
}

// Seats of a subscription in its grace period (prepaidUnits.warning) are assignable.
func TestGracePeriodSeatsAreAssignable(t *testing.T) {
	grace := licensing.SubscribedSku{SkuID: skuE3, SkuPartNumber: "ENTERPRISEPACK", AppliesTo: "User", CapabilityStatus: "Warning",
		PrepaidUnits: licensing.PrepaidUnits{Enabled: 0, Warning: 1},
		ServicePlans: []licensing.ServicePlanInfo{{ServicePlanID: planExchangeP2, ServicePlanName: "EXCHANGE_S_ENTERPRISE", AppliesTo: "User"}}}
	t.Run("direct", func(t *testing.T) {
		tn, _ := build(t, fake.NewBuilder("t").DefaultUsageLocation("US").SubscribedSku(grace).User(u1, "u1@t", "US").User(u2, "u2@t", "US"))
		require.NoError(t, tn.AssignUserLicenses(ctx, u1, []licensing.AssignedLicense{lic(skuE3)}, nil))
		assert.Equal(t, 1, consumed(t, tn, skuE3))
		err := tn.AssignUserLicenses(ctx, u2, []licensing.AssignedLicense{lic(skuE3)}, nil)
		assert.True(t, errors.Is(err, licensing.CountViolation), "%v", err)
	})
	t.Run("group", func(t *testing.T) {
		tn, _ := build(t, fake.NewBuilder("t").DefaultUsageLocation("US").SubscribedSku(grace).User(u1, "u1@t", "US").User(u2, "u2@t", "US").
			Group(g1, "Licensing_E3", []licensing.AssignedLicense{lic(skuE3)}, u1, u2))
		assert.Equal(t, licensing.StateActive, requirePath(t, tn, u1, skuE3, g1).State)
		assert.Equal(t, "CountViolation", requirePath(t, tn, u2, skuE3, g1).Error)
	})
}

func TestUnknownCountryRefused(t *testing.T) {
	if licensing.IsCountryCode("XX") {
		t.Skip("licensing.IsCountryCode accepts \"XX\": it is not an ISO 3166-1 table yet")
	}
	tn, _ := build(t, fake.NewBuilder("t").DefaultUsageLocation("US").User(u1, "u1@t", "US"))
	err := tn.SetUsageLocation(ctx, u1, "XX")
	require.Error(t, err)
	assert.True(t, errors.Is(err, licensing.InvalidInput))
	assert.Equal(t, "Invalid value specified for property 'usageLocation' of resource 'User'.", err.(*licensing.Error).Message)

	c := startGraph(t, tn)
	r := c.do(http.MethodPatch, "/users/"+u1, `{"usageLocation": "XX"}`)
	assert.Equal(t, http.StatusBadRequest, r.status)
	code, msg := graphError(t, r)
	assert.Equal(t, "Request_BadRequest", code)
	assert.Equal(t, "Invalid value specified for property 'usageLocation' of resource 'User'.", msg)
	assert.Equal(t, "US", getUser(t, tn, u1).UsageLocation)
}

// FailNextProcessing (a test hook of the fake) makes a group's processing end in
// ProcessingFailed, visible through Graph, so that a client's handling of it can be tested.
func TestProcessingFailedHook(t *testing.T) {
	tn, clk := build(t, fake.NewBuilder("t").DefaultUsageLocation("US").
		Sku(skuE3, "ENTERPRISEPACK", 5, exoE3, spE3).
		User(u1, "u1@t", "US").
		Group(g1, "Licensing_E3", nil, u1), fake.WithProcessingDelay(10*time.Second))
	assert.True(t, errors.Is(tn.FailNextProcessing("nope"), licensing.UnknownGroup))
	c := startGraph(t, tn)
	root := strings.TrimSuffix(c.base, "/v1.0")
	state := func() string {
		r := c.do(http.MethodGet, "/groups/"+g1+"?$select=licenseProcessingState", "")
		require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
		return r.body["licenseProcessingState"].(map[string]any)["state"].(string)
	}

	r := c.do(http.MethodPost, root+"/_fake/groups/"+g1+"/failNextProcessing", "")
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.raw)
	r = c.do(http.MethodPost, root+"/_fake/groups/nope/failNextProcessing", "")
	assert.Equal(t, http.StatusNotFound, r.status)

	r = c.do(http.MethodPost, "/groups/"+g1+"/assignLicense", assignBody([]licensing.AssignedLicense{lic(skuE3)}, nil))
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.raw)
	assert.Equal(t, licensing.ProcessingQueued, state())
	clk.Advance(10 * time.Second)
	assert.Equal(t, fake.ProcessingFailed, state())
	_, ok := groupPath(getUser(t, tn, u1), skuE3, g1)
	assert.False(t, ok, "the member was not processed")
	g, err := tn.Group(ctx, g1)
	require.NoError(t, err)
	assert.Equal(t, fake.ProcessingFailed, g.LicenseProcessingState.State)

	// The hook fails one processing only: a reprocess (or the next group change) applies the licenses.
	r = c.do(http.MethodPost, "/users/"+u1+"/reprocessLicenseAssignment", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Equal(t, licensing.StateActive, requirePath(t, tn, u1, skuE3, g1).State)
	r = c.do(http.MethodPost, "/groups/"+g1+"/assignLicense", assignBody([]licensing.AssignedLicense{lic(skuE3, planSharePointP2)}, nil))
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.raw)
	clk.Advance(10 * time.Second)
	assert.Equal(t, licensing.ProcessingComplete, state())
}
