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
