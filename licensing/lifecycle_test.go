package licensing_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
)

// lifecycleSnapshot is the sample tenant with the lifecycle fields: userType, createdDateTime
// and signInActivity in every shape (recorded, recorded as nothing, absent, Graph's placeholder),
// a disabled user, and subscriptions (a trial, one renewing soon, a deleted one of a SKU that
// subscribedSkus does not list).
func lifecycleSnapshot() *licensing.Snapshot {
	s := sampletenant.Snapshot()
	s.ReadAt = "2026-03-01T08:00:00Z"
	no := false
	u := func(i int, typ, created string, a *licensing.SignInActivity) {
		s.Users[i].UserType, s.Users[i].CreatedDateTime, s.Users[i].SignInActivity = typ, created, a
	}
	u(0, "Member", "2019-04-01T10:00:00Z", &licensing.SignInActivity{LastSignInDateTime: "2026-02-27T09:12:00Z",
		LastNonInteractiveSignInDateTime: "2026-02-28T22:01:05Z", LastSuccessfulSignInDateTime: "2026-02-27T09:12:00Z"})
	u(1, "Guest", "2025-01-10T12:00:00Z", &licensing.SignInActivity{}) // read: no sign-in on record
	u(2, "Member", "2020-06-01T00:00:00Z", &licensing.SignInActivity{LastSignInDateTime: "2025-09-01T07:30:00Z"})
	s.Users[2].AccountEnabled = &no
	u(3, "Member", "2024-05-06T07:08:09.123Z", nil) // not read: unknown
	u(4, "", "", &licensing.SignInActivity{LastSignInDateTime: "2025-12-24T18:00:00+01:00", LastNonInteractiveSignInDateTime: "0001-01-01T00:00:00Z"})
	s.Subscriptions = []licensing.CompanySubscription{
		{ID: "b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a01", CommerceSubscriptionID: "2ab7e8a4-62a1-4f1c-9b0a-6e5f4d3c2b10", SkuID: licensing.MustParseSkuID(sampletenant.E3),
			SkuPartNumber: "ENTERPRISEPACK", Status: "Enabled", TotalLicenses: 25, CreatedDateTime: "2023-03-15T00:00:00Z", NextLifecycleDateTime: "2026-03-15T00:00:00Z"},
		{ID: "b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a02", SkuID: licensing.MustParseSkuID(sampletenant.EMS), SkuPartNumber: "EMS", Status: "Enabled",
			TotalLicenses: 3, IsTrial: true, CreatedDateTime: "2026-02-01T00:00:00Z", NextLifecycleDateTime: "2026-03-03T00:00:00Z"},
		{ID: "b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a03", SkuID: licensing.MustParseSkuID("c7df2760-2c81-4ef7-b578-5b5392b571df"), SkuPartNumber: "ENTERPRISEPREMIUM",
			Status: "Deleted", TotalLicenses: 0},
	}
	return s
}

