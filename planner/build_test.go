package planner_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func sampleState(t *testing.T) *licensing.State {
	t.Helper()
	st, err := licensing.NewState(sampletenant.Snapshot())
	require.NoError(t, err)
	return st
}

func mustDesired(t *testing.T, doc string) *planner.Desired {
	t.Helper()
	d, err := planner.ReadDesired(strings.NewReader(doc))
	require.NoError(t, err)
	return d
}

func problemsOf(p *planner.Plan, k licensing.Kind) []planner.Problem {
	var out []planner.Problem
	for _, pr := range p.Problems {
		if pr.Kind == k {
			out = append(out, pr)
		}
	}
	return out
}

func TestSwapE1ToE3IsOneAtomicCallEvenWithMakeBeforeBreak(t *testing.T) {
	for _, mbb := range []string{"false", "true"} {
		t.Run("makeBeforeBreak="+mbb, func(t *testing.T) {
			p := planner.Build(sampleState(t), mustDesired(t, `{"formatVersion":"desired/v1",
				"users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}],
				"options":{"makeBeforeBreak":`+mbb+`}}`))
			require.True(t, p.Applyable(), p.String())
			require.Len(t, p.Steps, 1)
			s := p.Steps[0]
			assert.Equal(t, planner.AssignLicense, s.Action)
			assert.Equal(t, []licensing.SkuID{licensing.MustParseSkuID(sampletenant.E1)}, s.RemoveLicenses)
			require.Len(t, s.AddLicenses, 1)
			assert.Equal(t, licensing.MustParseSkuID(sampletenant.E3), s.AddLicenses[0].SkuID)
			assert.Contains(t, s.Reason, "SharePoint (Plan 1) (SHAREPOINTSTANDARD) and SharePoint (Plan 2) (SHAREPOINTENTERPRISE) conflict")
			assert.Empty(t, problemsOf(p, licensing.ServiceLoss))
		})
	}
}

func TestMakeBeforeBreakSplitsStackableSwap(t *testing.T) {
	p := planner.Build(sampleState(t), mustDesired(t, `{"formatVersion":"desired/v1",
		"users":[{"user":"bob@contoso.com","mode":"exact","licenses":[{"sku":"EXCHANGEENTERPRISE"}]}],
		"options":{"makeBeforeBreak":true,"allowServiceLoss":true}}`))
	require.Len(t, p.Steps, 2)
	assert.Len(t, p.Steps[0].AddLicenses, 1)
	assert.Empty(t, p.Steps[0].RemoveLicenses)
	assert.Empty(t, p.Steps[1].AddLicenses)
	assert.Equal(t, []string{p.Steps[0].ID}, p.Steps[1].DependsOn, "the removal waits for the addition")
	// Exchange Online Plan 2 does not carry Plan 1's To Do and Intune plans: a real loss, reported.
	loss := problemsOf(p, licensing.ServiceLoss)
	require.Len(t, loss, 1)
	assert.Equal(t, planner.SeverityWarning, loss[0].Severity, "allowServiceLoss turns the error into a warning")
	assert.True(t, p.Applyable())
}

func TestServiceLossBlocksUnlessAllowed(t *testing.T) {
	doc := `{"formatVersion":"desired/v1","users":[{"user":"bob@contoso.com","mode":"exact","licenses":[]}]}`
	p := planner.Build(sampleState(t), mustDesired(t, doc))
	assert.False(t, p.Applyable())
	loss := problemsOf(p, licensing.ServiceLoss)
	require.Len(t, loss, 1)
	assert.Equal(t, planner.SeverityError, loss[0].Severity)
	assert.Contains(t, loss[0].Message, "EXCHANGE_S_STANDARD")
}

