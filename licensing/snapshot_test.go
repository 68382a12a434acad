package licensing_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

func writeSnapshot(t *testing.T, s *licensing.Snapshot) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, s.WriteJSON(&b))
	return b.Bytes()
}

func TestSnapshotRoundTrip(t *testing.T) {
	first, err := licensing.ReadSnapshot(bytes.NewReader(sampletenant.JSON()))
	require.NoError(t, err)
	out := writeSnapshot(t, first)
	second, err := licensing.ReadSnapshot(bytes.NewReader(out))
	require.NoError(t, err)
	assert.Equal(t, first, second, "read → write → read gives an equal snapshot")
	assert.Equal(t, string(out), string(writeSnapshot(t, second)), "writing is byte-stable")
	assert.Equal(t, string(out), string(writeSnapshot(t, first)), "writing twice gives the same bytes")

	// One line per SKU, user and group, so that big tenants diff well.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	assert.Equal(t, 4+(2+len(first.SubscribedSkus))+(2+len(first.Users))+(2+len(first.Groups))+1, len(lines))
	assert.Equal(t, `  "formatVersion": "tenant/v1",`, lines[1])
	assert.True(t, json.Valid(out))
}

func TestSnapshotWritesEmptyListsNotNull(t *testing.T) {
	s := &licensing.Snapshot{FormatVersion: licensing.TenantFormatVersion, TenantID: "t",
		Users:  []licensing.User{{ID: "u1"}},
		Groups: []licensing.Group{{ID: "g1"}}}
	out := string(writeSnapshot(t, s))
	assert.NotContains(t, out, "null", "Graph clients choke on null lists")
	assert.Contains(t, out, `"subscribedSkus": []`)
	assert.Contains(t, out, `{"id":"u1","assignedLicenses":[]}`)
	assert.Contains(t, out, `{"id":"g1","members":[],"assignedLicenses":[]}`)
	back, err := licensing.ReadSnapshot(strings.NewReader(out))
	require.NoError(t, err)
	assert.Equal(t, out, string(writeSnapshot(t, back)))
}

// validateCase edits the sample tenant into one that Validate refuses, with the kind and words
// of the error.
type validateCase struct {
	name  string
	edit  func(s *licensing.Snapshot)
	kind  licensing.Kind
	wants []string
}

