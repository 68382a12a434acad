package graphadapter

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

// TestWritesSendGraphsShapes checks method, path and body of every write, above all that
// addLicenses, removeLicenses and each disabledPlans are present even when empty (the SDK drops
// nil lists, and Graph answers 400 without them).
func TestWritesSendGraphsShapes(t *testing.T) {
	e3 := licensing.MustParseSkuID(skuE3)
	e1 := licensing.MustParseSkuID(skuE1)
	spo2 := licensing.MustParsePlanID(planSPO2)

	tests := []struct {
		name       string
		method     string
		path       string
		do         func(tn *Tenant) error
		wantBody   map[string]any // keys and values that must be in the body; nil: no body
		wantStatus int
	}{
		{
			name: "assign user: add only, both arrays present", method: "POST", path: "/v1.0/users/" + userA + "/assignLicense",
			do: func(tn *Tenant) error {
				return tn.AssignUserLicenses(context.Background(), userA, []licensing.AssignedLicense{{SkuID: e3}}, nil)
			},
			wantBody: map[string]any{
				"addLicenses":    []any{map[string]any{"skuId": skuE3, "disabledPlans": []any{}}},
				"removeLicenses": []any{},
			},
			wantStatus: 200,
		},
		{
			name: "assign user: swap in one call", method: "POST", path: "/v1.0/users/" + userA + "/assignLicense",
			do: func(tn *Tenant) error {
				return tn.AssignUserLicenses(context.Background(), userA,
					[]licensing.AssignedLicense{{SkuID: e3, DisabledPlans: []licensing.PlanID{spo2}}}, []licensing.SkuID{e1})
			},
			wantBody: map[string]any{
				"addLicenses":    []any{map[string]any{"skuId": skuE3, "disabledPlans": []any{planSPO2}}},
				"removeLicenses": []any{skuE1},
			},
			wantStatus: 200,
		},
		{
			name: "assign user: remove only", method: "POST", path: "/v1.0/users/" + userA + "/assignLicense",
			do: func(tn *Tenant) error {
				return tn.AssignUserLicenses(context.Background(), userA, nil, []licensing.SkuID{e1})
			},
			wantBody:   map[string]any{"addLicenses": []any{}, "removeLicenses": []any{skuE1}},
			wantStatus: 200,
		},
		{
			name: "assign group", method: "POST", path: "/v1.0/groups/" + groupG + "/assignLicense",
			do: func(tn *Tenant) error {
				return tn.AssignGroupLicenses(context.Background(), groupG, []licensing.AssignedLicense{{SkuID: e3, DisabledPlans: []licensing.PlanID{}}}, []licensing.SkuID{})
			},
			wantBody: map[string]any{
				"addLicenses":    []any{map[string]any{"skuId": skuE3, "disabledPlans": []any{}}},
				"removeLicenses": []any{},
			},
			wantStatus: 202,
		},
		{
			name: "usage location", method: "PATCH", path: "/v1.0/users/" + userA,
			do:         func(tn *Tenant) error { return tn.SetUsageLocation(context.Background(), userA, "no") },
			wantBody:   map[string]any{"usageLocation": "NO"},
			wantStatus: 204,
		},
		{
			name: "add member", method: "POST", path: "/v1.0/groups/" + groupG + "/members/$ref",
			do: func(tn *Tenant) error { return tn.AddGroupMember(context.Background(), groupG, userA) },
			// the @odata.id is checked below: it names the root the tenant talks to
			wantBody:   map[string]any{},
			wantStatus: 204,
		},
		{
			name: "remove member", method: "DELETE", path: "/v1.0/groups/" + groupG + "/members/" + userA + "/$ref",
			do:         func(tn *Tenant) error { return tn.RemoveGroupMember(context.Background(), groupG, userA) },
			wantStatus: 204,
		},
		{
			name: "reprocess", method: "POST", path: "/v1.0/users/" + userA + "/reprocessLicenseAssignment",
			do:         func(tn *Tenant) error { return tn.ReprocessUser(context.Background(), userA) },
			wantStatus: 200,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			var srvURL string
			srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				assert.Equal(t, tc.method, r.Method)
				assert.Equal(t, tc.path, r.URL.EscapedPath())
				assert.Empty(t, r.Header.Get("Authorization"), "no token on a loopback root")
				assert.Empty(t, r.Header.Get("Content-Encoding"), "bodies are sent uncompressed")
				if tc.wantBody != nil {
					assert.Contains(t, r.Header.Get("Content-Type"), "application/json")
					body := decodeBody(t, r)
					for k, v := range tc.wantBody {
						assert.Contains(t, body, k)
						assert.Equal(t, v, body[k], k)
					}
					if tc.name == "add member" {
						assert.Equal(t, srvURL+"/v1.0/directoryObjects/"+userA, body["@odata.id"])
					}
				}
				if tc.wantStatus == 200 {
					writeJSON(w, 200, map[string]any{"id": userA})
					return
				}
				w.WriteHeader(tc.wantStatus)
			}))
			srvURL = srv.URL
			tn, _ := newTenant(t, srv)
			require.NoError(t, tc.do(tn))
			assert.EqualValues(t, 1, calls.Load())
		})
	}
}

func TestWritesRefuseBadInputBeforeSending(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	tn, _ := newTenant(t, srv)
	ctx := context.Background()
	for name, err := range map[string]error{
		"usage location not a country": tn.SetUsageLocation(ctx, userA, "Norway"),
		"empty user":                   tn.AssignUserLicenses(ctx, "", nil, nil),
		"path in id":                   tn.ReprocessUser(ctx, "../groups/x"),
		"empty group":                  tn.AddGroupMember(ctx, "", userA),
	} {
		assert.Equal(t, licensing.InvalidInput, asError(t, err).Kind, name)
	}
	assert.Zero(t, calls.Load())
}

// muxFunc serves every path with one handler.
func muxFunc(h http.HandlerFunc) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/", h)
	return mux
}
