package graphadapter

// Tests against Graph as it is (package graphtest), not as the fake is: a tenant read while it
// changes, with Graph's refusals, throttling and expired page tokens.

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/graphadapter/graphtest"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

const (
	mobile1   = "10000000-0000-4000-8000-000000000031"
	deadGroup = "a0000000-0000-4000-8000-0000000000de" // named by a path, deleted
	deadUser  = "10000000-0000-4000-8000-0000000000de" // a member, deleted
)

// liveTenant is the sample tenant as a live one has it: mobile1 has assignment paths from
// Licensing_EMS and from a group deleted since, and Licensing_Teams lists a member who is deleted.
func liveTenant() *licensing.Snapshot {
	s := sampletenant.Snapshot()
	ems := licensing.MustParseSkuID(sampletenant.EMS)
	for i := range s.Users {
		if s.Users[i].ID == mobile1 {
			g, d := sampletenant.GroupEMS, deadGroup
			s.Users[i].LicenseAssignmentStates = []licensing.LicenseAssignmentState{
				{SkuID: ems, DisabledPlans: []licensing.PlanID{}, AssignedByGroup: &g, State: "Active", Error: "None"},
				{SkuID: ems, DisabledPlans: []licensing.PlanID{}, AssignedByGroup: &d, State: "Active", Error: "None"},
			}
		}
	}
	yes, no := true, false
	for i := range s.Groups {
		// Cloud security groups, as Graph describes them (securityEnabled, mailEnabled set;
		// onPremisesSyncEnabled null).
		s.Groups[i].SecurityEnabled, s.Groups[i].MailEnabled = &yes, &no
		if s.Groups[i].ID == sampletenant.GroupTeams {
			s.Groups[i].Members = append(s.Groups[i].Members, deadUser)
		}
		if s.Groups[i].ID == sampletenant.GroupEMS {
			// A dynamic group: its kind is read with the licensing fields.
			s.Groups[i].GroupTypes = []string{"DynamicMembership"}
			s.Groups[i].MembershipRule = `user.department -eq "Field"`
			s.Groups[i].MembershipRuleProcessingState = "On"
		}
	}
	return s
}

// liveConfig misbehaves in every way Graph does during a read.
func liveConfig() graphtest.Config {
	return graphtest.Config{
		Tenant:               liveTenant(),
		UnlicensedGroups:     []licensing.Group{{ID: "a0000000-0000-4000-8000-0000000000f0", DisplayName: "All staff", Members: []string{sampletenant.Alice}, AssignedLicenses: []licensing.AssignedLicense{}}},
		PageSize:             2,
		NotListedUsers:       []string{sampletenant.Carol},    // a member the user listing has not caught up with
		NotListedGroups:      []string{sampletenant.GroupEMS}, // a licensed group the group listing has not caught up with
		ExpireTokens:         []string{"users", "groups", "members"},
		ThrottleUsersPage:    2,
		RetryAfter:           600, // 10 minutes: longer than a write waits, within a read's budget
		OrganizationFailures: 2,
	}
}