// The fixture is what WriteJSON writes for lifecycleSnapshot, byte for byte: the shapes of the
// new fields, and a file that reads back equal.
func TestLifecycleFieldsRoundTrip(t *testing.T) {
	want := lifecycleSnapshot()
	require.NoError(t, want.Validate())
	out := writeSnapshot(t, want)
	golden := filepath.Join("testdata", "tenant-lifecycle.json")
	if os.Getenv("LICENSEPLAN_UPDATE_GOLDEN") != "" {
		require.NoError(t, os.WriteFile(golden, out, 0o644))
	}
	file, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(file), string(out))
	for _, line := range []string{
		`"userType":"Guest","createdDateTime":"2025-01-10T12:00:00Z","signInActivity":{}`,
		`"signInActivity":{"lastSignInDateTime":"2026-02-27T09:12:00Z","lastNonInteractiveSignInDateTime":"2026-02-28T22:01:05Z","lastSuccessfulSignInDateTime":"2026-02-27T09:12:00Z"}`,
		`{"id":"b0a4d6a1-0b1c-4b6f-9a51-8d0f8e7c6a02","skuId":"efccb6f7-5641-4e0e-bd10-b4976e1bf68e","skuPartNumber":"EMS","status":"Enabled","totalLicenses":3,"isTrial":true,"createdDateTime":"2026-02-01T00:00:00Z","nextLifecycleDateTime":"2026-03-03T00:00:00Z"}`,
	} {
		assert.Contains(t, string(out), line)
	}

	back, err := licensing.ReadSnapshot(bytes.NewReader(out))
	require.NoError(t, err)
	assert.Equal(t, want.Users, back.Users)
	assert.Equal(t, want.Subscriptions, back.Subscriptions)
	assert.NotNil(t, back.Users[1].SignInActivity, "{} stays present: read, nothing recorded")
	assert.Nil(t, back.Users[3].SignInActivity, "absent stays absent: unknown")

	// Both loads keep them on the State and export them unchanged.
	for name, load := range map[string]func() (*licensing.State, error){
		"NewState":  func() (*licensing.State, error) { return licensing.NewState(back) },
		"LoadState": func() (*licensing.State, error) { return licensing.LoadState(bytes.NewReader(out)) },
	} {
		st, err := load()
		require.NoError(t, err, name)
		exported := st.Snapshot()
		assert.Equal(t, want.ReadAt, exported.ReadAt, name)
		assert.Equal(t, want.Subscriptions, exported.Subscriptions, name)
		for i := range want.Users {
			u := exported.Users[i]
			assert.Equal(t, want.Users[i].AccountEnabled, u.AccountEnabled, name)
			assert.Equal(t, want.Users[i].UserType, u.UserType, name)
			assert.Equal(t, want.Users[i].CreatedDateTime, u.CreatedDateTime, name)
			assert.Equal(t, want.Users[i].SignInActivity, u.SignInActivity, name)
		}
		for i := range want.Users {
			got := st.User(i)
			assert.Equal(t, want.Users[i].UserType, got.UserType, name)
			assert.Equal(t, want.Users[i].CreatedDateTime, got.CreatedDateTime, name)
			assert.Equal(t, want.Users[i].SignInActivity, got.SignInActivity, name)
		}
		subs, ok := st.CompanySubscriptions()
		assert.True(t, ok, name)
		assert.Equal(t, want.Subscriptions, subs, name)
		assert.False(t, st.SignInActivityUnknown(), name)
	}
	requireSameLoad(t, out)
}

// Files without the new fields read as before: nothing is invented.
func TestLifecycleFieldsAbsent(t *testing.T) {
	for name, load := range map[string]func() (*licensing.State, error){
		"NewState":  func() (*licensing.State, error) { return licensing.NewState(sampletenant.Snapshot()) },
		"LoadState": func() (*licensing.State, error) { return licensing.LoadState(bytes.NewReader(sampletenant.JSON())) },
	} {
		st, err := load()
		require.NoError(t, err)
		subs, ok := st.CompanySubscriptions()
		assert.False(t, ok, "%s: subscriptions not read", name)
		assert.Nil(t, subs)
		assert.False(t, st.SignInActivityUnknown(), name)
		for i := 0; i < st.NumUsers(); i++ {
			u := st.User(i)
			assert.Empty(t, u.UserType, name)
			assert.Empty(t, u.CreatedDateTime, name)
			assert.Nil(t, u.SignInActivity, name)
		}
		out := tenantJSON(t, st)
		for _, key := range []string{"subscriptions", "signInActivity", "userType", "createdDateTime"} {
			assert.NotContains(t, out, `"`+key+`"`, name)
		}
	}
	// An empty list of subscriptions (read: none) is not an absent one (not read).
	doc := `{"formatVersion":"tenant/v1","tenantId":"t","signInActivityUnknown":true,"subscribedSkus":[],"subscriptions":[],"users":[],"groups":[]}`
	for _, st := range []*licensing.State{mustNewState(t, doc), mustLoadState(t, doc)} {
		subs, ok := st.CompanySubscriptions()
		assert.True(t, ok)
		assert.Empty(t, subs)
		assert.True(t, st.SignInActivityUnknown())
		out := tenantJSON(t, st)
		assert.Contains(t, out, "\"subscriptions\": []")
		assert.Contains(t, out, "\"signInActivityUnknown\": true")
	}
}

