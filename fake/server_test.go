package fake_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// graphClient talks to the fake server with plain net/http and Graph's documented JSON.
type graphClient struct {
	t    *testing.T
	base string // http://127.0.0.1:port/v1.0
}

func startGraph(t *testing.T, tn *fake.Tenant, opts ...fake.ServerOption) *graphClient {
	t.Helper()
	srv, err := fake.StartServer(tn, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, srv.Close()) })
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	return &graphClient{t: t, base: srv.URL}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// do sends a request; path is relative to /v1.0 or an absolute URL; body is a JSON string or nil.
func (c *graphClient) do(method, path, body string, headers ...string) reply {
	c.t.Helper()
	url := path
	if !strings.HasPrefix(path, "http") {
		url = c.base + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(c.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.send(req)
}

func (c *graphClient) send(req *http.Request) reply {
	c.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		require.NoError(c.t, json.Unmarshal(raw, &r.body), "body %s", raw)
	}
	return r
}

// graphError checks Graph's error envelope and returns its code and message.
func graphError(t *testing.T, r reply) (string, string) {
	t.Helper()
	e, ok := r.body["error"].(map[string]any)
	require.True(t, ok, "error envelope in %s", r.raw)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	assert.NotEmpty(t, code)
	assert.NotEmpty(t, msg, "Graph's SDK needs a message")
	inner, ok := e["innerError"].(map[string]any)
	require.True(t, ok)
	assert.NotEmpty(t, inner["request-id"])
	return code, msg
}

func values(r reply) []map[string]any {
	var out []map[string]any
	for _, v := range r.body["value"].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func assignBody(add []licensing.AssignedLicense, remove []licensing.SkuID) string {
	if add == nil {
		add = []licensing.AssignedLicense{}
	}
	if remove == nil {
		remove = []licensing.SkuID{}
	}
	b, _ := json.Marshal(map[string]any{"addLicenses": add, "removeLicenses": remove})
	return string(b)
}

func TestHTTPAssignLicenseErrors(t *testing.T) {
	cases := []struct {
		name   string
		user   string
		body   string
		status int
		code   string
		msg    string
		kind   licensing.Kind
	}{
		{"conflicting SharePoint plans", sampletenant.Alice, assignBody([]licensing.AssignedLicense{lic(skuE3)}, nil),
			400, "Request_BadRequest", "License assignment failed because service plans " + planSharePointP1.String() + "," + planSharePointP2.String() + " are mutually exclusive.", licensing.MutuallyExclusiveViolation},
		{"Workplace Analytics without Exchange", mobile1, assignBody([]licensing.AssignedLicense{lic(skuWorkplace)}, nil),
			400, "Request_BadRequest", "License assignment failed because service plan " + planWorkplace.String() + " depends on the service plan(s) ", licensing.DependencyViolation},
		{"Audio Conferencing loses Skype", sampletenant.Frank, assignBody(nil, []licensing.SkuID{skuE3}),
			400, "Request_BadRequest", "License assignment failed because service plan " + planAudioConf.String() + " depends on the service plan(s) " + planSkype.String(), licensing.DependencyViolation},
		{"no usage location", sampletenant.Grace, assignBody([]licensing.AssignedLicense{lic(skuE3)}, nil),
			400, "Request_BadRequest", "License assignment cannot be done for user with invalid usage location.", licensing.UsageLocationMissing},
		{"no seats", sampletenant.Alice, assignBody([]licensing.AssignedLicense{lic(skuEMS)}, nil),
			400, "Request_BadRequest", "Subscription with SKU " + skuEMS.String() + " does not have any available licenses.", licensing.CountViolation},
		{"inherited", "carol@contoso.com", assignBody(nil, []licensing.SkuID{skuE3}),
			400, "Request_BadRequest", "User license is inherited from a group membership and it cannot be removed directly from the user.", licensing.InheritedLicense},
		{"not held", sampletenant.Alice, assignBody(nil, []licensing.SkuID{skuE3}),
			400, "Request_BadRequest", "User does not have a corresponding license.", licensing.InvalidInput},
		{"unknown user", "nobody@contoso.com", assignBody(nil, nil),
			404, "Request_ResourceNotFound", "Resource 'nobody@contoso.com' does not exist", licensing.UnknownUser},
		{"removeLicenses missing", sampletenant.Alice, `{"addLicenses":[]}`,
			400, "Request_BadRequest", "Property 'removeLicenses' of resource 'User' is required", licensing.InvalidInput},
		{"addLicenses missing", sampletenant.Alice, `{"removeLicenses":[]}`,
			400, "Request_BadRequest", "Property 'addLicenses' of resource 'User' is required", licensing.InvalidInput},
		{"disabledPlans missing", sampletenant.Alice, `{"addLicenses":[{"skuId":"` + skuE3.String() + `"}],"removeLicenses":[]}`,
			400, "Request_BadRequest", "Invalid value specified for property 'disabledPlans' of resource 'AssignedLicense'.", licensing.InvalidInput},
		{"malformed skuId", sampletenant.Alice, `{"addLicenses":[{"skuId":"E3","disabledPlans":[]}],"removeLicenses":[]}`,
			400, "Request_BadRequest", "Invalid value specified for property 'skuId' of resource 'AssignedLicense'.", licensing.InvalidInput},
		{"not JSON", sampletenant.Alice, `{"addLicenses":`,
			400, "BadRequest", "Unable to read JSON request payload.", licensing.InvalidInput},
	}
	tn, _ := sample(t)
	c := startGraph(t, tn)
	before := tn.State()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(http.MethodPost, "/users/"+tc.user+"/assignLicense", tc.body)
			assert.Equal(t, tc.status, r.status)
			code, msg := graphError(t, r)
			assert.Equal(t, tc.code, code)
			assert.True(t, strings.HasPrefix(msg, tc.msg), "message %q, want prefix %q", msg, tc.msg)
		})
	}
	assert.Equal(t, before, tn.State(), "no refused call changed anything")
}

