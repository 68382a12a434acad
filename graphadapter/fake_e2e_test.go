package graphadapter

// End-to-end tests: the real SDK (request adapter, serializers, middleware) against the fake
// Graph server of package fake, on a loopback port. The fake's Go API is the reference: the same
// call must give the same state and the same error kind through Graph's JSON.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
	"github.com/licenseplan/licenseplan/retry"
)

// startFake serves a fresh fake tenant built from snap and returns it with a Tenant talking to it.
func startFake(t *testing.T, snap *licensing.Snapshot, fopts []fake.Option, sopts []fake.ServerOption, opts ...Option) (*fake.Tenant, *fake.Server, *Tenant, *fakeClock) {
	t.Helper()
	ft, err := fake.New(snap, fopts...)
	require.NoError(t, err)
	srv, err := fake.StartServer(ft, sopts...)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), "loopback only: %s", srv.URL)
	opts = append([]Option{WithRoot(srv.URL)}, opts...)
	tn, err := New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		// An idle connection the server never saw a request on would hold its shutdown for 5 s.
		tn.CloseIdleConnections()
		srv.Close()
	})
	clock := &fakeClock{now: ft.Clock().Now()}
	tn.now, tn.sleep = clock.Now, clock.Sleep
	return ft, srv, tn, clock
}

// fakeState is GET /_fake/state, the tenant as the fake holds it.
func fakeState(t *testing.T, srv *fake.Server) *licensing.Snapshot {
	t.Helper()
	root := strings.TrimSuffix(srv.URL, "/v1.0")
	resp, err := http.Get(root + "/_fake/state")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	s, err := licensing.ReadSnapshot(resp.Body)
	require.NoError(t, err)
	return s
}