func mustNewState(t *testing.T, doc string) *licensing.State {
	t.Helper()
	s, err := licensing.ReadSnapshot(strings.NewReader(doc))
	require.NoError(t, err)
	st, err := licensing.NewState(s)
	require.NoError(t, err)
	return st
}

func mustLoadState(t *testing.T, doc string) *licensing.State {
	t.Helper()
	st, err := licensing.LoadState(strings.NewReader(doc))
	require.NoError(t, err)
	return st
}

// Validate names the bad field, and LoadState refuses the same with the same words, in any order
// of the lists.
func TestLifecycleFieldsValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(s *licensing.Snapshot)
		want []string
	}{
		{"userType", func(s *licensing.Snapshot) { s.Users[1].UserType = "guest" },
			[]string{"bob@contoso.com", `userType "guest"`, "Member or Guest"}},
		{"createdDateTime", func(s *licensing.Snapshot) { s.Users[1].CreatedDateTime = "2024-13-01T00:00:00Z" },
			[]string{"bob@contoso.com", `createdDateTime "2024-13-01T00:00:00Z"`, "RFC 3339"}},
		{"createdDateTime without a zone", func(s *licensing.Snapshot) { s.Users[1].CreatedDateTime = "2024-01-01 10:00" },
			[]string{"bob@contoso.com", "createdDateTime", "RFC 3339"}},
		{"lastSignInDateTime", func(s *licensing.Snapshot) { s.Users[2].SignInActivity.LastSignInDateTime = "yesterday" },
			[]string{"carol@contoso.com", `signInActivity.lastSignInDateTime "yesterday"`}},
		{"lastNonInteractiveSignInDateTime", func(s *licensing.Snapshot) {
			s.Users[0].SignInActivity.LastNonInteractiveSignInDateTime = "2026-02-30T00:00:00Z"
		}, []string{"alice@contoso.com", "signInActivity.lastNonInteractiveSignInDateTime"}},
		{"lastSuccessfulSignInDateTime", func(s *licensing.Snapshot) { s.Users[1].SignInActivity.LastSuccessfulSignInDateTime = "1" },
			[]string{"bob@contoso.com", "signInActivity.lastSuccessfulSignInDateTime"}},
		{"subscription without id", func(s *licensing.Snapshot) { s.Subscriptions[1].ID = "" },
			[]string{"subscriptions[1] (EMS) has no id"}},
		{"subscription id twice", func(s *licensing.Snapshot) { s.Subscriptions[2].ID = strings.ToUpper(s.Subscriptions[0].ID) },
			[]string{"subscriptions[2] (ENTERPRISEPREMIUM)", "appears twice", "subscriptions[0]"}},
		{"subscription without skuId", func(s *licensing.Snapshot) { s.Subscriptions[0].SkuID = licensing.SkuID{} },
			[]string{"subscriptions[0] (ENTERPRISEPACK)", "no skuId"}},
		{"negative totalLicenses", func(s *licensing.Snapshot) { s.Subscriptions[1].TotalLicenses = -1 },
			[]string{"subscriptions[1] (EMS)", "totalLicenses is -1"}},
		{"nextLifecycleDateTime", func(s *licensing.Snapshot) { s.Subscriptions[1].NextLifecycleDateTime = "2026-03-03" },
			[]string{"subscriptions[1] (EMS)", `nextLifecycleDateTime "2026-03-03"`, "RFC 3339"}},
		{"subscription createdDateTime", func(s *licensing.Snapshot) {
			s.Subscriptions[2].SkuPartNumber = ""
			s.Subscriptions[2].CreatedDateTime = "x"
		}, []string{"subscriptions[2]: createdDateTime \"x\""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := lifecycleSnapshot()
			tc.edit(s)
			err := s.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, licensing.InvalidInput)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			_, err2 := licensing.ReadSnapshot(bytes.NewReader(writeSnapshot(t, s)))
			require.Error(t, err2)
			assert.Equal(t, err.Error(), err2.Error())
			for _, order := range keyOrders[:5] {
				data := lifecycleDocInOrder(t, s, order)
				_, lerr := licensing.LoadState(bytes.NewReader(data))
				require.Error(t, lerr)
				assert.Equal(t, err.Error(), lerr.Error(), "order %v", order)
				requireSameLoad(t, data)
			}
		})
	}
	// Which error comes first does not depend on where the subscriptions are: they are checked
	// with the top-level fields, before the SKUs, groups and users.
	s := lifecycleSnapshot()
	s.Users[1].UserType = "guest"
	s.Subscriptions[0].ID = ""
	err := s.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "subscriptions[0]")
}

