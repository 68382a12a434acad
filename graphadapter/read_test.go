package graphadapter

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

func skusPage() map[string]any {
	return map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscribedSkus",
		"value": []any{map[string]any{
			"accountName": "Contoso", "accountId": "f97aeefc-af85-414d-8ae4-b457f90efc40",
			"appliesTo": "User", "capabilityStatus": "Enabled", "consumedUnits": 14,
			"id":           tenantID + "_" + skuE3,
			"prepaidUnits": map[string]any{"enabled": 25, "lockedOut": 0, "suspended": 1, "warning": 2},
			"servicePlans": []any{
				map[string]any{"servicePlanId": planEXO, "servicePlanName": "EXCHANGE_S_ENTERPRISE", "provisioningStatus": "Success", "appliesTo": "User"},
				map[string]any{"servicePlanId": planSPO2, "servicePlanName": "SHAREPOINTENTERPRISE", "provisioningStatus": "Success", "appliesTo": "User"},
			},
			"skuId": skuE3, "skuPartNumber": "ENTERPRISEPACK",
			"subscriptionIds": []any{"43d26afe-cb98-48b9-acc4-ae3ef2ac6c51"},
		}},
	}
}

func graphUser(id, upn string, states ...map[string]any) map[string]any {
	u := map[string]any{
		"id": id, "userPrincipalName": upn, "displayName": strings.Split(upn, "@")[0], "accountEnabled": true,
		"usageLocation": "NO", "department": "Sales", "jobTitle": nil,
		"onPremisesExtensionAttributes": map[string]any{"extensionAttribute1": nil, "extensionAttribute10": "E3 All"},
		"assignedLicenses":              []any{},
		"licenseAssignmentStates":       []any{},
	}
	if len(states) > 0 {
		u["assignedLicenses"] = []any{map[string]any{"skuId": skuE3, "disabledPlans": []any{planSPO2}}}
		sts := []any{}
		for _, s := range states {
			sts = append(sts, s)
		}
		u["licenseAssignmentStates"] = sts
	}
	return u
}