func TestHTTPAssignLicenseSwapAndGzip(t *testing.T) {
	tn, _ := sample(t)
	c := startGraph(t, tn)

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(assignBody([]licensing.AssignedLicense{lic(skuE3)}, []licensing.SkuID{skuE1})))
	zw.Close()
	req, err := http.NewRequest(http.MethodPost, c.base+"/users/alice@contoso.com/assignLicense", &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	r := c.send(req)
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Equal(t, sampletenant.Alice, r.body["id"])
	al := r.body["assignedLicenses"].([]any)
	require.Len(t, al, 1)
	assert.Equal(t, skuE3.String(), al[0].(map[string]any)["skuId"])
	assert.Equal(t, []any{}, al[0].(map[string]any)["disabledPlans"])

	hist := httpGetJSON(t, strings.TrimSuffix(c.base, "/v1.0")+"/_fake/history")
	entries := hist["value"].([]any)
	require.Len(t, entries, 1)
	e := entries[0].(map[string]any)
	assert.Equal(t, "assignLicense", e["cause"])
	assert.Equal(t, sampletenant.Alice, e["userId"])
	assert.Contains(t, e["enabledPlansAfter"], planSharePointP2.String())
	assert.Contains(t, e["enabledPlansBefore"], planSharePointP1.String())
	assert.NotEmpty(t, e["time"])
}

func httpGetJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

func TestHTTPStateHookIsTenantV1(t *testing.T) {
	tn, _ := sample(t)
	c := startGraph(t, tn)
	resp, err := http.Get(strings.TrimSuffix(c.base, "/v1.0") + "/_fake/state")
	require.NoError(t, err)
	defer resp.Body.Close()
	snap, err := licensing.ReadSnapshot(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, tn.State(), snap)
}

func TestHTTPPagingVisitsEveryUserOnce(t *testing.T) {
	tn, _ := sample(t)
	c := startGraph(t, tn)
	all := tn.State().Users
	cases := []struct {
		name  string
		query string
		want  func(licensing.User) bool
	}{
		{"all users", "/users?$top=4&$select=id,assignedLicenses", func(licensing.User) bool { return true }},
		{"users holding E3", "/users?$top=3&$select=id&$filter=assignedLicenses/any(x:x/skuId%20eq%20" + skuE3.String() + ")&$count=true",
			func(u licensing.User) bool { _, ok := assigned(&u, skuE3); return ok }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, u := range all {
				if tc.want(u) {
					want = append(want, u.ID)
				}
			}
			var got []string
			next, pages := tc.query, 0
			for next != "" {
				r := c.do(http.MethodGet, next, "", "ConsistencyLevel", "eventual")
				require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
				if strings.Contains(tc.query, "$count=true") {
					assert.EqualValues(t, len(want), r.body["@odata.count"])
				}
				for _, v := range values(r) {
					got = append(got, v["id"].(string))
					if _, sel := v["assignedLicenses"]; !strings.Contains(tc.query, "assignedLicenses") {
						assert.False(t, sel, "only the selected properties")
					}
				}
				next, _ = r.body["@odata.nextLink"].(string)
				if next != "" {
					assert.True(t, strings.HasPrefix(next, c.base+"/users?"), next)
					assert.Contains(t, next, "$skiptoken=")
				}
				pages++
			}
			slices.Sort(want)
			assert.Equal(t, want, got, "every user exactly once, in id order")
			assert.Greater(t, pages, 2)
		})
	}
}