func TestOneWritePerUserWhoseDirectLicensesChange(t *testing.T) {
	st := sampleState(t)
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1",
		"users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]},
		         {"user":"frank@contoso.com","licenses":[{"sku":"ENTERPRISEPACK","disabledPlans":["YAMMER_ENTERPRISE"]}]}],
		"migrateDirectToGroup":{"users":"all"}}`))
	writes := map[string]int{}
	for _, s := range p.Steps {
		if s.Action == planner.AssignLicense && s.Target.Type == licensing.TargetUser {
			writes[s.Target.ID]++
		}
	}
	for id, n := range writes {
		assert.Equal(t, 1, n, "user %s gets %d assignLicense calls", id, n)
	}
	assert.Contains(t, writes, sampletenant.Alice)
	assert.Contains(t, writes, sampletenant.Frank)
	assert.Contains(t, writes, sampletenant.Dave, "dave's direct E3 is covered by Licensing_E3_Base")
}

func TestMigrationWavesAndCoverage(t *testing.T) {
	st, d := loadCase(t, "testdata/migration-1000-users")
	p := planner.Build(st, d)
	require.True(t, p.Applyable())
	perWave := map[int]int{}
	for _, s := range p.Steps {
		require.Equal(t, planner.AssignLicense, s.Action)
		require.Empty(t, s.AddLicenses)
		require.Empty(t, s.Lost, "a migration never takes a plan away")
		perWave[s.Wave]++
	}
	// 1000 users, every 50th has Sway and Yammer on directly, which the group does not give.
	assert.Equal(t, map[int]int{0: 49, 1: 441, 2: 490}, perWave)
	nc := problemsOf(p, licensing.NotCovered)
	assert.Len(t, nc, 20)
	for _, pr := range nc {
		assert.Equal(t, planner.SeverityInfo, pr.Severity)
		assert.Contains(t, pr.Message, "Sway, Yammer Enterprise (YAMMER_ENTERPRISE)")
	}
	assert.Equal(t, p.Seats[0].ConsumedBefore, p.Seats[0].ConsumedAfter, "the same SKU direct and via a group uses one seat")
}

func TestGroupChangePredictsMemberErrorsAndLoss(t *testing.T) {
	p := planner.Build(sampleState(t), mustDesired(t, `{"formatVersion":"desired/v1",
		"groups":[{"group":"Licensing_Teams","licenses":[{"sku":"STANDARDPACK","enabledPlans":["TEAMS1","SHAREPOINTSTANDARD"]}]}]}`))
	assert.False(t, p.Applyable())
	require.Len(t, p.Steps, 2)
	assert.Equal(t, planner.WaitForGroupProcessing, p.Steps[1].Action)
	assert.Len(t, problemsOf(p, licensing.MutuallyExclusiveViolation), 4)
	assert.Empty(t, problemsOf(p, licensing.ServiceLoss),
		"the group keeps E3: a failing member keeps the E3 path it had (ActiveWithError), so carol keeps Teams")

	// With mode exact the group drops E3 in the same call: carol, who gets Teams only from this
	// group, loses it, as the new STANDARDPACK path is in error.
	p = planner.Build(sampleState(t), mustDesired(t, `{"formatVersion":"desired/v1",
		"groups":[{"group":"Licensing_Teams","mode":"exact","licenses":[{"sku":"STANDARDPACK","enabledPlans":["TEAMS1","SHAREPOINTSTANDARD"]}]}]}`))
	assert.Len(t, problemsOf(p, licensing.MutuallyExclusiveViolation), 4)
	loss := problemsOf(p, licensing.ServiceLoss)
	require.Len(t, loss, 1)
	assert.Equal(t, sampletenant.Carol, loss[0].Target.ID, "carol gets Teams only from this group; its error takes Teams away")
}

func TestPreExistingGroupErrorIsAWarning(t *testing.T) {
	// Licensing_EMS already has mobile4 in CountViolation; changing the group's plans keeps it so.
	p := planner.Build(sampleState(t), mustDesired(t, `{"formatVersion":"desired/v1",
		"groups":[{"group":"Licensing_EMS","mode":"exact","licenses":[{"sku":"EMS","disabledPlans":["MFA_PREMIUM"]}]}]}`))
	counts := problemsOf(p, licensing.CountViolation)
	require.Len(t, counts, 1)
	assert.Equal(t, planner.SeverityWarning, counts[0].Severity)
}

func TestReadDesiredErrorsNameTheLocation(t *testing.T) {
	cases := map[string]struct{ doc, want string }{
		"version":     {`{"formatVersion":"desired/v2"}`, `want "desired/v1"`},
		"unknown key": {"{\"formatVersion\":\"desired/v1\",\n \"user\": []}", "line 2"},
		"both lists":  {`{"formatVersion":"desired/v1","users":[{"user":"a","licenses":[{"sku":"X","disabledPlans":["A"],"enabledPlans":["B"]}]}]}`, "users[0].licenses[0] (X) sets both"},
		"mode":        {`{"formatVersion":"desired/v1","groups":[{"group":"g","mode":"replace","licenses":[]}]}`, `groups[0].mode is "replace"`},
		"waves":       {`{"formatVersion":"desired/v1","migrateDirectToGroup":{"users":"all","waves":[0.5,0.2]}}`, "waves[1]"},
		"waves end":   {`{"formatVersion":"desired/v1","migrateDirectToGroup":{"users":"all","waves":[0.5]}}`, "must end with 1.0"},
		"users word":  {`{"formatVersion":"desired/v1","migrateDirectToGroup":{"users":"everyone"}}`, `"everyone"`},
		"attribute":   {`{"formatVersion":"desired/v1","rules":[{"name":"r","where":{"office":"Oslo"},"licenses":[]}]}`, `unknown attribute "office"`},
		"no sku":      {`{"formatVersion":"desired/v1","users":[{"user":"a","licenses":[{"disabledPlans":[]}]}]}`, "users[0].licenses[0] has no sku"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := planner.ReadDesired(strings.NewReader(c.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestReadPlanRefusesForeignOrBrokenPlans(t *testing.T) {
	st := sampleState(t)
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`))
	var b bytes.Buffer
	require.NoError(t, p.WriteJSON(&b))
	good := b.String()

	_, err := planner.ReadPlan(strings.NewReader(good), "11111111-1111-1111-1111-111111111111")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "made for tenant")

	for name, c := range map[string]struct{ from, to, want string }{
		"version": {`"plan/v1"`, `"plan/v9"`, "formatVersion"},
		"action":  {`"assignLicense"`, `"assignLicence"`, "unknown action"},
		"flag":    {`"applyable": true`, `"applyable": false`, "applyable is false"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := planner.ReadPlan(strings.NewReader(strings.Replace(good, c.from, c.to, 1)), st.TenantID())
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestReplanAfterApplyingOnTheModelIsEmpty(t *testing.T) {
	// Apply every step on the licensing model, then plan again: nothing left to do.
	st := sampleState(t)
	d := mustDesired(t, `{"formatVersion":"desired/v1",
		"users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]},
		         {"user":"grace@contoso.com","usageLocation":"NO","licenses":[{"sku":"STANDARDPACK"}]},
		         {"user":"carol@contoso.com","groups":["Licensing_E3_Base"],"mode":"exact","licenses":[]}],
		"groups":[{"group":"Licensing_E3_Base","licenses":[{"sku":"ENTERPRISEPACK","disabledPlans":["SWAY"]}]}],
		"migrateDirectToGroup":{"users":"all","waves":[0.1,1.0]},
		"options":{"allowServiceLoss":true}}`)
	p := planner.Build(st, d)
	require.True(t, p.Applyable(), p.String())
	for _, s := range p.Steps {
		var c licensing.Change
		switch s.Action {
		case planner.AssignLicense:
			c = licensing.Change{Kind: licensing.AssignUserLicenses, User: s.Target.ID, AddLicenses: s.AddLicenses, RemoveLicenses: s.RemoveLicenses}
			if s.Target.Type == licensing.TargetGroup {
				c = licensing.Change{Kind: licensing.AssignGroupLicenses, Group: s.Target.ID, AddLicenses: s.AddLicenses, RemoveLicenses: s.RemoveLicenses}
			}
		case planner.SetUsageLocation:
			c = licensing.Change{Kind: licensing.SetUsageLocation, User: s.Target.ID, UsageLocation: s.UsageLocation}
		case planner.AddGroupMember:
			c = licensing.Change{Kind: licensing.AddGroupMember, User: s.Target.ID, Group: s.Group.ID}
		case planner.RemoveGroupMember:
			c = licensing.Change{Kind: licensing.RemoveGroupMember, User: s.Target.ID, Group: s.Group.ID}
		case planner.ReprocessLicenseAssignment:
			c = licensing.Change{Kind: licensing.ReprocessUser, User: s.Target.ID}
		default:
			continue
		}
		o := st.Apply(c)
		require.False(t, o.Refused, "step %s: %v", s.ID, o.Err())
	}
	again := planner.Build(st, d)
	assert.Empty(t, again.Steps, again.String())
}

// TestRuleWhereMatchesEveryAttributeKind checks rule matching on each kind of attribute
// (case-insensitive names and values, extension attributes, accountEnabled), and that users
// matched by two rules get both rules' licenses while users matched by one share its target.
func TestRuleWhereMatchesEveryAttributeKind(t *testing.T) {
	snap := sampletenant.Snapshot()
	on, off := true, false
	for i := range snap.Users {
		u := &snap.Users[i]
		u.OnPremisesExtensionAttributes = map[string]string{"extensionAttribute3": []string{"Blue", "green"}[i%2]}
		u.AccountEnabled = []*bool{&on, &off}[i/2%2]
	}
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	users := func(where string) []string {
		p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","rules":[
			{"name":"r","where":`+where+`,"licenses":[{"sku":"MCOMEETADV"}]}]}`))
		var out []string // the users the plan acts on or reports about
		for _, s := range p.Steps {
			out = append(out, s.Target.ID)
		}
		for _, pr := range p.Problems {
			if pr.Target.ID != "" { // not "rule matches no user"
				out = append(out, pr.Target.ID)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	conf := licensing.MustParseSkuID(sampletenant.AudioConf)
	// count counts the users pred selects who do not hold MCOMEETADV yet (the others need no step).
	count := func(pred func(u licensing.User) bool) int {
		n := 0
		for i, u := range snap.Users {
			if pred(u) && !slices.ContainsFunc(st.Paths(i), func(p licensing.Path) bool { return p.Sku == conf }) {
				n++
			}
		}
		return n
	}
	blue := count(func(u licensing.User) bool { return u.OnPremisesExtensionAttributes["extensionAttribute3"] == "Blue" })
	require.Positive(t, blue)
	require.Less(t, blue, len(snap.Users))
	assert.Len(t, users(`{"onPremisesExtensionAttributes.extensionAttribute3":"BLUE"}`), blue)
	enabled := count(func(u licensing.User) bool { return *u.AccountEnabled })
	assert.Len(t, users(`{"ACCOUNTENABLED":"True"}`), enabled)
	both := count(func(u licensing.User) bool {
		return *u.AccountEnabled && u.OnPremisesExtensionAttributes["extensionAttribute3"] == "Blue"
	})
	assert.Len(t, users(`{"accountEnabled":"true","onPremisesExtensionAttributes.extensionAttribute3":"blue"}`), both)
	assert.Empty(t, users(`{"department":"no such department"}`))

	// Two rules: users both match get both SKUs in their one step; the others get their rule's.
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","rules":[
		{"name":"a","where":{"accountEnabled":"true"},"licenses":[{"sku":"MCOMEETADV"}]},
		{"name":"b","where":{"onPremisesExtensionAttributes.extensionAttribute3":"blue"},"licenses":[{"sku":"EMS"}]}]}`))
	ems := licensing.MustParseSkuID(sampletenant.EMS)
	seen := map[string]bool{}
	for _, s := range p.Steps {
		if s.Action != planner.AssignLicense {
			continue
		}
		i, err := st.LookupUser(s.Target.ID)
		require.NoError(t, err)
		u := snap.Users[i]
		var want []licensing.SkuID
		for _, c := range []struct {
			match bool
			sku   licensing.SkuID
		}{{*u.AccountEnabled, conf}, {u.OnPremisesExtensionAttributes["extensionAttribute3"] == "Blue", ems}} {
			if c.match && !slices.ContainsFunc(st.Paths(i), func(p licensing.Path) bool { return p.Sku == c.sku && p.Direct() }) {
				want = append(want, c.sku)
			}
		}
		var got []licensing.SkuID
		for _, a := range s.AddLicenses {
			got = append(got, a.SkuID)
		}
		assert.ElementsMatch(t, want, got, "user %s", u.UserPrincipalName)
		seen[fmt.Sprint(len(got))] = true
	}
	assert.True(t, seen["1"] && seen["2"], "some users match one rule, some both: %v", seen)
}

