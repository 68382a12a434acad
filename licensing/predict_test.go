package licensing_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

var (
	skuE1   = licensing.MustParseSkuID(sampletenant.E1)
	skuE3   = licensing.MustParseSkuID(sampletenant.E3)
	skuEXO1 = licensing.MustParseSkuID(sampletenant.ExchangeP1)
	skuEXO2 = licensing.MustParseSkuID(sampletenant.ExchangeP2)
	skuConf = licensing.MustParseSkuID(sampletenant.AudioConf)
	skuWA   = licensing.MustParseSkuID(sampletenant.WorkplaceAn)
	skuEMS  = licensing.MustParseSkuID(sampletenant.EMS)
)

func assign(user string, add []licensing.AssignedLicense, remove ...licensing.SkuID) licensing.Change {
	return licensing.Change{Kind: licensing.AssignUserLicenses, User: user, AddLicenses: add, RemoveLicenses: remove}
}

func assignGroup(group string, add []licensing.AssignedLicense, remove ...licensing.SkuID) licensing.Change {
	return licensing.Change{Kind: licensing.AssignGroupLicenses, Group: group, AddLicenses: add, RemoveLicenses: remove}
}

func lic(sku licensing.SkuID, disabled ...licensing.PlanID) []licensing.AssignedLicense {
	return []licensing.AssignedLicense{{SkuID: sku, DisabledPlans: disabled}}
}

func plan(t *testing.T, s *licensing.State, name string) licensing.PlanID {
	t.Helper()
	p, err := s.Catalog().LookupPlan(name)
	require.NoError(t, err)
	return p.ID
}

func kinds(o *licensing.Outcome) []licensing.Kind {
	var out []licensing.Kind
	for _, v := range o.Violations {
		out = append(out, v.Kind)
	}
	return out
}

// effectOn returns the outcome's effect on the user, failing when there is none.
func effectOn(t *testing.T, o *licensing.Outcome, user int) licensing.UserEffect {
	t.Helper()
	for _, e := range o.Users {
		if e.User == user {
			return e
		}
	}
	require.Failf(t, "no effect", "the outcome does not change user %d", user)
	return licensing.UserEffect{}
}

func seats(o *licensing.Outcome) map[licensing.SkuID][2]int {
	out := map[licensing.SkuID][2]int{}
	for _, s := range o.Seats {
		out[s.Sku] = [2]int{s.Before, s.After}
	}
	return out
}

// applyRefused applies a change Entra would refuse and checks that nothing changed.
func applyRefused(t *testing.T, s *licensing.State, c licensing.Change, kind licensing.Kind) *licensing.Outcome {
	t.Helper()
	before := tenantJSON(t, s)
	o := s.Apply(c)
	require.True(t, o.Refused, "Entra refuses %v", c.Kind)
	assert.ErrorIs(t, o.Err(), kind)
	assert.Equal(t, kind, o.Violations[0].Kind)
	assert.Empty(t, o.Users, "a refused call changes no user")
	assert.Empty(t, o.Seats, "a refused call changes no seat")
	assert.Equal(t, before, tenantJSON(t, s), "applying a refused change leaves the tenant byte-identical")
	return o
}

func TestAddOnWithoutItsPrerequisiteIsRefused(t *testing.T) {
	// Workplace Analytics needs Exchange Online; mobile1 has EMS only.
	s := contoso(t)
	o := applyRefused(t, s, assign("mobile1@contoso.com", lic(skuWA)), licensing.DependencyViolation)
	v := o.Violations[0]
	assert.Equal(t, "10000000-0000-4000-8000-000000000031", v.Target.ID)
	assert.Equal(t, []string{"WORKPLACE_ANALYTICS", "EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_STANDARD"}, idNames(s, v.Plans))
	assert.Contains(t, v.Message, "Microsoft Workplace Analytics (WORKPLACE_ANALYTICS) needs one of Exchange Online (Plan 2) (EXCHANGE_S_ENTERPRISE), Exchange Online (Plan 1) (EXCHANGE_S_STANDARD)")

	// bob has Exchange Online (Plan 1): the same add-on is fine.
	o = s.Apply(assign("bob@contoso.com", lic(skuWA)))
	require.False(t, o.Refused, "%v", o.Err())
	assert.Equal(t, map[licensing.SkuID][2]int{skuWA: {1, 2}}, seats(o))
	bob := userIndex(t, s, "bob@contoso.com")
	assert.Contains(t, planNames(s, effectOn(t, o, bob).Gained()), "WORKPLACE_ANALYTICS")
}