// sorted orders users and groups by id, as Graph lists them.
func sorted(s *licensing.Snapshot) *licensing.Snapshot {
	c := *s
	c.Users = slices.Clone(s.Users)
	c.Groups = slices.Clone(s.Groups)
	slices.SortFunc(c.Users, func(a, b licensing.User) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(c.Groups, func(a, b licensing.Group) int { return cmp.Compare(a.ID, b.ID) })
	return &c
}

// canonical encodes a snapshot as tenant/v1, the comparison that matters to its readers, without
// the read's metadata (when it was read).
func canonical(t *testing.T, s *licensing.Snapshot) string {
	t.Helper()
	var b strings.Builder
	c := sorted(s)
	c.ReadAt, c.ReadTimes = "", nil
	// A group whose kind the tenant file leaves out is served as Graph describes a plain
	// security group (securityEnabled true, mailEnabled false), and read back so.
	yes, no := true, false
	for i := range c.Groups {
		g := &c.Groups[i]
		if g.SecurityEnabled == nil {
			g.SecurityEnabled = &yes
		}
		if g.MailEnabled == nil {
			g.MailEnabled = &no
		}
	}
	// Subscriptions a tenant file does not have are served as none ([]). Sign-in activity is
	// compared only where the tests that read it look (lifecycle_test.go): here a user without it
	// counts as one with nothing recorded, whether the read was refused or not.
	if c.Subscriptions == nil {
		c.Subscriptions = []licensing.CompanySubscription{}
	}
	c.SignInActivityUnknown = false
	c.Users = slices.Clone(c.Users)
	for i := range c.Users {
		if c.Users[i].SignInActivity == nil {
			c.Users[i].SignInActivity = &licensing.SignInActivity{}
		}
	}
	require.NoError(t, c.WriteJSON(&b))
	return b.String()
}

func TestFakeSnapshotEqualsTheFakesState(t *testing.T) {
	_, srv, tn, _ := startFake(t, sampletenant.Snapshot(), nil, nil, WithMemberConcurrency(2))
	got, err := tn.Snapshot(context.Background())
	require.NoError(t, err)
	want := fakeState(t, srv)

	// The default usage location comes from GET /organization's countryLetterCode.
	assert.Equal(t, "US", got.DefaultUsageLocation)
	assert.Equal(t, sampletenant.TenantID, got.TenantID, "from subscribedSku.id")
	require.NoError(t, got.Validate())
	assert.Equal(t, canonical(t, want), canonical(t, got))
}

// TestFakeSnapshotAcrossPagesUnderThrottling reads a tenant larger than a page through the fake's
// Graph throttling; with WithDefaultUsageLocation the snapshot equals the state exactly.
func TestFakeSnapshotAcrossPagesUnderThrottling(t *testing.T) {
	snap := sampletenant.Snapshot()
	for i := 0; i < 1200; i++ {
		snap.Users = append(snap.Users, licensing.User{
			ID:                "20000000-0000-4000-8000-" + leftPad(i, 12),
			UserPrincipalName: "bulk" + leftPad(i, 4) + "@contoso.com",
			UsageLocation:     "US",
			AssignedLicenses:  []licensing.AssignedLicense{},
		})
	}
	_, srv, tn, _ := startFake(t, snap, nil, []fake.ServerOption{fake.WithThrottle(fake.GraphThrottle())}, WithDefaultUsageLocation(snap.DefaultUsageLocation))
	got, err := tn.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Len(t, got.Users, len(snap.Users))
	assert.Equal(t, canonical(t, fakeState(t, srv)), canonical(t, got))
}

func leftPad(i, n int) string {
	s := strings.Repeat("0", n) + itoa(i)
	return s[len(s)-n:]
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestFakeWritesLand applies every write through Graph and checks the fake's state.
func TestFakeWritesLand(t *testing.T) {
	e1 := licensing.MustParseSkuID(sampletenant.E1)
	e3 := licensing.MustParseSkuID(sampletenant.E3)
	ems := licensing.MustParseSkuID(sampletenant.EMS)
	ft, srv, tn, _ := startFake(t, sampletenant.Snapshot(), nil, nil)
	ctx := context.Background()

	// Alice: E1 → E3 in one atomic call (their SharePoint plans conflict).
	require.NoError(t, tn.AssignUserLicenses(ctx, sampletenant.Alice, []licensing.AssignedLicense{{SkuID: e3}}, []licensing.SkuID{e1}))
	// Grace gets a usage location, then a license that needs it.
	require.NoError(t, tn.SetUsageLocation(ctx, sampletenant.Grace, "SE"))
	require.NoError(t, tn.AssignUserLicenses(ctx, sampletenant.Grace, []licensing.AssignedLicense{{SkuID: e1}}, nil))
	// Bob joins the E3 group; a mobile user leaves the EMS group, freeing a seat; reprocess another.
	require.NoError(t, tn.AddGroupMember(ctx, sampletenant.GroupE3Base, sampletenant.Bob))
	require.NoError(t, tn.RemoveGroupMember(ctx, sampletenant.GroupEMS, "10000000-0000-4000-8000-000000000031"))
	require.NoError(t, tn.ReprocessUser(ctx, "10000000-0000-4000-8000-000000000034"))
	// The Teams group also gets EMS.
	require.NoError(t, tn.AssignGroupLicenses(ctx, sampletenant.GroupTeams, []licensing.AssignedLicense{{SkuID: ems, DisabledPlans: []licensing.PlanID{}}}, nil))
	ft.ProcessGroups()

	st := fakeState(t, srv)
	users := map[string]licensing.User{}
	for _, u := range st.Users {
		users[u.ID] = u
	}
	groups := map[string]licensing.Group{}
	for _, g := range st.Groups {
		groups[g.ID] = g
	}
	assert.Equal(t, []licensing.SkuID{e3}, skuIDs(users[sampletenant.Alice].AssignedLicenses))
	assert.Equal(t, "SE", users[sampletenant.Grace].UsageLocation)
	assert.Equal(t, []licensing.SkuID{e1}, skuIDs(users[sampletenant.Grace].AssignedLicenses))
	assert.Contains(t, groups[sampletenant.GroupE3Base].Members, sampletenant.Bob)
	assert.NotContains(t, groups[sampletenant.GroupEMS].Members, "10000000-0000-4000-8000-000000000031")
	assert.Contains(t, skuIDs(groups[sampletenant.GroupTeams].AssignedLicenses), ems)

	// Reading back through Graph agrees with the state.
	got, err := tn.Snapshot(ctx)
	require.NoError(t, err)
	got.DefaultUsageLocation = st.DefaultUsageLocation
	assert.Equal(t, canonical(t, st), canonical(t, got))
	u, err := tn.User(ctx, sampletenant.Alice)
	require.NoError(t, err)
	assert.Equal(t, users[sampletenant.Alice].AssignedLicenses, u.AssignedLicenses)
	g, err := tn.Group(ctx, sampletenant.GroupTeams)
	require.NoError(t, err)
	assert.Equal(t, groups[sampletenant.GroupTeams].AssignedLicenses, g.AssignedLicenses)
	members, err := tn.GroupMembers(ctx, sampletenant.GroupE3Base)
	require.NoError(t, err)
	assert.Equal(t, groups[sampletenant.GroupE3Base].Members, members)
}

func skuIDs(ls []licensing.AssignedLicense) []licensing.SkuID {
	out := []licensing.SkuID{}
	for _, l := range ls {
		out = append(out, l.SkuID)
	}
	return out
}

// errorCase is one refused call, made on the fake's Go API and through Graph on an identical tenant.
type errorCase struct {
	name    string
	kind    licensing.Kind
	call    func(ctx context.Context, t planner.Tenant) error
	details bool // also compare SkuID and Plans
}

func errorCases() []errorCase {
	e1 := licensing.MustParseSkuID(sampletenant.E1)
	e3 := licensing.MustParseSkuID(sampletenant.E3)
	ems := licensing.MustParseSkuID(sampletenant.EMS)
	wa := licensing.MustParseSkuID(sampletenant.WorkplaceAn)
	aadP1 := licensing.MustParsePlanID("41781fb2-bc02-4b7c-bd55-b576c07bb09d")
	ghostSku := licensing.MustParseSkuID("0badf00d-0000-4000-8000-000000000000")
	const ghost = "0badf00d-0000-4000-8000-000000000001"
	add := func(ks ...licensing.SkuID) []licensing.AssignedLicense {
		var out []licensing.AssignedLicense
		for _, k := range ks {
			out = append(out, licensing.AssignedLicense{SkuID: k})
		}
		return out
	}
	return []errorCase{
		{"no free EMS seat", licensing.CountViolation, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignUserLicenses(ctx, sampletenant.Bob, add(ems), nil)
		}, true},
		{"E1 beside E3: SharePoint plans conflict", licensing.MutuallyExclusiveViolation, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignUserLicenses(ctx, sampletenant.Dave, add(e1), nil)
		}, false},
		{"E3 removed under Audio Conferencing", licensing.DependencyViolation, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignUserLicenses(ctx, sampletenant.Frank, nil, []licensing.SkuID{e3})
		}, true},
		{"Workplace Analytics not offered in Norway", licensing.ProhibitedInUsageLocationViolation, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignUserLicenses(ctx, sampletenant.Alice, add(wa), nil)
		}, true},
		{"no usage location", licensing.UsageLocationMissing, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignUserLicenses(ctx, sampletenant.Grace, add(e3), nil)
		}, false},
		{"group-only license removed directly", licensing.InheritedLicense, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignUserLicenses(ctx, sampletenant.Carol, nil, []licensing.SkuID{e3})
		}, true},
		{"SKU not subscribed", licensing.UnknownSku, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignUserLicenses(ctx, sampletenant.Alice, add(ghostSku), nil)
		}, true},
		{"suspended SKU", licensing.SkuNotAssignable, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignUserLicenses(ctx, sampletenant.Alice, add(suspendedSku), nil)
		}, true},
		{"disabled plan of another SKU", licensing.UnknownServicePlan, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignUserLicenses(ctx, sampletenant.Bob, []licensing.AssignedLicense{{SkuID: e3, DisabledPlans: []licensing.PlanID{aadP1}}}, nil)
		}, true},
		{"unknown user", licensing.UnknownUser, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignUserLicenses(ctx, ghost, add(e3), nil)
		}, false},
		{"unknown user read", licensing.UnknownUser, func(ctx context.Context, t planner.Tenant) error {
			_, err := t.User(ctx, ghost)
			return err
		}, false},
		{"unknown group read", licensing.UnknownGroup, func(ctx context.Context, t planner.Tenant) error {
			_, err := t.Group(ctx, ghost)
			return err
		}, false},
		{"unknown group assignment", licensing.UnknownGroup, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignGroupLicenses(ctx, ghost, add(e3), nil)
		}, false},
		{"unknown group membership", licensing.UnknownGroup, func(ctx context.Context, t planner.Tenant) error {
			return t.AddGroupMember(ctx, ghost, sampletenant.Alice)
		}, false},
		{"unknown member", licensing.UnknownUser, func(ctx context.Context, t planner.Tenant) error {
			return t.AddGroupMember(ctx, sampletenant.GroupEMS, ghost)
		}, false},
		{"reprocess unknown user", licensing.UnknownUser, func(ctx context.Context, t planner.Tenant) error {
			return t.ReprocessUser(ctx, ghost)
		}, false},
		{"add-on without its prerequisite in the group", licensing.GroupPrerequisiteMissing, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignGroupLicenses(ctx, sampletenant.GroupEMS, add(wa), nil)
		}, true},
		{"license not held", licensing.InvalidInput, func(ctx context.Context, t planner.Tenant) error {
			return t.AssignUserLicenses(ctx, sampletenant.Alice, nil, []licensing.SkuID{ems})
		}, false},
		{"already a member", licensing.InvalidInput, func(ctx context.Context, t planner.Tenant) error {
			return t.AddGroupMember(ctx, sampletenant.GroupE3Base, sampletenant.Carol)
		}, false},
		{"not a member", licensing.InvalidInput, func(ctx context.Context, t planner.Tenant) error {
			return t.RemoveGroupMember(ctx, sampletenant.GroupE3Base, sampletenant.Alice)
		}, false},
	}
}

