package report_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

// Ids of the users and groups the stuck tenant adds to the sample tenant.
const (
	deletedGroup   = "a0000000-0000-4000-8000-0000000000d1" // deleted; ivan's Exchange Plan 2 path outlived it
	deletedGroup2  = "a0000000-0000-4000-8000-0000000000d2" // deleted; liam's E1 path outlived it, nothing depends on it
	conferencing   = "a0000000-0000-4000-8000-0000000000b4" // Licensing_Conferencing: E3 + Audio Conferencing
	mobility       = "a0000000-0000-4000-8000-0000000000b5" // Licensing_Mobility: Exchange Plan 1 + EMS
	exchangeP2Plan = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE
)

// stuckTenant is the sample tenant with Entra's documented error states:
//
//   - ivan: Workplace Analytics direct; Exchange Online Plan 2 from a deleted group, kept
//     (ActiveWithError, DependencyViolation) because Workplace Analytics needs Exchange.
//   - judy: Workplace Analytics direct, member of Licensing_Teams (its E3 disables Exchange);
//     Exchange Online Plan 2 from Licensing_Teams, which no longer assigns it: stuck.
//   - ken: Audio Conferencing direct; E3 from Licensing_E3_Base, of which he is no longer a
//     member: stuck, because Audio Conferencing needs Skype for Business (MCOSTANDARD).
//   - liam: E1 from another deleted group, reported Active, and nothing depends on it: a
//     reprocess should remove it.
//   - mia: E1 direct, member of Licensing_Conferencing (E3 + Audio Conferencing) whose E3 now
//     conflicts with her E1: she keeps both licenses (ActiveWithError), E3 with
//     MutuallyExclusiveViolation and Audio Conferencing with Other.
//   - noah: the same, but a new member: both licenses in Error, both Other (as real tenants report).
//   - oscar: a new member of Licensing_Mobility (Exchange Plan 1 + EMS): EMS has no seat
//     (CountViolation) and Exchange Plan 1, the SKU listed first, gets Other.
//   - Exchange Online Plan 2 lives on grace-period seats: 1 enabled + 4 in warning, 2 in use.
func stuckTenant(t testing.TB) *licensing.State {
	t.Helper()
	snap := sampletenant.Snapshot()
	sku := licensing.MustParseSkuID
	e1, e3, exP1, exP2 := sku(sampletenant.E1), sku(sampletenant.E3), sku(sampletenant.ExchangeP1), sku(sampletenant.ExchangeP2)
	audio, wpa, ems := sku(sampletenant.AudioConf), sku(sampletenant.WorkplaceAn), sku(sampletenant.EMS)
	for i := range snap.SubscribedSkus {
		if snap.SubscribedSkus[i].SkuID == exP2 {
			snap.SubscribedSkus[i].PrepaidUnits = licensing.PrepaidUnits{Enabled: 1, Warning: 4}
			snap.SubscribedSkus[i].CapabilityStatus = "Warning"
		}
	}
	none := []licensing.PlanID{}
	str := func(s string) *string { return &s }
	st := func(s licensing.SkuID, group *string, state, err string) licensing.LicenseAssignmentState {
		return licensing.LicenseAssignmentState{SkuID: s, DisabledPlans: none, AssignedByGroup: group, State: state, Error: err}
	}
	yes := true
	user := func(id, name string, states ...licensing.LicenseAssignmentState) licensing.User {
		u := licensing.User{ID: id, UserPrincipalName: name + "@contoso.com", DisplayName: strings.ToUpper(name[:1]) + name[1:],
			AccountEnabled: &yes, UsageLocation: "US", AssignedLicenses: []licensing.AssignedLicense{}, LicenseAssignmentStates: states}
		for _, s := range states {
			if s.State == "Active" || s.State == "ActiveWithError" {
				u.AssignedLicenses = append(u.AssignedLicenses, licensing.AssignedLicense{SkuID: s.SkuID, DisabledPlans: none})
			}
		}
		return u
	}
	teamsDisabled := func() []licensing.PlanID {
		for _, g := range snap.Groups {
			if g.ID == sampletenant.GroupTeams {
				return g.AssignedLicenses[0].DisabledPlans
			}
		}
		panic("no Licensing_Teams")
	}()
	judyTeams := st(e3, str(sampletenant.GroupTeams), "Active", "None")
	judyTeams.DisabledPlans = teamsDisabled
	snap.Users = append(snap.Users,
		user("10000000-0000-4000-8000-000000000041", "ivan",
			st(wpa, nil, "Active", "None"),
			st(exP2, str(deletedGroup), "ActiveWithError", "DependencyViolation")),
		user("10000000-0000-4000-8000-000000000042", "judy",
			st(wpa, nil, "Active", "None"),
			judyTeams,
			st(exP2, str(sampletenant.GroupTeams), "ActiveWithError", "DependencyViolation")),
		user("10000000-0000-4000-8000-000000000043", "ken",
			st(audio, nil, "Active", "None"),
			st(e3, str(sampletenant.GroupE3Base), "ActiveWithError", "DependencyViolation")),
		user("10000000-0000-4000-8000-000000000044", "liam",
			st(e1, str(deletedGroup2), "Active", "None")),
		user("10000000-0000-4000-8000-000000000045", "mia",
			st(e1, nil, "Active", "None"),
			st(e3, str(conferencing), "ActiveWithError", "MutuallyExclusiveViolation"),
			st(audio, str(conferencing), "ActiveWithError", "Other")),
		user("10000000-0000-4000-8000-000000000046", "noah",
			st(e1, nil, "Active", "None"),
			st(e3, str(conferencing), "Error", "Other"),
			st(audio, str(conferencing), "Error", "Other")),
		user("10000000-0000-4000-8000-000000000047", "oscar",
			st(exP1, str(mobility), "Error", "Other"),
			st(ems, str(mobility), "Error", "CountViolation")),
	)
	for i := range snap.Groups {
		if snap.Groups[i].ID == sampletenant.GroupTeams {
			snap.Groups[i].Members = append(snap.Groups[i].Members, "10000000-0000-4000-8000-000000000042")
		}
	}
	complete := &licensing.LicenseProcessingState{State: licensing.ProcessingComplete}
	snap.Groups = append(snap.Groups,
		licensing.Group{ID: conferencing, DisplayName: "Licensing_Conferencing", LicenseProcessingState: complete,
			Members:          []string{"10000000-0000-4000-8000-000000000045", "10000000-0000-4000-8000-000000000046"},
			AssignedLicenses: []licensing.AssignedLicense{{SkuID: e3, DisabledPlans: none}, {SkuID: audio, DisabledPlans: none}}},
		licensing.Group{ID: mobility, DisplayName: "Licensing_Mobility", LicenseProcessingState: complete,
			Members:          []string{"10000000-0000-4000-8000-000000000047"},
			AssignedLicenses: []licensing.AssignedLicense{{SkuID: exP1, DisabledPlans: none}, {SkuID: ems, DisabledPlans: none}}},
	)
	s, err := licensing.NewState(snap)
	require.NoError(t, err)
	return s
}

