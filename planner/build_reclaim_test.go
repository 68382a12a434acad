package planner_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
	"github.com/licenseplan/licenseplan/report"
)

// The users of licensing/testdata/tenant-lifecycle.json (readAt 2026-03-01) a reclaim is about:
// bob (a guest: signInActivity read, no sign-in recorded, direct Exchange Online Plan 1), carol
// (disabled, E3 from Licensing_E3_Base and Licensing_Teams), erin (last sign-in 2025-12-24,
// direct E1, and E3 from Licensing_E3_Base in error beside it); dave, frank and most others have
// no signInActivity (unknown).
const (
	bobID   = "10000000-0000-4000-8000-000000000002"
	carolID = "10000000-0000-4000-8000-000000000003"
	erinID  = "10000000-0000-4000-8000-000000000005"
	e3Base  = "a0000000-0000-4000-8000-0000000000b1"
	teams   = "a0000000-0000-4000-8000-0000000000b2"
)

func reclaimPlan(t *testing.T, snap *licensing.Snapshot, desired string) *planner.Plan {
	t.Helper()
	return expiryPlan(t, snap, `{"formatVersion":"desired/v1",`+desired+`}`)
}

// stepsByUser lists each user's steps as "action sku-or-group" strings, in plan order.
func stepsByUser(p *planner.Plan) map[string][]string {
	out := map[string][]string{}
	for _, s := range p.Steps {
		switch s.Action {
		case planner.AssignLicense:
			for _, r := range s.RemoveLicenses {
				out[s.Target.ID] = append(out[s.Target.ID], "remove "+r.String())
			}
			for _, a := range s.AddLicenses {
				out[s.Target.ID] = append(out[s.Target.ID], "add "+a.SkuID.String())
			}
		case planner.RemoveGroupMember, planner.AddGroupMember:
			out[s.Target.ID] = append(out[s.Target.ID], fmt.Sprint(s.Action)+" "+s.Group.ID)
		default:
			out[s.Target.ID] = append(out[s.Target.ID], fmt.Sprint(s.Action))
		}
	}
	return out
}

func reclaimProblems(p *planner.Plan, sev planner.Severity, text string) []planner.Problem {
	var out []planner.Problem
	for _, pr := range p.Problems {
		if pr.Severity == sev && strings.Contains(pr.Message, text) {
			out = append(out, pr)
		}
	}
	return out
}

const (
	e1   = "18181a46-0d4e-45cd-891e-60aabd171b4e"
	exP1 = "4b9405b0-7788-4568-add1-99614e613b69"
)

func TestReclaimPlansTheSelectedUsersLicenses(t *testing.T) {
	snap := lifecycleSnapshot(t)
	p := reclaimPlan(t, snap, `"reclaim":{"disabled":true,"inactiveDays":60}`)
	require.True(t, p.Applyable(), "%s", p)
	assert.Equal(t, map[string][]string{
		bobID:   {"remove " + exP1},
		carolID: {"removeGroupMember " + e3Base, "removeGroupMember " + teams},
		erinID:  {"remove " + e1, "removeGroupMember " + e3Base}, // the E3 path in error goes too: it would become active
	}, stepsByUser(p))
	why := map[string]string{bobID: "reclaim: no sign-in recorded", carolID: "reclaim: account disabled", erinID: "reclaim: no sign-in since 2025-12-24"}
	for _, s := range p.Steps {
		assert.Contains(t, s.Reason, why[s.Target.ID], s.ID)
	}
	// Consent is implied: every loss is accepted, none is an error.
	assert.Empty(t, reclaimProblems(p, planner.SeverityError, ""), "%s", p)
	for _, pr := range p.Problems {
		if pr.Kind == licensing.ServiceLoss && pr.Severity == planner.SeverityInfo {
			assert.Contains(t, pr.Message, "(accepted by reclaim: ")
		}
	}
	// Each of them loses their only mailbox plan: a warning each.
	warned := reclaimProblems(p, planner.SeverityWarning, "the mailbox is deleted 30 days after the license goes, unless it is converted to a shared mailbox or on hold")
	var users []string
	for _, pr := range warned {
		users = append(users, pr.Target.ID)
		assert.NotEmpty(t, pr.Step)
	}
	assert.ElementsMatch(t, []string{bobID, carolID, erinID}, users)
}