func TestHTTPUserProperties(t *testing.T) {
	tn, _ := sample(t)
	c := startGraph(t, tn)

	r := c.do(http.MethodGet, "/users/carol@contoso.com", "")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "carol@contoso.com", r.body["userPrincipalName"])
	_, has := r.body["assignedLicenses"]
	assert.False(t, has, "assignedLicenses is returned only on $select, as in Graph")

	r = c.do(http.MethodGet, "/users/"+sampletenant.Carol+"?$select=usageLocation,licenseAssignmentStates,assignedLicenses", "")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "GB", r.body["usageLocation"])
	states := r.body["licenseAssignmentStates"].([]any)
	require.Len(t, states, 2)
	st := states[0].(map[string]any)
	for _, k := range []string{"skuId", "disabledPlans", "assignedByGroup", "state", "error", "lastUpdatedDateTime"} {
		assert.Contains(t, st, k)
	}
	assert.Equal(t, "Active", st["state"])
	assert.Equal(t, "None", st["error"])

	r = c.do(http.MethodGet, "/users/"+sampletenant.Carol+"?$select=nonsense", "")
	assert.Equal(t, http.StatusBadRequest, r.status)
	_, msg := graphError(t, r)
	assert.Contains(t, msg, "Could not find a property named 'nonsense'")

	r = c.do(http.MethodGet, "/users?$count=true", "")
	assert.Equal(t, http.StatusBadRequest, r.status, "$count needs ConsistencyLevel: eventual")
	r = c.do(http.MethodGet, "/users?$top=1000", "")
	assert.Equal(t, http.StatusBadRequest, r.status)
	r = c.do(http.MethodGet, "/users?$filter=startswith(displayName,'a')", "")
	assert.Equal(t, http.StatusBadRequest, r.status)
	code, _ := graphError(t, r)
	assert.Equal(t, "Request_UnsupportedQuery", code)

	r = c.do(http.MethodGet, "/users/"+sampletenant.Carol+"/licenseDetails", "")
	require.Equal(t, http.StatusOK, r.status)
	details := values(r)
	require.Len(t, details, 1)
	assert.Equal(t, "ENTERPRISEPACK", details[0]["skuPartNumber"])
	status := map[string]string{}
	for _, p := range details[0]["servicePlans"].([]any) {
		pm := p.(map[string]any)
		status[pm["servicePlanName"].(string)] = pm["provisioningStatus"].(string)
	}
	assert.Equal(t, "Success", status["TEAMS1"])
	assert.Equal(t, "Disabled", status["SWAY"])
	assert.Len(t, status, 13)
}

func TestHTTPSubscribedSkus(t *testing.T) {
	tn, _ := sample(t)
	c := startGraph(t, tn)
	r := c.do(http.MethodGet, "/subscribedSkus", "")
	require.Equal(t, http.StatusOK, r.status)
	skus := values(r)
	require.Len(t, skus, 7)
	e3 := skus[1]
	assert.Equal(t, "ENTERPRISEPACK", e3["skuPartNumber"])
	assert.Equal(t, sampletenant.TenantID+"_"+sampletenant.E3, e3["id"])
	assert.EqualValues(t, 16, e3["consumedUnits"])
	assert.EqualValues(t, 25, e3["prepaidUnits"].(map[string]any)["enabled"])
	assert.Len(t, e3["servicePlans"], 13)
	assert.Equal(t, "3", r.header.Get("x-ms-resource-unit"), "GET subscribedSkus costs 3 resource units")
}

