package planner_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// These tests apply plans to fake.Tenant, an independent model of Entra (it shares the rule
// data with licensing, not the planner's algorithms), and read its history of every user's
// enabled plans to prove nobody lost a service on the way.

// manualSleeper is a planner.Clock over the fake's manual clock: a wait moves the fake's time
// on, so group processing progresses while Apply polls, and nothing sleeps.
type manualSleeper struct{ *fake.ManualClock }

func (c manualSleeper) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

var epoch = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// serviceFamilies are plans a user must never be without, while the run lasts, if they had one
// of them before it: a mailbox, a SharePoint site, Teams.
var serviceFamilies = map[string][]string{
	"Exchange":   {"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_DESKLESS"},
	"SharePoint": {"SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE"},
	"Teams":      {"TEAMS1"},
}

// assertNoServiceGap checks the fake's history against the plan (see serviceGaps).
func assertNoServiceGap(t *testing.T, before *licensing.Snapshot, p *planner.Plan, hist []fake.HistoryEntry) {
	t.Helper()
	assert.Empty(t, serviceGaps(t, before, p, hist))
}

// serviceGaps lists what went wrong for users in the fake's history: a plan lost that no step
// of the plan turns off, a plan lost and got back later (a gap), a service family a user had
// before the run and was without at some point.
func serviceGaps(t *testing.T, before *licensing.Snapshot, p *planner.Plan, hist []fake.HistoryEntry) []string {
	st, err := licensing.NewState(before)
	require.NoError(t, err)
	cat := st.Catalog()
	allowed := map[string]map[licensing.PlanID]bool{}
	allow := func(user string, ids []licensing.PlanID) {
		if allowed[user] == nil {
			allowed[user] = map[licensing.PlanID]bool{}
		}
		for _, id := range ids {
			allowed[user][id] = true
		}
	}
	for _, s := range p.Steps {
		if s.Target.Type == licensing.TargetUser {
			allow(s.Target.ID, s.Lost)
		}
		for _, m := range s.Members {
			allow(m.User.ID, m.Lost)
		}
	}
	had := map[string][]string{} // user → families held before the run
	for i := 0; i < st.NumUsers(); i++ {
		names := cat.PlanNames(st.EnabledPlans(i))
		for fam, plans := range serviceFamilies {
			if slices.ContainsFunc(plans, func(n string) bool { return slices.Contains(names, n) }) {
				had[st.User(i).ID] = append(had[st.User(i).ID], fam)
			}
		}
	}
	var out []string
	lost := map[string]map[licensing.PlanID]bool{}
	for _, e := range hist {
		if lost[e.UserID] == nil {
			lost[e.UserID] = map[licensing.PlanID]bool{}
		}
		for _, id := range e.Lost() {
			if !allowed[e.UserID][id] {
				out = append(out, fmt.Sprintf("user %s lost %s (%s), which no step of the plan turns off", e.UserID, cat.PlanName(id), e.Cause))
			}
			lost[e.UserID][id] = true
		}
		for _, id := range e.Gained() {
			if lost[e.UserID][id] {
				out = append(out, fmt.Sprintf("user %s lost %s and got it back later (%s): a gap in service", e.UserID, cat.PlanName(id), e.Cause))
			}
		}
		var after []string
		for _, id := range e.EnabledPlansAfter {
			after = append(after, cat.PlanName(id))
		}
		for _, fam := range had[e.UserID] {
			if !slices.ContainsFunc(serviceFamilies[fam], func(n string) bool { return slices.Contains(after, n) }) {
				out = append(out, fmt.Sprintf("user %s was left without %s (%s at %s)", e.UserID, fam, e.Cause, e.Time.Format(time.RFC3339)))
			}
		}
	}
	return out
}

// fakeState is the fake tenant now, compiled for planning.
func fakeState(t testing.TB, ft *fake.Tenant) *licensing.State {
	st, err := licensing.NewState(ft.State())
	require.NoError(t, err)
	return st
}

