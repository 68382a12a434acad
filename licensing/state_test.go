package licensing_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// contoso compiles the sample tenant (see internal/sampletenant for its stories).
func contoso(t testing.TB, opts ...licensing.StateOption) *licensing.State {
	t.Helper()
	s, err := licensing.NewState(sampletenant.Snapshot(), opts...)
	require.NoError(t, err)
	return s
}

func userIndex(t *testing.T, s *licensing.State, ref string) int {
	t.Helper()
	i, err := s.LookupUser(ref)
	require.NoError(t, err)
	return i
}

// tenantJSON is the state as tenant/v1, the bytes a user would diff.
func tenantJSON(t *testing.T, s *licensing.State) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, s.Snapshot().WriteJSON(&b))
	return b.String()
}

func planNames(s *licensing.State, ps licensing.PlanSet) []string { return s.Catalog().PlanNames(ps) }

func idNames(s *licensing.State, ids []licensing.PlanID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = s.Catalog().PlanName(id)
	}
	return out
}

func pathsOf(s *licensing.State, user int, sku string) []licensing.Path {
	var out []licensing.Path
	for _, p := range s.Paths(user) {
		if p.Sku.String() == sku {
			out = append(out, p)
		}
	}
	return out
}

func consumed(t *testing.T, s *licensing.State, sku string) int {
	t.Helper()
	sub, ok := s.Subscription(licensing.MustParseSkuID(sku))
	require.True(t, ok)
	return sub.Consumed
}