func TestReclaimKeepsServiceLossForEverythingElse(t *testing.T) {
	snap := lifecycleSnapshot(t)
	// frank's exact entry drops his Audio Conferencing: no consent, still an error.
	p := reclaimPlan(t, snap, `"users":[{"user":"frank@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}],
		"reclaim":{"disabled":true}`)
	assert.False(t, p.Applyable())
	errs := reclaimProblems(p, planner.SeverityError, "")
	require.Len(t, errs, 1, "%s", p)
	assert.Equal(t, licensing.ServiceLoss, errs[0].Kind)
	assert.Contains(t, errs[0].Message, "frank@contoso.com")
	assert.Contains(t, stepsByUser(p)[carolID], "removeGroupMember "+e3Base)
}

func TestReclaimMergesWithAnExplicitEntry(t *testing.T) {
	snap := lifecycleSnapshot(t)
	// carol's own entry gives her Exchange Online Plan 1 directly (ensure), and keeps her in
	// Licensing_Teams: reclaim takes E3 from Licensing_E3_Base only, and she keeps a mailbox.
	p := reclaimPlan(t, snap, `"users":[{"user":"carol@contoso.com","licenses":[{"sku":"EXCHANGESTANDARD"}],"groups":["Licensing_Teams"]}],
		"reclaim":{"disabled":true}`)
	require.True(t, p.Applyable(), "%s", p)
	assert.Equal(t, []string{"add " + exP1, "removeGroupMember " + e3Base}, stepsByUser(p)[carolID])
	assert.Len(t, reclaimProblems(p, planner.SeverityInfo, "users[0] lists the group"), 1, "%s", p)
	assert.Empty(t, reclaimProblems(p, planner.SeverityWarning, "the mailbox is deleted"), "Exchange Online Plan 1 stays")
	n := 0
	for _, s := range p.Steps {
		if s.Target.ID == carolID && s.Action == planner.AssignLicense {
			n++
			assert.NotContains(t, s.Reason, "reclaim", "the add is the entry's, not the reclaim's")
		}
	}
	assert.Equal(t, 1, n)
}

func TestReclaimExcludesUsersAndGroupMembers(t *testing.T) {
	snap := lifecycleSnapshot(t)
	p := reclaimPlan(t, snap, `"reclaim":{"disabled":true,"inactiveDays":60,"exclude":{"users":["bob@contoso.com"],"groups":["Licensing_Teams"]}}`)
	got := stepsByUser(p)
	assert.NotContains(t, got, bobID)
	assert.NotContains(t, got, carolID) // a member of Licensing_Teams
	assert.Contains(t, got, erinID)

	p = reclaimPlan(t, snap, `"reclaim":{"disabled":true,"exclude":{"users":["nobody@contoso.com"],"groups":["Licensing_Nope"]}}`)
	assert.Len(t, reclaimProblems(p, planner.SeverityError, "reclaim.exclude.users[0]"), 1, "%s", p)
	assert.Len(t, reclaimProblems(p, planner.SeverityError, "reclaim.exclude.groups[0]"), 1, "%s", p)
}