func TestRemovingAPlanAnotherNeedsIsRefused(t *testing.T) {
	// frank has E3 and Audio Conferencing; Audio Conferencing needs Skype for Business Online (MCOSTANDARD).
	s := contoso(t, skypeRules(t, contoso(t)))
	o := applyRefused(t, s, assign("frank@contoso.com", lic(skuE3, plan(t, s, "MCOSTANDARD"))), licensing.DependencyViolation)
	assert.Equal(t, []string{"MCOMEETADV", "MCOSTANDARD"}, idNames(s, o.Violations[0].Plans))
	assert.Contains(t, o.Err().Error(), "frank@contoso.com")

	// Removing the dependent add-on in the same call is fine.
	o = s.Predict(assign("frank@contoso.com", lic(skuE3, plan(t, s, "MCOSTANDARD")), skuConf))
	assert.False(t, o.Refused, "%v", o.Err())
	frank := userIndex(t, s, "frank@contoso.com")
	assert.Equal(t, []string{"MCOMEETADV", "MCOSTANDARD"}, planNames(s, effectOn(t, o, frank).Lost()))
	assert.Equal(t, map[licensing.SkuID][2]int{skuConf: {1, 0}}, seats(o))
}

func TestGroupOverItsSeats(t *testing.T) {
	s := contoso(t)
	alice := userIndex(t, s, "alice@contoso.com")

	// Licensing_EMS is full: a new member is accepted, but the member's paths from it are in error.
	o := s.Apply(licensing.Change{Kind: licensing.AddGroupMember, User: "alice@contoso.com", Group: "Licensing_EMS"})
	require.False(t, o.Refused, "adding a member is accepted; licensing fails in the background")
	assert.Equal(t, []licensing.Kind{licensing.CountViolation}, kinds(o))
	assert.True(t, errors.Is(o.Err(), licensing.CountViolation))
	assert.Equal(t, sampletenant.Alice, o.Violations[0].Target.ID)
	assert.Equal(t, skuEMS, o.Violations[0].SkuID)
	assert.Contains(t, o.Err().Error(), "no free seat of Enterprise Mobility + Security E3 (EMS)")
	assert.Empty(t, o.Seats, "a path in error takes no seat")
	p := pathsOf(s, alice, sampletenant.EMS)
	require.Len(t, p, 1)
	assert.Equal(t, licensing.PathError, p[0].State)
	assert.Equal(t, licensing.CountViolation, p[0].Error)
	assert.Equal(t, sampletenant.GroupEMS, p[0].Group)

	// A direct assignment with no seat free is refused outright.
	applyRefused(t, s, assign("bob@contoso.com", lic(skuEMS)), licensing.CountViolation)

	// A direct assignment of a SKU the user already has a seat of (through a group) needs no new seat.
	o = s.Predict(assign("mobile1@contoso.com", lic(skuEMS)))
	require.False(t, o.Refused, "%v", o.Err())
	assert.Empty(t, o.Seats)

	// Removing a member frees a seat; the members in error keep their error until reprocessed.
	o = s.Apply(licensing.Change{Kind: licensing.RemoveGroupMember, User: "mobile1@contoso.com", Group: "Licensing_EMS"})
	require.False(t, o.Refused, "%v", o.Err())
	assert.Equal(t, map[licensing.SkuID][2]int{skuEMS: {3, 2}}, seats(o))
	mobile4 := userIndex(t, s, "mobile4@contoso.com")
	assert.Equal(t, licensing.PathError, pathsOf(s, mobile4, sampletenant.EMS)[0].State)

	o = s.Apply(licensing.Change{Kind: licensing.ReprocessUser, User: "mobile4@contoso.com"})
	require.False(t, o.Refused)
	assert.Empty(t, o.Violations)
	assert.Equal(t, map[licensing.SkuID][2]int{skuEMS: {2, 3}}, seats(o))
	assert.Equal(t, licensing.PathActive, pathsOf(s, mobile4, sampletenant.EMS)[0].State)
	assert.Contains(t, planNames(s, effectOn(t, o, mobile4).Gained()), "INTUNE_A")

	// Reprocessing alice now: the group is full again.
	o = s.Apply(licensing.Change{Kind: licensing.ReprocessUser, User: "alice@contoso.com"})
	assert.ErrorIs(t, o.Err(), licensing.CountViolation)
}