var e3Plans = []string{"EXCHANGE_S_ENTERPRISE", "FORMS_PLAN_E3", "INTUNE_O365", "MCOSTANDARD", "OFFICESUBSCRIPTION",
	"PROJECTWORKMANAGEMENT", "RMS_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "SHAREPOINTWAC", "STREAM_O365_E3", "SWAY", "TEAMS1", "YAMMER_ENTERPRISE"}

func TestGroupAssignmentsAreCumulative(t *testing.T) {
	// carol: Licensing_E3_Base gives 9 of E3's 13 plans, Licensing_Teams gives Teams only: 10 of 13.
	s := contoso(t)
	carol := userIndex(t, s, "carol@contoso.com")

	paths := s.Paths(carol)
	require.Len(t, paths, 2)
	for _, p := range paths {
		assert.Equal(t, sampletenant.E3, p.Sku.String())
		assert.False(t, p.Direct())
		assert.Equal(t, licensing.PathActive, p.State)
		assert.Equal(t, licensing.None, p.Error)
	}
	assert.Equal(t, sampletenant.GroupE3Base, paths[0].Group, "paths come in group order")
	assert.Equal(t, sampletenant.GroupTeams, paths[1].Group)
	assert.Equal(t, 9, 13-paths[0].Disabled.Len())
	assert.Equal(t, 1, 13-paths[1].Disabled.Len())

	eff := s.Effective(carol)
	assert.Equal(t, 10, eff.Enabled.Len())
	assert.Equal(t, []string{"EXCHANGE_S_ENTERPRISE", "INTUNE_O365", "MCOSTANDARD", "OFFICESUBSCRIPTION", "PROJECTWORKMANAGEMENT",
		"RMS_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "SHAREPOINTWAC", "STREAM_O365_E3", "TEAMS1"}, planNames(s, eff.Enabled))
	assert.True(t, eff.Enabled.Equal(s.EnabledPlans(carol)))

	// assignedLicenses: the plans disabled on every active path.
	require.Len(t, eff.Assigned, 1)
	assert.Equal(t, sampletenant.E3, eff.Assigned[0].SkuID.String())
	assert.Equal(t, []string{"FORMS_PLAN_E3", "SWAY", "YAMMER_ENTERPRISE"}, idNames(s, eff.Assigned[0].DisabledPlans))
	require.Len(t, eff.BySku, 1)
	assert.True(t, eff.BySku[0].Plans.Equal(eff.Enabled))

	assert.Equal(t, []int{0, 1}, s.UserGroups(carol))
}

func TestOneSeatPerUserPerSku(t *testing.T) {
	s := contoso(t)
	dave := userIndex(t, s, "dave@contoso.com")
	paths := pathsOf(s, dave, sampletenant.E3)
	require.Len(t, paths, 2, "dave holds E3 directly and through Licensing_E3_Base")
	assert.True(t, paths[0].Direct(), "the direct path comes first")
	assert.Equal(t, sampletenant.GroupE3Base, paths[1].Group)

	// Users with an E3 path not in error: carol, dave, frank, heidi and the 12 migrants.
	assert.Equal(t, 16, consumed(t, s, sampletenant.E3), "dave consumes one E3 seat, not two")

	want := map[string]int{
		sampletenant.E1: 2, sampletenant.E3: 16, sampletenant.ExchangeP1: 1, sampletenant.ExchangeP2: 0,
		sampletenant.AudioConf: 1, sampletenant.WorkplaceAn: 1, sampletenant.EMS: 3,
	}
	for _, sub := range s.Subscriptions() {
		assert.Equal(t, want[sub.Sku.ID.String()], sub.Consumed, "consumed seats of %s are recomputed from the paths", sub.Sku.Label())
	}
}

func TestGroupPathConflictingWithADirectLicenseIsInError(t *testing.T) {
	// erin holds E1 directly; Licensing_E3_Base gives her E3: SharePoint Plan 1 and Plan 2 conflict,
	// Exchange Online Plan 1 and Plan 2 stack.
	s := contoso(t)
	erin := userIndex(t, s, "erin@contoso.com")

	e1 := pathsOf(s, erin, sampletenant.E1)
	require.Len(t, e1, 1)
	assert.True(t, e1[0].Direct())
	assert.Equal(t, licensing.PathActive, e1[0].State)

	e3 := pathsOf(s, erin, sampletenant.E3)
	require.Len(t, e3, 1)
	assert.Equal(t, sampletenant.GroupE3Base, e3[0].Group)
	assert.Equal(t, licensing.PathError, e3[0].State)
	assert.Equal(t, licensing.MutuallyExclusiveViolation, e3[0].Error)

	eff := s.Effective(erin)
	assert.Contains(t, planNames(s, eff.Enabled), "SHAREPOINTSTANDARD")
	assert.NotContains(t, planNames(s, eff.Enabled), "SHAREPOINTENTERPRISE", "a path in error enables nothing")
	require.Len(t, eff.Assigned, 1, "assignedLicenses leave out SKUs whose only path is in error")
	assert.Equal(t, sampletenant.E1, eff.Assigned[0].SkuID.String())

	// The conflict named by the rules is SharePoint, not Exchange.
	cs := s.Rules().Conflicts([]licensing.SkuPlans{
		{Sku: licensing.MustParseSkuID(sampletenant.E1), Plans: s.EnabledPlans(erin)},
		{Sku: licensing.MustParseSkuID(sampletenant.E3), Plans: mustSku(t, s, sampletenant.E3).PlanSet().Minus(e3[0].Disabled)},
	})
	require.Len(t, cs, 1)
	assert.Equal(t, []string{"SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE"}, idNames(s, cs[0].Plans[:]))
}

func mustSku(t *testing.T, s *licensing.State, id string) *licensing.Sku {
	t.Helper()
	sku, ok := s.Catalog().Sku(licensing.MustParseSkuID(id))
	require.True(t, ok)
	return sku
}

func TestGroupWithMoreMembersThanSeats(t *testing.T) {
	// Licensing_EMS: 4 members, 3 seats. Members are processed in order; the last gets CountViolation.
	s := contoso(t)
	ems, err := s.LookupGroup("Licensing_EMS")
	require.NoError(t, err)
	var errs []string
	for _, m := range s.GroupMembers(ems) {
		for _, p := range pathsOf(s, m, sampletenant.EMS) {
			if p.State == licensing.PathError {
				assert.Equal(t, licensing.CountViolation, p.Error)
				errs = append(errs, s.User(m).UserPrincipalName)
			}
		}
	}
	assert.Equal(t, []string{"mobile4@contoso.com"}, errs, "exactly one member is over the seat count")
	sub, ok := s.Subscription(licensing.MustParseSkuID(sampletenant.EMS))
	require.True(t, ok)
	assert.Equal(t, 3, sub.Consumed)
	assert.Equal(t, 0, sub.Available())
}

func TestNewStateKeepsReportedPathStates(t *testing.T) {
	// A snapshot exported from a tenant reports each path's state: it is kept, not re-evaluated.
	snap := sampletenant.Snapshot()
	g := sampletenant.GroupEMS
	for i := range snap.Users {
		u := &snap.Users[i]
		if u.UserPrincipalName == "mobile1@contoso.com" {
			u.LicenseAssignmentStates = []licensing.LicenseAssignmentState{{
				SkuID: licensing.MustParseSkuID(sampletenant.EMS), AssignedByGroup: &g, State: "Error", Error: "CountViolation",
			}}
		}
	}
	s, err := licensing.NewState(snap)
	require.NoError(t, err)
	var states []string
	for _, ref := range []string{"mobile1@contoso.com", "mobile2@contoso.com", "mobile3@contoso.com", "mobile4@contoso.com"} {
		p := pathsOf(s, userIndex(t, s, ref), sampletenant.EMS)
		require.Len(t, p, 1)
		states = append(states, p[0].State.String()+"/"+p[0].Error.String())
	}
	assert.Equal(t, []string{"Error/CountViolation", "Active/None", "Active/None", "Active/None"}, states,
		"mobile1's reported error stays; mobile4, unreported, gets the free seat")
}

func TestStateLookups(t *testing.T) {
	s := contoso(t)

	t.Run("users by id or UPN", func(t *testing.T) {
		i := userIndex(t, s, sampletenant.Alice)
		assert.Equal(t, i, userIndex(t, s, "alice@contoso.com"))
		assert.Equal(t, i, userIndex(t, s, "ALICE@Contoso.com"))
		assert.Equal(t, licensing.Target{Type: licensing.TargetUser, ID: sampletenant.Alice, Name: "alice@contoso.com"}, s.UserTarget(i))

		_, err := s.LookupUser("alcie@contoso.com")
		require.Error(t, err)
		assert.ErrorIs(t, err, licensing.UnknownUser)
		assert.Contains(t, err.Error(), `did you mean "alice@contoso.com"`)
	})

	t.Run("groups by id or name", func(t *testing.T) {
		i, err := s.LookupGroup("licensing_teams")
		require.NoError(t, err)
		j, err := s.LookupGroup(sampletenant.GroupTeams)
		require.NoError(t, err)
		assert.Equal(t, i, j)
		assert.Equal(t, "group Licensing_Teams ("+sampletenant.GroupTeams+")", s.GroupTarget(i).String())

		_, err = s.LookupGroup("Licensing_E3")
		require.Error(t, err)
		assert.ErrorIs(t, err, licensing.UnknownGroup)
		assert.Contains(t, err.Error(), `did you mean "Licensing_E3_Base"`)
	})

	t.Run("ambiguous group name", func(t *testing.T) {
		snap := sampletenant.Snapshot()
		snap.Groups[1].DisplayName = "Licensing_E3_Base"
		s, err := licensing.NewState(snap)
		require.NoError(t, err)
		_, err = s.LookupGroup("Licensing_E3_Base")
		require.Error(t, err)
		assert.ErrorIs(t, err, licensing.UnknownGroup)
		assert.Contains(t, err.Error(), "ambiguous")
		assert.Contains(t, err.Error(), sampletenant.GroupE3Base)
		assert.Contains(t, err.Error(), sampletenant.GroupTeams)
	})

	t.Run("SKUs: subscribed or not", func(t *testing.T) {
		s := contoso(t, licensing.WithCatalog(smallCatalog(t)))
		sub, err := s.LookupSku("Office 365 E3")
		require.NoError(t, err, "names from the catalog resolve tenant SKUs")
		assert.Equal(t, sampletenant.E3, sub.Sku.ID.String())

		_, err = s.LookupSku("PBI_PREMIUM_EM1_ADDON")
		require.Error(t, err)
		assert.ErrorIs(t, err, licensing.UnknownSku)
		assert.Contains(t, err.Error(), "Power BI Premium EM1 (PBI_PREMIUM_EM1_ADDON) is a Microsoft product, but this tenant does not subscribe to it", "a SKU Microsoft sells but the tenant does not have")
		assert.Contains(t, err.Error(), "ENTERPRISEPACK", "the error lists what the tenant has")

		_, err = s.LookupSku("ENTERPRISEPAK")
		assert.Contains(t, err.Error(), `did you mean "ENTERPRISEPACK"`)
	})
}

func TestSubscriptionAssignable(t *testing.T) {
	cases := []struct {
		appliesTo, status string
		ok                bool
		why               string
	}{
		{"User", "Enabled", true, ""},
		{"User", "Warning", true, ""},
		{"User", "Suspended", false, "Office 365 E3 (ENTERPRISEPACK) is Suspended"},
		{"User", "Deleted", false, "is Deleted"},
		{"User", "LockedOut", false, "is LockedOut"},
		{"Company", "Enabled", false, `applies to "Company"`},
	}
	for _, tc := range cases {
		t.Run(tc.appliesTo+"/"+tc.status, func(t *testing.T) {
			snap := sampletenant.Snapshot()
			snap.SubscribedSkus[1].AppliesTo = tc.appliesTo
			snap.SubscribedSkus[1].CapabilityStatus = tc.status
			s, err := licensing.NewState(snap)
			require.NoError(t, err)
			sub, ok := s.Subscription(licensing.MustParseSkuID(sampletenant.E3))
			require.True(t, ok)
			got, why := sub.Assignable()
			assert.Equal(t, tc.ok, got)
			if tc.why != "" {
				assert.Contains(t, why, tc.why)
			}
			if tc.ok {
				return
			}
			o := s.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: "bob@contoso.com",
				AddLicenses: []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(sampletenant.E3)}}})
			assert.True(t, o.Refused)
			assert.ErrorIs(t, o.Err(), licensing.SkuNotAssignable)
		})
	}
}

