package report_test

import (
	"bytes"
	"encoding/csv"
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

// entry finds the error entry of a user, and its cause.
func entry(t *testing.T, r *report.ErrorReport, upn string) (report.ErrorCause, report.ErrorEntry) {
	t.Helper()
	for _, c := range r.Causes {
		for _, e := range c.Entries {
			if e.UserPrincipalName == upn {
				return c, e
			}
		}
	}
	require.Failf(t, "no error entry", "for %s", upn)
	return report.ErrorCause{}, report.ErrorEntry{}
}

func TestErrorsConflictNamesThePlansAndTheFix(t *testing.T) {
	r := partNames.Errors(contoso(t))
	c, e := entry(t, r, "erin@contoso.com")

	assert.Equal(t, licensing.MutuallyExclusiveViolation, c.Error)
	assert.Equal(t, "group", e.Source.Type)
	assert.Equal(t, "Licensing_E3_Base", e.Source.GroupDisplayName)
	require.Len(t, e.Conflicts, 1, "E1's Exchange Plan 1 stacks with E3's Plan 2; only SharePoint conflicts")
	cf := e.Conflicts[0]
	assert.Equal(t, "SHAREPOINTENTERPRISE", cf.Sides[0].Plan.ServicePlanName, "the failing group's plan comes first")
	assert.Equal(t, "ENTERPRISEPACK", cf.Sides[0].Sku.SkuPartNumber)
	assert.Equal(t, "SHAREPOINTSTANDARD", cf.Sides[1].Plan.ServicePlanName)
	assert.Equal(t, "STANDARDPACK", cf.Sides[1].Sku.SkuPartNumber)
	assert.Equal(t, []report.Source{{Type: "direct"}}, cf.Sides[1].Sources, "erin's E1 is direct")
	assert.Contains(t, e.Detail, "SHAREPOINTENTERPRISE")
	assert.Contains(t, e.Detail, "SHAREPOINTSTANDARD")

	assert.Contains(t, e.Fix.Options, "disable SHAREPOINTENTERPRISE in group Licensing_E3_Base's ENTERPRISEPACK assignment (for all of its members)")
	assert.Contains(t, e.Fix.Options, "disable SHAREPOINTSTANDARD in erin@contoso.com's direct STANDARDPACK, or remove the direct STANDARDPACK from erin@contoso.com")
	assert.Equal(t, "reprocess erin@contoso.com", e.Fix.Then)
}

func TestErrorsCountViolationSaysHowManySeats(t *testing.T) {
	r := partNames.Errors(contoso(t))
	c, e := entry(t, r, "mobile4@contoso.com")

	assert.Equal(t, licensing.CountViolation, c.Error)
	require.NotNil(t, c.Sku)
	assert.Equal(t, "EMS", c.Sku.SkuPartNumber)
	assert.Equal(t, 1, c.SeatsNeeded, "3 seats, 3 in use, 1 member waiting")
	require.NotNil(t, c.Fix)
	assert.Equal(t, []string{"buy 1 more seat of EMS", "free 1 by removing EMS from users who no longer need it"}, c.Fix.Options)
	assert.Contains(t, e.Fix.Options, "buy 1 more seat of EMS")
	assert.Contains(t, e.Fix.Options, "remove mobile4@contoso.com from group Licensing_EMS")
	assert.Equal(t, "reprocess mobile4@contoso.com", e.Fix.Then)
	assert.Contains(t, e.Detail, "3 of 3 in use")

	assert.Equal(t, 2, r.Users, "erin and mobile4")
	names := func() []string {
		var out []string
		for _, g := range r.Groups {
			out = append(out, g.DisplayName)
		}
		return out
	}()
	assert.Equal(t, []string{"Licensing_E3_Base", "Licensing_EMS"}, names)
}

func TestErrorsCountViolationCountsEveryWaitingUser(t *testing.T) {
	snap := sampletenant.Snapshot()
	snap.SubscribedSkus[len(snap.SubscribedSkus)-1].PrepaidUnits.Enabled = 1 // EMS: 1 seat for 4 members
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	r := partNames.Errors(st)
	require.Equal(t, licensing.CountViolation, r.Causes[0].Error)
	assert.Equal(t, 3, r.Causes[0].SeatsNeeded)
	assert.Len(t, r.Causes[0].Entries, 3)
	assert.Contains(t, r.Causes[0].Fix.Options, "buy 3 more seats of EMS")
}

func TestErrorsDependencyViolationNamesTheMissingPlan(t *testing.T) {
	snap := sampletenant.Snapshot()
	exchange := licensing.MustParsePlanID("efb87545-963c-4e0d-99df-69c6916d9eb0")
	e3, wpa := licensing.MustParseSkuID(sampletenant.E3), licensing.MustParseSkuID(sampletenant.WorkplaceAn)
	for i := range snap.Users {
		if snap.Users[i].ID == sampletenant.Heidi {
			snap.Users[i].LicenseAssignmentStates = []licensing.LicenseAssignmentState{
				{SkuID: e3, DisabledPlans: []licensing.PlanID{exchange}, State: "Active", Error: "None"},
				{SkuID: wpa, DisabledPlans: []licensing.PlanID{}, State: "Error", Error: "DependencyViolation"},
			}
		}
	}
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	c, e := entry(t, partNames.Errors(st), "heidi@contoso.com")
	assert.Equal(t, licensing.DependencyViolation, c.Error)
	require.Len(t, e.MissingPrerequisites, 1)
	m := e.MissingPrerequisites[0]
	assert.Equal(t, "WORKPLACE_ANALYTICS", m.Plan.ServicePlanName)
	assert.ElementsMatch(t, []string{"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"}, []string{m.RequiresAnyOf[0].ServicePlanName, m.RequiresAnyOf[1].ServicePlanName})
	assert.Contains(t, e.Fix.Options, "enable EXCHANGE_S_ENTERPRISE in heidi@contoso.com's direct ENTERPRISEPACK")
}

func TestErrorsProhibitedUsesTheTenantDefaultForGroups(t *testing.T) {
	rules := licensing.DefaultRules().Extend(&licensing.Rules{FormatVersion: licensing.RulesFormatVersion,
		UsageLocation: []licensing.UsageLocationRule{{Name: "no Teams in GB", Source: "test", Date: "2025-01-01",
			Plans: []licensing.PlanRef{{ID: licensing.MustParsePlanID("57ff2da0-773e-42df-b2af-ffb7a2317929"), Name: "TEAMS1"}}, ProhibitedIn: []string{"GB"}}}})
	st, err := licensing.NewState(sampletenant.Snapshot(), licensing.WithRules(rules))
	require.NoError(t, err)
	c, e := entry(t, partNames.Errors(st), "carol@contoso.com")
	assert.Equal(t, licensing.ProhibitedInUsageLocationViolation, c.Error)
	assert.Equal(t, "Licensing_Teams", e.Source.GroupDisplayName)
	require.Len(t, e.Prohibited, 1)
	assert.Equal(t, "TEAMS1", e.Prohibited[0].Plans[0].ServicePlanName)
	assert.Equal(t, "GB", e.Prohibited[0].UsageLocation)
	assert.Contains(t, e.Fix.Options, "disable TEAMS1 in group Licensing_Teams's ENTERPRISEPACK assignment (for all of its members)")
	assert.Contains(t, e.Fix.Options, "remove carol@contoso.com from group Licensing_Teams")
}

func TestErrorsOtherLooksForTheLikelyCause(t *testing.T) {
	snap := sampletenant.Snapshot()
	e1, e3 := licensing.MustParseSkuID(sampletenant.E1), licensing.MustParseSkuID(sampletenant.E3)
	group := sampletenant.GroupE3Base
	for i := range snap.Users {
		if snap.Users[i].ID == sampletenant.Erin { // what a real tenant reports: "Other"
			snap.Users[i].LicenseAssignmentStates = []licensing.LicenseAssignmentState{
				{SkuID: e1, DisabledPlans: []licensing.PlanID{}, State: "Active", Error: "None"},
				{SkuID: e3, DisabledPlans: []licensing.PlanID{}, AssignedByGroup: &group, State: "Error", Error: "Other"},
			}
		}
	}
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	c, e := entry(t, report.Errors(st), "erin@contoso.com")
	assert.Equal(t, licensing.Other, c.Error)
	assert.Equal(t, "MutuallyExclusiveViolation", e.LikelyCause)
	require.NotEmpty(t, e.Conflicts)
	assert.Contains(t, e.Detail, "likely MutuallyExclusiveViolation")
	assert.Contains(t, e.Fix.Options, "remove erin@contoso.com from group Licensing_E3_Base")
}

func TestNoErrors(t *testing.T) {
	snap := sampletenant.Snapshot()
	snap.Groups = nil
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	r := report.Errors(st)
	assert.Empty(t, r.Causes)
	var b bytes.Buffer
	require.NoError(t, r.WriteText(&b))
	assert.Equal(t, "No license errors.\n", b.String())
	b.Reset()
	require.NoError(t, r.WriteJSON(&b))
	assert.Contains(t, b.String(), `"causes": []`)
}

func TestRedundant(t *testing.T) {
	rows := slices.Collect(report.Redundant(contoso(t)))
	var users []string
	for _, r := range rows {
		users = append(users, r.UserPrincipalName)
		assert.Equal(t, "ENTERPRISEPACK", r.SkuPartNumber)
		assert.Equal(t, "Licensing_E3_Base", r.CoveredBy[0].GroupDisplayName)
	}
	assert.Contains(t, users, "dave@contoso.com", "dave's direct E3 has the same plans as Licensing_E3_Base")
	assert.Contains(t, users, "migrant01@contoso.com")
	for _, u := range []string{"migrant04@contoso.com", "migrant08@contoso.com", "migrant12@contoso.com"} {
		assert.NotContains(t, users, u, "%s's direct E3 enables SWAY, YAMMER and Forms that no group gives: removing it loses service", u)
	}
	assert.NotContains(t, users, "frank@contoso.com", "no group path")
	assert.Len(t, rows, 10)
}

func TestDirectOnly(t *testing.T) {
	var users []string
	for r := range report.DirectOnly(contoso(t)) {
		users = append(users, r.UserPrincipalName)
	}
	assert.Equal(t, []string{"alice@contoso.com", "bob@contoso.com", "frank@contoso.com", "heidi@contoso.com"}, users,
		"erin has a (failing) group path; grace has no license; dave and the migrants have groups")
}

func TestSeatsAddUp(t *testing.T) {
	st := contoso(t)
	for _, r := range report.Seats(st) {
		assert.Equal(t, r.ConsumedUnits, r.DirectOnly+r.GroupOnly+r.DirectAndGroup, "%s: every consuming user is counted once", r.SkuPartNumber)
		sub, ok := st.Subscription(r.SkuID)
		require.True(t, ok)
		assert.Equal(t, sub.Available(), r.Available)
		switch r.SkuPartNumber {
		case "EMS":
			assert.Equal(t, report.SeatRow{SkuID: r.SkuID, SkuPartNumber: "EMS", ProductName: "Enterprise Mobility + Security E3", DisplayName: "Enterprise Mobility + Security E3", AppliesTo: "User", CapabilityStatus: "Enabled",
				Enabled: 3, ConsumedUnits: 3, GroupOnly: 3, Waiting: 1}, r)
		case "ENTERPRISEPACK":
			assert.Equal(t, 2, r.DirectOnly, "frank, heidi")
			assert.Equal(t, 1, r.GroupOnly, "carol")
			assert.Equal(t, 13, r.DirectAndGroup, "dave and 12 migrants")
			assert.Equal(t, 1, r.Waiting, "erin's E3 group path is in error")
		}
	}
	n := 0
	for r := range report.Consumers(st) {
		if r.SkuPartNumber == "ENTERPRISEPACK" {
			n++
		}
	}
	assert.Equal(t, 16, n)
}

func TestExplainCarolTeams(t *testing.T) {
	st := contoso(t)
	ex, err := report.Explain(st, "CAROL@contoso.com")
	require.NoError(t, err)
	require.Len(t, ex.Skus, 1)
	s := ex.Skus[0]
	assert.Equal(t, "ENTERPRISEPACK", s.SkuPartNumber)
	assert.Equal(t, 10, s.EnabledPlans, "9 of 13 from the base group + Teams from Licensing_Teams")
	assert.Equal(t, 13, s.TotalPlans)
	i := slices.IndexFunc(s.Plans, func(p report.PlanExplanation) bool { return p.ServicePlanName == "TEAMS1" })
	require.GreaterOrEqual(t, i, 0)
	teams := s.Plans[i]
	assert.True(t, teams.On)
	assert.Equal(t, []report.Source{{Type: "group", GroupID: sampletenant.GroupTeams, GroupDisplayName: "Licensing_Teams", GroupKind: "security"}}, teams.EnabledBy)
	assert.Equal(t, []report.Source{{Type: "group", GroupID: sampletenant.GroupE3Base, GroupDisplayName: "Licensing_E3_Base", GroupKind: "security"}}, teams.DisabledBy)
	assert.Equal(t, "GB", ex.UsageLocation)

	var b bytes.Buffer
	require.NoError(t, ex.WriteText(&b))
	var line string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, " Microsoft Teams (TEAMS1) ") {
			line = l
		}
	}
	assert.Contains(t, line, "on via group Licensing_Teams")
	assert.Contains(t, line, "off on group Licensing_E3_Base")
	assert.True(t, strings.HasPrefix(strings.TrimSpace(line), "on "), line)
}