// TestSnapshotReadsEveryPage checks what a tenant export depends on: the $select list, $top, the
// groups listed without a $filter and kept when they have licenses, nextLinks followed to the end
// for users, groups and members, and the tenant id taken from subscribedSku.id.
func TestSnapshotReadsEveryPage(t *testing.T) {
	mux := http.NewServeMux()
	var srvURL string
	var userPages, groupPages, memberPages atomic.Int32
	mux.HandleFunc("GET /v1.0/subscribedSkus", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, skusPage())
	})
	mux.HandleFunc("GET /v1.0/organization", func(w http.ResponseWriter, r *http.Request) {
		graphError(w, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	})
	mux.HandleFunc("GET /v1.0/users", func(w http.ResponseWriter, r *http.Request) {
		userPages.Add(1)
		q := r.URL.Query()
		assert.NotContains(t, r.URL.RawQuery, "licenseDetails")
		switch q.Get("$skiptoken") {
		case "":
			assert.Contains(t, r.URL.RawQuery, "$select=", "OData parameter names go out as $select, not %24select")
			assert.Equal(t, "id,userPrincipalName,displayName,accountEnabled,userType,createdDateTime,usageLocation,department,jobTitle,onPremisesExtensionAttributes,assignedLicenses,licenseAssignmentStates,signInActivity", q.Get("$select"))
			assert.Equal(t, "500", q.Get("$top"), "Graph's largest page with signInActivity")
			alice := graphUser(userA, "alice@contoso.com",
				map[string]any{"skuId": skuE3, "disabledPlans": []any{planSPO2}, "assignedByGroup": nil, "state": "Active", "error": "None", "lastUpdatedDateTime": "2026-11-01T10:00:00Z"},
				map[string]any{"skuId": skuE3, "disabledPlans": []any{}, "assignedByGroup": groupG, "state": "Error", "error": "CountViolation"},
			)
			// signInActivity in the shape of List users' example: Graph's placeholder for a kind
			// of sign-in never recorded, an empty request id.
			alice["userType"], alice["createdDateTime"] = "Member", "2021-03-04T05:06:07Z"
			alice["signInActivity"] = map[string]any{"lastSignInDateTime": "2026-11-30T16:41:33Z", "lastSignInRequestId": "d4d31c40-4c36-4775-ad59-7d1e6a171f00",
				"lastNonInteractiveSignInDateTime": "0001-01-01T00:00:00Z", "lastNonInteractiveSignInRequestId": "",
				"lastSuccessfulSignInDateTime": "2026-11-30T16:41:33Z", "lastSuccessfulSignInRequestId": "d4d31c40-4c36-4775-ad59-7d1e6a171f00"}
			writeJSON(w, 200, map[string]any{
				"value":           []any{alice},
				"@odata.nextLink": srvURL + "/v1.0/users?$select=id&$top=999&$skiptoken=p2",
			})
		case "p2":
			// An empty page in the middle must not end the listing.
			writeJSON(w, 200, map[string]any{"value": []any{}, "@odata.nextLink": srvURL + "/v1.0/users?$skiptoken=p3"})
		case "p3":
			writeJSON(w, 200, map[string]any{"value": []any{graphUser(userB, "bob@contoso.com")}})
		default:
			t.Errorf("unexpected skiptoken %q", q.Get("$skiptoken"))
		}
	})
	mux.HandleFunc("GET /v1.0/directory/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, companySubscriptionsPage())
	})
	mux.HandleFunc("GET /v1.0/groups", func(w http.ResponseWriter, r *http.Request) {
		groupPages.Add(1)
		q := r.URL.Query()
		assert.Empty(t, q.Get("$filter"), "groups are filtered locally: Graph does not document assignedLicenses/$count for groups")
		assert.Empty(t, r.Header.Get("ConsistencyLevel"), "no advanced query")
		if q.Get("$skiptoken") == "" {
			assert.Equal(t, strings.Join(groupSelect, ","), q.Get("$select"))
			assert.Equal(t, "999", q.Get("$top"))
			writeJSON(w, 200, map[string]any{
				"value": []any{map[string]any{"id": groupG, "displayName": "Licensing_E3", "assignedLicenses": []any{map[string]any{"skuId": skuE3, "disabledPlans": []any{}}},
					"licenseProcessingState": map[string]any{"state": "ProcessingComplete"}},
					map[string]any{"id": "77777777-7777-7777-7777-777777777777", "displayName": "No licenses", "assignedLicenses": []any{}, "licenseProcessingState": nil}},
				"@odata.nextLink": srvURL + "/v1.0/groups?$skiptoken=g2",
			})
			return
		}
		writeJSON(w, 200, map[string]any{"value": []any{map[string]any{"id": "88888888-8888-8888-8888-888888888888", "displayName": "Empty", "assignedLicenses": []any{map[string]any{"skuId": skuE3, "disabledPlans": []any{planEXO}}}}}})
	})
	mux.HandleFunc("GET /v1.0/groups/{id}/members/microsoft.graph.user", func(w http.ResponseWriter, r *http.Request) {
		memberPages.Add(1)
		if r.PathValue("id") != groupG {
			writeJSON(w, 200, map[string]any{"value": []any{}})
			return
		}
		if r.URL.Query().Get("$skiptoken") == "" {
			assert.Equal(t, "id", r.URL.Query().Get("$select"))
			assert.Equal(t, "999", r.URL.Query().Get("$top"))
			writeJSON(w, 200, map[string]any{"value": []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": userA}},
				"@odata.nextLink": fmt.Sprintf("%s/v1.0/groups/%s/members/microsoft.graph.user?$skiptoken=m2", srvURL, groupG)})
			return
		}
		writeJSON(w, 200, map[string]any{"value": []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": userB}}})
	})
	srv := newServer(t, mux)
	srvURL = srv.URL
	tn, _ := newTenant(t, srv)

	s, err := tn.Snapshot(context.Background())
	require.NoError(t, err)

	assert.EqualValues(t, 3, userPages.Load())
	assert.EqualValues(t, 2, groupPages.Load())
	assert.EqualValues(t, 3, memberPages.Load())
	assert.Equal(t, licensing.TenantFormatVersion, s.FormatVersion)
	assert.Equal(t, tenantID, s.TenantID, "tenant id comes from subscribedSku.id's prefix")
	assert.Equal(t, "", s.DefaultUsageLocation, "organization refused (403): left empty, no error")
	assert.True(t, s.DefaultUsageLocationUnknown, "and the snapshot says the country is unknown")
	assert.Equal(t, "2026-11-23T09:00:00Z", s.ReadAt)
	for _, part := range []string{"subscribedSkus", "organization", "users", "groups", "members"} {
		assert.Equal(t, "2026-11-23T09:00:00Z", s.ReadTimes[part], part)
	}
	assert.Nil(t, s.Gone, "nothing was deleted during the read")

	require.Len(t, s.SubscribedSkus, 1)
	k := s.SubscribedSkus[0]
	assert.Equal(t, licensing.MustParseSkuID(skuE3), k.SkuID, "skuId is the GUID, not subscribedSku.id")
	assert.Equal(t, tenantID+"_"+skuE3, k.ID)
	assert.Equal(t, licensing.PrepaidUnits{Enabled: 25, Suspended: 1, Warning: 2}, k.PrepaidUnits)
	assert.Equal(t, 14, k.ConsumedUnits)
	require.Len(t, k.ServicePlans, 2)
	assert.Equal(t, "EXCHANGE_S_ENTERPRISE", k.ServicePlans[0].ServicePlanName)

	require.Len(t, s.Users, 2)
	a := s.Users[0]
	assert.Equal(t, userA, a.ID)
	assert.Equal(t, "alice@contoso.com", a.UserPrincipalName)
	assert.Equal(t, "NO", a.UsageLocation)
	require.NotNil(t, a.AccountEnabled)
	assert.True(t, *a.AccountEnabled)
	assert.Equal(t, map[string]string{"extensionAttribute10": "E3 All"}, a.OnPremisesExtensionAttributes)
	assert.Equal(t, []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(skuE3), DisabledPlans: []licensing.PlanID{licensing.MustParsePlanID(planSPO2)}}}, a.AssignedLicenses)
	require.Len(t, a.LicenseAssignmentStates, 2)
	assert.True(t, a.LicenseAssignmentStates[0].Direct())
	assert.Equal(t, "2026-11-01T10:00:00Z", a.LicenseAssignmentStates[0].LastUpdatedDateTime)
	require.NotNil(t, a.LicenseAssignmentStates[1].AssignedByGroup)
	assert.Equal(t, groupG, *a.LicenseAssignmentStates[1].AssignedByGroup)
	assert.Equal(t, "CountViolation", a.LicenseAssignmentStates[1].Error)
	assert.Equal(t, []licensing.PlanID{}, a.LicenseAssignmentStates[1].DisabledPlans)
	assert.Equal(t, userB, s.Users[1].ID)
	assert.Equal(t, []licensing.AssignedLicense{}, s.Users[1].AssignedLicenses)

	require.Len(t, s.Groups, 2)
	assert.Equal(t, groupG, s.Groups[0].ID)
	assert.Equal(t, []string{userA, userB}, s.Groups[0].Members, "members followed across pages")
	require.NotNil(t, s.Groups[0].LicenseProcessingState)
	assert.Equal(t, licensing.ProcessingComplete, s.Groups[0].LicenseProcessingState.State)
	assert.Equal(t, []string{}, s.Groups[1].Members)
	assert.Nil(t, s.Groups[1].LicenseProcessingState)

	// The lifecycle fields: Graph's placeholder time left out; bob, whom Graph listed without
	// signInActivity, has nothing recorded ({}), not an unknown.
	assert.Equal(t, "Member", a.UserType)
	assert.Equal(t, "2021-03-04T05:06:07Z", a.CreatedDateTime)
	assert.Equal(t, &licensing.SignInActivity{LastSignInDateTime: "2026-11-30T16:41:33Z", LastSuccessfulSignInDateTime: "2026-11-30T16:41:33Z"}, a.SignInActivity)
	assert.Equal(t, &licensing.SignInActivity{}, s.Users[1].SignInActivity)
	assert.False(t, s.SignInActivityUnknown)
	require.Len(t, s.Subscriptions, 2)
	assert.True(t, s.Subscriptions[1].IsTrial)
	assert.Contains(t, s.ReadTimes, "subscriptions")

	require.NoError(t, s.Validate(), "the export is a valid tenant/v1 document")
}