func TestStateSnapshotIsAFixedPoint(t *testing.T) {
	// Export the computed state, load it again: nothing changes, and every path is now reported.
	s := contoso(t)
	first := tenantJSON(t, s)
	snap, err := licensing.ReadSnapshot(strings.NewReader(first))
	require.NoError(t, err)
	s2, err := licensing.NewState(snap)
	require.NoError(t, err)
	assert.Equal(t, first, tenantJSON(t, s2))

	exported := s.Snapshot()
	for _, k := range exported.SubscribedSkus {
		if k.SkuID.String() == sampletenant.E3 {
			assert.Equal(t, 16, k.ConsumedUnits, "consumedUnits are recomputed")
		}
	}
	for _, u := range exported.Users {
		if u.UserPrincipalName != "erin@contoso.com" {
			continue
		}
		require.Len(t, u.LicenseAssignmentStates, 2)
		assert.Nil(t, u.LicenseAssignmentStates[0].AssignedByGroup)
		assert.Equal(t, "Active", u.LicenseAssignmentStates[0].State)
		assert.Equal(t, "None", u.LicenseAssignmentStates[0].Error)
		require.NotNil(t, u.LicenseAssignmentStates[1].AssignedByGroup)
		assert.Equal(t, sampletenant.GroupE3Base, *u.LicenseAssignmentStates[1].AssignedByGroup)
		assert.Equal(t, "Error", u.LicenseAssignmentStates[1].State)
		assert.Equal(t, "MutuallyExclusiveViolation", u.LicenseAssignmentStates[1].Error)
		require.Len(t, u.AssignedLicenses, 1)
		assert.Equal(t, sampletenant.E1, u.AssignedLicenses[0].SkuID.String())
	}
}

