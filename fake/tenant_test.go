package fake_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

func TestLoadRecomputesGroupPathsAndSeats(t *testing.T) {
	tn, _ := sample(t)
	snap := tn.State()

	want := map[string]int{"STANDARDPACK": 2, "ENTERPRISEPACK": 16, "EXCHANGESTANDARD": 1, "EXCHANGEENTERPRISE": 0, "MCOMEETADV": 1, "WORKPLACE_ANALYTICS": 1, "EMS": 3}
	for _, k := range snap.SubscribedSkus {
		assert.Equal(t, want[k.SkuPartNumber], k.ConsumedUnits, "consumedUnits of %s", k.SkuPartNumber)
	}
	for _, g := range snap.Groups {
		require.NotNil(t, g.LicenseProcessingState)
		assert.Equal(t, licensing.ProcessingComplete, g.LicenseProcessingState.State, g.DisplayName)
	}
	assert.NoError(t, snap.Validate(), "the exported snapshot is a valid tenant/v1 document")
}

// Seed story: base group E3 with 9 of 13 plans plus a Teams-only group gives 10 of 13.
func TestCumulativeGroupLicenses(t *testing.T) {
	tn, _ := sample(t)
	carol := getUser(t, tn, sampletenant.Carol)

	base, ok := groupPath(carol, skuE3, sampletenant.GroupE3Base)
	require.True(t, ok)
	assert.Equal(t, licensing.StateActive, base.State)
	assert.Len(t, base.DisabledPlans, 4, "the base group enables 9 of 13 plans")
	teams, ok := groupPath(carol, skuE3, sampletenant.GroupTeams)
	require.True(t, ok)
	assert.Len(t, teams.DisabledPlans, 12, "the Teams group enables 1 of 13 plans")

	l, ok := assigned(carol, skuE3)
	require.True(t, ok)
	assert.Equal(t, sortedPlans(planSway, planYammer, planFormsE3), l.DisabledPlans, "10 of 13 plans enabled: Teams comes from the second group")
	assert.Equal(t, 16, consumed(t, tn, skuE3), "carol's two paths hold one seat")
}

// Seed story: E1 held directly and E3 from a group conflict on SharePoint; Exchange stacks.
func TestMutualExclusionSharePointButExchangeStacks(t *testing.T) {
	t.Run("group path in error", func(t *testing.T) {
		tn, _ := sample(t)
		erin := getUser(t, tn, sampletenant.Erin)
		p, ok := groupPath(erin, skuE3, sampletenant.GroupE3Base)
		require.True(t, ok)
		assert.Equal(t, licensing.StateError, p.State)
		assert.Equal(t, "MutuallyExclusiveViolation", p.Error)
		_, has := assigned(erin, skuE3)
		assert.False(t, has, "a path in error enables nothing")
	})
	t.Run("direct swap refused names SharePoint, not Exchange", func(t *testing.T) {
		tn, _ := sample(t)
		err := tn.AssignUserLicenses(ctx, sampletenant.Alice, []licensing.AssignedLicense{lic(skuE3)}, []licensing.SkuID{})
		require.Error(t, err)
		assert.True(t, errors.Is(err, licensing.MutuallyExclusiveViolation))
		var e *licensing.Error
		require.True(t, errors.As(err, &e))
		assert.ElementsMatch(t, []licensing.PlanID{planSharePointP1, planSharePointP2}, e.Plans)
		assert.Equal(t, "License assignment failed because service plans "+planSharePointP1.String()+","+planSharePointP2.String()+" are mutually exclusive.", e.Message)
		var ge *fake.GraphError
		require.True(t, errors.As(err, &ge))
		assert.Equal(t, fake.CodeBadRequest, ge.Code)
		assert.Equal(t, "HTTP 400 Request_BadRequest", ge.Error())
	})
	t.Run("swap in one call succeeds", func(t *testing.T) {
		tn, _ := sample(t)
		require.NoError(t, tn.AssignUserLicenses(ctx, sampletenant.Alice, []licensing.AssignedLicense{lic(skuE3)}, []licensing.SkuID{skuE1}))
		alice := getUser(t, tn, sampletenant.Alice)
		_, hasE1 := assigned(alice, skuE1)
		_, hasE3 := assigned(alice, skuE3)
		assert.False(t, hasE1)
		assert.True(t, hasE3)
		h := tn.History()
		require.Len(t, h, 1, "one call, one change")
		assert.Equal(t, fake.CauseAssignLicense, h[0].Cause)
		assert.Contains(t, h[0].Gained(), planSharePointP2)
		assert.Contains(t, h[0].Lost(), planSharePointP1)
	})
	t.Run("Exchange Online plans stack", func(t *testing.T) {
		tn, _ := sample(t)
		require.NoError(t, tn.AssignUserLicenses(ctx, sampletenant.Bob, []licensing.AssignedLicense{lic(skuExchangeP2)}, []licensing.SkuID{}))
		bob := getUser(t, tn, sampletenant.Bob)
		assert.Len(t, bob.AssignedLicenses, 2)
		assert.Equal(t, 1, consumed(t, tn, skuExchangeP1))
		assert.Equal(t, 1, consumed(t, tn, skuExchangeP2), "two SKUs, two seats")
	})
}