func TestUsageLocation(t *testing.T) {
	s := contoso(t)
	grace := userIndex(t, s, "grace@contoso.com")
	require.Empty(t, s.UsageLocation(grace))

	t.Run("direct assignment needs one", func(t *testing.T) {
		o := applyRefused(t, s, assign("grace@contoso.com", lic(skuE3)), licensing.UsageLocationMissing)
		assert.Contains(t, o.Err().Error(), "grace@contoso.com")
	})

	t.Run("group licensing falls back to the tenant default", func(t *testing.T) {
		o := s.Predict(licensing.Change{Kind: licensing.AddGroupMember, User: "grace@contoso.com", Group: "Licensing_E3_Base"})
		require.False(t, o.Refused)
		assert.Empty(t, o.Violations)
		assert.Len(t, planNames(s, effectOn(t, o, grace).After), 9)
		assert.Equal(t, map[licensing.SkuID][2]int{skuE3: {16, 17}}, seats(o))
	})

	t.Run("no location and no tenant default", func(t *testing.T) {
		snap := sampletenant.Snapshot()
		snap.DefaultUsageLocation = ""
		s, err := licensing.NewState(snap)
		require.NoError(t, err)
		o := s.Apply(licensing.Change{Kind: licensing.AddGroupMember, User: "grace@contoso.com", Group: "Licensing_E3_Base"})
		require.False(t, o.Refused)
		assert.ErrorIs(t, o.Err(), licensing.Other)
		assert.Equal(t, licensing.PathError, pathsOf(s, grace, sampletenant.E3)[0].State)
	})

	t.Run("set, then assign", func(t *testing.T) {
		s := contoso(t)
		applyRefused(t, s, licensing.Change{Kind: licensing.SetUsageLocation, User: "grace@contoso.com", UsageLocation: "Norway"}, licensing.InvalidInput)
		o := s.Apply(licensing.Change{Kind: licensing.SetUsageLocation, User: "grace@contoso.com", UsageLocation: " no "})
		require.False(t, o.Refused, "%v", o.Err())
		assert.Empty(t, o.Users, "a new location alone changes no plan")
		assert.Equal(t, "NO", s.UsageLocation(grace), "codes are normalised")
		assert.False(t, s.Apply(assign("grace@contoso.com", lic(skuE3))).Refused)

		// A user with direct licenses must keep a location.
		applyRefused(t, s, licensing.Change{Kind: licensing.SetUsageLocation, User: "grace@contoso.com"}, licensing.UsageLocationMissing)
		// A user with group licenses only may drop it (carol).
		assert.False(t, s.Predict(licensing.Change{Kind: licensing.SetUsageLocation, User: "carol@contoso.com"}).Refused)
	})
}

func TestUsageLocationProhibitions(t *testing.T) {
	// Microsoft publishes no machine-readable list; a rules/v1 file supplies one.
	custom, err := licensing.ReadRules(strings.NewReader(`{"formatVersion": "rules/v1",
	  "usageLocation": [
	    {"name": "Audio Conferencing markets", "source": "our contract", "date": "2026-01-01",
	     "plans": [{"id": "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40", "name": "MCOMEETADV"}], "allowedOnlyIn": ["US", "GB", "NO", "DE"]},
	    {"name": "No Teams in XX", "source": "test", "date": "2026-01-01",
	     "plans": [{"id": "57ff2da0-773e-42df-b2af-ffb7a2317929", "name": "TEAMS1"}], "prohibitedIn": ["CU"]}]}`))
	require.NoError(t, err)
	s := contoso(t, licensing.WithRules(licensing.DefaultRules().Extend(custom)))

	t.Run("moving a user where a plan is not offered", func(t *testing.T) {
		o := applyRefused(t, s, licensing.Change{Kind: licensing.SetUsageLocation, User: "frank@contoso.com", UsageLocation: "FR"},
			licensing.ProhibitedInUsageLocationViolation)
		assert.Equal(t, []string{"MCOMEETADV"}, idNames(s, o.Violations[0].Plans))
		assert.Contains(t, o.Err().Error(), `rule "Audio Conferencing markets"`)
		assert.False(t, s.Predict(licensing.Change{Kind: licensing.SetUsageLocation, User: "frank@contoso.com", UsageLocation: "GB"}).Refused)
	})

	t.Run("direct assignment", func(t *testing.T) {
		s := s.Clone()
		require.False(t, s.Apply(licensing.Change{Kind: licensing.SetUsageLocation, User: "migrant01@contoso.com", UsageLocation: "FR"}).Refused)
		o := applyRefused(t, s, assign("migrant01@contoso.com", lic(skuConf)), licensing.ProhibitedInUsageLocationViolation)
		assert.Contains(t, o.Err().Error(), "usage location FR")
		assert.False(t, s.Predict(assign("migrant02@contoso.com", lic(skuConf))).Refused, "offered in the US")
	})

	t.Run("group assignment", func(t *testing.T) {
		s := s.Clone()
		require.False(t, s.Apply(licensing.Change{Kind: licensing.SetUsageLocation, User: "mobile1@contoso.com", UsageLocation: "CU"}).Refused)
		o := s.Apply(licensing.Change{Kind: licensing.AddGroupMember, User: "mobile1@contoso.com", Group: "Licensing_Teams"})
		require.False(t, o.Refused)
		assert.ErrorIs(t, o.Err(), licensing.ProhibitedInUsageLocationViolation)
		p := pathsOf(s, userIndex(t, s, "mobile1@contoso.com"), sampletenant.E3)
		require.Len(t, p, 1)
		assert.Equal(t, licensing.PathError, p[0].State)
		assert.Equal(t, licensing.ProhibitedInUsageLocationViolation, p[0].Error)

		// grace has no location: the tenant default (US) applies, where Teams is offered.
		o = s.Apply(licensing.Change{Kind: licensing.AddGroupMember, User: "grace@contoso.com", Group: "Licensing_Teams"})
		assert.Empty(t, o.Violations)
	})

	t.Run("group change reaching members in alternating locations", func(t *testing.T) {
		// One change processes every member in one txn, which works the group's plans out
		// once: the prohibited plans must still follow each member's location.
		s := s.Clone()
		g, err := s.LookupGroup("Licensing_E3_Base")
		require.NoError(t, err)
		members := s.GroupMembers(g)
		require.Greater(t, len(members), 4)
		loc := map[int]string{}
		inXX := 0
		for k, u := range members {
			loc[u] = []string{"CU", "US"}[k%2]
			if s.Apply(licensing.Change{Kind: licensing.SetUsageLocation, User: s.User(u).ID, UsageLocation: loc[u]}).Refused {
				loc[u] = "US" // Teams held directly: not movable to XX
				require.False(t, s.Apply(licensing.Change{Kind: licensing.SetUsageLocation, User: s.User(u).ID, UsageLocation: "US"}).Refused)
			}
			if loc[u] == "CU" {
				inXX++
			}
		}
		require.GreaterOrEqual(t, inXX, 3)
		require.False(t, s.Apply(assignGroup("Licensing_E3_Base", lic(skuE3))).Refused, "E3 with Teams on")
		for _, u := range members {
			for _, p := range pathsOf(s, u, sampletenant.E3) {
				if s.Bulk().PathGroup(p) != g {
					continue
				}
				if loc[u] == "CU" {
					assert.Equal(t, licensing.ProhibitedInUsageLocationViolation, p.Error, "%s in XX", s.User(u).ID)
				} else {
					assert.NotEqual(t, licensing.ProhibitedInUsageLocationViolation, p.Error, "%s in US", s.User(u).ID)
				}
			}
		}
	})
}