var suspendedSku = licensing.MustParseSkuID("5ca1ab1e-0000-4000-8000-000000000000")

// errorTenant is the sample tenant plus a suspended SKU, with a rule that keeps Workplace
// Analytics out of Norway.
func errorTenant(t *testing.T) (*licensing.Snapshot, []fake.Option) {
	t.Helper()
	snap := sampletenant.Snapshot()
	snap.SubscribedSkus = append(snap.SubscribedSkus, licensing.SubscribedSku{
		SkuID: suspendedSku, SkuPartNumber: "SUSPENDED_PACK", AppliesTo: "User", CapabilityStatus: "Suspended",
		PrepaidUnits: licensing.PrepaidUnits{Suspended: 5},
		ServicePlans: []licensing.ServicePlanInfo{{ServicePlanID: licensing.MustParsePlanID("5ca1ab1e-0000-4000-8000-000000000001"), ServicePlanName: "SUSPENDED_PLAN", AppliesTo: "User"}},
	})
	rules := licensing.DefaultRules()
	rules.UsageLocation = append(rules.UsageLocation, licensing.UsageLocationRule{
		Name: "Workplace Analytics not offered in Norway (test)", Source: "test", Date: "2026-11-23",
		Plans:        []licensing.PlanRef{{ID: licensing.MustParsePlanID("f477b0f0-3bb1-4890-940c-40fcee6ce05f"), Name: "WORKPLACE_ANALYTICS"}},
		ProhibitedIn: []string{"NO"},
	})
	require.NoError(t, rules.Validate())
	return snap, []fake.Option{fake.WithRules(rules)}
}