func TestExplainUsageLocationFallback(t *testing.T) {
	ex, err := report.Explain(contoso(t), "grace@contoso.com")
	require.NoError(t, err)
	assert.Equal(t, "", ex.UsageLocation)
	assert.Equal(t, "US", ex.GroupUsageLocation, "group licensing falls back to the tenant default")
	var b bytes.Buffer
	require.NoError(t, ex.WriteText(&b))
	assert.Contains(t, b.String(), "direct assignments fail; group licenses use the tenant default US")
}

func TestExplainErrorPathCarriesItsFix(t *testing.T) {
	ex, err := report.Explain(contoso(t), sampletenant.Erin)
	require.NoError(t, err)
	require.Len(t, ex.Skus, 2)
	e3 := ex.Skus[1]
	assert.Equal(t, "ENTERPRISEPACK", e3.SkuPartNumber)
	assert.False(t, e3.ConsumesSeat)
	require.NotNil(t, e3.Paths[0].Fix)
	assert.Contains(t, e3.Paths[0].Detail, "SHAREPOINTSTANDARD")
	assert.Empty(t, ex.Conflicts, "the conflict never became effective: the group path is in error")
}

func TestExplainUnknownUser(t *testing.T) {
	_, err := report.Explain(contoso(t), "carl@contoso.com")
	require.Error(t, err)
	assert.ErrorIs(t, err, licensing.UnknownUser)
	assert.Contains(t, err.Error(), "carol@contoso.com", "suggests the close name")
}