func TestAssignUserLicenses(t *testing.T) {
	cases := []struct {
		name    string
		user    string
		add     []licensing.AssignedLicense
		remove  []licensing.SkuID
		kind    licensing.Kind
		message string
	}{
		{name: "Workplace Analytics without Exchange", user: mobile1, add: []licensing.AssignedLicense{lic(skuWorkplace)},
			kind:    licensing.DependencyViolation,
			message: "License assignment failed because service plan " + planWorkplace.String() + " depends on the service plan(s) "},
		{name: "removing the plan Audio Conferencing needs", user: sampletenant.Frank, remove: []licensing.SkuID{skuE3},
			kind:    licensing.DependencyViolation,
			message: "License assignment failed because service plan " + planAudioConf.String() + " depends on the service plan(s) " + planSkype.String()},
		{name: "disabling the plans Audio Conferencing needs", user: sampletenant.Frank, add: []licensing.AssignedLicense{lic(skuE3, planSkype, planTeams)},
			kind: licensing.DependencyViolation},
		{name: "no usage location", user: sampletenant.Grace, add: []licensing.AssignedLicense{lic(skuE3)},
			kind: licensing.UsageLocationMissing, message: "License assignment cannot be done for user with invalid usage location."},
		{name: "no free seat", user: sampletenant.Alice, add: []licensing.AssignedLicense{lic(skuEMS)},
			kind: licensing.CountViolation, message: "Subscription with SKU " + skuEMS.String() + " does not have any available licenses."},
		{name: "remove a license inherited from a group", user: sampletenant.Carol, remove: []licensing.SkuID{skuE3},
			kind: licensing.InheritedLicense, message: "User license is inherited from a group membership and it cannot be removed directly from the user."},
		{name: "remove a license not held", user: sampletenant.Alice, remove: []licensing.SkuID{skuE3},
			kind: licensing.InvalidInput, message: "User does not have a corresponding license."},
		{name: "unknown SKU", user: sampletenant.Alice, add: []licensing.AssignedLicense{lic(licensing.MustParseSkuID("00000000-0000-0000-0000-0000000000aa"))},
			kind: licensing.UnknownSku, message: "License 00000000-0000-0000-0000-0000000000aa does not correspond to a valid company License."},
		{name: "disabled plan not in the SKU", user: sampletenant.Alice, add: []licensing.AssignedLicense{lic(skuEMS, planSway)},
			kind: licensing.UnknownServicePlan},
		{name: "SKU both added and removed", user: sampletenant.Alice, add: []licensing.AssignedLicense{lic(skuE1)}, remove: []licensing.SkuID{skuE1},
			kind: licensing.InvalidInput},
		{name: "unknown user", user: "10000000-0000-4000-8000-0000000000ff", add: []licensing.AssignedLicense{lic(skuE1)},
			kind: licensing.UnknownUser, message: "Resource '10000000-0000-4000-8000-0000000000ff' does not exist or one of its queried reference-property objects are not present."},
		{name: "atomic: a valid remove fails with an invalid add", user: sampletenant.Alice, add: []licensing.AssignedLicense{lic(skuWorkplace)}, remove: []licensing.SkuID{skuE1},
			kind: licensing.DependencyViolation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tn, _ := sample(t)
			before := tn.State()
			err := tn.AssignUserLicenses(ctx, c.user, c.add, c.remove)
			require.Error(t, err)
			assert.True(t, errors.Is(err, c.kind), "want %s, got %v", c.kind, err)
			var e *licensing.Error
			require.True(t, errors.As(err, &e))
			assert.NotEmpty(t, e.Message)
			if c.message != "" {
				assert.True(t, strings.HasPrefix(e.Message, c.message), "message %q, want prefix %q", e.Message, c.message)
			}
			assert.Equal(t, before, tn.State(), "a refused call changes nothing")
			assert.Empty(t, tn.History())
		})
	}
}