// TestFakeEveryErrorKindMaps makes each refused call on the fake's Go API and through Graph on an
// identical tenant: the kind, Graph's code and message, the target, and (where Graph's text names
// them) the SKU and plans agree.
func TestFakeEveryErrorKindMaps(t *testing.T) {
	ctx := context.Background()
	for _, tc := range errorCases() {
		t.Run(tc.name, func(t *testing.T) {
			snap, fopts := errorTenant(t)
			ref, err := fake.New(snap, fopts...)
			require.NoError(t, err)
			want := asError(t, tc.call(ctx, ref))
			require.Equal(t, tc.kind, want.Kind, "the fake's own answer: %v", want)

			snap, fopts = errorTenant(t)
			_, _, tn, _ := startFake(t, snap, fopts, nil)
			got := asError(t, tc.call(ctx, tn))
			assert.Equal(t, want.Kind, got.Kind, got.Error())
			var fe *fake.GraphError
			require.True(t, errors.As(want, &fe), "the fake's refusal carries its reply")
			re := asResponse(t, got)
			assert.Equal(t, fe.Code, re.Code, "Graph's code")
			assert.Equal(t, fe.StatusCode, re.StatusCode)
			assert.Equal(t, want.Message, got.Message)
			assert.Equal(t, want.Target.Type, got.Target.Type)
			assert.Equal(t, want.Target.ID, got.Target.ID)
			if tc.details {
				assert.Equal(t, want.SkuID, got.SkuID)
				assert.Equal(t, want.Plans, got.Plans)
			}
		})
	}
}