// lifecycleDocInOrder is docInOrder with the lifecycle top-level keys: subscriptions first or
// last, signInActivityUnknown in the middle.
func lifecycleDocInOrder(t *testing.T, s *licensing.Snapshot, order []string) []byte {
	t.Helper()
	doc := string(docInOrder(t, s, order...))
	b, err := json.Marshal(s.Subscriptions)
	require.NoError(t, err)
	subs := string(b)
	if strings.HasPrefix(order[0], "formatVersion") {
		return []byte(strings.Replace(doc, "{", `{"subscriptions": `+subs+`, "readAt": "`+s.ReadAt+`",`, 1))
	}
	return []byte(strings.TrimSuffix(doc, "}") + `, "signInActivityUnknown": false, "subscriptions": ` + subs + "}")
}

// LoadState reads the lifecycle fields as ReadSnapshot does in every shape encoding/json takes
// or refuses (the parser's own reading or its fallback to encoding/json), with the same errors.
func TestLoadStateReadsLifecycleFieldsAsReadSnapshot(t *testing.T) {
	const sku = `"subscribedSkus":[{"skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","skuPartNumber":"E3","appliesTo":"User","capabilityStatus":"Enabled","prepaidUnits":{"enabled":1},"servicePlans":[]}]`
	doc := func(users string) string {
		return `{"formatVersion":"tenant/v1","tenantId":"t",` + sku + `,"users":[` + users + `],"groups":[]}`
	}
	for _, in := range []string{
		doc(`{"id":"u1","userType":"Member","createdDateTime":"2020-01-02T03:04:05Z","signInActivity":{"lastSignInDateTime":"2026-01-01T00:00:00Z","lastSignInRequestId":"r1","lastNonInteractiveSignInDateTime":null,"lastNonInteractiveSignInRequestId":"","lastSuccessfulSignInDateTime":"2025-12-31T23:59:59.5Z","lastSuccessfulSignInRequestId":"r3","@odata.type":"#microsoft.graph.signInActivity"}}`),
		doc(`{"id":"u1","signInActivity":{}},{"id":"u2","signInActivity":null},{"id":"u3","userType":null,"createdDateTime":null},{"id":"u4","createdDateTime":""}`),
		doc(`{"id":"u1","signInActivity":{"lastSignInDateTime":"2026-01-01T00:00:00Z","lastSignInDateTime":"2026-01-02T00:00:00Z"}}`),
		doc(`{"id":"u1","signInActivity":{"LastSignInDateTime":"2026-01-01T00:00:00Z"}}`),
		doc(`{"id":"u1","SignInActivity":{"lastSignInDateTime":"2026-01-01T00:00:00Z"},"UserType":"Guest"}`),
		doc(`{"id":"u1","signInActivity":null,"signInActivity":{"lastSignInDateTime":"2026-01-01T00:00:00Z"}}`),
		doc(`{"id":"u1","signInActivity":{"lastSignInDateTime":"2026-01-01T00:00:00Z"},"signInActivity":null}`),
		doc(`{"id":"u1","signInActivity":{"lastSignInDateTime":"\u0032026-01-01T00:00:00Z"}}`),
		doc(`{"id":"u1","signInActivity":{"lastSignInDateTime":5}}`),
		doc(`{"id":"u1","signInActivity":[]}`),
		doc(`{"id":"u1","signInActivity":"2026-01-01T00:00:00Z"}`),
		doc(`{"id":"u1","userType":true}`),
		doc(`{"id":"u1","userType":"Visitor"}`),
		doc(`{"id":"u1","createdDateTime":20200102}`),
		doc(`{"id":"u1","createdDateTime":"not a time"}`),
		doc(`{"id":"u1","signInActivity":{"lastSignInDateTime":"not a time"}}`),
		doc(`{"id":"u1","signInActivity":{"nested":{"a":[1,{"b":null}]}}}`),
		`{"formatVersion":"tenant/v1","tenantId":"t","subscriptions":{},"users":[]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","subscriptions":null,"users":[]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","subscriptions":[{"id":"s1","skuId":"bad"}],"users":[]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","subscriptions":[{"id":"s1","skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","totalLicenses":"25"}],"users":[]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","subscriptions":[{"id":"s1","skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","isTrial":null,"ownerId":"o","serviceStatus":[{"servicePlanId":"x"}]}],"users":[]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","subscriptions":[{"id":"s1","skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900"}],"users":[],"subscriptions":[{"id":"s2","skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","totalLicenses":3}]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","Subscriptions":[{"id":"s1","skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900"}],"SIGNINACTIVITYUNKNOWN":true}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","signInActivityUnknown":"yes"}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","signInActivityUnknown":null}`,
	} {
		t.Run(in, func(t *testing.T) {
			requireSameLoad(t, []byte(in))
			if _, err := licensing.LoadState(strings.NewReader(in)); err != nil {
				assert.NotEqual(t, licensing.Other, licensing.KindOf(err))
			}
		})
	}
}