func TestRemovingAnInheritedLicenseIsRefused(t *testing.T) {
	s := contoso(t)
	o := applyRefused(t, s, assign("carol@contoso.com", nil, skuE3), licensing.InheritedLicense)
	assert.Contains(t, o.Err().Error(), "inherited from a group membership (Licensing_E3_Base, Licensing_Teams)")
	assert.Equal(t, skuE3, o.Violations[0].SkuID)

	// dave holds E3 directly too: his direct path can go, the group path stays, nothing is lost.
	o = s.Predict(assign("dave@contoso.com", nil, skuE3))
	require.False(t, o.Refused, "%v", o.Err())
	assert.Empty(t, o.Seats, "dave still consumes his E3 seat through the group")
	for _, e := range o.Users {
		assert.True(t, e.Lost().IsEmpty())
	}

	applyRefused(t, s, assign("bob@contoso.com", nil, skuE3), licensing.InvalidInput) // not held at all
}

func TestSwapE1ForE3InOneCall(t *testing.T) {
	s := contoso(t)
	alice := userIndex(t, s, "alice@contoso.com")

	// Adding E3 next to E1 conflicts on SharePoint: refused.
	o := applyRefused(t, s, assign("alice@contoso.com", lic(skuE3)), licensing.MutuallyExclusiveViolation)
	assert.Equal(t, []string{"SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE"}, idNames(s, o.Violations[0].Plans))
	assert.NotContains(t, o.Err().Error(), "EXCHANGE", "Exchange Online plans stack")

	// Removing E1 first would leave alice without service in between.
	o = s.Predict(assign("alice@contoso.com", nil, skuE1))
	require.False(t, o.Refused)
	e := effectOn(t, o, alice)
	assert.Equal(t, 11, s.Rules().ServiceLoss(e.Before, e.After).Len(), "every E1 service is lost")

	// Add E3 and remove E1 in one atomic call: accepted, nothing lost.
	o = s.Apply(assign("alice@contoso.com", lic(skuE3), skuE1))
	require.False(t, o.Refused, "%v", o.Err())
	e = effectOn(t, o, alice)
	assert.True(t, s.Rules().ServiceLoss(e.Before, e.After).IsEmpty(), "lost: %v", planNames(s, s.Rules().ServiceLoss(e.Before, e.After)))
	assert.Equal(t, []string{"EXCHANGE_S_STANDARD", "FORMS_PLAN_E1", "SHAREPOINTSTANDARD", "STREAM_O365_E1"}, planNames(s, e.Lost()),
		"each is replaced by its E3 level")
	assert.Equal(t, e3Plans, planNames(s, e.After))
	assert.Equal(t, map[licensing.SkuID][2]int{skuE1: {2, 1}, skuE3: {16, 17}}, seats(o))
	require.Len(t, o.Seats, 2)
	assert.Equal(t, skuE1, o.Seats[0].Sku, "seats come in subscription order")

	paths := s.Paths(alice)
	require.Len(t, paths, 1)
	assert.Equal(t, skuE3, paths[0].Sku)
	assert.True(t, paths[0].Direct())
	assert.Equal(t, 17, consumed(t, s, sampletenant.E3))
	assert.Equal(t, 1, consumed(t, s, sampletenant.E1))
}

