package fake_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

func kindsTenant(t *testing.T) *fake.Tenant {
	t.Helper()
	tn, err := fake.New(sampletenant.WithGroupKinds())
	require.NoError(t, err)
	return tn
}

const (
	textDynamic = "Insufficient privileges to complete the operation."
	textSynced  = "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration."
	textMail    = "Cannot Update a mail-enabled security groups and or distribution list."
	textNoLic   = "License assignment failed because the group is not security enabled: only security groups and Microsoft 365 groups with securityEnabled can be assigned licenses."
)

func TestGroupKindRefusalsGoAPI(t *testing.T) {
	tn := kindsTenant(t)
	before := tn.State()
	requireRefused := func(err error, code, text, group string) {
		t.Helper()
		require.Error(t, err)
		assert.True(t, errors.Is(err, licensing.InvalidInput), "%v", err)
		var e *licensing.Error
		require.True(t, errors.As(err, &e))
		var ge *fake.GraphError
		require.True(t, errors.As(err, &ge))
		assert.Equal(t, code, ge.Code)
		assert.Equal(t, text, e.Message)
		assert.Equal(t, group, e.Target.ID)
	}
	e3 := []licensing.AssignedLicense{lic(skuE3)}

	// Licenses: only security groups and Microsoft 365 groups with securityEnabled.
	requireRefused(tn.AssignGroupLicenses(ctx, sampletenant.GroupM365, e3, nil), "Request_BadRequest", textNoLic, sampletenant.GroupM365)
	requireRefused(tn.AssignGroupLicenses(ctx, sampletenant.GroupDistList, e3, nil), "Request_BadRequest", textNoLic, sampletenant.GroupDistList)
	// Refused before the SKUs are looked at.
	requireRefused(tn.AssignGroupLicenses(ctx, sampletenant.GroupM365, []licensing.AssignedLicense{lic(licensing.MustParseSkuID("00000000-0000-4000-8000-000000000999"))}, nil), "Request_BadRequest", textNoLic, sampletenant.GroupM365)

	// Members: dynamic (403), synced, mail-enabled security and distribution lists.
	for _, c := range []struct{ group, user, code, text string }{
		{sampletenant.GroupDynamic, sampletenant.Grace, "Authorization_RequestDenied", textDynamic},
		{sampletenant.GroupSynced, sampletenant.Grace, "Request_BadRequest", textSynced},
		{sampletenant.GroupMailSec, sampletenant.Grace, "Request_BadRequest", textMail},
		{sampletenant.GroupDistList, sampletenant.Grace, "Request_BadRequest", textMail},
	} {
		requireRefused(tn.AddGroupMember(ctx, c.group, c.user), c.code, c.text, c.group)
	}
	for _, c := range []struct{ group, user, code, text string }{
		{sampletenant.GroupDynamic, sampletenant.Carol, "Authorization_RequestDenied", textDynamic},
		{sampletenant.GroupSynced, sampletenant.Bob, "Request_BadRequest", textSynced},
		{sampletenant.GroupMailSec, sampletenant.Bob, "Request_BadRequest", textMail},
		{sampletenant.GroupDistList, sampletenant.Bob, "Request_BadRequest", textMail},
		// The kind decides before membership: not a member, still the kind's refusal.
		{sampletenant.GroupDynamic, sampletenant.Grace, "Authorization_RequestDenied", textDynamic},
	} {
		requireRefused(tn.RemoveGroupMember(ctx, c.group, c.user), c.code, c.text, c.group)
	}
	// Unknown users and groups are still 404s.
	assert.True(t, errors.Is(tn.AddGroupMember(ctx, sampletenant.GroupDynamic, "nope"), licensing.UnknownUser))
	assert.Equal(t, before, tn.State(), "a refused change changes nothing")
	assert.Empty(t, tn.History())

	// What Graph allows: a Microsoft 365 group's members (security or not), and licenses on a
	// Microsoft 365 group with securityEnabled.
	require.NoError(t, tn.AddGroupMember(ctx, sampletenant.GroupM365, sampletenant.Grace))
	require.NoError(t, tn.RemoveGroupMember(ctx, sampletenant.GroupM365, sampletenant.Bob))
	require.NoError(t, tn.AddGroupMember(ctx, sampletenant.GroupM365Sec, sampletenant.Heidi))
	require.NoError(t, tn.AssignGroupLicenses(ctx, sampletenant.GroupM365Sec, []licensing.AssignedLicense{lic(skuEMS)}, nil))
	_, ok := groupPath(getUser(t, tn, sampletenant.Heidi), skuEMS, sampletenant.GroupM365Sec)
	assert.True(t, ok, "the Microsoft 365 security group licenses its member")

	// The dynamic group's member was licensed on load, as any group's.
	_, ok = groupPath(getUser(t, tn, sampletenant.Carol), skuE3, sampletenant.GroupDynamic)
	assert.True(t, ok)
}