func TestAssignUserLicensesSucceeds(t *testing.T) {
	t.Run("re-adding a direct SKU replaces its disabled plans", func(t *testing.T) {
		tn, _ := sample(t)
		require.NoError(t, tn.AssignUserLicenses(ctx, sampletenant.Dave, []licensing.AssignedLicense{lic(skuE3, planSway)}, []licensing.SkuID{}))
		p, ok := directPath(getUser(t, tn, sampletenant.Dave), skuE3)
		require.True(t, ok)
		assert.Equal(t, []licensing.PlanID{planSway}, p.DisabledPlans)
		assert.Equal(t, 16, consumed(t, tn, skuE3), "still one seat")
	})
	t.Run("removing a direct path that a group also gives keeps the license", func(t *testing.T) {
		tn, _ := sample(t)
		require.NoError(t, tn.AssignUserLicenses(ctx, sampletenant.FirstMigrant, []licensing.AssignedLicense{}, []licensing.SkuID{skuE3}))
		u := getUser(t, tn, sampletenant.FirstMigrant)
		_, direct := directPath(u, skuE3)
		assert.False(t, direct)
		_, has := assigned(u, skuE3)
		assert.True(t, has)
		assert.Equal(t, 16, consumed(t, tn, skuE3))
	})
	t.Run("removing Audio Conferencing and E3 together", func(t *testing.T) {
		tn, _ := sample(t)
		require.NoError(t, tn.AssignUserLicenses(ctx, sampletenant.Frank, []licensing.AssignedLicense{}, []licensing.SkuID{skuE3, skuAudioConf}))
		assert.Empty(t, getUser(t, tn, sampletenant.Frank).AssignedLicenses)
		assert.Equal(t, 15, consumed(t, tn, skuE3))
	})
}

func TestSkuNotAssignable(t *testing.T) {
	suspended := licensing.MustParseSkuID("d17b27af-3f49-4822-99f9-56a661538792")
	company := licensing.MustParseSkuID("c7df2760-2c81-4ef7-b578-5b5392b571df")
	plan := licensing.ServicePlan{ID: licensing.MustParsePlanID("f9646fb2-e3b2-4309-95de-dc4833737456"), Name: "CRMSTANDARD"}
	tn, err := fake.NewBuilder("t").DefaultUsageLocation("US").
		SubscribedSku(licensing.SubscribedSku{SkuID: suspended, SkuPartNumber: "CRMSTANDARD", AppliesTo: "User", CapabilityStatus: "Suspended", PrepaidUnits: licensing.PrepaidUnits{Suspended: 25},
			ServicePlans: []licensing.ServicePlanInfo{{ServicePlanID: plan.ID, ServicePlanName: plan.Name}}}).
		SubscribedSku(licensing.SubscribedSku{SkuID: company, SkuPartNumber: "COMPANYWIDE", AppliesTo: "Company", CapabilityStatus: "Enabled", PrepaidUnits: licensing.PrepaidUnits{Enabled: 25}}).
		User("u1", "u1@t", "US").
		Build()
	require.NoError(t, err)
	for _, sku := range []licensing.SkuID{suspended, company} {
		err := tn.AssignUserLicenses(ctx, "u1", []licensing.AssignedLicense{lic(sku)}, nil)
		assert.True(t, errors.Is(err, licensing.SkuNotAssignable), "%v", err)
		assert.Contains(t, err.Error(), "License "+sku.String()+" cannot be assigned to a user")
	}
}

