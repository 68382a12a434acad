package fake_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// lifecycleTenant is the sample tenant with sign-in activity on some users (alice active, bob a
// guest with none recorded, carol disabled and idle; the others without) and two subscriptions.
func lifecycleTenant(t *testing.T) (*fake.Tenant, *licensing.Snapshot) {
	t.Helper()
	s := sampletenant.Snapshot()
	no := false
	s.Users[0].UserType, s.Users[0].CreatedDateTime = "Member", "2019-04-01T10:00:00Z"
	s.Users[0].SignInActivity = &licensing.SignInActivity{LastSignInDateTime: "2026-02-27T09:12:00Z", LastNonInteractiveSignInDateTime: "2026-02-28T22:01:05Z",
		LastSuccessfulSignInDateTime: "2026-02-27T09:12:00Z"}
	s.Users[1].UserType, s.Users[1].SignInActivity = "Guest", &licensing.SignInActivity{}
	s.Users[2].AccountEnabled, s.Users[2].SignInActivity = &no, &licensing.SignInActivity{LastSignInDateTime: "2025-09-01T07:30:00Z"}
	s.Subscriptions = []licensing.CompanySubscription{
		{ID: "b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a01", CommerceSubscriptionID: "2ab7e8a4-62a1-4f1c-9b0a-6e5f4d3c2b10", SkuID: licensing.MustParseSkuID(sampletenant.E3),
			SkuPartNumber: "ENTERPRISEPACK", Status: "Enabled", TotalLicenses: 25, CreatedDateTime: "2023-03-15T00:00:00Z", NextLifecycleDateTime: "2026-03-15T00:00:00Z"},
		{ID: "b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a02", SkuID: licensing.MustParseSkuID("c7df2760-2c81-4ef7-b578-5b5392b571df"), SkuPartNumber: "ENTERPRISEPREMIUM",
			Status: "Deleted", IsTrial: true},
	}
	tn, err := fake.New(s)
	require.NoError(t, err)
	return tn, s
}