func TestExchangePlansStack(t *testing.T) {
	// bob has Exchange Online (Plan 1); Plan 2 may be added next to it (make-before-break).
	s := contoso(t)
	bob := userIndex(t, s, "bob@contoso.com")
	o := s.Apply(assign("bob@contoso.com", lic(skuEXO2)))
	require.False(t, o.Refused, "%v", o.Err())
	assert.Equal(t, []string{"EXCHANGE_S_ENTERPRISE"}, planNames(s, effectOn(t, o, bob).Gained()))
	assert.Equal(t, map[licensing.SkuID][2]int{skuEXO2: {0, 1}}, seats(o), "two Exchange SKUs are two seats")

	o = s.Predict(assign("bob@contoso.com", nil, skuEXO1))
	require.False(t, o.Refused)
	e := effectOn(t, o, bob)
	assert.NotContains(t, planNames(s, s.Rules().ServiceLoss(e.Before, e.After)), "EXCHANGE_S_STANDARD",
		"the mailbox goes on at Plan 2")
}

func TestReassigningADirectLicenseReplacesItsDisabledPlans(t *testing.T) {
	s := contoso(t)
	dave := userIndex(t, s, "dave@contoso.com")
	o := s.Apply(assign("dave@contoso.com", lic(skuE3)))
	require.False(t, o.Refused, "%v", o.Err())
	assert.Equal(t, []string{"FORMS_PLAN_E3", "SWAY", "TEAMS1", "YAMMER_ENTERPRISE"}, planNames(s, effectOn(t, o, dave).Gained()))
	assert.Empty(t, o.Seats)
	direct := pathsOf(s, dave, sampletenant.E3)[0]
	require.True(t, direct.Direct())
	assert.True(t, direct.Disabled.IsEmpty())
}

func TestGroupAssignmentNeedsPrerequisitesInTheSameGroup(t *testing.T) {
	s := contoso(t)

	// Licensing_Teams gives E3 with Exchange disabled: Workplace Analytics may not be added to it,
	// even though its members have Exchange from Licensing_E3_Base.
	o := applyRefused(t, s, assignGroup("Licensing_Teams", lic(skuWA)), licensing.GroupPrerequisiteMissing)
	assert.Equal(t, "group", string(o.Violations[0].Target.Type))
	assert.Equal(t, sampletenant.GroupTeams, o.Violations[0].Target.ID)
	assert.Contains(t, o.Err().Error(), "in the same group's assignment")

	applyRefused(t, s, assignGroup("Licensing_EMS", lic(skuConf)), licensing.GroupPrerequisiteMissing)

	// Disabling the prerequisite in a group that has the add-on is refused the same way.
	full := s.Clone()
	require.False(t, full.Apply(assignGroup("Licensing_EMS", lic(skuE3))).Refused)
	require.False(t, full.Apply(assignGroup("Licensing_EMS", lic(skuConf))).Refused)
	applyRefused(t, full, assignGroup("Licensing_EMS", lic(skuE3, plan(t, s, "MCOSTANDARD"), plan(t, s, "TEAMS1"))), licensing.GroupPrerequisiteMissing)
}