// TestGoldenStuckTenant renders the errors, seats and paths reports and the explanations of
// the stuck tenant's users in every format.
func TestGoldenStuckTenant(t *testing.T) {
	st := stuckTenant(t)
	for _, name := range []string{report.ReportErrors, report.ReportSeats, report.ReportPaths} {
		for _, f := range formats {
			t.Run(name+"."+string(f), func(t *testing.T) {
				var a, b bytes.Buffer
				require.NoError(t, report.Write(&a, st, name, f))
				require.NoError(t, report.Write(&b, st, name, f))
				assert.Equal(t, a.String(), b.String())
				if f == report.JSON {
					assert.True(t, json.Valid(a.Bytes()), "invalid JSON")
				}
				golden(t, "stuck-"+name+"."+ext(f), a.Bytes())
			})
		}
	}
	for _, user := range []string{"ivan", "judy", "ken", "liam", "mia", "noah", "oscar"} {
		for _, f := range []report.Format{report.Text, report.JSON} {
			t.Run("explain-"+user+"."+string(f), func(t *testing.T) {
				ex, err := report.Explain(st, user+"@contoso.com")
				require.NoError(t, err)
				var a bytes.Buffer
				require.NoError(t, ex.Write(&a, f))
				golden(t, "stuck-explain-"+user+"."+ext(f), a.Bytes())
			})
		}
	}
}