// validateCases are the documents Validate refuses (ReadSnapshot, NewState and LoadState too).
func validateCases() []validateCase {
	bob := func(s *licensing.Snapshot) *licensing.User { return &s.Users[1] }
	return []validateCase{
		{"wrong formatVersion", func(s *licensing.Snapshot) { s.FormatVersion = "tenant/v2" },
			licensing.InvalidInput, []string{`"tenant/v2"`, `"tenant/v1"`}},
		{"missing formatVersion", func(s *licensing.Snapshot) { s.FormatVersion = "" },
			licensing.InvalidInput, []string{`formatVersion is ""`}},
		{"bad default usage location", func(s *licensing.Snapshot) { s.DefaultUsageLocation = "USA" },
			licensing.InvalidInput, []string{"defaultUsageLocation", `"USA"`}},
		{"duplicate SKU", func(s *licensing.Snapshot) { s.SubscribedSkus = append(s.SubscribedSkus, s.SubscribedSkus[1]) },
			licensing.InvalidInput, []string{"subscribedSkus[7]", sampletenant.E3, "twice"}},
		{"SKU without id", func(s *licensing.Snapshot) { s.SubscribedSkus[2].SkuID = licensing.SkuID{} },
			licensing.InvalidInput, []string{"subscribedSkus[2]", "EXCHANGESTANDARD", "no skuId"}},
		{"duplicate user id", func(s *licensing.Snapshot) { s.Users[3].ID = s.Users[1].ID },
			licensing.InvalidInput, []string{"users[3]", sampletenant.Bob, "twice"}},
		{"user without id", func(s *licensing.Snapshot) { s.Users[2].ID = "" },
			licensing.InvalidInput, []string{"users[2]", "carol@contoso.com", "no id"}},
		{"duplicate UPN", func(s *licensing.Snapshot) { s.Users[2].UserPrincipalName = "BOB@contoso.com" },
			licensing.InvalidInput, []string{sampletenant.Bob, sampletenant.Carol, "BOB@contoso.com"}},
		{"duplicate group id", func(s *licensing.Snapshot) { s.Groups[2].ID = s.Groups[0].ID },
			licensing.InvalidInput, []string{"groups[2]", sampletenant.GroupE3Base, "twice"}},
		{"group without id", func(s *licensing.Snapshot) { s.Groups[1].ID = "" },
			licensing.InvalidInput, []string{"groups[1]", "Licensing_Teams", "no id"}},
		{"unknown member", func(s *licensing.Snapshot) { s.Groups[2].Members = append(s.Groups[2].Members, "nobody") },
			licensing.UnknownUser, []string{"Licensing_EMS", `"nobody"`}},
		{"member twice", func(s *licensing.Snapshot) { s.Groups[2].Members = append(s.Groups[2].Members, s.Groups[2].Members[0]) },
			licensing.InvalidInput, []string{"Licensing_EMS", "twice"}},
		{"unknown SKU on a user", func(s *licensing.Snapshot) {
			bob(s).AssignedLicenses[0].SkuID = licensing.MustParseSkuID("c7df2760-2c81-4ef7-b578-5b5392b571df")
		}, licensing.UnknownSku, []string{"bob@contoso.com", "c7df2760-2c81-4ef7-b578-5b5392b571df", "not in subscribedSkus"}},
		{"unknown SKU on a group", func(s *licensing.Snapshot) {
			s.Groups[1].AssignedLicenses[0].SkuID = licensing.MustParseSkuID("c7df2760-2c81-4ef7-b578-5b5392b571df")
		}, licensing.UnknownSku, []string{"Licensing_Teams", "c7df2760-2c81-4ef7-b578-5b5392b571df"}},
		{"SKU listed twice on a user", func(s *licensing.Snapshot) {
			bob(s).AssignedLicenses = append(bob(s).AssignedLicenses, bob(s).AssignedLicenses[0])
		}, licensing.InvalidInput, []string{"bob@contoso.com", "twice"}},
		{"disabled plan not in the SKU", func(s *licensing.Snapshot) {
			// EXCHANGE_S_ENTERPRISE is not a plan of Exchange Online (Plan 1).
			bob(s).AssignedLicenses[0].DisabledPlans = []licensing.PlanID{licensing.MustParsePlanID("efb87545-963c-4e0d-99df-69c6916d9eb0")}
		}, licensing.UnknownServicePlan, []string{"bob@contoso.com", "efb87545-963c-4e0d-99df-69c6916d9eb0", sampletenant.ExchangeP1}},
		{"bad usage location", func(s *licensing.Snapshot) { bob(s).UsageLocation = "Norway" },
			licensing.InvalidInput, []string{"bob@contoso.com", `"Norway"`}},
		{"lower-case usage location", func(s *licensing.Snapshot) { bob(s).UsageLocation = "us" },
			licensing.InvalidInput, []string{"bob@contoso.com", `"us"`}},
		{"two direct paths of one SKU", func(s *licensing.Snapshot) {
			st := licensing.LicenseAssignmentState{SkuID: bob(s).AssignedLicenses[0].SkuID, State: "Active"}
			bob(s).LicenseAssignmentStates = []licensing.LicenseAssignmentState{st, st}
		}, licensing.InvalidInput, []string{"bob@contoso.com", "two direct"}},
		{"unknown path state", func(s *licensing.Snapshot) {
			bob(s).LicenseAssignmentStates = []licensing.LicenseAssignmentState{{SkuID: bob(s).AssignedLicenses[0].SkuID, State: "Pending"}}
		}, licensing.InvalidInput, []string{"bob@contoso.com", `"Pending"`}},
		{"path with a plan not in the SKU", func(s *licensing.Snapshot) {
			bob(s).LicenseAssignmentStates = []licensing.LicenseAssignmentState{{SkuID: bob(s).AssignedLicenses[0].SkuID, State: "Active",
				DisabledPlans: []licensing.PlanID{licensing.MustParsePlanID("efb87545-963c-4e0d-99df-69c6916d9eb0")}}}
		}, licensing.UnknownServicePlan, []string{"bob@contoso.com", "licenseAssignmentStates"}},
	}
}