func TestStuckPathsAreShownWithTheirFix(t *testing.T) {
	// bob holds Exchange Online (Plan 1) and Audio Conferencing directly, and E3 through a group
	// that was deleted: Entra kept the E3 path (DependencyViolation) because Audio Conferencing
	// needs its Skype for Business or Teams.
	snap := sampletenant.Snapshot()
	gone := "a0000000-0000-4000-8000-0000000000ff"
	for i := range snap.Users {
		if snap.Users[i].ID != sampletenant.Bob {
			continue
		}
		snap.Users[i].LicenseAssignmentStates = []licensing.LicenseAssignmentState{
			{SkuID: licensing.MustParseSkuID(sampletenant.ExchangeP1), State: "Active", Error: "None"},
			{SkuID: licensing.MustParseSkuID(sampletenant.AudioConf), State: "Active", Error: "None"},
			{SkuID: licensing.MustParseSkuID(sampletenant.E3), AssignedByGroup: &gone, State: "ActiveWithError", Error: "DependencyViolation"},
		}
	}
	st, err := licensing.NewState(snap)
	require.NoError(t, err)

	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","users":[{"user":"bob@contoso.com","licenses":[{"sku":"EXCHANGESTANDARD"}]}]}`))
	stuck := problemsOf(p, licensing.DependencyViolation)
	require.Len(t, stuck, 1)
	assert.Equal(t, planner.SeverityWarning, stuck[0].Severity, "an ensure target does not need the path gone")
	assert.Contains(t, stuck[0].Message, gone+" (deleted)")
	assert.Contains(t, stuck[0].Message, "the group was deleted")
	assert.Contains(t, stuck[0].Message, "Microsoft 365 Audio Conferencing (MCOMEETADV) needs one of")
	assert.Contains(t, stuck[0].Message, "reprocess")
	assert.Empty(t, problemsOf(p, licensing.InheritedLicense))

	p = planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","users":[{"user":"bob@contoso.com","mode":"exact","licenses":[{"sku":"EXCHANGESTANDARD"},{"sku":"MCOMEETADV"}]}]}`))
	stuck = problemsOf(p, licensing.DependencyViolation)
	require.Len(t, stuck, 1)
	assert.Equal(t, planner.SeverityError, stuck[0].Severity, "an exact target without E3 cannot be met while the path is stuck")
	assert.False(t, p.Applyable())
}

