package licensing_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

func boolPtr(b bool) *bool { return &b }

func TestGroupKindPredicate(t *testing.T) {
	yes, no := boolPtr(true), boolPtr(false)
	for _, c := range []struct {
		g       licensing.Group
		name    string
		carries bool
		members licensing.MembershipSource
	}{
		{licensing.Group{}, "security", true, licensing.MembersAssigned}, // a snapshot without the fields
		{licensing.Group{SecurityEnabled: yes, MailEnabled: no}, "security", true, licensing.MembersAssigned},
		{licensing.Group{GroupTypes: []string{"DynamicMembership"}, SecurityEnabled: yes}, "dynamic security", true, licensing.MembersByRule},
		{licensing.Group{OnPremisesSyncEnabled: yes}, "synced security", true, licensing.MembersOnPremises},
		{licensing.Group{OnPremisesSyncEnabled: no}, "security", true, licensing.MembersAssigned},
		{licensing.Group{SecurityEnabled: yes, MailEnabled: yes}, "mail-enabled security", true, licensing.MembersInExchange},
		{licensing.Group{SecurityEnabled: yes, MailEnabled: yes, OnPremisesSyncEnabled: yes}, "synced mail-enabled security", true, licensing.MembersOnPremises},
		{licensing.Group{SecurityEnabled: no, MailEnabled: yes}, "distribution", false, licensing.MembersInExchange},
		{licensing.Group{GroupTypes: []string{"Unified"}, SecurityEnabled: no, MailEnabled: yes}, "Microsoft 365", false, licensing.MembersAssigned},
		{licensing.Group{GroupTypes: []string{"Unified"}, MailEnabled: yes}, "Microsoft 365", false, licensing.MembersAssigned},
		{licensing.Group{GroupTypes: []string{"Unified"}, SecurityEnabled: yes, MailEnabled: yes}, "Microsoft 365 (security)", true, licensing.MembersAssigned},
		{licensing.Group{GroupTypes: []string{"Unified", "DynamicMembership"}, SecurityEnabled: yes, MailEnabled: yes}, "dynamic Microsoft 365 (security)", true, licensing.MembersByRule},
		{licensing.Group{SecurityEnabled: no}, "non-security", false, licensing.MembersAssigned},
	} {
		k := c.g.Kind()
		assert.Equal(t, c.name, k.String(), "%+v", c.g)
		assert.Equal(t, c.carries, k.CanCarryLicenses(), c.name)
		assert.Equal(t, c.members, k.Members(), c.name)
	}
	assert.Equal(t, "rule", licensing.MembersByRule.String())
}

func TestStateGroupKind(t *testing.T) {
	s, err := licensing.NewState(sampletenant.WithGroupKinds())
	require.NoError(t, err)
	kind := func(id string) licensing.GroupKind {
		g, err := s.LookupGroup(id)
		require.NoError(t, err)
		k, ok := s.GroupKind(g)
		require.True(t, ok)
		return k
	}
	assert.Equal(t, licensing.GroupKind{}, kind(sampletenant.GroupE3Base), "no fields: a plain security group")
	assert.True(t, kind(sampletenant.GroupDynamic).Dynamic)
	assert.True(t, kind(sampletenant.GroupSynced).Synced)
	assert.True(t, kind(sampletenant.GroupMailSec).MailEnabledSecurity)
	assert.True(t, kind(sampletenant.GroupM365).Microsoft365)
	assert.False(t, kind(sampletenant.GroupM365).CanCarryLicenses())
	assert.True(t, kind(sampletenant.GroupM365Sec).CanCarryLicenses())
	assert.True(t, kind(sampletenant.GroupDistList).Distribution)

	// An absent group (named only by a stuck path) has no kind.
	snap := sampletenant.Snapshot()
	gone := "a0000000-0000-4000-8000-0000000000ff"
	snap.Users[0].LicenseAssignmentStates = append(snap.Users[0].LicenseAssignmentStates,
		licensing.LicenseAssignmentState{SkuID: skuE3, DisabledPlans: []licensing.PlanID{}, AssignedByGroup: &gone, State: "Active", Error: "None"})
	s2, err := licensing.NewState(snap)
	require.NoError(t, err)
	g, err := s2.LookupGroup(gone)
	require.NoError(t, err)
	require.True(t, s2.GroupAbsent(g))
	_, ok := s2.GroupKind(g)
	assert.False(t, ok)
}