func startLive(t *testing.T, cfg graphtest.Config, opts ...Option) (*graphtest.Server, *Tenant, *fakeClock) {
	t.Helper()
	srv := graphtest.Start(cfg)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), "loopback only")
	tn, err := New(append([]Option{WithRoot(srv.URL)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { tn.CloseIdleConnections(); srv.Close() })
	clock := &fakeClock{now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	tn.now, tn.sleep = clock.Now, clock.Sleep
	return srv, tn, clock
}

// TestLiveSnapshotLosesAndInventsNothing reads a tenant that changes while it is read: the
// snapshot is the tenant, minus the deleted member, with what was deleted in Gone.
func TestLiveSnapshotLosesAndInventsNothing(t *testing.T) {
	var (
		mu   sync.Mutex
		last Progress
		seen []Progress
	)
	var logs bytes.Buffer
	srv, tn, clock := startLive(t, liveConfig(), WithMemberConcurrency(2),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))),
		WithProgress(func(p Progress) { mu.Lock(); last = p; seen = append(seen, p); mu.Unlock() }))

	got, err := tn.Snapshot(context.Background())
	require.NoError(t, err)

	want := liveTenant()
	for i := range want.Groups {
		if want.Groups[i].ID == sampletenant.GroupTeams {
			want.Groups[i].Members = want.Groups[i].Members[:len(want.Groups[i].Members)-1]
		}
	}
	assert.Equal(t, canonical(t, want), canonical(t, withoutGone(got)), "every user and licensed group, nothing twice, nothing invented")
	require.NotNil(t, got.Gone)
	assert.Equal(t, []string{deadUser}, got.Gone.Users, "the deleted member")
	assert.Equal(t, []string{deadGroup}, got.Gone.Groups, "the deleted group a path names")
	assert.Equal(t, "US", got.DefaultUsageLocation, "/organization failed twice, then answered")
	assert.False(t, got.DefaultUsageLocationUnknown)
	assert.Equal(t, "2026-12-07T09:00:00Z", got.ReadAt)
	for _, part := range []string{"subscribedSkus", "organization", "subscriptions", "users", "groups", "members", "lookups"} {
		assert.Contains(t, got.ReadTimes, part)
	}

	require.NoError(t, got.Validate())
	st, err := licensing.NewState(got)
	require.NoError(t, err, "the snapshot compiles: the stuck path to the deleted group is kept")
	_ = st

	assert.Contains(t, clock.Sleeps(), 600*time.Second, "a 10-minute Retry-After was waited out, not handed up")
	for _, r := range srv.Requests() {
		assert.NotContains(t, r.Query, "filter", "no $filter on groups: %s %s", r.Path, r.Query)
		assert.True(t, strings.HasPrefix(r.UserAgent, "licenseplan/"), "User-Agent %q", r.UserAgent)
	}
	assert.Contains(t, logs.String(), "page token expired")

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "done", last.Part)
	assert.Equal(t, 3, last.Restarts, "users, groups and one group's members started again")
	assert.GreaterOrEqual(t, last.Retries, 3, "two 503s from /organization and one 429")
	assert.Equal(t, 4, last.Lookups, "Carol, Licensing_EMS, the deleted group and the deleted member")
	assert.Equal(t, 2, last.Gone)
	assert.Equal(t, len(want.Users), last.Users)
	assert.Equal(t, len(want.Users), last.UsersTotal, "from GET /users/$count")
	assert.Greater(t, last.Pages, 10)
	var waited, eta bool
	for _, p := range seen {
		waited = waited || p.Waiting == 600*time.Second
		eta = eta || p.ETA > 0
	}
	assert.True(t, waited, "the wait is reported while it lasts")
	assert.True(t, eta, "an ETA is estimated")
}

func withoutGone(s *licensing.Snapshot) *licensing.Snapshot {
	c := *s
	c.Gone = nil
	return &c
}

// TestLiveOrganizationRefused: 403 is the one failure of /organization a read survives; the
// snapshot then says that the country is unknown, and the logger warns.
func TestLiveOrganizationRefused(t *testing.T) {
	cfg := graphtest.Config{Tenant: sampletenant.Snapshot(), OrganizationForbidden: true}
	var logs bytes.Buffer
	_, tn, _ := startLive(t, cfg, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	got, err := tn.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "", got.DefaultUsageLocation)
	assert.True(t, got.DefaultUsageLocationUnknown)
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "Organization.Read.All")
	_, err = licensing.NewState(got)
	require.NoError(t, err)
}

// TestLiveOrganizationFailureFailsTheRead: /organization is a read like any other; a failure
// other than 403 is not papered over with an empty country.
func TestLiveOrganizationFailureFailsTheRead(t *testing.T) {
	cfg := graphtest.Config{Tenant: sampletenant.Snapshot(), OrganizationFailures: 1000}
	_, tn, _ := startLive(t, cfg, WithRetryPolicy(RetryPolicy{ReadBudget: time.Minute}))
	_, err := tn.Snapshot(context.Background())
	le := asError(t, err)
	assert.Equal(t, licensing.Transient, le.Kind)
	assert.Contains(t, le.Error(), "/organization")
}

// TestLiveExpiredTokenEveryTime: a listing restarts at most 5 times, then the read fails as Transient.
func TestLiveExpiredTokenEveryTime(t *testing.T) {
	srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("$skiptoken") != "" {
			graphError(w, 400, graphtest.CodeExpiredPageToken, graphtest.MsgExpiredPageToken)
			return
		}
		writeJSON(w, 200, map[string]any{"value": []any{graphUser(userA, "alice@contoso.com")}, "@odata.nextLink": "http://" + r.Host + "/v1.0/users?$skiptoken=x"})
	}))
	tn, _ := newTenant(t, srv)
	var n int
	err := tn.EachUser(context.Background(), func(licensing.User) error { n++; return nil })
	le := asError(t, err)
	assert.Equal(t, licensing.Transient, le.Kind)
	assert.Equal(t, graphtest.CodeExpiredPageToken, asResponse(t, le).Code)
	assert.Equal(t, 1, n, "the user seen on every restart is passed once")
}