func TestSnapshotValidateNamesWhatIsWrong(t *testing.T) {
	cases := validateCases()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := sampletenant.Snapshot()
			tc.edit(s)
			err := s.Validate()
			require.Error(t, err)
			assert.Equal(t, tc.kind, licensing.KindOf(err), "%v", err)
			for _, w := range tc.wants {
				assert.Contains(t, err.Error(), w)
			}

			// ReadSnapshot and NewState refuse the same document the same way.
			var b bytes.Buffer
			require.NoError(t, s.WriteJSON(&b))
			_, rerr := licensing.ReadSnapshot(&b)
			if tc.name != "wrong formatVersion" && tc.name != "missing formatVersion" { // WriteJSON always writes tenant/v1
				assert.Equal(t, err.Error(), rerr.Error())
			}
			_, serr := licensing.NewState(s)
			assert.Equal(t, err.Error(), serr.Error())
		})
	}
}

func TestReadSnapshotReportsJSONErrorsWithTheField(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
	}{
		{"not JSON", `{"formatVersion":"tenant/v1",`, []string{"not valid tenant/v1 JSON"}},
		{"syntax", `{"formatVersion":"tenant/v1" "users":[]}`, []string{"syntax error at offset"}},
		{"wrong type", `{"formatVersion":"tenant/v1","subscribedSkus":[{"skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","consumedUnits":"ten"}]}`,
			[]string{"consumedUnits", "want int"}},
		{"bad GUID", `{"formatVersion":"tenant/v1","subscribedSkus":[{"skuId":"ENTERPRISEPACK"}]}`, []string{`"ENTERPRISEPACK"`}},
		{"empty", ``, []string{"not valid tenant/v1 JSON"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := licensing.ReadSnapshot(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, licensing.InvalidInput)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// A tenant/v1 file put together from Graph responses carries Graph's extra properties.
func TestReadSnapshotAcceptsGraphShapedExports(t *testing.T) {
	const in = `{
  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#tenant",
  "formatVersion": "tenant/v1",
  "tenantId": "48a80680-7326-48cd-9935-b556b81d3a4e",
  "subscribedSkus": [{
    "accountName": "Sample account One", "accountId": "f97aeefc-af85-414d-8ae4-b457f90efc40",
    "appliesTo": "User", "capabilityStatus": "Enabled", "consumedUnits": 14,
    "id": "48a80680-7326-48cd-9935-b556b81d3a4e_c7df2760-2c81-4ef7-b578-5b5392b571df",
    "prepaidUnits": {"enabled": 25, "lockedOut": 0, "suspended": 0, "warning": 0},
    "servicePlans": [{"servicePlanId": "8c098270-9dd4-4350-9b30-ba4703f3b36b", "servicePlanName": "ADALLOM_S_O365", "provisioningStatus": "Success", "appliesTo": "Company"}],
    "skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df", "skuPartNumber": "ENTERPRISEPREMIUM",
    "subscriptionIds": ["43d26afe-cb98-48b9-acc4-ae3ef2ac6c51"]}],
  "users": [{
    "@odata.type": "#microsoft.graph.user", "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
    "userPrincipalName": "AdeleV@contoso.com", "businessPhones": ["+1 425 555 0109"], "mail": "AdeleV@contoso.com",
    "usageLocation": "US", "accountEnabled": true,
    "assignedLicenses": [{"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df", "disabledPlans": ["8c098270-9dd4-4350-9b30-ba4703f3b36b"]}],
    "assignedPlans": [{"capabilityStatus": "Enabled", "service": "exchange"}],
    "licenseAssignmentStates": [{"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df", "disabledPlans": ["8c098270-9dd4-4350-9b30-ba4703f3b36b"],
      "assignedByGroup": null, "state": "Active", "error": "None", "lastUpdatedDateTime": "2024-02-01T10:00:00Z"}]}],
  "groups": []
}`
	s, err := licensing.ReadSnapshot(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, s.SubscribedSkus, 1)
	k := s.SubscribedSkus[0]
	assert.Equal(t, "48a80680-7326-48cd-9935-b556b81d3a4e_c7df2760-2c81-4ef7-b578-5b5392b571df", k.ID, "Graph's id is kept apart from the skuId")
	assert.Equal(t, "c7df2760-2c81-4ef7-b578-5b5392b571df", k.SkuID.String())
	assert.Equal(t, []string{"43d26afe-cb98-48b9-acc4-ae3ef2ac6c51"}, k.SubscriptionIDs)
	require.Len(t, s.Users, 1)
	require.NotNil(t, s.Users[0].AccountEnabled)
	assert.True(t, *s.Users[0].AccountEnabled)
	assert.Equal(t, "2024-02-01T10:00:00Z", s.Users[0].LicenseAssignmentStates[0].LastUpdatedDateTime)

	st, err := licensing.NewState(s)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Subscriptions()[0].Consumed, "consumedUnits are recomputed, not trusted")
	assert.Empty(t, planNames(st, st.EnabledPlans(0)), "the SKU's only plan is disabled")
}

// Graph's own subscribedSkus sample (documentation, synthetic ids) loads as a tenant's SKUs.
func TestGraphSubscribedSkusSample(t *testing.T) {
	b, err := os.ReadFile(sharedData(t, "graph-samples/subscribedSkus.list.graph-docs-v1.0.json"))
	require.NoError(t, err)
	var page struct {
		Value json.RawMessage `json:"value"`
	}
	require.NoError(t, json.Unmarshal(b, &page))
	doc := `{"formatVersion":"tenant/v1","tenantId":"48a80680-7326-48cd-9935-b556b81d3a4e","subscribedSkus":` + string(page.Value) +
		`,"users":[{"id":"u1","userPrincipalName":"u1@contoso.com","usageLocation":"US","assignedLicenses":[]}],"groups":[]}`
	snap, err := licensing.ReadSnapshot(strings.NewReader(doc))
	require.NoError(t, err)
	s, err := licensing.NewState(snap)
	require.NoError(t, err)
	require.Len(t, s.Subscriptions(), 2)
	assert.Equal(t, "ENTERPRISEPREMIUM", s.Subscriptions()[0].Sku.PartNumber)
	assert.Equal(t, 0, s.Subscriptions()[0].Consumed, "consumedUnits are recomputed from the (empty) users")

	// CRMSTANDARD is Suspended in the sample: it may not be newly assigned.
	o := s.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: "u1",
		AddLicenses: []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID("d17b27af-3f49-4822-99f9-56a661538792")}}})
	assert.True(t, o.Refused)
	assert.ErrorIs(t, o.Err(), licensing.SkuNotAssignable)
	assert.Contains(t, o.Err().Error(), "Suspended")
}