func TestHTTPGroups(t *testing.T) {
	tn, clk := sample(t, fake.WithProcessingDelay(time.Minute))
	c := startGraph(t, tn)

	r := c.do(http.MethodGet, "/groups?$filter=assignedLicenses/$count%20ne%200&$count=true&$select=id,displayName,assignedLicenses,licenseProcessingState", "", "ConsistencyLevel", "eventual")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.EqualValues(t, 3, r.body["@odata.count"])
	assert.Len(t, values(r), 3)
	r = c.do(http.MethodGet, "/groups?$filter=assignedLicenses/$count%20ne%200", "")
	assert.Equal(t, http.StatusBadRequest, r.status, "an advanced query needs ConsistencyLevel and $count")
	code, _ := graphError(t, r)
	assert.Equal(t, "Request_UnsupportedQuery", code)

	r = c.do(http.MethodGet, "/groups/"+sampletenant.GroupEMS+"/membersWithLicenseErrors?$select=id", "")
	require.Equal(t, http.StatusOK, r.status)
	require.Len(t, values(r), 1)
	assert.Equal(t, mobile4, values(r)[0]["id"])

	for _, p := range []string{"/members", "/members/microsoft.graph.user", "/transitiveMembers/graph.user", "/transitiveMembers"} {
		r = c.do(http.MethodGet, "/groups/"+sampletenant.GroupTeams+p+"?$top=2", "")
		require.Equal(t, http.StatusOK, r.status, p)
		assert.Len(t, values(r), 2)
		assert.Equal(t, "#microsoft.graph.user", values(r)[0]["@odata.type"])
		next := r.body["@odata.nextLink"].(string)
		r = c.do(http.MethodGet, next, "")
		assert.Len(t, values(r), 2, p)
		assert.Nil(t, r.body["@odata.nextLink"])
	}

	// Group assignLicense: 202 with a Location, processed in the background.
	r = c.do(http.MethodPost, "/groups/"+sampletenant.GroupTeams+"/assignLicense", assignBody([]licensing.AssignedLicense{lic(skuE3)}, nil))
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.raw)
	assert.Contains(t, r.header.Get("Location"), "/directoryObjects/"+sampletenant.GroupTeams)
	assert.Equal(t, sampletenant.GroupTeams, r.body["id"])
	stateOf := func() string {
		r := c.do(http.MethodGet, "/groups/"+sampletenant.GroupTeams+"?$select=licenseProcessingState", "")
		return r.body["licenseProcessingState"].(map[string]any)["state"].(string)
	}
	assert.Equal(t, "QueuedForProcessing", stateOf())
	clk.Advance(30 * time.Second)
	assert.Equal(t, "ProcessingInProgress", stateOf())
	clk.Advance(30 * time.Second)
	assert.Equal(t, "ProcessingComplete", stateOf())

	r = c.do(http.MethodPost, "/groups/"+sampletenant.GroupEMS+"/assignLicense", assignBody([]licensing.AssignedLicense{lic(skuWorkplace)}, nil))
	assert.Equal(t, http.StatusBadRequest, r.status)
	_, msg := graphError(t, r)
	assert.Contains(t, msg, "depends on the service plan(s)")

	// A licensed group cannot be deleted; once its licenses are removed it can.
	r = c.do(http.MethodDelete, "/groups/"+sampletenant.GroupTeams, "")
	assert.Equal(t, http.StatusBadRequest, r.status)
	code, msg = graphError(t, r)
	assert.Equal(t, "Request_BadRequest", code)
	assert.Equal(t, "Unable to delete the group because there is a product license assigned to the group. To delete this group, remove any product licenses first.", msg)
	r = c.do(http.MethodPost, "/groups/"+sampletenant.GroupTeams+"/assignLicense", assignBody(nil, []licensing.SkuID{skuE3}))
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.raw)
	r = c.do(http.MethodDelete, "/groups/"+sampletenant.GroupTeams, "")
	assert.Equal(t, http.StatusNoContent, r.status, "%s", r.raw)
	r = c.do(http.MethodGet, "/groups/"+sampletenant.GroupTeams, "")
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestHTTPMembershipRefs(t *testing.T) {
	tn, _ := sample(t)
	c := startGraph(t, tn)
	ref := `{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/` + sampletenant.Grace + `"}`

	r := c.do(http.MethodPost, "/groups/"+sampletenant.GroupTeams+"/members/$ref", ref)
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.raw)
	assert.Empty(t, r.raw)
	_, ok := groupPath(getUser(t, tn, sampletenant.Grace), skuE3, sampletenant.GroupTeams)
	assert.True(t, ok, "the new member is licensed")

	r = c.do(http.MethodPost, "/groups/"+sampletenant.GroupTeams+"/members/$ref", ref)
	assert.Equal(t, http.StatusBadRequest, r.status)
	_, msg := graphError(t, r)
	assert.Equal(t, "One or more added object references already exist for the following modified properties: 'members'.", msg)

	r = c.do(http.MethodDelete, "/groups/"+sampletenant.GroupTeams+"/members/"+sampletenant.Grace+"/$ref", "")
	assert.Equal(t, http.StatusNoContent, r.status)
	r = c.do(http.MethodDelete, "/groups/"+sampletenant.GroupTeams+"/members/"+sampletenant.Grace+"/$ref", "")
	assert.Equal(t, http.StatusNotFound, r.status)
	_, msg = graphError(t, r)
	assert.Equal(t, "One or more removed object references do not exist for the following modified properties: 'members'.", msg)

	var causes []fake.Cause
	for _, e := range tn.History() {
		causes = append(causes, e.Cause)
	}
	assert.Equal(t, []fake.Cause{fake.CauseMembership, fake.CauseMembership}, causes)
}

