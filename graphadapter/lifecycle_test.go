package graphadapter

// The lifecycle data a snapshot reads (userType, createdDateTime, signInActivity, the
// companySubscriptions) and its fallbacks when Graph refuses them.

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/graphadapter/graphtest"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// lifecycleTenant is the live tenant with sign-in activity on some users and subscriptions.
func lifecycleTenant() *licensing.Snapshot {
	s := liveTenant()
	no := false
	for i := range s.Users {
		u := &s.Users[i]
		switch u.ID {
		case sampletenant.Alice:
			u.UserType, u.CreatedDateTime = "Member", "2019-04-01T10:00:00Z"
			u.SignInActivity = &licensing.SignInActivity{LastSignInDateTime: "2026-12-01T09:12:00Z", LastNonInteractiveSignInDateTime: "2026-12-06T22:01:05Z",
				LastSuccessfulSignInDateTime: "2026-12-01T09:12:00Z"}
		case sampletenant.Bob:
			u.UserType, u.CreatedDateTime = "Guest", "2025-01-10T12:00:00Z"
		case sampletenant.Carol: // disabled, idle; the listing does not show her yet: fetched by id
			u.AccountEnabled = &no
			u.SignInActivity = &licensing.SignInActivity{LastSignInDateTime: "2026-02-01T07:30:00Z"}
		case sampletenant.Dave: // Graph's placeholder for a kind of sign-in never recorded
			u.SignInActivity = &licensing.SignInActivity{LastSignInDateTime: "2026-11-02T08:00:00Z", LastNonInteractiveSignInDateTime: "0001-01-01T00:00:00Z"}
		}
	}
	s.Subscriptions = []licensing.CompanySubscription{
		{ID: "b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a01", CommerceSubscriptionID: "2ab7e8a4-62a1-4f1c-9b0a-6e5f4d3c2b10", SkuID: licensing.MustParseSkuID(sampletenant.E3),
			SkuPartNumber: "ENTERPRISEPACK", Status: "Enabled", TotalLicenses: 25, CreatedDateTime: "2023-03-15T00:00:00Z", NextLifecycleDateTime: "2026-12-20T00:00:00Z"},
		{ID: "b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a02", SkuID: licensing.MustParseSkuID(sampletenant.EMS), SkuPartNumber: "EMS", Status: "Enabled",
			TotalLicenses: 3, IsTrial: true, CreatedDateTime: "2026-11-20T00:00:00Z", NextLifecycleDateTime: "2026-12-20T00:00:00Z"},
	}
	return s
}

func lifecycleConfig() graphtest.Config {
	return graphtest.Config{Tenant: lifecycleTenant(), PageSize: 3, NotListedUsers: []string{sampletenant.Carol}}
}

// logged starts a tenant on cfg whose warnings go to the returned buffer.
func logged(t *testing.T, cfg graphtest.Config, opts ...Option) (*graphtest.Server, *Tenant, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	srv, tn, _ := startLive(t, cfg, append(opts, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))...)
	return srv, tn, &logs
}

func usersByID(s *licensing.Snapshot) map[string]licensing.User {
	out := map[string]licensing.User{}
	for _, u := range s.Users {
		out[u.ID] = u
	}
	return out
}

