package planner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// movesTenant is the sample tenant with the groups and users of the group moves admins make:
// Move_E1 (Office 365 E1), Move_E3 and Move_E3b (Office 365 E3), every plan on; x1 holds E3
// directly, x2 Exchange Online (Plan 1), x3 E1; x4 and x5 are in Move_E3, x6 in Move_E1.
func movesTenant() *licensing.Snapshot {
	s := sampletenant.Snapshot()
	user := func(n int, direct ...string) licensing.User {
		u := licensing.User{ID: fmt.Sprintf("20000000-0000-4000-8000-%012d", n), UserPrincipalName: fmt.Sprintf("x%d@contoso.com", n), UsageLocation: "US"}
		for _, sku := range direct {
			u.AssignedLicenses = append(u.AssignedLicenses, licensing.AssignedLicense{SkuID: licensing.MustParseSkuID(sku), DisabledPlans: []licensing.PlanID{}})
		}
		return u
	}
	s.Users = append(s.Users, user(1, sampletenant.E3), user(2, sampletenant.ExchangeP1), user(3, sampletenant.E1), user(4), user(5), user(6))
	group := func(id, name, sku string, members ...int) licensing.Group {
		g := licensing.Group{ID: id, DisplayName: name, AssignedLicenses: []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(sku), DisabledPlans: []licensing.PlanID{}}}}
		for _, m := range members {
			g.Members = append(g.Members, fmt.Sprintf("20000000-0000-4000-8000-%012d", m))
		}
		return g
	}
	s.Groups = append(s.Groups,
		group("a0000000-0000-4000-8000-0000000000c1", "Move_E1", sampletenant.E1, 6),
		group("a0000000-0000-4000-8000-0000000000c3", "Move_E3", sampletenant.E3, 4, 5),
		group("a0000000-0000-4000-8000-0000000000c4", "Move_E3b", sampletenant.E3))
	return s
}

func TestGroupMovesWithoutAGap(t *testing.T) {
	cases := []struct {
		name    string
		user    string
		target  string // the user's entry of desired/v1, after "user"
		first   planner.Action
		reasons []string // in the plan's step reasons, in order
	}{
		{"direct → group, same SKU", "x1", `"mode":"exact","licenses":[],"groups":["Move_E3"]`, planner.AddGroupMember,
			[]string{"join licensed group Move_E3", "wait until group Move_E3", "remove Office 365 E3 (ENTERPRISEPACK)"}},
		// The sample tenant's Exchange Online (Plan 1) carries To Do, its E3 does not: that loss is the target's.
		{"direct → group, another SKU", "x2", `"mode":"exact","licenses":[],"groups":["Move_E3"],"allowServiceLoss":["BPOS_S_TODO_1"]`, planner.AddGroupMember,
			[]string{"join licensed group Move_E3", "wait until group Move_E3", "remove Exchange Online (Plan 1) (EXCHANGESTANDARD)"}},
		{"direct → group, conflicting SKU", "x3", `"mode":"exact","licenses":[],"groups":["Move_E3"]`, planner.AssignLicense,
			[]string{"swap Office 365 E1 (STANDARDPACK) → Office 365 E3 (ENTERPRISEPACK) directly in one call before joining group Move_E3", "after the direct swap", "wait until group Move_E3",
				"direct Office 365 E3 (ENTERPRISEPACK) bridged the move to group Move_E3"}},
		{"group → group", "x4", `"mode":"exact","licenses":[],"groups":["Move_E3b"]`, planner.AddGroupMember,
			[]string{"join licensed group Move_E3b", "wait until group Move_E3b", "leave licensed group Move_E3 (users[0]), once Move_E3b has processed the user"}},
		{"group → direct", "x5", `"mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}],"groups":[]`, planner.AssignLicense,
			[]string{"assign Office 365 E3 (ENTERPRISEPACK)", "leave licensed group Move_E3 (users[0]), after the user's direct licenses are in place"}},
	}
	for _, mbb := range []bool{false, true} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s, makeBeforeBreak %v", tc.name, mbb), func(t *testing.T) {
				clk := fake.NewManualClock(epoch)
				ft, err := fake.New(movesTenant(), fake.WithClock(clk), fake.WithProcessingDelay(30*time.Second))
				require.NoError(t, err)
				before := ft.State()
				st, err := licensing.NewState(before)
				require.NoError(t, err)
				desired := fmt.Sprintf(`{"formatVersion":"desired/v1","users":[{"user":"%s@contoso.com",%s}],"options":{"makeBeforeBreak":%v}}`, tc.user, tc.target, mbb)
				p := planner.Build(st, mustDesired(t, desired))
				require.True(t, p.Applyable(), "%s", p)
				require.NotEmpty(t, p.Steps)
				assert.Equal(t, tc.first, p.Steps[0].Action, "%s", p)
				var reasons []string
				for _, s := range p.Steps {
					reasons = append(reasons, s.Reason)
				}
				at := 0
				for _, want := range tc.reasons {
					for at < len(reasons) && !strings.Contains(reasons[at], want) {
						at++
					}
					require.Less(t, at, len(reasons), "no step (in order) says %q:\n%s", want, p)
				}

				_, err = planner.Apply(context.Background(), ft, p, planner.WithClock(manualSleeper{clk}), planner.WithGroupProcessing(5*time.Second, 10*time.Minute))
				require.NoError(t, err)
				assert.Empty(t, serviceGaps(t, before, p, ft.History()), "%s", p)
				cat, rules := st.Catalog(), st.Rules()
				for _, h := range ft.History() {
					lost := rules.ServiceLoss(cat.PlanSetOf(h.EnabledPlansBefore), cat.PlanSetOf(h.EnabledPlansAfter))
					lost.Remove(mustPlanIndex(t, st, "BPOS_S_TODO_1"))
					assert.True(t, lost.IsEmpty(), "%s lost %v at %s (%s)", h.UserID, cat.PlanNames(lost), h.Time, h.Cause)
				}
				after, err := licensing.NewState(ft.State())
				require.NoError(t, err)
				again := planner.Build(after, mustDesired(t, desired))
				assert.Empty(t, again.Steps, "the tenant matches the desired state:\n%s", again)
			})
		}
	}
}

func TestConflictingGroupToGroupMoveIsNotPlannedBlind(t *testing.T) {
	// x6 holds E1 through Move_E1 and should hold E3 through Move_E3: joining first puts the E3
	// path in error (SharePoint plans conflict), and no direct license can bridge a group's.
	// The plan says so rather than leaving x6 without service on the way.
	st, err := licensing.NewState(movesTenant())
	require.NoError(t, err)
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","users":[{"user":"x6@contoso.com","mode":"exact","licenses":[],"groups":["Move_E3"]}]}`))
	assert.False(t, p.Applyable())
	assert.NotEmpty(t, problemsOf(p, licensing.MutuallyExclusiveViolation), "%s", p)
}

func mustPlanIndex(t *testing.T, st *licensing.State, name string) int {
	t.Helper()
	p, err := st.Catalog().LookupPlan(name)
	require.NoError(t, err)
	return p.Index()
}