func TestCloneIsIndependent(t *testing.T) {
	s := contoso(t)
	before := tenantJSON(t, s)
	c := s.Clone()

	o := c.Apply(licensing.Change{Kind: licensing.AssignUserLicenses, User: "alice@contoso.com",
		AddLicenses:    []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(sampletenant.E3)}},
		RemoveLicenses: []licensing.SkuID{licensing.MustParseSkuID(sampletenant.E1)}})
	require.False(t, o.Refused, "%v", o.Err())
	c.Apply(licensing.Change{Kind: licensing.RemoveGroupMember, User: "mobile1@contoso.com", Group: "Licensing_EMS"})
	c.Apply(licensing.Change{Kind: licensing.SetUsageLocation, User: "grace@contoso.com", UsageLocation: "NO"})
	c.Apply(licensing.Change{Kind: licensing.AssignGroupLicenses, Group: "Licensing_Teams",
		RemoveLicenses: []licensing.SkuID{licensing.MustParseSkuID(sampletenant.E3)}})

	assert.Equal(t, before, tenantJSON(t, s), "changes to the clone do not reach the original")
	assert.NotEqual(t, before, tenantJSON(t, c))
	assert.Equal(t, 16, consumed(t, s, sampletenant.E3))
	assert.Equal(t, 3, consumed(t, s, sampletenant.EMS))

	// And the other way round.
	c2 := s.Clone()
	cloneBefore := tenantJSON(t, c2)
	s.Apply(licensing.Change{Kind: licensing.AddGroupMember, User: "bob@contoso.com", Group: "Licensing_E3_Base"})
	assert.Equal(t, cloneBefore, tenantJSON(t, c2), "changes to the original do not reach the clone")
}