func TestSnapshotTakesOptionsAndOrganization(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/subscribedSkus", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"value": []any{}})
	})
	var orgCalls atomic.Int32
	mux.HandleFunc("GET /v1.0/organization", func(w http.ResponseWriter, r *http.Request) {
		orgCalls.Add(1)
		assert.Equal(t, "id,countryLetterCode", r.URL.Query().Get("$select"))
		writeJSON(w, 200, map[string]any{"value": []any{map[string]any{"id": tenantID, "countryLetterCode": "no"}}})
	})
	mux.HandleFunc("GET /v1.0/users", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"value": []any{}}) })
	mux.HandleFunc("GET /v1.0/groups", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"value": []any{}}) })
	mux.HandleFunc("GET /v1.0/directory/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"value": []any{}})
	})
	srv := newServer(t, mux)

	tn, _ := newTenant(t, srv)
	s, err := tn.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []licensing.CompanySubscription{}, s.Subscriptions, "read: none")
	assert.Equal(t, tenantID, s.TenantID, "no SKUs: the tenant id comes from /organization")
	assert.Equal(t, "NO", s.DefaultUsageLocation)
	assert.Equal(t, []licensing.User{}, s.Users)
	assert.Equal(t, []licensing.Group{}, s.Groups)

	tn, _ = newTenant(t, srv, WithTenantID("t-1"), WithDefaultUsageLocation("SE"))
	before := orgCalls.Load()
	s, err = tn.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "t-1", s.TenantID)
	assert.Equal(t, "SE", s.DefaultUsageLocation)
	assert.Equal(t, before, orgCalls.Load(), "options given: /organization is not asked")
}