// TestLiveUnsupportedGroupFilter documents what the adapter avoids: Graph refuses the
// assignedLicenses/$count filter on groups, and the refusal maps to InvalidInput.
func TestLiveUnsupportedGroupFilter(t *testing.T) {
	srv := graphtest.Start(graphtest.Config{Tenant: sampletenant.Snapshot()})
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/groups?$filter=assignedLicenses/$count%20ne%200&$count=true")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	le := mapFailure(call{method: "GET", path: "/groups"}, failure{status: 400, code: graphtest.CodeUnsupportedQuery, message: graphtest.MsgUnsupportedFilter("assignedLicenses", "Group")})
	assert.Equal(t, licensing.InvalidInput, le.Kind)
}

func TestGuestUPNsAreTaken(t *testing.T) {
	const guest = "ann_fabrikam.com#EXT#@contoso.onmicrosoft.com"
	var paths []string
	srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.EscapedPath())
		if r.Method == http.MethodGet {
			writeJSON(w, 200, graphUser(userA, guest))
			return
		}
		writeJSON(w, 200, map[string]any{"id": userA})
	}))
	tn, _ := newTenant(t, srv)
	u, err := tn.User(context.Background(), guest)
	require.NoError(t, err)
	assert.Equal(t, guest, u.UserPrincipalName)
	require.NoError(t, tn.ReprocessUser(context.Background(), guest))
	require.Len(t, paths, 2)
	for _, p := range paths {
		assert.Contains(t, p, "%23EXT%23", "# is sent as %%23, as Graph asks for B2B userPrincipalNames")
	}
	_, err = tn.User(context.Background(), "a/b")
	assert.Error(t, err, "ids that change the path are still refused")
}

func TestConcurrencyFailureIsRetryable(t *testing.T) {
	c := call{method: "POST", path: "/users/u/assignLicense", user: "u"}
	for _, f := range []failure{
		{status: 400, code: "LicenseAssignmentAttributeConcurrencyException", message: "x"},
		{status: 409, code: "Request_BadRequest", message: "LicenseAssignmentAttributeConcurrencyException: the license assignment collided"},
		{status: 400, code: "Request_BadRequest", message: "x", more: []string{"LicenseAssignmentAttributeConcurrencyException"}},
	} {
		assert.Equal(t, licensing.Transient, classify(c, f), "%+v", f)
	}
	assert.Equal(t, licensing.Transient, classify(call{method: "GET", path: "/users"}, failure{status: 400, code: graphtest.CodeExpiredPageToken, message: graphtest.MsgExpiredPageToken}))
}

func TestWithCloudSetsRootAndAuthority(t *testing.T) {
	for c, want := range map[Cloud][2]string{
		Public:   {"https://graph.microsoft.com/v1.0", "https://login.microsoftonline.com/"},
		USGov:    {"https://graph.microsoft.us/v1.0", "https://login.microsoftonline.us/"},
		USGovDoD: {"https://dod-graph.microsoft.us/v1.0", "https://login.microsoftonline.us/"},
		China:    {"https://microsoftgraph.chinacloudapi.cn/v1.0", "https://login.chinacloudapi.cn/"},
	} {
		// The credential option may come before WithCloud: it is built in New.
		var cfg config
		require.NoError(t, WithClientSecret(tenantID, "c7df2760-2c81-4ef7-b578-5b5392b571df", "s")(&cfg))
		require.NoError(t, WithCloud(c)(&cfg))
		build := cfg.newCredential
		var authority string
		cfg.newCredential = func(o azcore.ClientOptions) (azcore.TokenCredential, error) {
			authority = o.Cloud.ActiveDirectoryAuthorityHost
			return build(o)
		}
		require.NoError(t, cfg.buildCredential())
		assert.Equal(t, want[1], authority, c.String())

		tn, err := New(WithClientSecret(tenantID, "c7df2760-2c81-4ef7-b578-5b5392b571df", "s"), WithCloud(c))
		require.NoError(t, err)
		assert.Equal(t, want[0], tn.Root(), c.String())
		assert.Equal(t, want[0], c.GraphRoot())
		parsed, err := ParseCloud(c.String())
		require.NoError(t, err)
		assert.Equal(t, c, parsed)
	}
	tn, err := New(WithCloud(USGov), WithRoot("http://127.0.0.1:1/v1.0"))
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:1/v1.0", tn.Root(), "WithRoot wins over the cloud's root")
	_, err = New(WithCloud(Cloud(9)))
	assert.Error(t, err)
}