func TestSnapshotReadsSignInActivityAndSubscriptions(t *testing.T) {
	srv, tn, logs := logged(t, lifecycleConfig())
	got, err := tn.Snapshot(context.Background())
	require.NoError(t, err)
	require.NoError(t, got.Validate())
	assert.Empty(t, logs.String(), "nothing refused, nothing to say")

	users := usersByID(got)
	assert.Len(t, users, len(lifecycleTenant().Users))
	assert.False(t, got.SignInActivityUnknown)
	alice := users[sampletenant.Alice]
	assert.Equal(t, "Member", alice.UserType)
	assert.Equal(t, "2019-04-01T10:00:00Z", alice.CreatedDateTime)
	assert.Equal(t, &licensing.SignInActivity{LastSignInDateTime: "2026-12-01T09:12:00Z", LastNonInteractiveSignInDateTime: "2026-12-06T22:01:05Z",
		LastSuccessfulSignInDateTime: "2026-12-01T09:12:00Z"}, alice.SignInActivity)
	assert.Equal(t, "Guest", users[sampletenant.Bob].UserType)
	assert.Equal(t, &licensing.SignInActivity{}, users[sampletenant.Bob].SignInActivity, "listed without one: nothing recorded")
	assert.Equal(t, &licensing.SignInActivity{LastSignInDateTime: "2026-11-02T08:00:00Z"}, users[sampletenant.Dave].SignInActivity, "Graph's 0001-01-01 is no record")
	carol := users[sampletenant.Carol]
	assert.Nil(t, carol.SignInActivity, "fetched by id, without signInActivity: unknown")
	require.NotNil(t, carol.AccountEnabled)
	assert.False(t, *carol.AccountEnabled)
	assert.Equal(t, lifecycleTenant().Subscriptions, got.Subscriptions)

	for _, r := range srv.Requests() {
		if r.Path == "/v1.0/users" {
			q, err := url.ParseQuery(r.Query)
			require.NoError(t, err)
			assert.Contains(t, q.Get("$select"), "signInActivity")
			assert.Equal(t, "500", q.Get("$top"))
		}
		if strings.HasPrefix(r.Path, "/v1.0/users/") {
			assert.NotContains(t, r.Query, "signInActivity", "a user by id is read without it")
		}
	}

	// The snapshot loads with its lifecycle data.
	st, err := licensing.NewState(got)
	require.NoError(t, err)
	subs, ok := st.CompanySubscriptions()
	assert.True(t, ok)
	assert.Len(t, subs, 2)
}

// Graph refuses signInActivity (no Entra ID P1, or no AuditLog.Read.All): the snapshot is read
// without it, says so, and the logger warns once.
func TestSnapshotWithoutSignInActivityWhenRefused(t *testing.T) {
	for name, cfg := range map[string]func(c *graphtest.Config){
		"no premium":           func(c *graphtest.Config) { c.SignInActivityRefusal = graphtest.CodeNonPremium },
		"no AuditLog.Read.All": func(c *graphtest.Config) { c.SignInActivityRefusal = graphtest.CodeDenied },
		"refused from page two": func(c *graphtest.Config) {
			c.SignInActivityRefusal, c.SignInActivityRefusedFromPage = graphtest.CodeNonPremium, 2
		},
		"refused on a last page": func(c *graphtest.Config) {
			c.SignInActivityRefusal, c.SignInActivityRefusedFromPage = graphtest.CodeDenied, 8
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := lifecycleConfig()
			cfg(&c)
			srv, tn, logs := logged(t, c)
			got, err := tn.Snapshot(context.Background())
			require.NoError(t, err)
			require.NoError(t, got.Validate())
			assert.True(t, got.SignInActivityUnknown)
			ids := map[string]int{}
			for _, u := range got.Users {
				ids[u.ID]++
				assert.Nil(t, u.SignInActivity, "%s: unknown, not invented", u.ID)
			}
			for id, n := range ids {
				assert.Equal(t, 1, n, "%s listed once", id)
			}
			assert.Len(t, got.Users, len(c.Tenant.Users), "nobody lost")
			users := usersByID(got)
			assert.Equal(t, "Guest", users[sampletenant.Bob].UserType, "the other lifecycle fields are read")
			assert.Len(t, got.Subscriptions, 2)
			assert.Equal(t, 1, strings.Count(logs.String(), "graph refused the users' signInActivity (403)"), "said once:\n%s", logs)
			assert.Contains(t, logs.String(), "AuditLog.Read.All")
			refused := 0
			for _, r := range srv.Requests() {
				if r.Status == 403 {
					refused++
					assert.Contains(t, r.Query, "signInActivity")
				}
			}
			assert.Equal(t, 1, refused, "asked once, then read without it")
		})
	}
	// Over page limits, with a listing restarted (expired token): still nobody twice.
	c := lifecycleConfig()
	c.SignInActivityRefusal, c.SignInActivityRefusedFromPage, c.ExpireTokens = graphtest.CodeNonPremium, 3, []string{"users"}
	_, tn, _ := logged(t, c)
	got, err := tn.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Len(t, got.Users, len(c.Tenant.Users))
	assert.True(t, got.SignInActivityUnknown)
}