func TestUserIDsWinOverUserPrincipalNames(t *testing.T) {
	// Hand-written fixtures sometimes use readable ids. A user whose id reads like another
	// user's userPrincipalName must still be the one its groups name as a member.
	doc := `{"formatVersion":"tenant/v1","tenantId":"t","defaultUsageLocation":"US",
	  "subscribedSkus":[{"skuId":"` + sampletenant.EMS + `","skuPartNumber":"EMS","appliesTo":"User","capabilityStatus":"Enabled",
	    "prepaidUnits":{"enabled":5},"servicePlans":[{"servicePlanId":"c1ec4a95-1f05-45b3-a911-aa3fa01094f5","servicePlanName":"INTUNE_A"}]}],
	  "users":[{"id":"pat@contoso.com","assignedLicenses":[]},
	           {"id":"u2","userPrincipalName":"PAT@contoso.com","assignedLicenses":[]}],
	  "groups":[{"id":"g1","displayName":"Licensing_EMS","members":["pat@contoso.com"],
	    "assignedLicenses":[{"skuId":"` + sampletenant.EMS + `","disabledPlans":[]}]}]}`
	snap, err := licensing.ReadSnapshot(strings.NewReader(doc))
	require.NoError(t, err)
	s, err := licensing.NewState(snap)
	require.NoError(t, err)

	assert.Equal(t, []int{0}, s.GroupMembers(0), "the member is the user with that id")
	assert.Len(t, s.Paths(0), 1)
	assert.Empty(t, s.Paths(1))
	i, err := s.LookupUser("pat@contoso.com")
	require.NoError(t, err)
	assert.Equal(t, 0, i, "an exact id wins over a userPrincipalName")
	i, err = s.LookupUser("u2")
	require.NoError(t, err)
	assert.Equal(t, 1, i)
}