// Seed story: an add-on's prerequisite must be in the same group.
func TestGroupPrerequisites(t *testing.T) {
	tn, _ := sample(t)
	err := tn.AssignGroupLicenses(ctx, sampletenant.GroupEMS, []licensing.AssignedLicense{lic(skuWorkplace)}, nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, licensing.GroupPrerequisiteMissing))
	assert.Contains(t, err.Error(), "depends on the service plan(s)")

	// E3 with only Exchange Online (Plan 2) enabled plus Workplace Analytics in the same group is accepted.
	var onlyExchange []licensing.PlanID
	for _, p := range tn.Catalog().Plans() {
		if idx, ok := tn.Catalog().PlanIndex(p.ID); ok {
			if s, _ := tn.Catalog().Sku(skuE3); s.PlanSet().Has(idx) && p.ID != planExchangeP2 {
				onlyExchange = append(onlyExchange, p.ID)
			}
		}
	}
	require.NoError(t, tn.AssignGroupLicenses(ctx, sampletenant.GroupEMS, []licensing.AssignedLicense{lic(skuE3, onlyExchange...), lic(skuWorkplace)}, nil))
	g, err := tn.Group(ctx, sampletenant.GroupEMS)
	require.NoError(t, err)
	assert.Len(t, g.AssignedLicenses, 3)

	// Taking the prerequisite out of the group again is refused.
	err = tn.AssignGroupLicenses(ctx, sampletenant.GroupEMS, nil, []licensing.SkuID{skuE3})
	assert.True(t, errors.Is(err, licensing.GroupPrerequisiteMissing), "%v", err)
}

// Seed story: more members than seats; the members with the highest ids go to CountViolation.
func TestMoreMembersThanSeatsThenReprocess(t *testing.T) {
	tn, clk := sample(t)
	m4 := getUser(t, tn, mobile4)
	p, ok := groupPath(m4, skuEMS, sampletenant.GroupEMS)
	require.True(t, ok)
	assert.Equal(t, "CountViolation", p.Error)
	assert.Equal(t, licensing.StateError, p.State)
	assert.Equal(t, 3, consumed(t, tn, skuEMS))

	clk.Advance(time.Minute)
	require.NoError(t, tn.RemoveGroupMember(ctx, sampletenant.GroupEMS, mobile1))
	assert.Equal(t, 2, consumed(t, tn, skuEMS), "the seat is freed")
	p, _ = groupPath(getUser(t, tn, mobile4), skuEMS, sampletenant.GroupEMS)
	assert.Equal(t, licensing.StateError, p.State, "freeing a seat does not fix errors by itself")

	clk.Advance(time.Minute)
	require.NoError(t, tn.ReprocessUser(ctx, mobile4))
	p, _ = groupPath(getUser(t, tn, mobile4), skuEMS, sampletenant.GroupEMS)
	assert.Equal(t, licensing.StateActive, p.State)
	assert.Equal(t, "None", p.Error)
	assert.Equal(t, 3, consumed(t, tn, skuEMS))

	h := tn.History()
	require.Len(t, h, 2)
	assert.Equal(t, fake.CauseMembership, h[0].Cause)
	assert.Equal(t, mobile1, h[0].UserID)
	assert.Empty(t, h[0].EnabledPlansAfter)
	assert.Equal(t, t0.Add(time.Minute), h[0].Time)
	assert.Equal(t, fake.CauseReprocess, h[1].Cause)
	assert.Equal(t, mobile4, h[1].UserID)
	assert.Empty(t, h[1].EnabledPlansBefore)
	assert.Len(t, h[1].EnabledPlansAfter, 6)
	assert.Equal(t, t0.Add(2*time.Minute), h[1].Time)
}