// TestHTTPUserLifecycleProperties: userType and createdDateTime as the snapshot has them (null
// where it has none); signInActivity only on $select, left out for a user without any record.
func TestHTTPUserLifecycleProperties(t *testing.T) {
	tn, _ := lifecycleTenant(t)
	c := startGraph(t, tn)

	r := c.do(http.MethodGet, "/users?$select=id,userType,createdDateTime,accountEnabled", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	users := map[string]map[string]any{}
	for _, u := range values(r) {
		users[u["id"].(string)] = u
		assert.NotContains(t, u, "signInActivity", "only on $select")
	}
	assert.Equal(t, "Member", users[sampletenant.Alice]["userType"])
	assert.Equal(t, "2019-04-01T10:00:00Z", users[sampletenant.Alice]["createdDateTime"])
	assert.Equal(t, "Guest", users[sampletenant.Bob]["userType"])
	assert.Nil(t, users[sampletenant.Bob]["createdDateTime"])
	assert.Contains(t, users[sampletenant.Bob], "createdDateTime", "null, not left out")
	assert.Equal(t, false, users[sampletenant.Carol]["accountEnabled"])
	assert.Nil(t, users[sampletenant.Dave]["userType"])

	r = c.do(http.MethodGet, "/users?$select=id,signInActivity", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	users = map[string]map[string]any{}
	for _, u := range values(r) {
		users[u["id"].(string)] = u
	}
	assert.Equal(t, map[string]any{"lastSignInDateTime": "2026-02-27T09:12:00Z", "lastSignInRequestId": nil,
		"lastNonInteractiveSignInDateTime": "2026-02-28T22:01:05Z", "lastNonInteractiveSignInRequestId": nil,
		"lastSuccessfulSignInDateTime": "2026-02-27T09:12:00Z", "lastSuccessfulSignInRequestId": nil}, users[sampletenant.Alice]["signInActivity"])
	assert.Equal(t, map[string]any{"lastSignInDateTime": nil, "lastSignInRequestId": nil, "lastNonInteractiveSignInDateTime": nil,
		"lastNonInteractiveSignInRequestId": nil, "lastSuccessfulSignInDateTime": nil, "lastSuccessfulSignInRequestId": nil}, users[sampletenant.Bob]["signInActivity"])
	assert.Equal(t, "2025-09-01T07:30:00Z", users[sampletenant.Carol]["signInActivity"].(map[string]any)["lastSignInDateTime"])
	assert.NotContains(t, users[sampletenant.Dave], "signInActivity", "no record: Graph leaves it out")

	// $select=* does not include it; one user by id does, on $select (any case).
	r = c.do(http.MethodGet, "/users?$select=*", "")
	require.Equal(t, http.StatusOK, r.status)
	for _, u := range values(r) {
		assert.NotContains(t, u, "signInActivity")
		assert.Contains(t, u, "userType")
	}
	r = c.do(http.MethodGet, "/users/"+sampletenant.Carol+"?$select=id,SIGNINACTIVITY", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Contains(t, r.body, "signInActivity")

	// The tenant's state keeps the fields.
	st := tn.State()
	assert.Equal(t, "Guest", st.Users[1].UserType)
	assert.Equal(t, &licensing.SignInActivity{}, st.Users[1].SignInActivity)
	assert.Nil(t, st.Users[3].SignInActivity)
}

// With signInActivity selected, pages hold at most 500 users, as Graph's do.
func TestHTTPSignInActivityPageSize(t *testing.T) {
	s := sampletenant.Snapshot()
	for i := 0; i < 620; i++ {
		s.Users = append(s.Users, licensing.User{ID: fmt.Sprintf("20000000-0000-4000-8000-%012d", i), UserPrincipalName: fmt.Sprintf("bulk%04d@contoso.com", i),
			SignInActivity: &licensing.SignInActivity{LastSignInDateTime: "2026-01-01T00:00:00Z"}, AssignedLicenses: []licensing.AssignedLicense{}})
	}
	tn, err := fake.New(s)
	require.NoError(t, err)
	c := startGraph(t, tn)
	r := c.do(http.MethodGet, "/users?$select=id,signInActivity&$top=999", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Len(t, values(r), 500)
	next, _ := r.body["@odata.nextLink"].(string)
	require.NotEmpty(t, next)
	u, err := url.Parse(next)
	require.NoError(t, err)
	r = c.do(http.MethodGet, u.Path[len("/v1.0"):]+"?"+u.RawQuery, "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Len(t, values(r), len(s.Users)-500)
	r = c.do(http.MethodGet, "/users?$select=id&$top=999", "")
	assert.Len(t, values(r), len(s.Users), "without signInActivity: 999 a page")
}

// A tenant whose snapshot has no sign-in activity (it says signInActivityUnknown, or no user has
// any, as in every file older than the field) answers $select=signInActivity as Graph answers a
// tenant without Entra ID P1: 403, Graph's code and text. Other selects are served.
func TestHTTPSignInActivityWithoutPremium(t *testing.T) {
	withFlag := sampletenant.Snapshot()
	withFlag.SignInActivityUnknown = true
	flagged, err := fake.New(withFlag)
	require.NoError(t, err)
	old, _ := sample(t)
	for name, tn := range map[string]*fake.Tenant{"signInActivityUnknown": flagged, "no sign-in data": old} {
		c := startGraph(t, tn)
		for _, path := range []string{
			"/users?$select=id,signInActivity",
			"/users?$select=id,signinactivity&$top=5",
			"/users/" + sampletenant.Alice + "?$select=signInActivity",
			"/groups/" + sampletenant.GroupE3Base + "/members?$select=id,signInActivity",
		} {
			r := c.do(http.MethodGet, path, "")
			assert.Equal(t, http.StatusForbidden, r.status, "%s %s: %s", name, path, r.raw)
			code, msg := graphError(t, r)
			assert.Equal(t, fake.CodeNonPremium, code)
			assert.Equal(t, "Neither tenant is B2C or tenant doesn't have premium license", msg)
		}
		r := c.do(http.MethodGet, "/users?$select=id,userType,createdDateTime", "")
		assert.Equal(t, http.StatusOK, r.status, name)
	}
	// Through $batch too, request by request.
	c := startGraph(t, old)
	r := c.do(http.MethodPost, "/$batch", `{"requests":[{"id":"1","method":"GET","url":"/users?$select=id,signInActivity"},{"id":"2","method":"GET","url":"/users?$select=id"}]}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	statuses := map[string]float64{}
	for _, x := range r.body["responses"].([]any) {
		m := x.(map[string]any)
		statuses[m["id"].(string)] = m["status"].(float64)
	}
	assert.Equal(t, map[string]float64{"1": 403, "2": 200}, statuses)
	// The state keeps what the snapshot said.
	assert.True(t, flagged.State().SignInActivityUnknown)
	assert.False(t, old.State().SignInActivityUnknown)
}

// TestHTTPDirectorySubscriptions: GET /directory/subscriptions in Graph's companySubscription
// shape, one by id or by commerceSubscriptionId, $select.
func TestHTTPDirectorySubscriptions(t *testing.T) {
	tn, snap := lifecycleTenant(t)
	c := startGraph(t, tn)
	r := c.do(http.MethodGet, "/directory/subscriptions", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Contains(t, r.body["@odata.context"], "/v1.0/$metadata#directory/subscriptions")
	subs := values(r)
	require.Len(t, subs, 2)
	e3 := subs[0]
	assert.Equal(t, "b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a01", e3["id"])
	assert.Equal(t, "2ab7e8a4-62a1-4f1c-9b0a-6e5f4d3c2b10", e3["commerceSubscriptionId"])
	assert.Equal(t, sampletenant.E3, e3["skuId"])
	assert.Equal(t, "ENTERPRISEPACK", e3["skuPartNumber"])
	assert.Equal(t, "Enabled", e3["status"])
	assert.Equal(t, float64(25), e3["totalLicenses"])
	assert.Equal(t, false, e3["isTrial"])
	assert.Equal(t, "2023-03-15T00:00:00Z", e3["createdDateTime"])
	assert.Equal(t, "2026-03-15T00:00:00Z", e3["nextLifecycleDateTime"])
	for _, k := range []string{"ownerId", "ownerTenantId", "ownerType"} {
		assert.Contains(t, e3, k)
		assert.Nil(t, e3[k])
	}
	plans := e3["serviceStatus"].([]any)
	assert.Len(t, plans, len(snap.SubscribedSkus[1].ServicePlans), "the SKU's plans")
	assert.Contains(t, plans[0], "servicePlanName")
	other := subs[1]
	assert.Equal(t, true, other["isTrial"])
	assert.Nil(t, other["nextLifecycleDateTime"])
	assert.Empty(t, other["serviceStatus"], "a SKU the tenant does not subscribe to has no plans here")

	r = c.do(http.MethodGet, "/directory/subscriptions/b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a02?$select=id,isTrial", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Equal(t, true, r.body["isTrial"])
	assert.NotContains(t, r.body, "status")
	r = c.do(http.MethodGet, "/directory/subscriptions(commerceSubscriptionId='2ab7e8a4-62a1-4f1c-9b0a-6e5f4d3c2b10')", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Equal(t, "b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a01", r.body["id"])

	r = c.do(http.MethodGet, "/directory/subscriptions/nope", "")
	assert.Equal(t, http.StatusNotFound, r.status)
	code, _ := graphError(t, r)
	assert.Equal(t, fake.CodeNotFound, code)
	r = c.do(http.MethodGet, "/directory/subscriptions?$filter=isTrial%20eq%20true", "")
	assert.Equal(t, http.StatusBadRequest, r.status)
	r = c.do(http.MethodPost, "/directory/subscriptions", "{}")
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	r = c.do(http.MethodGet, "/directory/deletedItems", "")
	assert.Equal(t, http.StatusBadRequest, r.status)

	// A snapshot without subscriptions: an empty collection.
	old, _ := sample(t)
	r = startGraph(t, old).do(http.MethodGet, "/directory/subscriptions", "")
	require.Equal(t, http.StatusOK, r.status)
	assert.Empty(t, r.body["value"])

	// /_fake/state keeps them as loaded.
	var b bytes.Buffer
	require.NoError(t, tn.State().WriteJSON(&b))
	back, err := licensing.ReadSnapshot(&b)
	require.NoError(t, err)
	assert.Equal(t, snap.Subscriptions, back.Subscriptions)
}