// stuckEntry finds the error entry of a user from a group.
func stuckEntry(t *testing.T, r *report.ErrorReport, upn, group string) (report.ErrorCause, report.ErrorEntry) {
	t.Helper()
	for _, c := range r.Causes {
		for _, e := range c.Entries {
			if e.UserPrincipalName == upn && e.Source.GroupID == group {
				return c, e
			}
		}
	}
	require.Failf(t, "no error entry", "for %s from %s", upn, group)
	return report.ErrorCause{}, report.ErrorEntry{}
}

func TestErrorsStuckPaths(t *testing.T) {
	r := partNames.Errors(stuckTenant(t))
	cases := []struct {
		user, group, cause, why, sku string
		depends, needs               string   // the plan that depends on the stuck path, and one it needs
		fix                          []string // among the options
	}{
		{"ivan@contoso.com", deletedGroup, report.StuckGroupDeleted, "group " + deletedGroup + " was deleted", "EXCHANGEENTERPRISE",
			"WORKPLACE_ANALYTICS", "EXCHANGE_S_ENTERPRISE",
			[]string{"disable WORKPLACE_ANALYTICS in ivan@contoso.com's direct WORKPLACE_ANALYTICS, or remove the direct WORKPLACE_ANALYTICS from ivan@contoso.com"}},
		{"judy@contoso.com", sampletenant.GroupTeams, report.StuckSkuRemoved, "group Licensing_Teams no longer assigns EXCHANGEENTERPRISE", "EXCHANGEENTERPRISE",
			"WORKPLACE_ANALYTICS", "EXCHANGE_S_ENTERPRISE",
			[]string{"enable EXCHANGE_S_ENTERPRISE in group Licensing_Teams's ENTERPRISEPACK assignment", "assign EXCHANGEENTERPRISE to group Licensing_Teams again (its license then applies normally again)"}},
		{"ken@contoso.com", sampletenant.GroupE3Base, report.StuckNoLongerMember, "the user is no longer a member of group Licensing_E3_Base", "ENTERPRISEPACK",
			"MCOMEETADV", "MCOSTANDARD",
			[]string{"add ken@contoso.com back to group Licensing_E3_Base (its license then applies normally again)"}},
	}
	for _, c := range cases {
		t.Run(c.user, func(t *testing.T) {
			cause, e := stuckEntry(t, r, c.user, c.group)
			assert.Equal(t, licensing.DependencyViolation, cause.Error)
			assert.Equal(t, c.cause, e.StuckCause)
			assert.Equal(t, "ActiveWithError", e.State)
			assert.Equal(t, c.sku, e.Skus[0].SkuPartNumber)
			assert.Contains(t, e.Detail, c.why)
			require.Len(t, e.MissingPrerequisites, 1, "the plan that depends on the stuck path")
			m := e.MissingPrerequisites[0]
			assert.Equal(t, c.depends, m.Plan.ServicePlanName)
			assert.Contains(t, planRefNames(m.RequiresAnyOf), c.needs)
			for _, o := range c.fix {
				assert.Contains(t, e.Fix.Options, o)
			}
			for _, o := range e.Fix.Options {
				assert.NotContains(t, o, "remove "+c.user+" from group", "leaving the group does not clear a stuck path")
			}
			assert.Contains(t, e.Fix.Then, "reprocessLicenseAssignment")
			assert.Contains(t, e.Fix.Then, "stuck path goes")
		})
	}

	t.Run("nothing depends on it", func(t *testing.T) {
		cause, e := stuckEntry(t, r, "liam@contoso.com", deletedGroup2)
		assert.Equal(t, licensing.Other, cause.Error, "reported Active with no error: nothing to name")
		assert.Equal(t, report.StuckGroupDeleted, e.StuckCause)
		assert.Equal(t, "Other", e.LikelyCause)
		assert.Empty(t, e.MissingPrerequisites)
		assert.Empty(t, e.Fix.Options)
		assert.Contains(t, e.Fix.Then, "should go")
	})

	t.Run("deleted groups are named by id", func(t *testing.T) {
		var deleted []report.GroupErrors
		for _, g := range r.Groups {
			assert.NotEmpty(t, g.DisplayName)
			if g.Deleted {
				deleted = append(deleted, g)
			}
		}
		require.Len(t, deleted, 2)
		assert.Equal(t, deletedGroup, deleted[0].GroupID)
		assert.Equal(t, deletedGroup, deleted[0].DisplayName)
		assert.Equal(t, 1, deleted[0].StuckUsers)
		assert.Zero(t, deleted[0].MembersInError)
		var text bytes.Buffer
		require.NoError(t, r.WriteText(&text))
		assert.Contains(t, text.String(), "group "+deletedGroup+" (deleted)")
		assert.NotContains(t, text.String(), "group (deleted)", "no empty group name")
	})
}