func TestApplyOnFakeStories(t *testing.T) {
	clk := fake.NewManualClock(epoch)
	ft, err := fake.New(sampletenant.Snapshot(), fake.WithClock(clk), fake.WithProcessingDelay(40*time.Second))
	require.NoError(t, err)
	before := ft.State()
	d := storiesDesired(t)
	p := planner.Build(fakeState(t, ft), d)
	require.True(t, p.Applyable(), "%s", p)

	res, err := planner.Apply(context.Background(), ft, p, planner.WithClock(manualSleeper{clk}))
	require.NoError(t, err, "%v", res)
	assert.Equal(t, len(p.Steps), res.Succeeded)
	assertNoServiceGap(t, before, p, ft.History())
	assert.NotEmpty(t, ft.History())

	again := planner.Build(fakeState(t, ft), d)
	assert.Empty(t, again.Steps, "%s", again)
}

// groupMoveSnapshot has two groups giving the same E3 plans; u1 and u2 are in the old one.
func groupMoveSnapshot() *licensing.Snapshot {
	e3 := licensing.MustParseSkuID(sampletenant.E3)
	exo := licensing.ServicePlan{ID: licensing.PlanID(licensing.MustParseGUID("efb87545-963c-4e0d-99df-69c6916d9eb0")), Name: "EXCHANGE_S_ENTERPRISE"}
	spo := licensing.ServicePlan{ID: licensing.PlanID(licensing.MustParseGUID("5dbe027f-2339-4123-9542-606e4d348a72")), Name: "SHAREPOINTENTERPRISE"}
	teams := licensing.ServicePlan{ID: licensing.PlanID(licensing.MustParseGUID("57ff2da0-773e-42df-b2af-ffb7a2317929")), Name: "TEAMS1"}
	snap := fake.NewBuilder(sampletenant.TenantID).DefaultUsageLocation("US").
		Sku(e3, "ENTERPRISEPACK", 10, exo, spo, teams).
		User("u1", "u1@contoso.com", "NO").
		User("u2", "u2@contoso.com", "NO").
		Group("gOld", "Licensing_Old", []licensing.AssignedLicense{{SkuID: e3}}, "u1", "u2").
		Group("gNew", "Licensing_New", []licensing.AssignedLicense{{SkuID: e3}}).
		Snapshot()
	snap.SubscribedSkus[0].ID = sampletenant.TenantID + "_" + e3.String()
	return snap
}

const groupMoveDesired = `{"formatVersion":"desired/v1","users":[
	{"user":"u1@contoso.com","mode":"exact","groups":["Licensing_New"],"licenses":[]},
	{"user":"u2@contoso.com","mode":"exact","groups":["Licensing_New"],"licenses":[]}]}`

func groupMoveTenant(t testing.TB, clk fake.Clock) *fake.Tenant {
	ft, err := fake.New(groupMoveSnapshot(), fake.WithClock(clk), fake.WithProcessingDelay(time.Minute))
	require.NoError(t, err)
	return ft
}

func TestApplyOnFakeGroupMoveWaitsForProcessing(t *testing.T) {
	clk := fake.NewManualClock(epoch)
	ft := groupMoveTenant(t, clk)
	before := ft.State()
	d := desired(t, groupMoveDesired)
	p := planner.Build(fakeState(t, ft), d)
	require.True(t, p.Applyable(), "%s", p)
	var actions []string
	for _, s := range p.Steps {
		actions = append(actions, s.Action.String())
	}
	require.Equal(t, []string{"addGroupMember", "addGroupMember", "waitForGroupProcessing", "removeGroupMember", "removeGroupMember"}, actions)

	res, err := planner.Apply(context.Background(), ft, p, planner.WithClock(manualSleeper{clk}), planner.WithGroupProcessing(15*time.Second, 10*time.Minute))
	require.NoError(t, err, "%v", res)
	assert.GreaterOrEqual(t, clk.Now().Sub(epoch), time.Minute, "the wait step let the group's processing finish")
	assertNoServiceGap(t, before, p, ft.History())
	// The move itself never changes what the users have: no history at all.
	for _, e := range ft.History() {
		assert.Empty(t, e.Lost(), "%+v", e)
	}
	ft.ProcessGroups()
	assert.Empty(t, planner.Build(fakeState(t, ft), d).Steps)
}