func TestCSVReadsBack(t *testing.T) {
	snap := sampletenant.Snapshot()
	for i := range snap.Groups {
		switch snap.Groups[i].ID {
		case sampletenant.GroupTeams:
			snap.Groups[i].DisplayName = `Licensing, Teams "pilot"`
		case sampletenant.GroupEMS:
			snap.Groups[i].DisplayName = "=HYPERLINK(evil)"
		}
	}
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, report.WritePaths(&b, st, report.CSV))
	assert.Contains(t, b.String(), `"FORMS_PLAN_E3, SWAY, TEAMS1, YAMMER_ENTERPRISE"`, "a cell with commas is quoted")

	recs, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"userPrincipalName", "userId", "usageLocation", "skuPartNumber", "skuId", "path", "groupDisplayName", "assignedByGroup", "state", "error", "disabledPlans", "groupKind", "membershipRule",
		"productName", "disabledPlanFriendlyNames"}, recs[0], "new columns come last")
	rows := slices.Collect(report.Paths(st))
	require.Len(t, recs, len(rows)+1, "one record per path after the header")
	col := func(name string) int { return slices.Index(recs[0], name) }
	var teams, ems []string
	for _, r := range recs[1:] {
		switch r[col("assignedByGroup")] {
		case sampletenant.GroupTeams:
			teams = r
		case sampletenant.GroupEMS:
			ems = r
		}
	}
	require.NotNil(t, teams)
	assert.Equal(t, `Licensing, Teams "pilot"`, teams[col("groupDisplayName")])
	assert.Len(t, strings.Split(teams[col("disabledPlans")], ", "), 12)
	assert.Equal(t, "'=HYPERLINK(evil)", ems[col("groupDisplayName")], "a spreadsheet must not run a group name as a formula")

	b.Reset()
	require.NoError(t, report.Errors(st).WriteCSV(&b))
	recs, err = csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	assert.Len(t, recs, 3, "header, erin, mobile4")
}