func TestDiscouragedRulesAreWarnings(t *testing.T) {
	// A rule Microsoft words as "not recommended" is discouraged: the plan warns and stays
	// applyable (Entra accepts the call).
	extra, err := licensing.ReadRules(strings.NewReader(`{"formatVersion":"rules/v1",
	  "prerequisites":[{"name":"Audio Conferencing best with Exchange Plan 2","source":"test","date":"2026-12-07","strength":"discouraged",
	    "plan":{"id":"3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40","name":"MCOMEETADV"},
	    "requiresAnyOf":[{"id":"efb87545-963c-4e0d-99df-69c6916d9eb0","name":"EXCHANGE_S_ENTERPRISE"}]}],
	  "mutuallyExclusive":[{"name":"Exchange P1 beside Audio Conferencing","source":"test","date":"2026-12-07","strength":"discouraged",
	    "plans":[{"id":"9aaf7827-d63c-4b61-89c3-182f06f82e5c","name":"EXCHANGE_S_STANDARD"},{"id":"3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40","name":"MCOMEETADV"}]}]}`))
	require.NoError(t, err)
	st, err := licensing.NewState(sampletenant.Snapshot(), licensing.WithRules(licensing.DefaultRules().Extend(extra)))
	require.NoError(t, err)
	// frank has E3 (Exchange Plan 2) and Audio Conferencing: adding Exchange Online (Plan 1)
	// makes the discouraged pair new; his Exchange Plan 2 keeps the prerequisite met.
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","users":[{"user":"frank@contoso.com","licenses":[{"sku":"EXCHANGESTANDARD"}]}]}`))
	require.True(t, p.Applyable(), "%v", p.Problems)
	conf := problemsOf(p, licensing.MutuallyExclusiveViolation)
	require.Len(t, conf, 1)
	assert.Equal(t, planner.SeverityWarning, conf[0].Severity)
	assert.Contains(t, conf[0].Message, "not recommended")
	assert.Empty(t, problemsOf(p, licensing.DependencyViolation), "frank's E3 has Exchange Plan 2 before and after: nothing new")

	// bob (Exchange Plan 1) gets E3 without Exchange Plan 2, and Audio Conferencing: both rules warn.
	p = planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","users":[{"user":"bob@contoso.com",
		"licenses":[{"sku":"ENTERPRISEPACK","disabledPlans":["EXCHANGE_S_ENTERPRISE"]},{"sku":"MCOMEETADV"}]}]}`))
	require.True(t, p.Applyable(), "%v", p.Problems)
	dep := problemsOf(p, licensing.DependencyViolation)
	require.Len(t, dep, 1)
	assert.Equal(t, planner.SeverityWarning, dep[0].Severity)
	assert.Contains(t, dep[0].Message, "Microsoft 365 Audio Conferencing (MCOMEETADV) without one of Exchange Online (Plan 2) (EXCHANGE_S_ENTERPRISE) is not recommended")
	assert.Len(t, problemsOf(p, licensing.MutuallyExclusiveViolation), 1)
}