// Microsoft's documented licenseAssignmentStates sample: a SKU held directly, one inherited,
// and one both directly and through a group; error "None" and null mean the same.
func TestLicenseAssignmentStatesSample(t *testing.T) {
	b, err := os.ReadFile(sharedData(t, "graph-samples/user.licenseAssignmentStates.v1.0-shape.json"))
	require.NoError(t, err)
	var sample struct {
		ID     string          `json:"id"`
		States json.RawMessage `json:"licenseAssignmentStates"`
	}
	require.NoError(t, json.Unmarshal(b, &sample))
	// The sample reuses the user id as the group id and as a disabled plan id; the tenant around it says so too.
	id := sample.ID
	skus := `[
	 {"skuId":"157870f6-e050-4b3c-ad5e-0f0a377c8f4d","skuPartNumber":"SKU_A","appliesTo":"User","capabilityStatus":"Enabled","prepaidUnits":{"enabled":5},
	  "servicePlans":[{"servicePlanId":"00000000-0000-4000-8000-00000000000a","servicePlanName":"PLAN_A"}]},
	 {"skuId":"1f3174e2-ee9d-49e9-b917-e8d84650f895","skuPartNumber":"SKU_B","appliesTo":"User","capabilityStatus":"Enabled","prepaidUnits":{"enabled":5},
	  "servicePlans":[{"servicePlanId":"00000000-0000-4000-8000-00000000000b","servicePlanName":"PLAN_B"}]},
	 {"skuId":"240622ac-b9b8-4d50-94e2-dad19a3bf4b5","skuPartNumber":"SKU_C","appliesTo":"User","capabilityStatus":"Enabled","prepaidUnits":{"enabled":5},
	  "servicePlans":[{"servicePlanId":"` + id + `","servicePlanName":"PLAN_C1"},{"servicePlanId":"00000000-0000-4000-8000-00000000000c","servicePlanName":"PLAN_C2"}]}]`
	group := `{"id":"` + id + `","displayName":"Sample group","members":["` + id + `"],"assignedLicenses":[
	  {"skuId":"1f3174e2-ee9d-49e9-b917-e8d84650f895","disabledPlans":[]},
	  {"skuId":"240622ac-b9b8-4d50-94e2-dad19a3bf4b5","disabledPlans":["` + id + `"]}]}`
	tenant := func(states string) string {
		return `{"formatVersion":"tenant/v1","tenantId":"t","subscribedSkus":` + skus +
			`,"users":[{"id":"` + id + `","usageLocation":"US","assignedLicenses":[],"licenseAssignmentStates":` + states + `}],"groups":[` + group + `]}`
	}

	load := func(t *testing.T, states string) *licensing.State {
		snap, err := licensing.ReadSnapshot(strings.NewReader(tenant(states)))
		require.NoError(t, err)
		s, err := licensing.NewState(snap)
		require.NoError(t, err)
		return s
	}
	s := load(t, string(sample.States))
	paths := s.Paths(0)
	require.Len(t, paths, 4)
	type row struct{ sku, group, state, err string }
	var got []row
	for _, p := range paths {
		got = append(got, row{s.Catalog().SkuName(p.Sku), p.Group, p.State.String(), p.Error.String()})
	}
	assert.Equal(t, []row{
		{"SKU_A", "", "Active", "None"},
		{"SKU_B", id, "Active", "None"},
		{"SKU_C", "", "Active", "None"},
		{"SKU_C", id, "Active", "None"},
	}, got)
	assert.Equal(t, []string{"PLAN_A", "PLAN_B", "PLAN_C1", "PLAN_C2"}, planNames(s, s.EnabledPlans(0)),
		"the direct SKU_C path enables the plan the group path disables")
	eff := s.Effective(0)
	require.Len(t, eff.Assigned, 3)
	assert.Empty(t, eff.Assigned[2].DisabledPlans, "a plan is in assignedLicenses' disabledPlans only when every path disables it")
	for _, sub := range s.Subscriptions() {
		assert.Equal(t, 1, sub.Consumed, "one seat per SKU however many paths")
	}

	// error null is the same as error "None".
	withNull := strings.ReplaceAll(string(sample.States), `"error": "None"`, `"error": null`)
	require.NotEqual(t, string(sample.States), withNull)
	assert.Equal(t, tenantJSON(t, s), tenantJSON(t, load(t, withNull)))

	// "Other" (what real tenants report for an unexplained failure) puts a path in error that enables nothing.
	withOther := strings.Replace(string(sample.States), `"state": "Active", "error": "None"},
    {"skuId": "240622ac`, `"state": "Error", "error": "Other"},
    {"skuId": "240622ac`, 1)
	require.NotEqual(t, string(sample.States), withOther, "the sample's layout changed")
	so := load(t, withOther)
	b1 := pathsOf(so, 0, "1f3174e2-ee9d-49e9-b917-e8d84650f895")
	require.Len(t, b1, 1)
	assert.Equal(t, licensing.PathError, b1[0].State)
	assert.Equal(t, licensing.Other, b1[0].Error)
	assert.NotContains(t, planNames(so, so.EnabledPlans(0)), "PLAN_B")
	sub, _ := so.Subscription(licensing.MustParseSkuID("1f3174e2-ee9d-49e9-b917-e8d84650f895"))
	assert.Equal(t, 0, sub.Consumed, "a path in error holds no seat")
}