func TestReclaimOnlyTheNamedSkus(t *testing.T) {
	snap := lifecycleSnapshot(t)
	p := reclaimPlan(t, snap, `"reclaim":{"disabled":true,"inactiveDays":60,"skus":["Exchange Online (Plan 1)"]}`)
	assert.Equal(t, map[string][]string{bobID: {"remove " + exP1}}, stepsByUser(p), "carol and erin hold no Exchange Online Plan 1: no step")

	p = reclaimPlan(t, snap, `"reclaim":{"disabled":true,"skus":["ENTERPRISEPAK"]}`)
	errs := reclaimProblems(p, planner.SeverityError, "reclaim.skus[0]")
	require.Len(t, errs, 1, "%s", p)
	assert.Equal(t, licensing.UnknownSku, errs[0].Kind)
	assert.Contains(t, errs[0].Message, "ENTERPRISEPACK", "a suggestion")
	assert.Empty(t, p.Steps, "no SKU resolved: nothing is reclaimed rather than everything")
}

func TestReclaimNeverSelectsUnknownActivity(t *testing.T) {
	snap := lifecycleSnapshot(t)
	// One day: everyone with a record but alice is inactive (carol too, disabled or not);
	// dave, frank, heidi and the migrants have no signInActivity and are never selected.
	p := reclaimPlan(t, snap, `"reclaim":{"inactiveDays":1}`)
	assert.ElementsMatch(t, []string{bobID, carolID, erinID}, keys(stepsByUser(p)))
	// A snapshot that could not read sign-in activity: nobody is inactive.
	snap.SignInActivityUnknown = true
	p = reclaimPlan(t, snap, `"reclaim":{"disabled":true,"inactiveDays":1}`)
	assert.Equal(t, []string{carolID}, keys(stepsByUser(p)))
	// bob was created 2025-01-10: within 500 days of readAt, so not inactive.
	snap.SignInActivityUnknown = false
	p = reclaimPlan(t, snap, `"reclaim":{"inactiveDays":500}`)
	assert.Empty(t, p.Steps, "%s", p)
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestReclaimWaves(t *testing.T) {
	snap := lifecycleSnapshot(t)
	p := reclaimPlan(t, snap, `"reclaim":{"disabled":true,"inactiveDays":60,"waves":[0.5,1.0]}`)
	waves := map[string]int{}
	for i, s := range p.Steps {
		waves[s.Target.ID] = max(waves[s.Target.ID], s.Wave)
		if i > 0 {
			assert.LessOrEqual(t, p.Steps[i-1].Wave, s.Wave, "steps in wave order")
		}
	}
	// Three users: ceil(0.5 × 3) = 2 in the first wave, in snapshot order.
	assert.Equal(t, map[string]int{bobID: 0, carolID: 0, erinID: 1}, waves)
}

// TestReclaimSelectsAsReportDoes: the plan reclaims from exactly the users report.Reclaim
// lists, for the same reasons.
func TestReclaimSelectsAsReportDoes(t *testing.T) {
	snap := lifecycleSnapshot(t)
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	now, ok := licensing.ParseDateTime(st.ReadAt())
	require.True(t, ok)
	for _, days := range []int{1, 30, 60, 90, 365, 500} {
		rep, err := report.Reclaim(st, report.ReclaimOptions{InactiveDays: days})
		require.NoError(t, err)
		want := map[string]string{}
		for _, r := range rep.Users {
			switch r.Reason {
			case report.ReasonDisabled:
				want[r.UserID] = "account disabled"
			case report.ReasonNeverSignedIn:
				want[r.UserID] = "no sign-in recorded"
			default:
				want[r.UserID] = "no sign-in since " + r.LastSignInDateTime[:10]
			}
		}
		got := planner.ReclaimReasons(st, now, true, days)
		for id := range got { // the report lists seat holders only
			if !slices.ContainsFunc(snap.Users, func(u licensing.User) bool { return u.ID == id && len(st.Paths(userIndex(st, id))) > 0 }) {
				delete(got, id)
			}
		}
		assert.Equal(t, want, got, "%d days", days)
		p := reclaimPlan(t, snap, `"reclaim":{"disabled":true,"inactiveDays":`+strconv.Itoa(days)+`}`)
		assert.Equal(t, keysOf(want), keys(stepsByUser(p)), "%d days: the users with a step", days)
	}
}

func userIndex(st *licensing.State, id string) int {
	u, _ := st.LookupUser(id)
	return u
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestReclaimAppliesOnTheFake: applied, the plan takes exactly the reclaimed users' licenses,
// and nobody else loses anything.
func TestReclaimAppliesOnTheFake(t *testing.T) {
	snap := lifecycleSnapshot(t)
	p := reclaimPlan(t, snap, `"reclaim":{"disabled":true,"inactiveDays":60,"waves":[0.5,1.0]}`)
	require.True(t, p.Applyable(), "%s", p)
	clk := fake.NewManualClock(epoch)
	ft, err := fake.New(snap, fake.WithClock(clk), fake.WithProcessingDelay(30*time.Second))
	require.NoError(t, err)
	res, err := planner.Apply(context.Background(), ft, p, planner.WithClock(manualSleeper{clk}))
	require.NoError(t, err, "%v", res)
	assert.Equal(t, len(p.Steps), res.Succeeded)
	losers := map[string]bool{}
	clk.Advance(time.Hour) // the groups process the leaves
	for _, e := range ft.History() {
		if len(e.Lost()) > 0 {
			losers[e.UserID] = true
		}
	}
	assert.Equal(t, map[string]bool{bobID: true, carolID: true, erinID: true}, losers)
	after, err := licensing.NewState(ft.State())
	require.NoError(t, err)
	for _, id := range []string{bobID, carolID, erinID} {
		assert.True(t, after.EnabledPlans(userIndex(after, id)).IsEmpty(), "%s holds nothing", id)
	}
	assert.Empty(t, planner.Build(after, mustDesired(t, `{"formatVersion":"desired/v1","reclaim":{"disabled":true}}`)).Steps)
}

func TestReadDesiredReclaimErrors(t *testing.T) {
	for doc, want := range map[string]string{
		`{"disabled":true,"inactivedayz":3}`:           `reclaim: unknown field "inactivedayz"`,
		`{"disabled":true,"exclude":{"user":["x"]}}`:   `reclaim: unknown field "user"`,
		`{"inactiveDays":0}`:                           "reclaim.inactiveDays is 0: want 1 or more",
		`{"inactiveDays":-5,"disabled":true}`:          "reclaim.inactiveDays is -5",
		`{}`:                                           "reclaim selects nobody",
		`{"disabled":false}`:                           "reclaim selects nobody",
		`{"disabled":true,"waves":[0.5]}`:              "reclaim.waves must end with 1.0",
		`{"disabled":true,"waves":[0.5,0.2,1]}`:        "reclaim.waves[1] = 0.2",
		`{"disabled":true,"skus":[""]}`:                "reclaim.skus[0] is empty",
		`{"disabled":true,"inactiveDays":"90"}`:        "reclaim.inactiveDays",
		`{"disabled":true,"exclude":{"groups":[" "]}}`: "reclaim.exclude.groups[0] is empty",
	} {
		_, err := planner.ReadDesired(strings.NewReader(`{"formatVersion":"desired/v1","reclaim":` + doc + `}`))
		if assert.Error(t, err, doc) {
			assert.Contains(t, err.Error(), want, doc)
		}
	}
	d, err := planner.ReadDesired(strings.NewReader(`{"formatVersion":"desired/v1","reclaim":{"disabled":true,"inactiveDays":90,"skus":["EMS"],"exclude":{"users":["bob@contoso.com"]},"waves":[0.1,1]}}`))
	require.NoError(t, err)
	assert.Equal(t, &planner.Reclaim{Disabled: true, InactiveDays: 90, Skus: []string{"EMS"}, Exclude: planner.ReclaimExclude{Users: []string{"bob@contoso.com"}}, Waves: []float64{0.1, 1}}, d.Reclaim)
}