// GET /directory/subscriptions refused (no Organization.Read.All): no subscriptions (unknown),
// said once; the rest of the snapshot is read.
func TestSnapshotWithoutSubscriptionsWhenRefused(t *testing.T) {
	c := lifecycleConfig()
	c.SubscriptionsForbidden = true
	_, tn, logs := logged(t, c)
	got, err := tn.Snapshot(context.Background())
	require.NoError(t, err)
	require.NoError(t, got.Validate())
	assert.Nil(t, got.Subscriptions)
	assert.Equal(t, 1, strings.Count(logs.String(), "/directory/subscriptions refused"), "%s", logs)
	assert.Contains(t, logs.String(), "Organization.Read.All")
	assert.Len(t, got.Users, len(c.Tenant.Users))
	var b bytes.Buffer
	require.NoError(t, got.WriteJSON(&b))
	assert.NotContains(t, b.String(), `"subscriptions": [`, "absent from the file: unknown")

	_, err = tn.CompanySubscriptions(context.Background())
	re := asResponse(t, asError(t, err))
	assert.Equal(t, 403, re.StatusCode, "the method itself hands the refusal up")
}

// WithoutSignInActivity: never asked, 999 a page, and the snapshot says it is unknown.
func TestSnapshotWithoutSignInActivityOption(t *testing.T) {
	srv, tn, logs := logged(t, lifecycleConfig(), WithoutSignInActivity())
	got, err := tn.Snapshot(context.Background())
	require.NoError(t, err)
	assert.True(t, got.SignInActivityUnknown)
	for _, u := range got.Users {
		assert.Nil(t, u.SignInActivity)
	}
	assert.Empty(t, logs.String())
	for _, r := range srv.Requests() {
		assert.NotContains(t, r.Query, "signInActivity")
	}
}

// Against the fake: a tenant with sign-in activity reads back as the fake's state; one without
// any (every older file) is a tenant without Entra ID P1, and the snapshot says unknown.
func TestFakeServesLifecycleData(t *testing.T) {
	s := sampletenant.Snapshot() // with the live tenant's lifecycle data
	life := lifecycleTenant()
	for i := range s.Users {
		for _, l := range life.Users {
			if l.ID == s.Users[i].ID {
				s.Users[i].UserType, s.Users[i].CreatedDateTime, s.Users[i].SignInActivity, s.Users[i].AccountEnabled = l.UserType, l.CreatedDateTime, l.SignInActivity, l.AccountEnabled
			}
		}
	}
	s.Subscriptions = life.Subscriptions
	_, srv, tn, _ := startFake(t, s, nil, nil)
	got, err := tn.Snapshot(context.Background())
	require.NoError(t, err)
	want := fakeState(t, srv)
	assert.False(t, got.SignInActivityUnknown)
	assert.Equal(t, want.Subscriptions, got.Subscriptions)
	users := usersByID(got)
	for _, u := range want.Users {
		g := users[u.ID]
		assert.Equal(t, u.UserType, g.UserType, u.ID)
		assert.Equal(t, u.CreatedDateTime, g.CreatedDateTime, u.ID)
		wantSign := u.SignInActivity
		switch {
		case wantSign == nil:
			wantSign = &licensing.SignInActivity{} // served without one: nothing recorded
		case wantSign.LastNonInteractiveSignInDateTime == "0001-01-01T00:00:00Z":
			c := *wantSign
			c.LastNonInteractiveSignInDateTime = ""
			wantSign = &c
		}
		assert.Equal(t, wantSign, g.SignInActivity, u.ID)
	}

	var logs bytes.Buffer
	_, _, old, _ := startFake(t, sampletenant.Snapshot(), nil, nil, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	got, err = old.Snapshot(context.Background())
	require.NoError(t, err)
	assert.True(t, got.SignInActivityUnknown)
	assert.Contains(t, logs.String(), fake.CodeNonPremium)
	assert.Equal(t, []licensing.CompanySubscription{}, got.Subscriptions)
}