func TestGroupKindFieldsRoundTrip(t *testing.T) {
	snap := sampletenant.WithGroupKinds()
	tn, err := fake.New(snap)
	require.NoError(t, err)
	snap.Groups[3].GroupTypes[0] = "changed" // the fake keeps copies
	*snap.Groups[4].SecurityEnabled = false
	out := tn.State()
	want := sampletenant.WithGroupKinds()
	for i, g := range want.Groups {
		got := out.Groups[i]
		assert.Equal(t, g.ID, got.ID)
		assert.Equal(t, g.Kind(), got.Kind(), g.DisplayName)
		assert.Equal(t, g.GroupTypes, got.GroupTypes, g.DisplayName)
		assert.Equal(t, g.SecurityEnabled, got.SecurityEnabled, g.DisplayName)
		assert.Equal(t, g.MailEnabled, got.MailEnabled, g.DisplayName)
		assert.Equal(t, g.OnPremisesSyncEnabled, got.OnPremisesSyncEnabled, g.DisplayName)
		assert.Equal(t, g.MembershipRule, got.MembershipRule, g.DisplayName)
		assert.Equal(t, g.MembershipRuleProcessingState, got.MembershipRuleProcessingState, g.DisplayName)
	}
	*out.Groups[5].MailEnabled = false
	assert.True(t, *tn.State().Groups[5].MailEnabled, "State returns copies")
}