func TestApplyOnFakeWithFaults(t *testing.T) {
	retried := 0
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			clk := fake.NewManualClock(epoch)
			ft, err := fake.New(sampletenant.Snapshot(), fake.WithClock(clk), fake.WithProcessingDelay(20*time.Second))
			require.NoError(t, err)
			before := ft.State()
			d := storiesDesired(t)
			p := planner.Build(fakeState(t, ft), d)
			faulty := fake.NewFaultyTenant(ft, fake.Faults{Rate: 0.3, Seed: seed,
				Kinds: []fake.FaultKind{fake.FaultUnavailable, fake.FaultGatewayTimeout, fake.FaultTooManyRequests, fake.FaultLostReply}})
			res, err := planner.Apply(context.Background(), faulty, p, planner.WithClock(manualSleeper{clk}),
				planner.WithRetryPolicy(planner.RetryPolicy{MaxAttempts: 12}))
			require.NoError(t, err, "%v", res)
			for _, s := range res.Steps {
				retried += max(0, s.Calls-1)
			}
			assertNoServiceGap(t, before, p, ft.History())
			assert.Empty(t, planner.Build(fakeState(t, ft), d).Steps)
		})
	}
	assert.Positive(t, retried, "the faults made Apply retry writes")
}

// writeCounter counts the writes that reach a tenant and calls after each one.
type writeCounter struct {
	planner.Tenant
	mu     sync.Mutex
	writes []string
	after  func(n int) // called with the number of writes so far
}

func (w *writeCounter) did(op, id string, err error) error {
	if err == nil {
		w.mu.Lock()
		w.writes = append(w.writes, op+" "+id)
		f, n := w.after, len(w.writes)
		w.mu.Unlock()
		if f != nil {
			f(n)
		}
	}
	return err
}

func (w *writeCounter) AssignUserLicenses(ctx context.Context, id string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	return w.did("AssignUserLicenses", id+" "+licensesText(add, remove), w.Tenant.AssignUserLicenses(ctx, id, add, remove))
}

func (w *writeCounter) AssignGroupLicenses(ctx context.Context, id string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	return w.did("AssignGroupLicenses", id+" "+licensesText(add, remove), w.Tenant.AssignGroupLicenses(ctx, id, add, remove))
}

func (w *writeCounter) SetUsageLocation(ctx context.Context, id, loc string) error {
	return w.did("SetUsageLocation", id, w.Tenant.SetUsageLocation(ctx, id, loc))
}

func (w *writeCounter) AddGroupMember(ctx context.Context, g, u string) error {
	return w.did("AddGroupMember", u+" "+g, w.Tenant.AddGroupMember(ctx, g, u))
}

func (w *writeCounter) RemoveGroupMember(ctx context.Context, g, u string) error {
	return w.did("RemoveGroupMember", u+" "+g, w.Tenant.RemoveGroupMember(ctx, g, u))
}

func (w *writeCounter) ReprocessUser(ctx context.Context, id string) error {
	return w.did("ReprocessUser", id, w.Tenant.ReprocessUser(ctx, id))
}

func TestApplyOnFakeResumesAfterACrashAtEveryStep(t *testing.T) {
	d := storiesDesired(t)
	stories := func() (*fake.Tenant, *fake.ManualClock, *planner.Plan) {
		clk := fake.NewManualClock(epoch)
		ft, err := fake.New(sampletenant.Snapshot(), fake.WithClock(clk), fake.WithProcessingDelay(10*time.Second))
		require.NoError(t, err)
		return ft, clk, planner.Build(fakeState(t, ft), d)
	}
	_, _, p := stories()
	n := callingSteps(p)
	for k := 1; k <= n; k++ {
		t.Run(fmt.Sprintf("crash after write %d", k), func(t *testing.T) {
			ft, clk, p := stories()
			before := ft.State()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			wc := &writeCounter{Tenant: ft}
			wc.after = func(n int) {
				if n == k {
					cancel()
				}
			}
			var journal strings.Builder
			_, err := planner.Apply(ctx, wc, p, planner.WithClock(manualSleeper{clk}), planner.WithConcurrency(3), planner.WithJournal(&journal))
			if k < n {
				require.Error(t, err)
			}
			wc.after = nil
			j, err := planner.ReadJournal(strings.NewReader(journal.String()))
			require.NoError(t, err)
			res, err := planner.Apply(context.Background(), wc, p, planner.WithClock(manualSleeper{clk}), planner.WithResume(j))
			require.NoError(t, err, "%v", res)
			assert.Len(t, wc.writes, n, "every write once over both runs")
			assert.Len(t, slices.Compact(slices.Sorted(slices.Values(wc.writes))), n, "no write repeated")
			assertNoServiceGap(t, before, p, ft.History())
			assert.Empty(t, planner.Build(fakeState(t, ft), d).Steps)
		})
	}
}