func TestGroupAssignmentIsAllOrNothingPerMember(t *testing.T) {
	// Workplace Analytics added to Licensing_E3_Base (which has Exchange): 4 seats are free for 15 members.
	s := contoso(t)
	o := s.Apply(assignGroup("Licensing_E3_Base", lic(skuWA)))
	require.False(t, o.Refused, "%v", o.Err())

	byKind := map[licensing.Kind][]string{}
	for _, v := range o.Violations {
		byKind[v.Kind] = append(byKind[v.Kind], strings.TrimSuffix(v.Target.Name, "@contoso.com"))
	}
	assert.Equal(t, []string{"erin"}, byKind[licensing.MutuallyExclusiveViolation], "erin's E1 still conflicts with the group's E3")
	assert.Equal(t, []string{"migrant03", "migrant04", "migrant05", "migrant06", "migrant07", "migrant08", "migrant09", "migrant10", "migrant11", "migrant12"},
		byKind[licensing.CountViolation])
	assert.Equal(t, map[licensing.SkuID][2]int{skuWA: {1, 5}}, seats(o), "E3 seats do not move: the migrants also hold E3 directly")

	// A member without a seat of the add-on: the add-on's path is in Error (CountViolation); the
	// group's E3, which the member already had, keeps working, ActiveWithError with Other.
	m03 := userIndex(t, s, "migrant03@contoso.com")
	n := 0
	for _, p := range s.Paths(m03) {
		switch {
		case p.Group != sampletenant.GroupE3Base:
		case p.Sku == skuWA:
			n++
			assert.Equal(t, licensing.PathError, p.State)
			assert.Equal(t, licensing.CountViolation, p.Error)
		case p.Sku == skuE3:
			n++
			assert.Equal(t, licensing.PathActiveWithError, p.State)
			assert.Equal(t, licensing.Other, p.Error, "the group's other license gets Other")
		}
	}
	assert.Equal(t, 2, n)
	carol := userIndex(t, s, "carol@contoso.com")
	assert.Contains(t, planNames(s, effectOn(t, o, carol).Gained()), "WORKPLACE_ANALYTICS")
	gl := s.GroupLicenses(0)
	require.Len(t, gl, 2)
	assert.Equal(t, skuE3, gl[0].SkuID)
	assert.Equal(t, []string{"FORMS_PLAN_E3", "SWAY", "TEAMS1", "YAMMER_ENTERPRISE"}, idNames(s, gl[0].DisabledPlans),
		"adding a SKU to a group leaves its other SKUs as they were")
	assert.Equal(t, skuWA, gl[1].SkuID)
	assert.Empty(t, gl[1].DisabledPlans)
}

// skypeRules has one rule, the prerequisite of Microsoft's own example of a dependency that
// outlives a group ("Audio Conferencing is dependent on Skype for Business", entra-docs
// licensing-groups-resolve-problems.md), so that these stories do not depend on the defaults.
func skypeRules(t *testing.T, s *licensing.State) licensing.StateOption {
	return licensing.WithRules(&licensing.Rules{FormatVersion: licensing.RulesFormatVersion, Prerequisites: []licensing.PrerequisiteRule{{
		Name: "Audio Conferencing needs Skype for Business Online", Source: "test", Date: "2025-10-29",
		Plan:          licensing.PlanRef{ID: plan(t, s, "MCOMEETADV"), Name: "MCOMEETADV"},
		RequiresAnyOf: []licensing.PlanRef{{ID: plan(t, s, "MCOSTANDARD"), Name: "MCOSTANDARD"}},
	}}})
}

func TestMembershipRemovalLeavesNeededPathsStuck(t *testing.T) {
	// carol gets Audio Conferencing directly; her Skype for Business comes only from
	// Licensing_E3_Base. Leaving the group cannot take it: the path stays, in
	// DependencyViolation, until the dependency is resolved and carol is reprocessed.
	s := contoso(t, skypeRules(t, contoso(t)))
	carol := userIndex(t, s, "carol@contoso.com")
	o := s.Apply(assign("carol@contoso.com", lic(skuConf)))
	require.False(t, o.Refused, "%v", o.Err())
	before := s.EnabledPlans(carol)
	seatsBefore := s.Subscriptions()[0].Consumed

	o = s.Apply(licensing.Change{Kind: licensing.RemoveGroupMember, User: "carol@contoso.com", Group: "Licensing_E3_Base"})
	require.False(t, o.Refused, "%v", o.Err())
	require.Len(t, o.Violations, 1)
	assert.Equal(t, licensing.DependencyViolation, o.Violations[0].Kind)
	assert.Equal(t, "carol@contoso.com", o.Violations[0].Target.Name)
	assert.True(t, before.Equal(s.EnabledPlans(carol)), "nothing is lost: the path stays")
	assert.Empty(t, o.Seats)
	assert.Equal(t, seatsBefore, s.Subscriptions()[0].Consumed)

	paths := pathsOf(s, carol, sampletenant.E3)
	require.Len(t, paths, 2)
	assert.Equal(t, sampletenant.GroupE3Base, paths[0].Group)
	assert.Equal(t, licensing.PathActiveWithError, paths[0].State)
	assert.Equal(t, licensing.DependencyViolation, paths[0].Error)
	assert.True(t, paths[0].Stuck, "carol is no longer a member")
	assert.Equal(t, sampletenant.GroupTeams, paths[1].Group)
	assert.False(t, paths[1].Stuck)
	assert.NotContains(t, s.UserGroups(carol), 0)

	// A reprocess changes nothing while the dependency stands.
	o = s.Apply(licensing.Change{Kind: licensing.ReprocessUser, User: "carol@contoso.com"})
	require.False(t, o.Refused)
	assert.Empty(t, o.Violations, "the stuck path was already in DependencyViolation")
	assert.Len(t, pathsOf(s, carol, sampletenant.E3), 2)

	// The fix: drop the dependent add-on, then reprocess: the stuck path goes.
	require.False(t, s.Apply(assign("carol@contoso.com", nil, skuConf)).Refused)
	o = s.Apply(licensing.Change{Kind: licensing.ReprocessUser, User: "carol@contoso.com"})
	require.False(t, o.Refused)
	paths = pathsOf(s, carol, sampletenant.E3)
	require.Len(t, paths, 1)
	assert.Equal(t, sampletenant.GroupTeams, paths[0].Group)

	// Without a dependent plan, the path just goes.
	m04 := userIndex(t, s, "migrant04@contoso.com")
	o = s.Apply(licensing.Change{Kind: licensing.RemoveGroupMember, User: "migrant04@contoso.com", Group: "Licensing_Teams"})
	require.False(t, o.Refused)
	assert.Empty(t, o.Violations)
	assert.Len(t, pathsOf(s, m04, sampletenant.E3), 2, "direct and Licensing_E3_Base remain")
}