func TestUserAndGroupReadOneObject(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		assert.Contains(t, r.URL.Query().Get("$select"), "licenseAssignmentStates")
		if r.PathValue("id") != userA {
			graphError(w, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", r.PathValue("id")))
			return
		}
		writeJSON(w, 200, graphUser(userA, "alice@contoso.com", map[string]any{"skuId": skuE3, "disabledPlans": []any{}, "assignedByGroup": nil, "state": "Active", "error": nil}))
	})
	mux.HandleFunc("GET /v1.0/groups/{id}", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "id,displayName,assignedLicenses,licenseProcessingState,groupTypes,securityEnabled,mailEnabled,membershipRule,membershipRuleProcessingState,onPremisesSyncEnabled", r.URL.Query().Get("$select"))
		if r.PathValue("id") != groupG {
			graphError(w, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", r.PathValue("id")))
			return
		}
		// A dynamic security group, in the shape of Graph's group resource.
		writeJSON(w, 200, map[string]any{"id": groupG, "displayName": "Licensing_E3", "assignedLicenses": []any{map[string]any{"skuId": skuE3, "disabledPlans": []any{planEXO}}},
			"licenseProcessingState": map[string]any{"state": "QueuedForProcessing"},
			"groupTypes":             []any{"DynamicMembership"}, "securityEnabled": true, "mailEnabled": false,
			"membershipRule": `user.department -eq "Sales"`, "membershipRuleProcessingState": "On", "onPremisesSyncEnabled": nil})
	})
	srv := newServer(t, mux)
	tn, _ := newTenant(t, srv)
	ctx := context.Background()

	u, err := tn.User(ctx, userA)
	require.NoError(t, err)
	assert.Equal(t, "alice@contoso.com", u.UserPrincipalName)
	require.Len(t, u.LicenseAssignmentStates, 1)
	assert.Equal(t, "", u.LicenseAssignmentStates[0].Error, "null error reads as empty (same as None)")

	g, err := tn.Group(ctx, groupG)
	require.NoError(t, err)
	assert.Equal(t, "Licensing_E3", g.DisplayName)
	assert.Nil(t, g.Members)
	assert.Equal(t, licensing.ProcessingQueued, g.LicenseProcessingState.State)
	assert.Equal(t, []string{"DynamicMembership"}, g.GroupTypes)
	require.NotNil(t, g.SecurityEnabled)
	assert.True(t, *g.SecurityEnabled)
	require.NotNil(t, g.MailEnabled)
	assert.False(t, *g.MailEnabled)
	assert.Equal(t, `user.department -eq "Sales"`, g.MembershipRule)
	assert.Equal(t, "On", g.MembershipRuleProcessingState)
	assert.Nil(t, g.OnPremisesSyncEnabled, "null: a cloud group")

	_, err = tn.User(ctx, userB)
	le := asError(t, err)
	assert.Equal(t, licensing.UnknownUser, le.Kind)
	assert.Equal(t, licensing.Target{Type: licensing.TargetUser, ID: userB}, le.Target)
	assert.Equal(t, "Request_ResourceNotFound", asResponse(t, le).Code)

	_, err = tn.Group(ctx, userB)
	assert.Equal(t, licensing.UnknownGroup, asError(t, err).Kind)

	_, err = tn.User(ctx, "a/b")
	assert.Equal(t, licensing.InvalidInput, asError(t, err).Kind, "an id that would change the path is refused before any request")
}