// TestNoServiceGapCatchesBreakBeforeMake shows the history check has teeth: bob's Exchange swap
// done the wrong way round (remove Plan 1, then add Plan 2) leaves him without a mailbox.
func TestNoServiceGapCatchesBreakBeforeMake(t *testing.T) {
	clk := fake.NewManualClock(epoch)
	ft, err := fake.New(sampletenant.Snapshot(), fake.WithClock(clk))
	require.NoError(t, err)
	before := ft.State()
	p1, p2 := licensing.MustParseSkuID(sampletenant.ExchangeP1), licensing.MustParseSkuID(sampletenant.ExchangeP2)
	bob := licensing.Target{Type: licensing.TargetUser, ID: sampletenant.Bob}
	plan := &planner.Plan{TenantID: sampletenant.TenantID, Steps: []*planner.Step{
		{ID: "s1", Action: planner.AssignLicense, Target: bob, RemoveLicenses: []licensing.SkuID{p1},
			Expect: &planner.Expectation{DirectLicenses: []licensing.AssignedLicense{{SkuID: p1}}}},
		{ID: "s2", Action: planner.AssignLicense, Target: bob, AddLicenses: []licensing.AssignedLicense{{SkuID: p2}}, DependsOn: []string{"s1"},
			Result: &planner.Expectation{DirectLicenses: []licensing.AssignedLicense{{SkuID: p2}}}},
	}}
	_, err = planner.Apply(context.Background(), ft, plan, planner.WithClock(manualSleeper{clk}))
	require.NoError(t, err)
	gaps := serviceGaps(t, before, plan, ft.History())
	require.NotEmpty(t, gaps)
	assert.Contains(t, strings.Join(gaps, "\n"), "user "+sampletenant.Bob+" was left without Exchange")
}

func TestApplyLearnsTheRuleEntraRefusedWith(t *testing.T) {
	// A rules file that drops the Workplace Analytics prerequisite lets the plan give the add-on
	// to mobile1, who has no mailbox. Entra (the fake, with the default rules) refuses with
	// "service plan … depends on the service plan(s) …": the result carries the rules/v1 entry
	// that would have predicted it.
	mine := licensing.DefaultRules().Extend(&licensing.Rules{FormatVersion: licensing.RulesFormatVersion, Disable: []string{"Workplace Analytics needs Exchange Online"}})
	require.Len(t, mine.Prerequisites, len(licensing.DefaultRules().Prerequisites)-1, "the rule's name is right")
	st, err := licensing.NewState(sampletenant.Snapshot(), licensing.WithRules(mine))
	require.NoError(t, err)
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","users":[{"user":"mobile1@contoso.com","licenses":[{"sku":"WORKPLACE_ANALYTICS"}]}]}`))
	require.True(t, p.Applyable(), "%v", p.Problems)
	ft, err := fake.New(sampletenant.Snapshot())
	require.NoError(t, err)

	res, err := planner.Apply(context.Background(), ft, p)
	require.Error(t, err)
	require.Len(t, res.Steps, 1)
	sr := res.Steps[0]
	assert.ErrorIs(t, sr.Err, licensing.DependencyViolation)
	require.NotNil(t, sr.Learned, "%v", sr.Err)
	require.Len(t, sr.Learned.Prerequisites, 1)
	learned := sr.Learned.Prerequisites[0]
	assert.Equal(t, "WORKPLACE_ANALYTICS", learned.Plan.Name)
	var names []string
	for _, r := range learned.RequiresAnyOf {
		names = append(names, r.Name)
	}
	assert.ElementsMatch(t, []string{"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"}, names)
	assert.Contains(t, learned.Source, "Entra error text")
	assert.False(t, mine.Compile(st.Catalog()).Predicts(sr.Learned), "the user's rules did not predict it")
	assert.True(t, licensing.DefaultRules().Compile(st.Catalog()).Predicts(sr.Learned), "the defaults do")
	require.NoError(t, sr.Learned.Validate(), "the entry is a valid rules/v1 document")
}