// TestFakeFaults drives the fake's injected faults through the adapter's retries.
func TestFakeFaults(t *testing.T) {
	e3 := licensing.MustParseSkuID(sampletenant.E3)
	// 429 and 503 mean Graph did not act: the write is retried (bounded). A 504 or a reset may
	// hide a change Graph made: the write is tried once and left to the caller to re-check.
	tests := []struct {
		name  string
		kind  fake.FaultKind
		want  licensing.Kind
		tries int
	}{
		{"503 every time", fake.FaultUnavailable, licensing.Transient, DefaultRetryPolicy.MaxAttempts},
		{"504 every time", fake.FaultGatewayTimeout, licensing.Transient, 1},
		{"429 every time", fake.FaultTooManyRequests, licensing.Throttled, DefaultRetryPolicy.MaxAttempts},
		{"reset every time", fake.FaultReset, licensing.Transient, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			faults := fake.Faults{Rate: 1, Kinds: []fake.FaultKind{tc.kind}, Methods: []string{"POST"}}
			_, _, tn, clock := startFake(t, sampletenant.Snapshot(), nil, []fake.ServerOption{fake.WithFaults(faults)})
			err := tn.AssignUserLicenses(context.Background(), sampletenant.Grace, []licensing.AssignedLicense{{SkuID: e3}}, nil)
			le := asError(t, err)
			assert.Equal(t, tc.want, le.Kind, le.Error())
			assert.Len(t, clock.Sleeps(), tc.tries-1, "bounded retries")
			if tc.want == licensing.Throttled {
				d, ok := retry.After(err)
				assert.True(t, ok)
				assert.Greater(t, d, time.Duration(0))
				assert.Equal(t, d, asResponse(t, err).RetryAfter(), "the Retry-After is the reply's")
			}
		})
	}

	t.Run("malformed reply", func(t *testing.T) {
		faults := fake.Faults{Rate: 1, Kinds: []fake.FaultKind{fake.FaultMalformed}, Methods: []string{"GET"}}
		_, _, tn, _ := startFake(t, sampletenant.Snapshot(), nil, []fake.ServerOption{fake.WithFaults(faults)})
		_, err := tn.Snapshot(context.Background())
		le := asError(t, err)
		assert.Equal(t, licensing.Transient, le.Kind)
		assert.Contains(t, le.Error(), "not valid JSON")
	})

	t.Run("half the requests fail, the snapshot is still whole", func(t *testing.T) {
		faults := fake.Faults{Rate: 0.5, Seed: 7, Kinds: []fake.FaultKind{fake.FaultUnavailable, fake.FaultGatewayTimeout, fake.FaultTooManyRequests, fake.FaultReset}}
		_, srv, tn, _ := startFake(t, sampletenant.Snapshot(), nil, []fake.ServerOption{fake.WithFaults(faults)},
			WithRetryPolicy(RetryPolicy{MaxAttempts: 12}), WithDefaultUsageLocation("US"))
		got, err := tn.Snapshot(context.Background())
		require.NoError(t, err)
		assert.Equal(t, canonical(t, fakeState(t, srv)), canonical(t, got))
	})
}
