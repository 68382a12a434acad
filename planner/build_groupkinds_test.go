package planner_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// kindsState is the sample tenant with a group of every kind (sampletenant.WithGroupKinds).
func kindsState(t *testing.T) *licensing.State {
	t.Helper()
	s := sampletenant.WithGroupKinds()
	st, err := licensing.NewState(s)
	require.NoError(t, err)
	return st
}

func TestPlannerRefusesWhatTheGroupKindForbids(t *testing.T) {
	st := kindsState(t)
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1",
		"users":[
		  {"user":"grace@contoso.com","licenses":[],"groups":["Dynamic_Sales"]},
		  {"user":"heidi@contoso.com","licenses":[],"groups":["Synced_Staff"]},
		  {"user":"frank@contoso.com","licenses":[],"groups":["MailSec_Finance"]},
		  {"user":"carol@contoso.com","mode":"exact","licenses":[],"groups":["Licensing_E3_Base","Licensing_Teams"]},
		  {"user":"dave@contoso.com","licenses":[],"groups":["M365_Project"]}],
		"groups":[
		  {"group":"M365_Project","licenses":[{"sku":"ENTERPRISEPACK"}]},
		  {"group":"M365_Secure","licenses":[{"sku":"EXCHANGESTANDARD"}]}]}`))
	assert.False(t, p.Applyable())

	var msgs []string
	for _, pr := range problemsOf(p, licensing.InvalidDesiredState) {
		assert.Equal(t, planner.SeverityError, pr.Severity, pr.Message)
		assert.Empty(t, pr.Step, "no step is planned for it")
		msgs = append(msgs, pr.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		`users[0]: user grace@contoso.com (` + sampletenant.Grace + `) cannot join group Dynamic_Sales (a0000000-0000-4000-8000-0000000000c1): it is a dynamic group whose membershipRule "(user.department -eq \"Sales\")" decides its members, and Graph refuses to add or remove them by hand: edit the membership rule (or the user's attributes it reads) instead, or use an assigned group`,
		`users[1]: user heidi@contoso.com (` + sampletenant.Heidi + `) cannot join group Synced_Staff (a0000000-0000-4000-8000-0000000000c2): it is synced from on-premises Active Directory, and Graph refuses to change its members: change the on-premises group (the next sync brings the change) instead, or use a cloud group`,
		`users[2]: user frank@contoso.com (` + sampletenant.Frank + `) cannot join group MailSec_Finance (a0000000-0000-4000-8000-0000000000c3): it is a mail-enabled security group, whose members Graph refuses to change: change them in Exchange Online instead, or use a security group`,
		`users[3]: user carol@contoso.com (` + sampletenant.Carol + `) cannot leave group Dynamic_Sales (a0000000-0000-4000-8000-0000000000c1): it is a dynamic group`,
		`groups[0]: group M365_Project (a0000000-0000-4000-8000-0000000000c4) is a Microsoft 365 group, which cannot carry licenses (only security groups and Microsoft 365 groups with securityEnabled can): use a security group instead`,
	} {
		assert.Contains(t, all, want)
	}
	assert.Len(t, msgs, 5, all)
	// carol keeps the dynamic group's E3: the advice is the rule, not a leave.
	inh := problemsOf(p, licensing.InheritedLicense)
	require.Len(t, inh, 1)
	assert.Contains(t, inh[0].Message, "comes from group Dynamic_Sales and cannot be removed from the user directly; list the group's licenses in the target, change the group's membershipRule so that it no longer matches the user (the group is dynamic: its members cannot be removed by hand), or change the group")

	// The steps Graph allows are planned; none that Graph would refuse for the group's kind.
	var joins, leaves, groupLic []string
	for _, s := range p.Steps {
		switch s.Action {
		case planner.AddGroupMember:
			joins = append(joins, s.Target.Name+" → "+s.Group.Name)
		case planner.RemoveGroupMember:
			leaves = append(leaves, s.Target.Name+" ← "+s.Group.Name)
		case planner.AssignLicense:
			if s.Target.Type == licensing.TargetGroup {
				groupLic = append(groupLic, s.Target.Name)
			}
		}
	}
	assert.Equal(t, []string{"dave@contoso.com → M365_Project"}, joins)
	assert.Empty(t, leaves)
	assert.Equal(t, []string{"M365_Secure"}, groupLic)
	requireNoKindRefusedStep(t, st, p)
}

// requireNoKindRefusedStep checks that Graph (as State.Predict models it) would not refuse
// any step of p for its group's kind.
func requireNoKindRefusedStep(t *testing.T, st *licensing.State, p *planner.Plan) {
	t.Helper()
	for _, s := range p.Steps {
		var c licensing.Change
		switch {
		case s.Action == planner.AddGroupMember:
			c = licensing.Change{Kind: licensing.AddGroupMember, Group: s.Group.ID, User: s.Target.ID}
		case s.Action == planner.RemoveGroupMember:
			c = licensing.Change{Kind: licensing.RemoveGroupMember, Group: s.Group.ID, User: s.Target.ID}
		case s.Action == planner.AssignLicense && s.Target.Type == licensing.TargetGroup:
			c = licensing.Change{Kind: licensing.AssignGroupLicenses, Group: s.Target.ID}
		default:
			continue
		}
		g, err := st.LookupGroup(c.Group)
		require.NoError(t, err)
		k, _ := st.GroupKind(g)
		if c.Kind == licensing.AssignGroupLicenses {
			assert.True(t, k.CanCarryLicenses(), "%s plans assignLicense on %s group %s", s.ID, k, c.Group)
		} else {
			assert.Equal(t, licensing.MembersAssigned, k.Members(), "%s plans a member change of %s group %s", s.ID, k, c.Group)
		}
	}
}

func TestPlannerGroupKindsLeaveOldSnapshotsAlone(t *testing.T) {
	// The sample tenant has no kind fields: its groups are plain security groups, as before.
	p := planner.Build(sampleState(t), mustDesired(t, `{"formatVersion":"desired/v1",
		"users":[{"user":"grace@contoso.com","usageLocation":"US","licenses":[],"groups":["Licensing_Teams"]}]}`))
	assert.Empty(t, problemsOf(p, licensing.InvalidDesiredState))
	found := false
	for _, s := range p.Steps {
		found = found || s.Action == planner.AddGroupMember
	}
	assert.True(t, found, p.String())
}