func TestProcessingFailedIsReportedNotWaitedOut(t *testing.T) {
	// licenseProcessingState ProcessingFailed is terminal: the wait step fails at once, naming
	// it, instead of polling until its timeout.
	ft, err := fake.New(sampletenant.Snapshot())
	require.NoError(t, err)
	st, err := licensing.NewState(ft.State())
	require.NoError(t, err)
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1",
		"groups":[{"group":"Licensing_Teams","licenses":[{"sku":"ENTERPRISEPACK","enabledPlans":["TEAMS1","SWAY"]}]}]}`))
	require.True(t, p.Applyable(), "%v", p.Problems)
	require.NoError(t, ft.FailNextProcessing(sampletenant.GroupTeams))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := planner.Apply(ctx, ft, p, planner.WithGroupProcessing(time.Millisecond, time.Hour))
	require.Error(t, err)
	require.NoError(t, ctx.Err(), "the wait did not poll until the context ran out")
	var wait *planner.StepResult
	for i := range res.Steps {
		if res.Steps[i].Step.Action == planner.WaitForGroupProcessing {
			wait = &res.Steps[i]
		}
	}
	require.NotNil(t, wait)
	assert.Equal(t, planner.StepFailed, wait.Status)
	assert.ErrorContains(t, wait.Err, "ProcessingFailed")
	assert.ErrorContains(t, wait.Err, "reprocess")
}

func TestUsageLocationFixIsFollowedByAReprocess(t *testing.T) {
	// grace has no usage location, the tenant no default: her licenses from Licensing_Teams are
	// in error (Other). Microsoft: with the location fixed, the licenses are assigned "next
	// time" the user is processed — the plan sets the location, then reprocesses her.
	snap := sampletenant.Snapshot()
	snap.DefaultUsageLocation = ""
	for i := range snap.Groups {
		if snap.Groups[i].ID == sampletenant.GroupTeams {
			snap.Groups[i].Members = append(snap.Groups[i].Members, sampletenant.Grace)
		}
	}
	ft, err := fake.New(snap)
	require.NoError(t, err)
	before := ft.State()
	st, err := licensing.NewState(before)
	require.NoError(t, err)
	grace := func(s *licensing.Snapshot) licensing.User {
		for _, u := range s.Users {
			if u.ID == sampletenant.Grace {
				return u
			}
		}
		t.Fatal("no grace")
		return licensing.User{}
	}
	require.Len(t, grace(before).LicenseAssignmentStates, 1)
	require.Equal(t, licensing.StateError, grace(before).LicenseAssignmentStates[0].State)

	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","users":[{"user":"grace@contoso.com","usageLocation":"NO"}]}`))
	require.True(t, p.Applyable(), "%v", p.Problems)
	require.Len(t, p.Steps, 2)
	assert.Equal(t, planner.SetUsageLocation, p.Steps[0].Action)
	assert.Equal(t, planner.ReprocessLicenseAssignment, p.Steps[1].Action)
	assert.Equal(t, []string{p.Steps[0].ID}, p.Steps[1].DependsOn)
	assert.Contains(t, p.Steps[1].Reason, "usage location")
	assert.NotEmpty(t, p.Steps[1].Gained, "the reprocess is what gives her the group's plans")

	_, err = planner.Apply(context.Background(), ft, p)
	require.NoError(t, err)
	after := grace(ft.State())
	require.Len(t, after.LicenseAssignmentStates, 1)
	assert.Equal(t, licensing.StateActive, after.LicenseAssignmentStates[0].State)
}