func TestSnapshotHeaderFieldsRoundTrip(t *testing.T) {
	s := sampletenant.Snapshot()
	s.DefaultUsageLocationUnknown = true
	s.ReadAt = "2026-12-07T09:00:00Z"
	s.ReadTimes = map[string]string{"users": "2026-12-07T08:59:00Z", "groups": "2026-12-07T09:00:00Z"}
	s.Gone = &licensing.GoneObjects{Users: []string{"10000000-0000-4000-8000-0000000000ee"}}
	var buf bytes.Buffer
	require.NoError(t, s.WriteJSON(&buf))
	st := requireSameLoad(t, buf.Bytes())
	require.NotNil(t, st)
	assert.True(t, st.DefaultUsageLocationUnknown())
	assert.Equal(t, "2026-12-07T09:00:00Z", st.ReadAt())
	back := st.Snapshot()
	assert.Equal(t, s.ReadTimes, back.ReadTimes)
	assert.Equal(t, s.Gone, back.Gone)

	s.ReadAt = "yesterday"
	err := s.Validate()
	assert.ErrorIs(t, err, licensing.InvalidInput)
	assert.ErrorContains(t, err, `readAt "yesterday" is not an RFC 3339 time`)
	s.ReadAt, s.ReadTimes["users"] = "", "soon"
	assert.ErrorContains(t, s.Validate(), `readTimes["users"] "soon"`)
}