func TestPredictRefusesWhatTheGroupKindForbids(t *testing.T) {
	s, err := licensing.NewState(sampletenant.WithGroupKinds())
	require.NoError(t, err)
	before := s.Snapshot()
	member := func(k licensing.ChangeKind, group, user string) licensing.Change {
		return licensing.Change{Kind: k, Group: group, User: user}
	}
	for _, c := range []struct {
		change licensing.Change
		text   string
	}{
		{assignGroup(sampletenant.GroupM365, lic(skuE3)), "group M365_Project (" + sampletenant.GroupM365 + ") is a Microsoft 365 group: only security groups and Microsoft 365 groups with securityEnabled can be assigned licenses"},
		{assignGroup(sampletenant.GroupDistList, nil), "is a distribution group: only security groups"},
		// before the SKUs are checked
		{assignGroup(sampletenant.GroupM365, lic(licensing.MustParseSkuID("00000000-0000-4000-8000-000000000999"))), "only security groups"},
		{member(licensing.AddGroupMember, sampletenant.GroupDynamic, sampletenant.Grace), `is a dynamic group: its membershipRule "(user.department -eq \"Sales\")" decides its members, who cannot be added to it by hand`},
		{member(licensing.RemoveGroupMember, sampletenant.GroupDynamic, sampletenant.Carol), "cannot be removed from it by hand"},
		{member(licensing.RemoveGroupMember, sampletenant.GroupDynamic, sampletenant.Grace), "is a dynamic group"}, // the kind first, then membership
		{member(licensing.AddGroupMember, sampletenant.GroupSynced, sampletenant.Grace), "is synced from on-premises Active Directory: members cannot be added to it through Graph (change the on-premises group)"},
		{member(licensing.RemoveGroupMember, sampletenant.GroupSynced, sampletenant.Bob), "cannot be removed from it through Graph"},
		{member(licensing.AddGroupMember, sampletenant.GroupMailSec, sampletenant.Grace), "is a mail-enabled security group: members cannot be added to it through Graph (change it in Exchange Online)"},
		{member(licensing.RemoveGroupMember, sampletenant.GroupDistList, sampletenant.Bob), "is a distribution group: members cannot be removed"},
	} {
		o := s.Predict(c.change)
		require.True(t, o.Refused, "%+v", c.change)
		require.Len(t, o.Violations, 1)
		v := o.Violations[0]
		assert.Equal(t, licensing.InvalidInput, v.Kind)
		assert.Equal(t, licensing.TargetGroup, v.Target.Type)
		assert.Equal(t, c.change.Group, v.Target.ID)
		assert.Contains(t, v.Message, c.text)
		assert.Empty(t, o.Users)
		o = s.Apply(c.change)
		assert.True(t, o.Refused)
	}
	assert.Equal(t, before, s.Snapshot(), "refused changes change nothing")

	// Allowed: members of Microsoft 365 groups; licenses on a Microsoft 365 group with securityEnabled.
	for _, c := range []licensing.Change{
		member(licensing.AddGroupMember, sampletenant.GroupM365, sampletenant.Grace),
		member(licensing.RemoveGroupMember, sampletenant.GroupM365, sampletenant.Bob),
		member(licensing.AddGroupMember, sampletenant.GroupM365Sec, sampletenant.Heidi),
		assignGroup(sampletenant.GroupM365Sec, lic(skuEMS)),
		member(licensing.AddGroupMember, sampletenant.GroupTeams, sampletenant.Grace),
	} {
		o := s.Apply(c)
		assert.False(t, o.Refused, "%+v: %v", c, o.Err())
	}
}

func TestLoadStateKeepsGroupKinds(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, sampletenant.WithGroupKinds().WriteJSON(&b))
	assert.Contains(t, b.String(), `"groupTypes":["DynamicMembership"]`)
	got := requireSameLoad(t, b.Bytes())
	require.NotNil(t, got)
	for i := 0; i < got.NumGroups(); i++ {
		k, ok := got.GroupKind(i)
		require.True(t, ok)
		assert.Equal(t, sampletenant.WithGroupKinds().Groups[i].Kind(), k, got.Group(i).DisplayName)
	}
	g, err := got.LookupGroup(sampletenant.GroupDynamic)
	require.NoError(t, err)
	assert.Equal(t, sampletenant.SalesRule, got.Group(g).MembershipRule)
	// And the export keeps them.
	var again bytes.Buffer
	require.NoError(t, got.Snapshot().WriteJSON(&again))
	assert.True(t, strings.Contains(again.String(), `"membershipRuleProcessingState":"On"`))
}
