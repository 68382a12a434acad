package report_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

const (
	groupDynamic = "a0000000-0000-4000-8000-0000000000c1"
	groupSynced  = "a0000000-0000-4000-8000-0000000000c2"
	salesRule    = `(user.department -eq "Sales")`
)

// kindsState is the sample tenant with a dynamic group licensing carol with E3 and a synced
// group licensing heidi with EMS (whose seats are all taken: heidi's path fails).
func kindsState(t *testing.T) *licensing.State {
	t.Helper()
	s := sampletenant.Snapshot()
	yes, no := true, false
	s.Groups = append(s.Groups,
		licensing.Group{ID: groupDynamic, DisplayName: "Dynamic_Sales", Members: []string{sampletenant.Carol},
			AssignedLicenses: []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(sampletenant.E3), DisabledPlans: []licensing.PlanID{}}},
			GroupTypes:       []string{"DynamicMembership"}, SecurityEnabled: &yes, MailEnabled: &no,
			MembershipRule: salesRule, MembershipRuleProcessingState: "On"},
		licensing.Group{ID: groupSynced, DisplayName: "Synced_Mobility", Members: []string{sampletenant.Heidi},
			AssignedLicenses: []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(sampletenant.EMS), DisabledPlans: []licensing.PlanID{}}},
			SecurityEnabled:  &yes, MailEnabled: &no, OnPremisesSyncEnabled: &yes},
	)
	st, err := licensing.NewState(s)
	require.NoError(t, err)
	return st
}

func TestPathsShowGroupKinds(t *testing.T) {
	st := kindsState(t)
	byGroup := map[string]report.PathRow{}
	for r := range report.Paths(st) {
		if r.AssignedByGroup != "" {
			byGroup[r.UserPrincipalName+" "+r.GroupDisplayName] = r
		}
	}
	assert.Equal(t, "security", byGroup["carol@contoso.com Licensing_E3_Base"].GroupKind)
	dyn := byGroup["carol@contoso.com Dynamic_Sales"]
	assert.Equal(t, "dynamic security", dyn.GroupKind)
	assert.Equal(t, salesRule, dyn.MembershipRule)
	assert.Equal(t, "synced security", byGroup["heidi@contoso.com Synced_Mobility"].GroupKind)

	var txt, csv, js bytes.Buffer
	require.NoError(t, report.WritePaths(&txt, st, report.Text))
	assert.Contains(t, txt.String(), "group Dynamic_Sales (dynamic security)")
	assert.Contains(t, txt.String(), "group Synced_Mobility (synced security)")
	assert.NotContains(t, txt.String(), "(security)", "a plain security group's kind is not repeated on every line")
	require.NoError(t, report.WritePaths(&csv, st, report.CSV))
	assert.Contains(t, csv.String(), `,dynamic security,"(user.department -eq ""Sales"")"`)
	require.NoError(t, report.WritePaths(&js, st, report.JSON))
	assert.Contains(t, js.String(), `"groupKind": "dynamic security"`)
	assert.True(t, json.Valid(js.Bytes()))
}

func TestExplainSaysALicenseComesFromADynamicGroup(t *testing.T) {
	st := kindsState(t)
	ex, err := report.Explain(st, "carol@contoso.com")
	require.NoError(t, err)
	var dyn *report.Membership
	for i := range ex.Groups {
		if ex.Groups[i].GroupID == groupDynamic {
			dyn = &ex.Groups[i]
		}
	}
	require.NotNil(t, dyn)
	assert.Equal(t, "dynamic security", dyn.Kind)
	assert.Equal(t, salesRule, dyn.MembershipRule)
	assert.Equal(t, "On", dyn.MembershipRuleProcessingState)
	var note string
	for _, p := range ex.Skus[0].Paths {
		if p.Source.GroupID == groupDynamic {
			note = p.Membership
			assert.Equal(t, salesRule, p.Source.MembershipRule)
		} else {
			assert.Empty(t, p.Membership, "an assigned group needs no note")
		}
	}
	assert.Equal(t, `dynamic group: the user is a member because it matches its membershipRule (user.department -eq "Sales"); the license follows the rule — change the rule or the user's attributes, not the membership`, note)

	var b bytes.Buffer
	require.NoError(t, ex.WriteText(&b))
	out := b.String()
	assert.Contains(t, out, "Dynamic_Sales (Office 365 E3 (ENTERPRISEPACK); ProcessingComplete; dynamic security)")
	assert.Contains(t, out, "    group Dynamic_Sales: dynamic group: the user is a member because it matches its membershipRule (user.department -eq \"Sales\")")
	assert.Contains(t, out, "on via group Dynamic_Sales")
	b.Reset()
	require.NoError(t, ex.WriteJSON(&b))
	assert.Contains(t, b.String(), `"membershipRule": "(user.department -eq \"Sales\")"`)
}

func TestErrorsFixRespectsGroupKinds(t *testing.T) {
	st := kindsState(t)
	rep := report.Errors(st)
	var found bool
	for _, c := range rep.Causes {
		for _, e := range c.Entries {
			if e.UserPrincipalName != "heidi@contoso.com" {
				continue
			}
			found = true
			assert.Contains(t, e.Fix.Options, "remove heidi@contoso.com from group Synced_Mobility in on-premises Active Directory (the group is synced from there)")
			assert.NotContains(t, e.Fix.Options, "remove heidi@contoso.com from group Synced_Mobility")
		}
	}
	require.True(t, found, "heidi's EMS path fails: no seat")
	var kinds []string
	for _, g := range rep.Groups {
		kinds = append(kinds, g.DisplayName+": "+g.Kind)
	}
	assert.Contains(t, kinds, "Synced_Mobility: synced security")
	var b bytes.Buffer
	require.NoError(t, rep.WriteText(&b))
	assert.Contains(t, b.String(), "KIND")
	assert.Contains(t, b.String(), "synced security")
}