// A synthetic tenant with lifecycle data loads the same both ways, at a size where the loader's
// blocks and the parser's buffers are reused.
func TestLoadStateMatchesNewStateWithLifecycle(t *testing.T) {
	for _, n := range []int{30, 2500} {
		o := synth.DefaultOptions(n)
		o.Lifecycle = true
		o.Seed = uint64(n)
		var b bytes.Buffer
		require.NoError(t, synth.Tenant(o).WriteJSON(&b))
		st := requireSameLoad(t, b.Bytes())
		subs, ok := st.CompanySubscriptions()
		require.True(t, ok)
		assert.NotEmpty(t, subs)
	}
}

func TestSignInActivityLatest(t *testing.T) {
	var none *licensing.SignInActivity
	_, ok := none.Latest()
	assert.False(t, ok, "nil: unknown")
	_, ok = (&licensing.SignInActivity{LastNonInteractiveSignInDateTime: "0001-01-01T00:00:00Z"}).Latest()
	assert.False(t, ok, "Graph's placeholder is no record")
	got, ok := (&licensing.SignInActivity{LastSignInDateTime: "2026-01-01T00:00:00Z", LastNonInteractiveSignInDateTime: "2026-01-02T01:00:00+02:00",
		LastSuccessfulSignInDateTime: "2025-12-01T00:00:00Z"}).Latest()
	require.True(t, ok)
	assert.Equal(t, "2026-01-01T23:00:00Z", got.UTC().Format(time.RFC3339))
	c := licensing.CompanySubscription{NextLifecycleDateTime: "2026-03-03T00:00:00Z"}
	next, ok := c.NextLifecycle()
	require.True(t, ok)
	assert.Equal(t, 2026, next.Year())
	_, ok = (&licensing.CompanySubscription{}).NextLifecycle()
	assert.False(t, ok)
	_, ok = licensing.ParseDateTime("2026-01-01")
	assert.False(t, ok)
}