func TestHTTPPatchAndReprocess(t *testing.T) {
	tn, _ := sample(t)
	c := startGraph(t, tn)
	r := c.do(http.MethodPatch, "/users/"+sampletenant.Grace, `{"usageLocation":"SE"}`)
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.raw)
	assert.Equal(t, "SE", getUser(t, tn, sampletenant.Grace).UsageLocation)
	r = c.do(http.MethodPatch, "/users/"+sampletenant.Grace, `{"usageLocation":"Sweden"}`)
	assert.Equal(t, http.StatusBadRequest, r.status)
	r = c.do(http.MethodPatch, "/users/"+sampletenant.Grace, `{"favouriteColour":"blue"}`)
	assert.Equal(t, http.StatusBadRequest, r.status)

	require.NoError(t, tn.RemoveGroupMember(ctx, sampletenant.GroupEMS, mobile1))
	r = c.do(http.MethodPost, "/users/"+mobile4+"/reprocessLicenseAssignment", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Len(t, r.body["assignedLicenses"], 1, "the reprocessed user got the freed seat")
}

func TestHTTPUnknownRoutesAnswerGraphErrors(t *testing.T) {
	tn, _ := sample(t)
	c := startGraph(t, tn)
	root := strings.TrimSuffix(c.base, "/v1.0")
	cases := []struct {
		method, url string
		status      int
		code, msg   string
	}{
		{"GET", c.base + "/applications", 400, "BadRequest", "Resource not found for the segment 'applications'."},
		{"GET", c.base + "/users/" + sampletenant.Alice + "/memberOf", 400, "BadRequest", "Resource not found for the segment 'memberOf'."},
		{"GET", c.base + "/groups/" + sampletenant.GroupEMS + "/owners", 400, "BadRequest", "Resource not found for the segment 'owners'."},
		{"GET", c.base, 400, "BadRequest", "Resource not found for the segment ''."},
		{"PUT", c.base + "/users", 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."},
		{"GET", c.base + "/users/" + sampletenant.Alice + "/assignLicense", 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."},
		{"GET", root + "/beta/users", 400, "BadRequest", "Invalid version: beta"},
		{"GET", root + "/", 400, "BadRequest", "Invalid version: "},
		{"GET", c.base + "/groups/nope", 404, "Request_ResourceNotFound", "Resource 'nope' does not exist or one of its queried reference-property objects are not present."},
		{"POST", c.base + "/$batch", 400, "BadRequest", "Unable to read JSON request payload."},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+strings.TrimPrefix(tc.url, root), func(t *testing.T) {
			r := c.do(tc.method, tc.url, "")
			assert.Equal(t, tc.status, r.status)
			code, msg := graphError(t, r)
			assert.Equal(t, tc.code, code)
			assert.True(t, strings.HasPrefix(msg, tc.msg), "%q", msg)
		})
	}
}

func TestHTTPBatch(t *testing.T) {
	tn, _ := sample(t)
	c := startGraph(t, tn)
	batch := `{"requests": [
	  {"id": "1", "method": "POST", "url": "/users/` + sampletenant.Alice + `/assignLicense", "headers": {"Content-Type": "application/json"},
	   "body": ` + assignBody([]licensing.AssignedLicense{lic(skuE3)}, []licensing.SkuID{skuE1}) + `},
	  {"id": "2", "method": "POST", "url": "/users/` + sampletenant.Grace + `/assignLicense", "headers": {"Content-Type": "application/json"},
	   "body": ` + assignBody([]licensing.AssignedLicense{lic(skuE3)}, nil) + `},
	  {"id": "3", "method": "GET", "url": "/users/` + sampletenant.Alice + `?$select=id,assignedLicenses", "dependsOn": ["1"]},
	  {"id": "4", "method": "PATCH", "url": "/users/` + sampletenant.Grace + `", "headers": {"Content-Type": "application/json"}, "body": {"usageLocation": "SE"}, "dependsOn": ["2"]},
	  {"id": "5", "method": "GET", "url": "users?$top=1&$select=id"}
	]}`
	r := c.do(http.MethodPost, "/$batch", batch)
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	got := map[string]map[string]any{}
	var order []string
	for _, v := range r.body["responses"].([]any) {
		m := v.(map[string]any)
		got[m["id"].(string)] = m
		order = append(order, m["id"].(string))
	}
	assert.Equal(t, []string{"1", "2", "3", "4", "5"}, order)
	assert.EqualValues(t, 200, got["1"]["status"])
	assert.EqualValues(t, 400, got["2"]["status"])
	assert.Equal(t, "License assignment cannot be done for user with invalid usage location.",
		got["2"]["body"].(map[string]any)["error"].(map[string]any)["message"])
	assert.EqualValues(t, 200, got["3"]["status"])
	assert.Len(t, got["3"]["body"].(map[string]any)["assignedLicenses"], 1)
	assert.EqualValues(t, 424, got["4"]["status"], "a request whose dependency failed does not run")
	assert.Empty(t, getUser(t, tn, sampletenant.Grace).UsageLocation)
	assert.EqualValues(t, 200, got["5"]["status"])
	assert.Contains(t, got["5"]["body"].(map[string]any)["@odata.nextLink"], c.base+"/users?")
	assert.Equal(t, "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8", got["5"]["headers"].(map[string]any)["Content-Type"])

	t.Run("malformed batches", func(t *testing.T) {
		var reqs []string
		for i := range 21 {
			reqs = append(reqs, `{"id":"`+string(rune('a'+i))+`","method":"GET","url":"/users"}`)
		}
		for name, body := range map[string]string{
			"more than 20":       `{"requests":[` + strings.Join(reqs, ",") + `]}`,
			"duplicate ids":      `{"requests":[{"id":"1","method":"GET","url":"/users"},{"id":"1","method":"GET","url":"/users"}]}`,
			"unknown dependency": `{"requests":[{"id":"1","method":"GET","url":"/users","dependsOn":["9"]}]}`,
			"cycle":              `{"requests":[{"id":"1","method":"GET","url":"/users","dependsOn":["2"]},{"id":"2","method":"GET","url":"/users","dependsOn":["1"]}]}`,
			"empty":              `{"requests":[]}`,
		} {
			r := c.do(http.MethodPost, "/$batch", body)
			assert.Equal(t, http.StatusBadRequest, r.status, name)
			graphError(t, r)
		}
	})
}

func TestHTTPThrottling(t *testing.T) {
	t.Run("N per duration, per request in a batch", func(t *testing.T) {
		tn, clk := sample(t)
		c := startGraph(t, tn, fake.WithThrottle(fake.Throttle{Requests: 2, RequestWindow: 10 * time.Second}))
		for range 2 {
			assert.Equal(t, http.StatusOK, c.do(http.MethodGet, "/users/"+sampletenant.Alice, "").status)
		}
		r := c.do(http.MethodGet, "/users/"+sampletenant.Alice, "")
		assert.Equal(t, http.StatusTooManyRequests, r.status)
		assert.Equal(t, "5", r.header.Get("Retry-After"))
		assert.NotEmpty(t, r.header.Get("x-ms-throttle-information"))
		assert.True(t, strings.HasPrefix(r.header.Get("x-ms-throttle-scope"), "Tenant_Application/"), r.header.Get("x-ms-throttle-scope"))
		code, msg := graphError(t, r)
		assert.Equal(t, "TooManyRequests", code)
		assert.NotEmpty(t, msg)

		clk.Advance(5 * time.Second)
		r = c.do(http.MethodPost, "/$batch", `{"requests":[{"id":"1","method":"GET","url":"/users/`+sampletenant.Alice+`"},{"id":"2","method":"GET","url":"/users/`+sampletenant.Bob+`"}]}`)
		require.Equal(t, http.StatusOK, r.status)
		res := r.body["responses"].([]any)
		assert.EqualValues(t, 200, res[0].(map[string]any)["status"])
		assert.EqualValues(t, 429, res[1].(map[string]any)["status"], "each request of a batch is throttled on its own")
		assert.Equal(t, "5", res[1].(map[string]any)["headers"].(map[string]any)["Retry-After"])
	})
	t.Run("Graph's write quota: 3,000 per 150 seconds", func(t *testing.T) {
		tn, clk := sample(t)
		h := fake.NewServer(tn, fake.WithThrottle(fake.GraphThrottle()))
		patch := func() *httptest.ResponseRecorder {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPatch, "/v1.0/users/"+sampletenant.Grace, strings.NewReader(`{"jobTitle":"Analyst"}`)))
			return w
		}
		for i := range 3000 {
			require.Equal(t, http.StatusNoContent, patch().Code, "write %d", i+1)
		}
		w := patch()
		assert.Equal(t, http.StatusTooManyRequests, w.Code)
		assert.Equal(t, "WriteLimitExceeded", w.Header().Get("x-ms-throttle-information"))
		assert.Equal(t, "1", w.Header().Get("Retry-After"), "the bucket refills 20 writes a second")
		assert.Contains(t, w.Header().Get("x-ms-throttle-scope"), "/Write/")
		clk.Advance(time.Second)
		assert.Equal(t, http.StatusNoContent, patch().Code)
	})
	t.Run("Graph's resource units: 8,000 per 10 seconds", func(t *testing.T) {
		tn, clk := sample(t)
		h := fake.NewServer(tn, fake.WithThrottle(fake.GraphThrottle()))
		get := func(url string) *httptest.ResponseRecorder {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil))
			return w
		}
		w := get("/v1.0/users")
		assert.Equal(t, "2", w.Header().Get("x-ms-resource-unit"), "GET users costs 2")
		w = get("/v1.0/users?$select=id")
		assert.Equal(t, "1", w.Header().Get("x-ms-resource-unit"), "$select takes 1 off")
		for i := 0; i < (8000-3)/3; i++ {
			require.Equal(t, http.StatusOK, get("/v1.0/subscribedSkus").Code, "request %d", i)
		}
		w = get("/v1.0/subscribedSkus")
		assert.Equal(t, http.StatusTooManyRequests, w.Code)
		assert.Equal(t, "ResourceUnitLimitExceeded", w.Header().Get("x-ms-throttle-information"))
		assert.Equal(t, "1", w.Header().Get("Retry-After"))
		clk.Advance(time.Second)
		assert.Equal(t, http.StatusOK, get("/v1.0/subscribedSkus").Code)
	})
}