func planRefNames(ps []report.PlanRef) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ServicePlanName)
	}
	return out
}

func TestErrorsOtherFromTheSameGroup(t *testing.T) {
	r := partNames.Errors(stuckTenant(t))

	t.Run("kept licenses name the failing one", func(t *testing.T) {
		cause, e := stuckEntry(t, r, "mia@contoso.com", conferencing)
		assert.Equal(t, licensing.MutuallyExclusiveViolation, cause.Error)
		assert.Equal(t, "ActiveWithError", e.State)
		require.Len(t, e.OtherSkus, 1)
		assert.Equal(t, "MCOMEETADV", e.OtherSkus[0].SkuPartNumber)
		assert.Contains(t, e.Detail, "keeps the working ENTERPRISEPACK, MCOMEETADV")
		assert.Contains(t, e.Detail, "Entra reports Other on MCOMEETADV because another license of the same group failed: ENTERPRISEPACK with MutuallyExclusiveViolation")
		assert.NotEmpty(t, e.Conflicts)
	})
	t.Run("the failing license comes second", func(t *testing.T) {
		cause, e := stuckEntry(t, r, "oscar@contoso.com", mobility)
		assert.Equal(t, licensing.CountViolation, cause.Error, "EXCHANGESTANDARD's Other must not hide EMS's CountViolation")
		assert.Equal(t, "EMS", cause.Sku.SkuPartNumber)
		assert.Equal(t, 2, cause.SeatsNeeded, "mobile4 and oscar wait for EMS")
		require.Len(t, e.OtherSkus, 1)
		assert.Equal(t, "EXCHANGESTANDARD", e.OtherSkus[0].SkuPartNumber)
		assert.Contains(t, e.Detail, "Entra reports Other on EXCHANGESTANDARD because another license of the same group failed: EMS with CountViolation")
	})
	t.Run("every license Other", func(t *testing.T) {
		cause, e := stuckEntry(t, r, "noah@contoso.com", conferencing)
		assert.Equal(t, licensing.Other, cause.Error)
		assert.Empty(t, e.OtherSkus)
		assert.Equal(t, "MutuallyExclusiveViolation", e.LikelyCause)
		assert.Contains(t, e.Detail, "typically the result of an error with another license assigned by the same group")
	})
}

func TestExplainStuckPath(t *testing.T) {
	ex, err := partNames.Explain(stuckTenant(t), "ivan@contoso.com")
	require.NoError(t, err)
	var found bool
	for _, s := range ex.Skus {
		for _, p := range s.Paths {
			if p.Source.GroupID != deletedGroup {
				continue
			}
			found = true
			assert.True(t, p.Source.GroupDeleted)
			assert.Equal(t, report.StuckGroupDeleted, p.StuckCause)
			assert.Contains(t, p.Detail, "WORKPLACE_ANALYTICS from direct needs one of")
			require.NotNil(t, p.Fix)
			assert.Contains(t, p.Fix.Then, "reprocess ivan@contoso.com")
			assert.True(t, s.ConsumesSeat, "a stuck path holds a seat")
		}
	}
	assert.True(t, found)
	var text bytes.Buffer
	require.NoError(t, ex.WriteText(&text))
	assert.Contains(t, text.String(), "group "+deletedGroup+" (deleted)  ActiveWithError (stuck)")
}