func TestGroupLicenseRemovalLeavesNeededPathsStuck(t *testing.T) {
	// The documented case: a group's E3 goes while members hold Audio Conferencing directly.
	s := contoso(t, skypeRules(t, contoso(t)))
	carol := userIndex(t, s, "carol@contoso.com")
	require.False(t, s.Apply(assign("carol@contoso.com", lic(skuConf))).Refused)

	o := s.Apply(assignGroup("Licensing_E3_Base", nil, skuE3))
	require.False(t, o.Refused, "%v", o.Err())
	var stuck []string
	for _, v := range o.Violations {
		if v.Kind == licensing.DependencyViolation {
			stuck = append(stuck, v.Target.Name)
		}
	}
	assert.Equal(t, []string{"carol@contoso.com"}, stuck, "only carol depends on the group's Skype for Business; the migrants and dave hold E3 directly")
	assert.Contains(t, planNames(s, s.EnabledPlans(carol)), "MCOMEETADV")
	assert.Contains(t, planNames(s, s.EnabledPlans(carol)), "MCOSTANDARD")
	p := pathsOf(s, carol, sampletenant.E3)
	require.NotEmpty(t, p)
	assert.Equal(t, sampletenant.GroupE3Base, p[0].Group)
	assert.True(t, p[0].Stuck, "the group no longer carries E3")
	assert.Empty(t, s.GroupLicenses(0))
	erin := userIndex(t, s, "erin@contoso.com")
	assert.Empty(t, pathsOf(s, erin, sampletenant.E3), "erin's path in error goes with the group's license")

	// The snapshot keeps the stuck path, and a State loaded from it has it again.
	again, err := licensing.NewState(s.Snapshot(), skypeRules(t, s))
	require.NoError(t, err)
	p = pathsOf(again, userIndex(t, again, "carol@contoso.com"), sampletenant.E3)
	require.NotEmpty(t, p)
	assert.True(t, p[0].Stuck)
	assert.Equal(t, licensing.PathActiveWithError, p[0].State)
	assert.Equal(t, s.Subscriptions()[0].Consumed, again.Subscriptions()[0].Consumed)
}

func TestPredictNeverChangesTheState(t *testing.T) {
	s := contoso(t)
	before := tenantJSON(t, s)
	changes := []licensing.Change{
		assign("alice@contoso.com", lic(skuE3), skuE1),
		assign("bob@contoso.com", lic(skuEXO2)),
		assign("dave@contoso.com", nil, skuE3),
		assignGroup("Licensing_E3_Base", lic(skuWA)),
		assignGroup("Licensing_E3_Base", nil, skuE3),
		assignGroup("Licensing_EMS", lic(skuEMS, plan(t, s, "INTUNE_A"))),
		{Kind: licensing.AddGroupMember, User: "alice@contoso.com", Group: "Licensing_EMS"},
		{Kind: licensing.AddGroupMember, User: "grace@contoso.com", Group: "Licensing_Teams"},
		{Kind: licensing.RemoveGroupMember, User: "carol@contoso.com", Group: "Licensing_E3_Base"},
		{Kind: licensing.SetUsageLocation, User: "grace@contoso.com", UsageLocation: "NO"},
		{Kind: licensing.ReprocessUser, User: "mobile4@contoso.com"},
		{Kind: licensing.ReprocessUser, User: "erin@contoso.com"},
	}
	for _, c := range changes {
		t.Run(c.Kind.String(), func(t *testing.T) {
			o := s.Predict(c)
			assert.False(t, o.Refused, "%v", o.Err())
			assert.Equal(t, before, tenantJSON(t, s), "Predict changes nothing")
			// Predicting then applying a clone gives the predicted effects.
			c2 := s.Clone()
			o2 := c2.Apply(c)
			assert.Equal(t, len(o.Users), len(o2.Users))
			assert.Equal(t, o.Seats, o2.Seats)
		})
	}
}