func TestParseThrottle(t *testing.T) {
	for in, want := range map[string]fake.Throttle{
		"graph":     fake.GraphThrottle(),
		"off":       {},
		"100/10s":   {Requests: 100, RequestWindow: 10 * time.Second},
		"3000/150s": {Requests: 3000, RequestWindow: 150 * time.Second},
	} {
		got, err := fake.ParseThrottle(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"fast", "0/1s", "10/", "x/1s", "10/-1s"} {
		_, err := fake.ParseThrottle(bad)
		assert.Error(t, err, bad)
	}
}

// The seed stories, read the way a Graph client reads them.
func TestHTTPSeedStories(t *testing.T) {
	tn, _ := sample(t)
	c := startGraph(t, tn)
	states := func(user string) []map[string]any {
		r := c.do(http.MethodGet, "/users/"+user+"?$select=assignedLicenses,licenseAssignmentStates", "")
		require.Equal(t, http.StatusOK, r.status)
		var out []map[string]any
		for _, s := range r.body["licenseAssignmentStates"].([]any) {
			out = append(out, s.(map[string]any))
		}
		return out
	}

	t.Run("cumulative groups: 10 of 13", func(t *testing.T) {
		r := c.do(http.MethodGet, "/users/carol@contoso.com?$select=assignedLicenses", "")
		al := r.body["assignedLicenses"].([]any)
		require.Len(t, al, 1)
		assert.Len(t, al[0].(map[string]any)["disabledPlans"], 3)
		assert.Len(t, states("carol@contoso.com"), 2, "two assignment paths")
	})
	t.Run("E1 direct and E3 from a group", func(t *testing.T) {
		st := states("erin@contoso.com")
		require.Len(t, st, 2)
		assert.Nil(t, st[0]["assignedByGroup"])
		assert.Equal(t, sampletenant.GroupE3Base, st[1]["assignedByGroup"])
		assert.Equal(t, "Error", st[1]["state"])
		assert.Equal(t, "MutuallyExclusiveViolation", st[1]["error"])
	})
	t.Run("Exchange Online stacks", func(t *testing.T) {
		r := c.do(http.MethodPost, "/users/bob@contoso.com/assignLicense", assignBody([]licensing.AssignedLicense{lic(skuExchangeP2)}, nil))
		require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
		assert.Len(t, r.body["assignedLicenses"], 2)
	})
	t.Run("more members than seats", func(t *testing.T) {
		st := states(mobile4)
		require.Len(t, st, 1)
		assert.Equal(t, "CountViolation", st[0]["error"])
	})
	t.Run("SKUs that cannot be assigned", func(t *testing.T) {
		suspended := licensing.MustParseSkuID("d17b27af-3f49-4822-99f9-56a661538792")
		tn, err := fake.NewBuilder("t").
			SubscribedSku(licensing.SubscribedSku{SkuID: suspended, SkuPartNumber: "CRMSTANDARD", AppliesTo: "User", CapabilityStatus: "Suspended"}).
			User("u1", "u1@t", "US").Build()
		require.NoError(t, err)
		c := startGraph(t, tn)
		r := c.do(http.MethodPost, "/users/u1/assignLicense", assignBody([]licensing.AssignedLicense{lic(suspended)}, nil))
		assert.Equal(t, http.StatusBadRequest, r.status)
		_, msg := graphError(t, r)
		assert.Equal(t, "License "+suspended.String()+" cannot be assigned to a user because its subscription is Suspended.", msg)
	})
}

// GET /_fake/writes lists every write answered, and says which reached the tenant: a refused
// one did not, a throttled one did not, a lost reply's did (the client was told 504).
func TestHTTPWritesHookTellsWhatWasCarriedOut(t *testing.T) {
	tn, _ := sample(t)
	swap := assignBody([]licensing.AssignedLicense{lic(skuE3)}, []licensing.SkuID{skuE1})

	c := startGraph(t, tn, fake.WithThrottle(fake.Throttle{Writes: 2, WriteWindow: time.Hour}))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/users/alice@contoso.com/assignLicense", swap).status)
	require.Equal(t, http.StatusBadRequest, c.do(http.MethodPost, "/users/alice@contoso.com/assignLicense", swap).status, "E1 is no longer there to remove")
	require.Equal(t, http.StatusTooManyRequests, c.do(http.MethodPost, "/users/bob@contoso.com/assignLicense", swap).status)
	require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/users/alice@contoso.com", "").status)

	got := httpGetJSON(t, strings.TrimSuffix(c.base, "/v1.0")+"/_fake/writes")["value"].([]any)
	require.Len(t, got, 3, "reads are not listed")
	want := []struct {
		outcome string
		status  float64
		carried bool
	}{{"carriedOut", 200, true}, {"refused", 400, false}, {"throttled", 429, false}}
	for i, w := range want {
		r := got[i].(map[string]any)
		assert.Equal(t, w.outcome, r["outcome"], "write %d", i)
		assert.Equal(t, w.status, r["status"], "write %d", i)
		assert.Equal(t, w.carried, r["carriedOut"], "write %d", i)
		assert.Equal(t, "POST", r["method"])
		assert.Contains(t, r["path"], "/assignLicense")
		assert.JSONEq(t, swap, r["body"].(string))
	}

	tn2, _ := sample(t)
	lost := startGraph(t, tn2, fake.WithFaults(fake.Faults{Rate: 1, Seed: 1, Kinds: []fake.FaultKind{fake.FaultLostReply}}))
	require.Equal(t, http.StatusGatewayTimeout, lost.do(http.MethodPost, "/users/alice@contoso.com/assignLicense", swap).status)
	r := httpGetJSON(t, strings.TrimSuffix(lost.base, "/v1.0")+"/_fake/writes")["value"].([]any)[0].(map[string]any)
	assert.Equal(t, "fault:lostReply", r["outcome"])
	assert.Equal(t, true, r["carriedOut"], "the write was made; only its reply was lost")
}