// TestJSONReadsBack decodes the streamed JSON documents into the row types.
func TestJSONReadsBack(t *testing.T) {
	st := contoso(t)
	var b bytes.Buffer
	require.NoError(t, report.WritePaths(&b, st, report.JSON))
	var doc struct {
		FormatVersion string           `json:"formatVersion"`
		Report        string           `json:"report"`
		TenantID      string           `json:"tenantId"`
		Paths         []report.PathRow `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, report.FormatVersion, doc.FormatVersion)
	assert.Equal(t, "paths", doc.Report)
	assert.Equal(t, sampletenant.TenantID, doc.TenantID)
	assert.Equal(t, slices.Collect(report.Paths(st)), doc.Paths)

	// The stream is what encoding/json would write for the whole document.
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(doc))
	assert.Equal(t, want.String(), b.String())

	snap := sampletenant.Snapshot()
	snap.Users, snap.Groups = nil, nil
	empty, err := licensing.NewState(snap)
	require.NoError(t, err)
	b.Reset()
	require.NoError(t, report.WriteRedundant(&b, empty, report.JSON))
	assert.Contains(t, b.String(), `"redundant": []`)
	b.Reset()
	require.NoError(t, report.WriteRedundant(&b, empty, report.Text))
	assert.Contains(t, b.String(), "(none)")
}

func TestFormatsAndNames(t *testing.T) {
	for in, want := range map[string]report.Format{"text": report.Text, "CSV": report.CSV, " json ": report.JSON} {
		f, err := report.ParseFormat(in)
		require.NoError(t, err)
		assert.Equal(t, want, f)
	}
	_, err := report.ParseFormat("xlsx")
	assert.ErrorIs(t, err, licensing.InvalidInput)
	st := contoso(t)
	err = report.Write(&bytes.Buffer{}, st, "seat", report.Text)
	assert.ErrorIs(t, err, licensing.InvalidInput)
	assert.Contains(t, err.Error(), "seats")
	err = report.Write(&bytes.Buffer{}, st, "seats", report.Format("xml"))
	assert.ErrorIs(t, err, licensing.InvalidInput)
	ex, err := report.Explain(st, "carol@contoso.com")
	require.NoError(t, err)
	assert.ErrorIs(t, ex.Write(&bytes.Buffer{}, report.CSV), licensing.InvalidInput)
}

func TestTextHasNoTrailingSpaces(t *testing.T) {
	st := contoso(t)
	for _, name := range report.Names() {
		var b bytes.Buffer
		require.NoError(t, report.Write(&b, st, name, report.Text))
		for _, l := range strings.Split(b.String(), "\n") {
			assert.Equal(t, strings.TrimRight(l, " "), l, "%s: trailing spaces", name)
		}
	}
}