// TestMalformedReplies: a body that is not JSON, a body without "value", and an error envelope
// without a message all give a clear *licensing.Error, never a panic.
func TestMalformedReplies(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/subscribedSkus", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"value": [{"skuId": "6fd2c87f-b296-42f0`))
	})
	mux.HandleFunc("GET /v1.0/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write([]byte(`{"error": {"code": "Request_BadRequest"}}`))
	})
	mux.HandleFunc("GET /v1.0/groups/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write([]byte(`<html>bad gateway</html>`))
	})
	mux.HandleFunc("GET /v1.0/groups/{id}/members/microsoft.graph.user", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`not json at all`))
	})
	srv := newServer(t, mux)
	tn, _ := newTenant(t, srv)
	ctx := context.Background()

	_, err := tn.SubscribedSkus(ctx)
	le := asError(t, err)
	assert.Equal(t, licensing.Transient, le.Kind)
	assert.Contains(t, le.Error(), "GET /subscribedSkus")
	assert.Contains(t, le.Error(), "not valid JSON")

	_, err = tn.GroupMembers(ctx, groupG)
	le = asError(t, err)
	assert.Equal(t, licensing.Transient, le.Kind)
	assert.Contains(t, le.Error(), "not valid JSON")

	_, err = tn.User(ctx, userA)
	le = asError(t, err)
	assert.Equal(t, licensing.Other, le.Kind)
	assert.Equal(t, "Request_BadRequest", asResponse(t, le).Code)
	assert.Contains(t, le.Message, "HTTP 400")

	_, err = tn.Group(ctx, groupG)
	le = asError(t, err)
	assert.NotEmpty(t, le.Error())
}

func TestNextLinkToAnotherHostIsRefused(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/users", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"value": []any{}, "@odata.nextLink": "https://evil.example/v1.0/users?$skiptoken=x"})
	})
	srv := newServer(t, mux)
	tn, _ := newTenant(t, srv)
	err := tn.EachUser(context.Background(), func(licensing.User) error { return nil })
	le := asError(t, err)
	assert.Contains(t, le.Message, "evil.example")
}