func TestSeatsGracePeriod(t *testing.T) {
	st := stuckTenant(t)
	for _, r := range report.Seats(st) {
		if r.SkuPartNumber != "EXCHANGEENTERPRISE" {
			assert.False(t, r.GracePeriod, r.SkuPartNumber)
			continue
		}
		assert.True(t, r.GracePeriod)
		assert.Equal(t, 4, r.Warning)
		assert.Equal(t, 2, r.ConsumedUnits, "ivan's and judy's stuck paths hold seats")
		assert.Equal(t, 3, r.Available, "1 enabled + 4 in the grace period − 2 in use")
	}
	var text, csvOut, jsonOut bytes.Buffer
	require.NoError(t, report.WriteSeats(&text, st, report.Text))
	require.NoError(t, report.WriteSeats(&csvOut, st, report.CSV))
	require.NoError(t, report.WriteSeats(&jsonOut, st, report.JSON))
	assert.Contains(t, text.String(), "Exchange Online (Plan 2) (EXCHANGEENTERPRISE): 4 of its 5 assignable seats are in the grace period; 2 in use, 1 more than the 1 seat left when it ends")
	assert.Contains(t, csvOut.String(), ",gracePeriod,productName\n")
	assert.Contains(t, csvOut.String(), ",true,Exchange Online (Plan 2)\n")
	assert.Contains(t, jsonOut.String(), `"gracePeriod": true`)
}

// TestAbsentGroupsNeverPanic runs every report over a tenant whose only groups are absent.
func TestAbsentGroupsNeverPanic(t *testing.T) {
	snap := sampletenant.Snapshot()
	snap.Groups = nil
	group := deletedGroup
	for i := range snap.Users {
		if snap.Users[i].ID == sampletenant.Carol {
			snap.Users[i].LicenseAssignmentStates = []licensing.LicenseAssignmentState{
				{SkuID: licensing.MustParseSkuID(sampletenant.E3), DisabledPlans: []licensing.PlanID{licensing.MustParsePlanID(exchangeP2Plan)}, AssignedByGroup: &group, State: "Active", Error: "None"},
			}
		}
	}
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	for _, name := range report.Names() {
		for _, f := range formats {
			var b bytes.Buffer
			require.NoError(t, report.Write(&b, st, name, f), name)
			assert.NotContains(t, b.String(), "group (deleted)", name)
			if f == report.Text && (name == report.ReportPaths || name == report.ReportErrors || name == report.ReportConsumers) {
				assert.Contains(t, b.String(), group+" (deleted)", name)
			}
		}
	}
	ex, err := report.Explain(st, "carol@contoso.com")
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, ex.WriteText(&b))
	assert.Contains(t, b.String(), group+" (deleted)")
}

// TestRedundantIgnoresStuckPaths: a direct license "covered" only by a stuck group path is not
// safe to remove: the stuck path goes once its dependency is resolved.
func TestRedundantIgnoresStuckPaths(t *testing.T) {
	snap := sampletenant.Snapshot()
	group := sampletenant.GroupE3Base
	for i := range snap.Groups {
		if snap.Groups[i].ID == group {
			snap.Groups[i].Members = slices.DeleteFunc(snap.Groups[i].Members, func(m string) bool { return m == sampletenant.Dave })
		}
	}
	e3 := licensing.MustParseSkuID(sampletenant.E3)
	for i := range snap.Users {
		if u := &snap.Users[i]; u.ID == sampletenant.Dave {
			u.LicenseAssignmentStates = []licensing.LicenseAssignmentState{
				{SkuID: e3, DisabledPlans: u.AssignedLicenses[0].DisabledPlans, State: "Active", Error: "None"},
				{SkuID: e3, DisabledPlans: []licensing.PlanID{}, AssignedByGroup: &group, State: "ActiveWithError", Error: "DependencyViolation"},
			}
		}
	}
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	dave, err := st.LookupUser("dave@contoso.com")
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(st.Paths(dave), func(p licensing.Path) bool { return p.Stuck }), "dave's group path is stuck")
	for r := range report.Redundant(st) {
		assert.NotEqual(t, "dave@contoso.com", r.UserPrincipalName)
	}
	// and with the sample tenant as it is, dave's direct E3 is redundant
	var found bool
	for r := range report.Redundant(contoso(t)) {
		found = found || r.UserPrincipalName == "dave@contoso.com"
	}
	assert.True(t, found)
}