func TestStuckPathsLoadAndHoldTheirSeats(t *testing.T) {
	// Microsoft: licenses in DependencyViolation "can't be removed until the dependency is
	// resolved"; the path stays on a user who left the group, or whose group was deleted or no
	// longer carries the SKU. Such a tenant loads, and the path keeps its seat and plans.
	gone := "a0000000-0000-4000-8000-0000000000ff"
	stuck := func(sku, group string, state, kind string) licensing.LicenseAssignmentState {
		g := group
		return licensing.LicenseAssignmentState{SkuID: licensing.MustParseSkuID(sku), AssignedByGroup: &g, State: state, Error: kind}
	}
	cases := []struct {
		name   string
		edit   func(u *licensing.User)
		sku    string
		group  string
		absent bool
	}{
		{"deleted group", func(u *licensing.User) {
			u.LicenseAssignmentStates = append(u.LicenseAssignmentStates, stuck(sampletenant.E3, gone, "ActiveWithError", "DependencyViolation"))
		}, sampletenant.E3, gone, true},
		{"no longer a member", func(u *licensing.User) {
			u.LicenseAssignmentStates = append(u.LicenseAssignmentStates, stuck(sampletenant.E3, sampletenant.GroupE3Base, "ActiveWithError", "DependencyViolation"))
		}, sampletenant.E3, sampletenant.GroupE3Base, false},
		{"group no longer carries the SKU", func(u *licensing.User) {
			u.LicenseAssignmentStates = append(u.LicenseAssignmentStates, stuck(sampletenant.EMS, sampletenant.GroupE3Base, "ActiveWithError", "DependencyViolation"))
		}, sampletenant.EMS, sampletenant.GroupE3Base, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap := sampletenant.Snapshot()
			var bob *licensing.User
			for i := range snap.Users {
				if snap.Users[i].ID == sampletenant.Bob {
					bob = &snap.Users[i]
				}
			}
			require.NotNil(t, bob)
			bob.LicenseAssignmentStates = []licensing.LicenseAssignmentState{{SkuID: bob.AssignedLicenses[0].SkuID, State: "Active"}}
			base, err := licensing.NewState(snap)
			require.NoError(t, err)
			snap = base.Snapshot()
			for i := range snap.Users {
				if snap.Users[i].ID == sampletenant.Bob {
					bob = &snap.Users[i]
				}
			}
			tc.edit(bob)
			require.NoError(t, snap.Validate())
			s, err := licensing.NewState(snap)
			require.NoError(t, err)
			var data bytes.Buffer
			require.NoError(t, snap.WriteJSON(&data))
			requireSameLoad(t, data.Bytes())

			i := userIndex(t, s, sampletenant.Bob)
			var p *licensing.Path
			for _, x := range s.Paths(i) {
				if x.Group == tc.group {
					p = &x
				}
			}
			require.NotNil(t, p, "the stuck path is kept")
			assert.True(t, p.Stuck)
			for u := range s.NumUsers() { // Bulk's scan of the compact paths agrees with Paths
				assert.Equal(t, slices.ContainsFunc(s.Paths(u), func(p licensing.Path) bool { return p.Stuck }), s.Bulk().HasStuckPath(u), "user %d", u)
			}
			assert.True(t, s.Bulk().HasStuckPath(i))
			assert.Equal(t, tc.sku, p.Sku.String())
			assert.Equal(t, licensing.PathActiveWithError, p.State)
			assert.Equal(t, licensing.DependencyViolation, p.Error)
			assert.Equal(t, tc.absent, s.GroupAbsent(s.Bulk().PathGroup(*p)))
			sub, _ := s.Subscription(p.Sku)
			was, _ := base.Subscription(p.Sku)
			assert.Equal(t, was.Consumed+1, sub.Consumed, "the stuck path holds a seat")
			sku, _ := s.Catalog().Sku(p.Sku)
			assert.True(t, sku.PlanSet().Minus(p.Disabled).SubsetOf(s.EnabledPlans(i)), "and enables its plans")

			// It survives a round trip; an absent group is not exported as a group.
			again, err := licensing.NewState(s.Snapshot())
			require.NoError(t, err)
			assert.Equal(t, tenantJSON(t, s), tenantJSON(t, again))
			assert.Len(t, s.Snapshot().Groups, len(snap.Groups))

			// Changes to an absent group are refused; reprocessing bob keeps the path (nothing
			// depends on it here, so Entra lets it go).
			if tc.absent {
				o := s.Predict(licensing.Change{Kind: licensing.AddGroupMember, User: sampletenant.Bob, Group: gone})
				assert.ErrorIs(t, o.Err(), licensing.UnknownGroup)
			}
			o := s.Apply(licensing.Change{Kind: licensing.ReprocessUser, User: sampletenant.Bob})
			require.False(t, o.Refused)
			for _, x := range s.Paths(i) {
				assert.NotEqual(t, tc.group, x.Group, "with no dependency left, reprocessing releases the stuck path")
			}
			sub, _ = s.Subscription(licensing.MustParseSkuID(tc.sku))
			assert.Equal(t, was.Consumed, sub.Consumed)
		})
	}
}

func TestNilInputsAreErrorsNotPanics(t *testing.T) {
	_, err := licensing.LoadState(nil)
	assert.ErrorIs(t, err, licensing.InvalidInput)
	_, err = licensing.NewState(nil)
	assert.ErrorIs(t, err, licensing.InvalidInput)
}