// Seed story: a user without a usage location gets group licenses with the tenant's default.
func TestUsageLocationFallbackForGroups(t *testing.T) {
	tn, _ := sample(t)
	require.NoError(t, tn.AddGroupMember(ctx, sampletenant.GroupTeams, sampletenant.Grace))
	grace := getUser(t, tn, sampletenant.Grace)
	p, ok := groupPath(grace, skuE3, sampletenant.GroupTeams)
	require.True(t, ok)
	assert.Equal(t, licensing.StateActive, p.State)
	assert.Empty(t, grace.UsageLocation, "the fallback does not set the user's usage location")
	assert.Equal(t, fake.CauseMembership, tn.History()[0].Cause)
}

func TestUsageLocationProhibitions(t *testing.T) {
	rules := licensing.DefaultRules().Extend(&licensing.Rules{FormatVersion: licensing.RulesFormatVersion,
		UsageLocation: []licensing.UsageLocationRule{{Name: "no Audio Conferencing in NO", Source: "test", Date: "2026-03-01",
			Plans: []licensing.PlanRef{{ID: planAudioConf, Name: "MCOMEETADV"}}, ProhibitedIn: []string{"NO"}}}})

	t.Run("direct assignment", func(t *testing.T) {
		tn, _ := sample(t, fake.WithRules(rules))
		err := tn.AssignUserLicenses(ctx, sampletenant.Alice, []licensing.AssignedLicense{lic(skuAudioConf)}, nil)
		assert.True(t, errors.Is(err, licensing.ProhibitedInUsageLocationViolation), "%v", err)
		assert.Contains(t, err.Error(), "usage location NO")
	})
	t.Run("moving a user where an enabled plan is prohibited is refused", func(t *testing.T) {
		tn, _ := sample(t, fake.WithRules(rules))
		err := tn.SetUsageLocation(ctx, sampletenant.Frank, "NO")
		assert.True(t, errors.Is(err, licensing.ProhibitedInUsageLocationViolation), "%v", err)
		assert.Equal(t, "US", getUser(t, tn, sampletenant.Frank).UsageLocation)
	})
	t.Run("group path in error until the location changes", func(t *testing.T) {
		clk := fake.NewManualClock(t0)
		tn, err := fake.NewBuilder("t").DefaultUsageLocation("US").
			Sku(skuE1, "STANDARDPACK", 5, licensing.ServicePlan{ID: planSkype, Name: "MCOSTANDARD"}).
			Sku(skuAudioConf, "MCOMEETADV", 5, licensing.ServicePlan{ID: planAudioConf, Name: "MCOMEETADV"}).
			User("u1", "u1@t", "NO").
			Group("g1", "Licensing_Meetings", []licensing.AssignedLicense{lic(skuE1), lic(skuAudioConf)}, "u1").
			Build(fake.WithRules(rules), fake.WithClock(clk))
		require.NoError(t, err)
		u := getUser(t, tn, "u1")
		for sku, kind := range map[licensing.SkuID]string{skuAudioConf: "ProhibitedInUsageLocationViolation", skuE1: "Other"} {
			p, ok := groupPath(u, sku, "g1")
			require.True(t, ok)
			assert.Equal(t, licensing.StateError, p.State)
			assert.Equal(t, kind, p.Error, "the failing license has the reason, the group's other license Other")
		}
		assert.Zero(t, consumed(t, tn, skuE1))

		clk.Advance(time.Second)
		require.NoError(t, tn.SetUsageLocation(ctx, "u1", "SE"))
		p, _ := groupPath(getUser(t, tn, "u1"), skuAudioConf, "g1")
		assert.Equal(t, licensing.StateActive, p.State)
		h := tn.History()
		require.Len(t, h, 1)
		assert.Equal(t, fake.CauseUsageLocation, h[0].Cause)
		assert.Equal(t, sortedPlans(planSkype, planAudioConf), h[0].EnabledPlansAfter)
	})
	t.Run("invalid and cleared locations", func(t *testing.T) {
		tn, _ := sample(t)
		assert.True(t, errors.Is(tn.SetUsageLocation(ctx, sampletenant.Alice, "Norway"), licensing.InvalidInput))
		assert.True(t, errors.Is(tn.SetUsageLocation(ctx, sampletenant.Alice, ""), licensing.UsageLocationMissing), "a user with direct licenses keeps a location")
		require.NoError(t, tn.SetUsageLocation(ctx, sampletenant.Grace, "se"))
		assert.Equal(t, "SE", getUser(t, tn, sampletenant.Grace).UsageLocation)
	})
}