func TestHTTPGroupKinds(t *testing.T) {
	tn := kindsTenant(t)
	c := startGraph(t, tn)

	// The kind fields by default and on $select, as Graph has them.
	r := c.do(http.MethodGet, "/groups/"+sampletenant.GroupDynamic, "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Equal(t, []any{"DynamicMembership"}, r.body["groupTypes"])
	assert.Equal(t, true, r.body["securityEnabled"])
	assert.Equal(t, false, r.body["mailEnabled"])
	assert.Equal(t, sampletenant.SalesRule, r.body["membershipRule"])
	assert.Equal(t, "On", r.body["membershipRuleProcessingState"])
	assert.Nil(t, r.body["onPremisesSyncEnabled"])
	assert.Contains(t, r.body, "onPremisesSyncEnabled")
	assert.NotContains(t, r.body, "assignedLicenses", "assignedLicenses only on $select")

	sel := "$select=id,groupTypes,securityEnabled,mailEnabled,membershipRule,membershipRuleProcessingState,onPremisesSyncEnabled"
	r = c.do(http.MethodGet, "/groups?"+sel+"&$top=100", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	byID := map[string]map[string]any{}
	for _, v := range values(r) {
		byID[v["id"].(string)] = v
		assert.Len(t, v, 7, "only the selected properties: %v", v)
	}
	require.Len(t, byID, 9)
	plain := byID[sampletenant.GroupE3Base] // a snapshot without the fields: a plain security group
	assert.Equal(t, []any{}, plain["groupTypes"])
	assert.Equal(t, true, plain["securityEnabled"])
	assert.Equal(t, false, plain["mailEnabled"])
	assert.Nil(t, plain["membershipRule"])
	assert.Nil(t, plain["onPremisesSyncEnabled"])
	assert.Equal(t, true, byID[sampletenant.GroupSynced]["onPremisesSyncEnabled"])
	assert.Equal(t, true, byID[sampletenant.GroupMailSec]["mailEnabled"])
	assert.Equal(t, []any{"Unified"}, byID[sampletenant.GroupM365]["groupTypes"])
	assert.Equal(t, false, byID[sampletenant.GroupM365]["securityEnabled"])
	assert.Equal(t, false, byID[sampletenant.GroupDistList]["securityEnabled"])

	// Refusals with Graph's status, code and text.
	ref := func(id string) string {
		return `{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/` + id + `"}`
	}
	for _, c2 := range []struct {
		method, path, body string
		status             int
		code, text         string
	}{
		{http.MethodPost, "/groups/" + sampletenant.GroupDynamic + "/members/$ref", ref(sampletenant.Grace), http.StatusForbidden, "Authorization_RequestDenied", textDynamic},
		{http.MethodDelete, "/groups/" + sampletenant.GroupDynamic + "/members/" + sampletenant.Carol + "/$ref", "", http.StatusForbidden, "Authorization_RequestDenied", textDynamic},
		{http.MethodPost, "/groups/" + sampletenant.GroupSynced + "/members/$ref", ref(sampletenant.Grace), http.StatusBadRequest, "Request_BadRequest", textSynced},
		{http.MethodDelete, "/groups/" + sampletenant.GroupSynced + "/members/" + sampletenant.Bob + "/$ref", "", http.StatusBadRequest, "Request_BadRequest", textSynced},
		{http.MethodPost, "/groups/" + sampletenant.GroupMailSec + "/members/$ref", ref(sampletenant.Grace), http.StatusBadRequest, "Request_BadRequest", textMail},
		{http.MethodDelete, "/groups/" + sampletenant.GroupDistList + "/members/" + sampletenant.Bob + "/$ref", "", http.StatusBadRequest, "Request_BadRequest", textMail},
		{http.MethodPost, "/groups/" + sampletenant.GroupM365 + "/assignLicense", assignBody([]licensing.AssignedLicense{lic(skuE3)}, nil), http.StatusBadRequest, "Request_BadRequest", textNoLic},
		{http.MethodPost, "/groups/" + sampletenant.GroupDistList + "/assignLicense", assignBody(nil, nil), http.StatusBadRequest, "Request_BadRequest", textNoLic},
	} {
		r := c.do(c2.method, c2.path, c2.body)
		require.Equal(t, c2.status, r.status, "%s %s: %s", c2.method, c2.path, r.raw)
		code, msg := graphError(t, r)
		assert.Equal(t, c2.code, code, c2.path)
		assert.Equal(t, c2.text, msg, c2.path)
	}

	// Inside $batch, each refusal keeps its own status.
	r = c.do(http.MethodPost, "/$batch", `{"requests":[
		{"id":"1","method":"POST","url":"/groups/`+sampletenant.GroupDynamic+`/members/$ref","headers":{"Content-Type":"application/json"},"body":`+ref(sampletenant.Grace)+`},
		{"id":"2","method":"POST","url":"/groups/`+sampletenant.GroupM365Sec+`/members/$ref","headers":{"Content-Type":"application/json"},"body":`+ref(sampletenant.Grace)+`}]}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	statuses := map[string]float64{}
	for _, x := range r.body["responses"].([]any) {
		m := x.(map[string]any)
		statuses[m["id"].(string)] = m["status"].(float64)
	}
	assert.Equal(t, map[string]float64{"1": 403, "2": 204}, statuses)

	// The test hook's tenant/v1 keeps the fields.
	st := httpGetJSON(t, c.base[:len(c.base)-len("/v1.0")]+"/_fake/state")
	var rule any
	for _, g := range st["groups"].([]any) {
		if g.(map[string]any)["id"] == sampletenant.GroupDynamic {
			rule = g.(map[string]any)["membershipRule"]
		}
	}
	assert.Equal(t, sampletenant.SalesRule, rule)
}

func TestBuilderGroupOf(t *testing.T) {
	tn, err := fake.NewBuilder("t").DefaultUsageLocation("US").
		Sku(skuE3, "ENTERPRISEPACK", 5).
		User("u1", "u1@contoso.com", "US").
		GroupOf(licensing.Group{ID: "g1", DisplayName: "All Staff", Members: []string{"u1"},
			AssignedLicenses: []licensing.AssignedLicense{{SkuID: skuE3}},
			GroupTypes:       []string{"DynamicMembership"}, MembershipRule: "(user.accountEnabled -eq true)"}).
		Build()
	require.NoError(t, err)
	err = tn.RemoveGroupMember(ctx, "g1", "u1")
	assert.True(t, errors.Is(err, licensing.InvalidInput))
	assert.Equal(t, textDynamic, err.(*licensing.Error).Message)
	_, ok := groupPath(getUser(t, tn, "u1"), skuE3, "g1")
	assert.True(t, ok)
}
