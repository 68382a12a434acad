package graphadapter

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

// TestSnapshotOfMicrosoftsDocumentedReplies reads Graph's replies as Microsoft documents them
// (testdata/SOURCES.md): the List subscribedSkus example, the licenseAssignmentStates sample, and
// the List groups example. The user's paths name a group (the sample reuses the user's id) that
// Graph answers 404 for: it is kept as a stuck path and recorded as gone.
func TestSnapshotOfMicrosoftsDocumentedReplies(t *testing.T) {
	read := func(name string) map[string]any {
		b, err := os.ReadFile("testdata/" + name)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	user := read("user.licenseAssignmentStates.v1.0-shape.json")
	delete(user, "_note")
	user["userPrincipalName"] = "adele@contoso.com"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/subscribedSkus", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, read("subscribedSkus.list.graph-docs-v1.0.json"))
	})
	mux.HandleFunc("GET /v1.0/users", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"value": []any{user}})
	})
	mux.HandleFunc("GET /v1.0/groups", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, read("groups.list.graph-docs-v1.0.json"))
	})
	mux.HandleFunc("GET /v1.0/directory/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, companySubscriptionsPage())
	})
	mux.HandleFunc("GET /v1.0/groups/{id}", func(w http.ResponseWriter, r *http.Request) {
		graphError(w, 404, "Request_ResourceNotFound", "Resource '"+r.PathValue("id")+"' does not exist or one of its queried reference-property objects are not present.")
	})
	srv := newServer(t, mux)
	tn, _ := newTenant(t, srv, WithDefaultUsageLocation("US"))

	s, err := tn.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "48a80680-7326-48cd-9935-b556b81d3a4e", s.TenantID, "from subscribedSku.id")
	require.Len(t, s.SubscribedSkus, 2)
	assert.Equal(t, "Suspended", s.SubscribedSkus[1].CapabilityStatus)
	assert.Equal(t, 25, s.SubscribedSkus[1].PrepaidUnits.Suspended)
	assert.Empty(t, s.Groups, "the documented groups carry no licenses")
	require.Len(t, s.Users, 1)
	require.Len(t, s.Users[0].LicenseAssignmentStates, 4)
	require.NotNil(t, s.Gone)
	assert.Equal(t, []string{"e61ff361-5baf-41f0-b2fd-380a6a5e406a"}, s.Gone.Groups)
	assert.Equal(t, []licensing.PlanID{licensing.MustParsePlanID("e61ff361-5baf-41f0-b2fd-380a6a5e406a")}, s.Users[0].LicenseAssignmentStates[2].DisabledPlans)
}

// companySubscriptionsPage is a GET /directory/subscriptions reply in the shape Graph documents
// (List subscriptions, https://learn.microsoft.com/graph/api/directory-list-subscriptions, and
// the companySubscription resource type): every property, owner and serviceStatus included. The
// values are this test's: a paid subscription, and a trial without a next lifecycle date.
func companySubscriptionsPage() map[string]any {
	return map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directory/subscriptions",
		"value": []any{
			map[string]any{
				"id": "4ea1d1e6-7d1b-4b1d-9b0e-36b1f3a4a001", "commerceSubscriptionId": "a61c5e29-6b5f-4a0c-9e0d-2f4c7b1f0b01",
				"createdDateTime": "2024-01-15T00:00:00Z", "nextLifecycleDateTime": "2027-01-15T00:00:00Z", "isTrial": false,
				"skuId": skuE3, "skuPartNumber": "ENTERPRISEPACK", "status": "Enabled", "totalLicenses": 25,
				"ownerId": "9c4f1c7e-0d1a-4f1e-8a55-3b8e1f0c2d01", "ownerTenantId": nil, "ownerType": "User",
				"serviceStatus": []any{map[string]any{"appliesTo": "User", "provisioningStatus": "Success", "servicePlanId": planEXO, "servicePlanName": "EXCHANGE_S_ENTERPRISE"}},
			},
			map[string]any{
				"id": "4ea1d1e6-7d1b-4b1d-9b0e-36b1f3a4a002", "commerceSubscriptionId": nil,
				"createdDateTime": "2026-11-20T10:30:00.1234567Z", "nextLifecycleDateTime": nil, "isTrial": true,
				"skuId": "efccb6f7-5641-4e0e-bd10-b4976e1bf68e", "skuPartNumber": "EMS", "status": "Warning", "totalLicenses": 100,
				"ownerId": nil, "ownerTenantId": nil, "ownerType": nil, "serviceStatus": []any{},
			},
		},
	}
}

// The documented companySubscription reads into tenant/v1's subscriptions.
func TestCompanySubscriptionsOfGraphsShape(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/directory/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, companySubscriptionsPage())
	})
	srv := newServer(t, mux)
	tn, _ := newTenant(t, srv)
	subs, err := tn.CompanySubscriptions(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []licensing.CompanySubscription{
		{ID: "4ea1d1e6-7d1b-4b1d-9b0e-36b1f3a4a001", CommerceSubscriptionID: "a61c5e29-6b5f-4a0c-9e0d-2f4c7b1f0b01", SkuID: licensing.MustParseSkuID(skuE3),
			SkuPartNumber: "ENTERPRISEPACK", Status: "Enabled", TotalLicenses: 25, CreatedDateTime: "2024-01-15T00:00:00Z", NextLifecycleDateTime: "2027-01-15T00:00:00Z"},
		{ID: "4ea1d1e6-7d1b-4b1d-9b0e-36b1f3a4a002", SkuID: licensing.MustParseSkuID("efccb6f7-5641-4e0e-bd10-b4976e1bf68e"), SkuPartNumber: "EMS",
			Status: "Warning", TotalLicenses: 100, IsTrial: true, CreatedDateTime: "2026-11-20T10:30:00.1234567Z"},
	}, subs)
	snap := &licensing.Snapshot{FormatVersion: licensing.TenantFormatVersion, TenantID: "t", Subscriptions: subs}
	require.NoError(t, snap.Validate(), "an unknown SKU in a subscription is not an error")
}