func TestGroupProcessingDelay(t *testing.T) {
	tn, clk := sample(t, fake.WithProcessingDelay(10*time.Second))
	state := func() string {
		g, err := tn.Group(ctx, sampletenant.GroupTeams)
		require.NoError(t, err)
		return g.LicenseProcessingState.State
	}
	require.NoError(t, tn.AssignGroupLicenses(ctx, sampletenant.GroupTeams, []licensing.AssignedLicense{lic(skuE3)}, nil))
	assert.Equal(t, licensing.ProcessingQueued, state())
	p, _ := groupPath(getUser(t, tn, sampletenant.Carol), skuE3, sampletenant.GroupTeams)
	assert.Len(t, p.DisabledPlans, 12, "members are not processed yet")

	clk.Advance(5 * time.Second)
	assert.Equal(t, licensing.ProcessingInProgress, state())
	clk.Advance(5 * time.Second)
	assert.Equal(t, licensing.ProcessingComplete, state())
	p, _ = groupPath(getUser(t, tn, sampletenant.Carol), skuE3, sampletenant.GroupTeams)
	assert.Empty(t, p.DisabledPlans)

	h := tn.History()
	require.NotEmpty(t, h)
	for _, e := range h {
		assert.Equal(t, fake.CauseGroupProcessing, e.Cause)
		assert.Equal(t, t0.Add(10*time.Second), e.Time)
		assert.Empty(t, e.Lost())
	}
	assert.Equal(t, sampletenant.Carol, h[0].UserID, "members are processed in ascending id order")
}

func TestProcessGroupsRunsQueuedWorkNow(t *testing.T) {
	tn, _ := sample(t, fake.WithProcessingDelay(time.Hour))
	require.NoError(t, tn.AddGroupMember(ctx, sampletenant.GroupEMS, sampletenant.Alice))
	_, ok := groupPath(getUser(t, tn, sampletenant.Alice), skuEMS, sampletenant.GroupEMS)
	assert.False(t, ok)
	tn.ProcessGroups()
	p, ok := groupPath(getUser(t, tn, sampletenant.Alice), skuEMS, sampletenant.GroupEMS)
	require.True(t, ok)
	assert.Equal(t, "CountViolation", p.Error, "the EMS seats are all taken")
}