func TestRefusedChanges(t *testing.T) {
	s := contoso(t)
	unknownSku := licensing.MustParseSkuID("c7df2760-2c81-4ef7-b578-5b5392b571df")
	cases := []struct {
		name string
		c    licensing.Change
		kind licensing.Kind
		msg  string
	}{
		{"unknown user", assign("nobody@contoso.com", lic(skuE3)), licensing.UnknownUser, `"nobody@contoso.com"`},
		{"unknown group", licensing.Change{Kind: licensing.AddGroupMember, User: "bob@contoso.com", Group: "Licensing_E5"}, licensing.UnknownGroup, `"Licensing_E5"`},
		{"SKU not subscribed", assign("bob@contoso.com", lic(unknownSku)), licensing.UnknownSku, "not subscribed"},
		{"removing a SKU not subscribed", assign("bob@contoso.com", nil, unknownSku), licensing.UnknownSku, "removeLicenses"},
		{"disabled plan not in the SKU", assign("bob@contoso.com", lic(skuEXO2, plan(t, s, "TEAMS1"))), licensing.UnknownServicePlan, "TEAMS1"},
		{"SKU added twice", assign("bob@contoso.com", append(lic(skuEXO2), lic(skuEXO2)...)), licensing.InvalidInput, "twice"},
		{"SKU added and removed", assign("bob@contoso.com", lic(skuEXO1), skuEXO1), licensing.InvalidInput, "both added and removed"},
		{"already a member", licensing.Change{Kind: licensing.AddGroupMember, User: "carol@contoso.com", Group: "Licensing_Teams"}, licensing.InvalidInput, "already a member"},
		{"not a member", licensing.Change{Kind: licensing.RemoveGroupMember, User: "bob@contoso.com", Group: "Licensing_Teams"}, licensing.InvalidInput, "not a member"},
		{"group does not hold the SKU", assignGroup("Licensing_Teams", nil, skuEMS), licensing.InvalidInput, "does not hold SKU Enterprise Mobility + Security E3 (EMS)"},
		{"unknown change kind", licensing.Change{Kind: 99, User: "bob@contoso.com"}, licensing.InvalidInput, "unknown change kind"},
		{"zero change", licensing.Change{}, licensing.InvalidInput, "unknown change kind"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := applyRefused(t, s, tc.c, tc.kind)
			assert.Contains(t, o.Err().Error(), tc.msg)
		})
	}
}

func TestOutcomeErrCombinesViolations(t *testing.T) {
	// E3 next to alice's E1 conflicts, and EMS has no free seat: two reasons in one refusal.
	s := contoso(t)
	o := s.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: "alice@contoso.com",
		AddLicenses: []licensing.AssignedLicense{{SkuID: skuE3}, {SkuID: skuEMS}}})
	require.True(t, o.Refused)
	assert.Equal(t, []licensing.Kind{licensing.MutuallyExclusiveViolation, licensing.CountViolation}, kinds(o))
	err := o.Err()
	assert.ErrorIs(t, err, licensing.MutuallyExclusiveViolation, "errors.Is matches the first reason")
	assert.NotErrorIs(t, err, licensing.CountViolation, "only the first: look in Violations for the others")
	assert.Contains(t, err.Error(), "(and 1 more: ")
	assert.Contains(t, err.Error(), o.Violations[1].Error())
	assert.NotContains(t, o.Violations[0].Message, "and 1 more", "the outcome's violations are not changed")

	assert.NoError(t, s.Predict(assign("bob@contoso.com", lic(skuEXO2))).Err())
}

func TestChangeKindNames(t *testing.T) {
	assert.Equal(t, "assignUserLicenses", licensing.AssignUserLicenses.String())
	assert.Equal(t, "reprocessUser", licensing.ReprocessUser.String())
	assert.Equal(t, "ChangeKind(42)", licensing.ChangeKind(42).String())
}

func TestUsageLocationErrorsSayWhatIsValid(t *testing.T) {
	s := contoso(t)
	for loc, hint := range map[string]string{"UK": `"GB"`, "XX": "ISO 3166-1 alpha-2"} {
		o := applyRefused(t, s, licensing.Change{Kind: licensing.SetUsageLocation, User: "grace@contoso.com", UsageLocation: loc}, licensing.InvalidInput)
		assert.Contains(t, o.Err().Error(), hint, loc)
	}
}