func TestMembership(t *testing.T) {
	tn, _ := sample(t)
	err := tn.AddGroupMember(ctx, sampletenant.GroupE3Base, sampletenant.Carol)
	assert.True(t, errors.Is(err, licensing.InvalidInput))
	assert.Contains(t, err.Error(), "One or more added object references already exist")
	err = tn.RemoveGroupMember(ctx, sampletenant.GroupEMS, sampletenant.Carol)
	assert.True(t, errors.Is(err, licensing.InvalidInput))
	assert.Contains(t, err.Error(), "One or more removed object references do not exist")
	assert.True(t, errors.Is(tn.AddGroupMember(ctx, "nope", sampletenant.Carol), licensing.UnknownGroup))
	assert.True(t, errors.Is(tn.AddGroupMember(ctx, sampletenant.GroupEMS, "nope"), licensing.UnknownUser))

	// Leaving the Teams group takes Teams away from carol.
	require.NoError(t, tn.RemoveGroupMember(ctx, sampletenant.GroupTeams, sampletenant.Carol))
	h := tn.History()
	require.Len(t, h, 1)
	assert.Equal(t, []licensing.PlanID{planTeams}, h[0].Lost())
	assert.Equal(t, fake.CauseMembership, h[0].Cause)
}

func TestCopiesInAndOut(t *testing.T) {
	snap := sampletenant.Snapshot()
	tn, err := fake.New(snap)
	require.NoError(t, err)
	snap.Users[0].UsageLocation = "SE"
	snap.Groups[0].Members = nil
	assert.Equal(t, "NO", getUser(t, tn, sampletenant.Alice).UsageLocation)

	out := tn.State()
	out.Users[0].AssignedLicenses[0].DisabledPlans = append(out.Users[0].AssignedLicenses[0].DisabledPlans, planSway)
	out.Groups[0].Members[0] = "x"
	again := tn.State()
	assert.Empty(t, again.Users[0].AssignedLicenses[0].DisabledPlans)
	assert.Equal(t, sampletenant.Carol, again.Groups[0].Members[0])
}

func TestLoadTakesDirectLicensesFromAssignmentStates(t *testing.T) {
	g := sampletenant.GroupE3Base
	snap := fake.NewBuilder("t").DefaultUsageLocation("US").
		Sku(skuE3, "ENTERPRISEPACK", 5, licensing.ServicePlan{ID: planExchangeP2, Name: "EXCHANGE_S_ENTERPRISE"}).
		User("u1", "u1@t", "US").
		Group(g, "base", []licensing.AssignedLicense{lic(skuE3)}, "u1").
		Snapshot()
	// A real export: assignedLicenses is derived; licenseAssignmentStates says the group gives it.
	snap.Users[0].AssignedLicenses = []licensing.AssignedLicense{lic(skuE3)}
	snap.Users[0].LicenseAssignmentStates = []licensing.LicenseAssignmentState{{SkuID: skuE3, DisabledPlans: []licensing.PlanID{}, AssignedByGroup: &g, State: "Active", Error: "None"}}
	snap.SubscribedSkus[0].ConsumedUnits = 99
	tn, err := fake.New(snap)
	require.NoError(t, err)
	u := getUser(t, tn, "u1")
	require.Len(t, u.LicenseAssignmentStates, 1, "no direct path is invented from assignedLicenses")
	assert.NotNil(t, u.LicenseAssignmentStates[0].AssignedByGroup)
	assert.Equal(t, 1, consumed(t, tn, skuE3), "consumedUnits is recomputed")
}

func TestLoadRejectsInvalidSnapshots(t *testing.T) {
	_, err := fake.Load(strings.NewReader(`{"formatVersion":"tenant/v0"}`))
	assert.True(t, errors.Is(err, licensing.InvalidInput))
	_, err = fake.New(nil)
	assert.True(t, errors.Is(err, licensing.InvalidInput))
	tn, err := fake.Load(strings.NewReader(string(sampletenant.JSON())))
	require.NoError(t, err)
	assert.Equal(t, sampletenant.TenantID, tn.TenantID())
}

func TestContextCancelled(t *testing.T) {
	tn, _ := sample(t)
	c, cancel := contextWithCancel()
	cancel()
	assert.ErrorIs(t, tn.AssignUserLicenses(c, sampletenant.Alice, nil, nil), errContextCanceled)
}
