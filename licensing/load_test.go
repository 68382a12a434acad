package licensing_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/parallel"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
)

// oldLoad is what LoadState must equal: NewState(ReadSnapshot(data)).
func oldLoad(data []byte) (*licensing.State, error) {
	snap, err := licensing.ReadSnapshot(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return licensing.NewState(snap)
}

// isRepeatedList reports LoadState's one refusal that ReadSnapshot does not share.
func isRepeatedList(err error) bool {
	return err != nil && strings.Contains(err.Error(), "tenant file has \"") && strings.HasSuffix(err.Error(), "\" twice")
}

// requireSameLoad checks that LoadState reads data as NewState(ReadSnapshot(data)) does: the
// same error, or a State that exports the same document and has the same users and groups.
func requireSameLoad(t *testing.T, data []byte) *licensing.State {
	t.Helper()
	want, werr := oldLoad(data)
	got, gerr := licensing.LoadState(bytes.NewReader(data))
	if werr != nil {
		require.Error(t, gerr, "LoadState accepts what ReadSnapshot+NewState refuse (%v):\n%s", werr, data)
		require.Equal(t, werr.Error(), gerr.Error(), "%s", data)
		require.Equal(t, licensing.KindOf(werr), licensing.KindOf(gerr))
		return nil
	}
	require.NoError(t, gerr, "%s", data)
	require.Equal(t, tenantJSON(t, want), tenantJSON(t, got))
	require.Equal(t, want.NumUsers(), got.NumUsers())
	wsubs, wok := want.CompanySubscriptions()
	gsubs, gok := got.CompanySubscriptions()
	require.Equal(t, wok, gok)
	require.Equal(t, wsubs, gsubs)
	require.Equal(t, want.SignInActivityUnknown(), got.SignInActivityUnknown())
	for i := 0; i < want.NumUsers(); i++ {
		w, g := want.User(i), got.User(i)
		dir := func(u *licensing.User) licensing.User {
			return licensing.User{ID: u.ID, UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName, AccountEnabled: u.AccountEnabled,
				UserType: u.UserType, CreatedDateTime: u.CreatedDateTime, SignInActivity: u.SignInActivity,
				UsageLocation: u.UsageLocation, Department: u.Department, JobTitle: u.JobTitle, OnPremisesExtensionAttributes: u.OnPremisesExtensionAttributes}
		}
		require.Equal(t, dir(w), dir(g))
		require.Nil(t, g.AssignedLicenses, "LoadState keeps no license fields")
		require.Nil(t, g.LicenseAssignmentStates)
		require.Equal(t, want.UserGroups(i), got.UserGroups(i))
		for _, ref := range []string{w.ID, w.UserPrincipalName, strings.ToUpper(w.UserPrincipalName)} {
			wi, werr := want.LookupUser(ref)
			gi, gerr := got.LookupUser(ref)
			require.Equal(t, wi, gi, ref)
			require.Equal(t, werr == nil, gerr == nil)
		}
	}
	for i := 0; i < want.NumGroups(); i++ {
		require.Equal(t, want.Group(i).ID, got.Group(i).ID)
		require.Equal(t, want.Group(i).DisplayName, got.Group(i).DisplayName)
		require.Equal(t, want.GroupMembers(i), got.GroupMembers(i))
		require.Equal(t, want.GroupLicenses(i), got.GroupLicenses(i))
		require.Nil(t, got.Group(i).Members, "LoadState keeps no member lists")
		kind := func(g *licensing.Group) licensing.Group {
			return licensing.Group{GroupTypes: g.GroupTypes, SecurityEnabled: g.SecurityEnabled, MailEnabled: g.MailEnabled, MembershipRule: g.MembershipRule,
				MembershipRuleProcessingState: g.MembershipRuleProcessingState, OnPremisesSyncEnabled: g.OnPremisesSyncEnabled}
		}
		require.Equal(t, kind(want.Group(i)), kind(got.Group(i)))
	}
	return got
}

func synthJSON(t testing.TB, users int, seed uint64) []byte {
	o := synth.DefaultOptions(users)
	o.Seed = seed
	var b bytes.Buffer
	require.NoError(t, synth.Tenant(o).WriteJSON(&b))
	return b.Bytes()
}

// corpusInputs returns the inputs of a fuzz corpus in testdata.
func corpusInputs(t *testing.T, fuzzer string) [][]byte {
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", fuzzer, "*"))
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, line := range strings.Split(string(b), "\n") {
			if lit, ok := strings.CutPrefix(line, "[]byte("); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
				require.NoError(t, err, f)
				out = append(out, []byte(s))
			}
		}
	}
	return out
}

func TestLoadStateMatchesNewState(t *testing.T) {
	docs := map[string][]byte{"contoso": sampletenant.JSON()}
	for _, n := range []int{1, 40, 700, 3000} {
		for seed := uint64(1); seed <= 3; seed++ {
			docs[fmt.Sprintf("synth-%d-%d", n, seed)] = synthJSON(t, n, seed)
		}
	}
	for name, data := range docs {
		t.Run(name, func(t *testing.T) {
			st := requireSameLoad(t, data)
			// The export reports every path (group paths included), and loads the same way.
			exported := tenantJSON(t, st)
			again := requireSameLoad(t, []byte(exported))
			assert.Equal(t, exported, tenantJSON(t, again))
		})
	}
	for i, in := range corpusInputs(t, "FuzzReadSnapshot") {
		t.Run(fmt.Sprintf("corpus-%d", i), func(t *testing.T) { requireSameLoad(t, in) })
	}
}

// docInOrder writes s as a tenant/v1 object with the top-level keys in the order given (each
// "key" or "key=raw JSON" for a key of one's own).
func docInOrder(t *testing.T, s *licensing.Snapshot, keys ...string) []byte {
	t.Helper()
	fields := map[string]any{"formatVersion": s.FormatVersion, "tenantId": s.TenantID, "defaultUsageLocation": s.DefaultUsageLocation,
		"subscribedSkus": s.SubscribedSkus, "users": s.Users, "groups": s.Groups}
	var b bytes.Buffer
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",\n")
		}
		name, raw, own := strings.Cut(k, "=")
		if !own {
			v, err := json.Marshal(fields[strings.ToLower(name[:1])+name[1:]])
			require.NoError(t, err)
			raw = string(v)
		}
		fmt.Fprintf(&b, "%q: %s", name, raw)
	}
	b.WriteString("}")
	return b.Bytes()
}

var keyOrders = [][]string{
	{"formatVersion", "tenantId", "defaultUsageLocation", "subscribedSkus", "users", "groups"},
	{"formatVersion", "tenantId", "users", "subscribedSkus", "groups", "defaultUsageLocation"},
	{"formatVersion", "subscribedSkus", "groups", "users", "tenantId", "defaultUsageLocation"},
	{"groups", "users", "subscribedSkus", "defaultUsageLocation", "tenantId", "formatVersion"},
	{"users", "groups", "defaultUsageLocation", "tenantId", "formatVersion", "subscribedSkus"},
	{`@odata.context="https://graph.microsoft.com/v1.0/$metadata"`, "formatVersion", `extra={"a":[1,-2.5e3,{"b":null,"c":true}],"users":[]}`,
		"TenantId", "DefaultUsageLocation", "SubscribedSkus", "Users", `more=["x"]`, "Groups", `last=null`},
}

func TestLoadStateReadsKeysInAnyOrder(t *testing.T) {
	o := synth.DefaultOptions(500)
	o.Seed = 7
	for name, snap := range map[string]*licensing.Snapshot{"contoso": sampletenant.Snapshot(), "synth": synth.Tenant(o)} {
		want, err := licensing.NewState(snap)
		require.NoError(t, err)
		exported := tenantJSON(t, want)
		reported, err := licensing.ReadSnapshot(strings.NewReader(exported))
		require.NoError(t, err)
		for i, order := range keyOrders {
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				got := requireSameLoad(t, docInOrder(t, snap, order...))
				assert.Equal(t, exported, tenantJSON(t, got))
				got = requireSameLoad(t, docInOrder(t, reported, order...))
				assert.Equal(t, exported, tenantJSON(t, got), "with every path reported")
			})
		}
	}
}

func TestLoadStateRefusesWhatValidateRefuses(t *testing.T) {
	cases := validateCases()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := sampletenant.Snapshot()
			tc.edit(s)
			verr := s.Validate()
			require.Error(t, verr)
			for _, order := range keyOrders[:5] {
				data := docInOrder(t, s, order...)
				requireSameLoad(t, data)
				_, err := licensing.LoadState(bytes.NewReader(data))
				assert.Equal(t, verr.Error(), err.Error(), "the error does not depend on the order of the lists")
				assert.Equal(t, tc.kind, licensing.KindOf(err))
			}
		})
	}
	// Two faults at once: the one Validate reports first, whatever the order of the lists.
	for i, a := range cases {
		for j, b := range cases {
			if i == j {
				continue
			}
			s := sampletenant.Snapshot()
			a.edit(s)
			b.edit(s)
			verr := s.Validate()
			for _, order := range [][]string{keyOrders[0], keyOrders[2], keyOrders[3]} { // [2]: groups before users
				_, err := licensing.LoadState(bytes.NewReader(docInOrder(t, s, order...)))
				if assert.Error(t, err, "%s + %s", a.name, b.name) && verr != nil {
					assert.Equal(t, verr.Error(), err.Error(), "%s + %s, order %v", a.name, b.name, order)
				}
			}
		}
	}
}

func TestLoadStateReportsJSONErrorsAsReadSnapshot(t *testing.T) {
	for _, in := range []string{
		``, `   `, `{`, `{"formatVersion":"tenant/v1",`, `{"formatVersion":"tenant/v1" "users":[]}`, `[]`, `null`, `"x"`, `12`, `tru`, `nul `,
		`{"formatVersion":"tenant/v1","subscribedSkus":[{"skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","consumedUnits":"ten"}]}`,
		`{"formatVersion":"tenant/v1","subscribedSkus":[{"skuId":"ENTERPRISEPACK"}]}`,
		`{"formatVersion":1,"users":{},"groups":"g","tenantId":[1]}`,
		`{"users":[{"id":"u","assignedLicenses":[{"skuId":"bad"}]},{"id":5}],"groups":[1,{"id":[]}]}`,
		`{"users":[{"id":5}],"groups":[{"members":[{"skuId":"bad"}]}],"x":[1}`,
		`{"users":[{"id":"a"} {"id":"b"}]}`, `{"users":[{"id":"a"},]}`, `{"users":[,]}`, `{"users":[}`, `{"users":]`, `{"users" 1}`,
		`{"users":[],}`, `{,}`, `{"a":1 "b":2}`, `{"a":-}`, `{"a":1.}`, `{"a":01}`, `{"a":1e+}`, `{"a":"\x01"}`, `{"a\q":1}`, `{"users":[1x]}`,
		`{"users":[{"id":"u1","userPrincipalName":"A\u00e9\ud800","displayName":"\u0026","assignedLicenses":null}]}`,
		`{"formatVersion":"tenant/v1","users":[{"ID":"u1","Id":"u2","assignedLicenses":[]}],"Groups":null}`,
		`{"formatVersion":"tenant/v1","users":[{"id":"u1","assignedLicenses":[],"accountEnabled":1}]}`,
		`{"formatVersion":"tenant/v1","users":[{"id":"u1","onPremisesExtensionAttributes":{"a":"1","a":"2","b":null}}]}`,
		`{"formatVersion":"tenant/v1","users":[{"id":"u1","licenseAssignmentStates":[{"assignedByGroup":"g","state":5}]}],"groups":[]}`,
		"\ufeff{}", `{"formatVersion":"tenant/v1"}trailing`,
		// The group kind fields, in every shape json.Unmarshal accepts or refuses.
		`{"formatVersion":"tenant/v1","tenantId":"t","users":[{"id":"u1"}],"groups":[` +
			`{"id":"g1","members":["u1"],"groupTypes":["DynamicMembership","Unified"],"securityEnabled":true,"mailEnabled":true,"membershipRule":"(user.department -eq \"Sales\")","membershipRuleProcessingState":"On","onPremisesSyncEnabled":null},` +
			`{"id":"g2","groupTypes":[],"securityEnabled":false,"mailEnabled":null,"membershipRule":null,"onPremisesSyncEnabled":true},` +
			`{"id":"g3","groupTypes":null,"securityEnabled":null,"mailEnabled":false,"membershipRuleProcessingState":null,"onPremisesSyncEnabled":false}]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","groups":[{"id":"g1","groupTypes":["Unified",null]}]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","groups":[{"id":"g1","groupTypes":"Unified"}]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","groups":[{"id":"g1","securityEnabled":"true"}]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","groups":[{"id":"g1","SecurityEnabled":true,"securityEnabled":false}]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","groups":[{"id":"g1","mailEnabled":true,"mailEnabled":false}]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","groups":[{"id":"g1","membershipRule":5}]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","groups":[{"id":"g1","groupTypes":[1]}]}`,
		`{"formatVersion":"tenant/v1","tenantId":"t","groups":[{"id":"g1","groupTypes":["\u0055nified"],"membershipRule":"a\u00e9"}]}`,
	} {
		t.Run(in, func(t *testing.T) {
			requireSameLoad(t, []byte(in))
			if _, err := licensing.LoadState(strings.NewReader(in)); err != nil {
				assert.NotEqual(t, licensing.Other, licensing.KindOf(err))
			}
		})
	}
}

// Every prefix of a document, and documents with one byte changed or dropped: the same error
// (message and offset) or the same State.
func TestLoadStateTruncatedAndMangled(t *testing.T) {
	snap := sampletenant.Snapshot()
	snap.Users = snap.Users[:6]
	kept := map[string]bool{}
	for _, u := range snap.Users {
		kept[u.ID] = true
	}
	for i := range snap.Groups {
		var ms []string
		for _, m := range snap.Groups[i].Members {
			if kept[m] {
				ms = append(ms, m)
			}
		}
		snap.Groups[i].Members = ms
	}
	require.NoError(t, snap.Validate())
	// And the same users with the lifecycle fields, and the subscriptions.
	life := lifecycleSnapshot()
	life.Users, life.Groups = slices.Clone(snap.Users), snap.Groups
	for i := range life.Users {
		life.Users[i].UserType, life.Users[i].CreatedDateTime, life.Users[i].SignInActivity = []string{"Member", "Guest"}[i%2], "2024-05-06T07:08:09Z",
			&licensing.SignInActivity{LastSignInDateTime: "2026-01-02T03:04:05Z", LastSuccessfulSignInDateTime: "2025-01-02T03:04:05.5+01:00"}
	}
	life.Users[3].SignInActivity = &licensing.SignInActivity{}
	life.Users[4].SignInActivity = nil
	life.Subscriptions = life.Subscriptions[:2]
	require.NoError(t, life.Validate())
	docs := [][]byte{writeSnapshot(t, snap), docInOrder(t, snap, keyOrders[3]...), writeSnapshot(t, life)}
	for d, doc := range docs {
		stride := 37 // LICENSEPLAN_LONG=1: every third prefix
		if long() {
			stride = 3
		}
		for n := 0; n < len(doc)-1; n += stride {
			_, err := licensing.LoadState(bytes.NewReader(doc[:n]))
			require.ErrorIs(t, err, licensing.InvalidInput)
			want, werr := oldLoad(doc[:n])
			require.Nil(t, want)
			require.Equal(t, werr.Error(), err.Error(), "doc %d, prefix of %d bytes", d, n)
		}
		step := 401 // LICENSEPLAN_LONG=1: every 89th position (every one would take minutes; the fuzzer goes further)
		if long() {
			step = 89
		}
		for i := 0; i < len(doc); i += step {
			for _, c := range []byte{'x', '"', ',', ':', '{', '}', '[', ']', ' ', '0', '-', '\\', 1, 'n', 0xff} {
				m := bytes.Clone(doc)
				m[i] = c
				if _, err := licensing.LoadState(bytes.NewReader(m)); !isRepeatedList(err) {
					requireSameLoad(t, m)
				}
			}
			m := append(bytes.Clone(doc[:i]), doc[i+1:]...)
			if _, err := licensing.LoadState(bytes.NewReader(m)); !isRepeatedList(err) {
				requireSameLoad(t, m)
			}
		}
	}
}

func TestLoadStateRefusesARepeatedList(t *testing.T) {
	for _, again := range []string{`users=[]`, `USERS=null`, `subscribedSkus=[]`} {
		doc := docInOrder(t, sampletenant.Snapshot(), "formatVersion", "tenantId", "subscribedSkus", "users", "groups", again)
		_, err := licensing.LoadState(bytes.NewReader(doc))
		assert.ErrorIs(t, err, licensing.InvalidInput)
		assert.True(t, isRepeatedList(err), "%v", err)
	}
	// A syntax error still comes first, as it does for ReadSnapshot.
	doc := docInOrder(t, sampletenant.Snapshot(), "formatVersion", "users", `users=[}`)
	requireSameLoad(t, doc)
}

// A reader that fails: its error, as ReadSnapshot reports it.
func TestLoadStateReportsReadErrors(t *testing.T) {
	doc := sampletenant.JSON()
	for _, n := range []int{0, 1, 100, 5000} {
		r := &failingReader{data: doc[:n]}
		_, err := licensing.LoadState(r)
		_, werr := licensing.ReadSnapshot(&failingReader{data: doc[:n]})
		require.Error(t, err)
		assert.Equal(t, werr.Error(), err.Error())
	}
}

type failingReader struct{ data []byte }

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, fmt.Errorf("disk on fire")
	}
	n := copy(p[:min(len(p), 7)], r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestLoadStateWithOptions(t *testing.T) {
	data := sampletenant.JSON()
	cat := smallCatalog(t)
	snap, err := licensing.ReadSnapshot(bytes.NewReader(data))
	require.NoError(t, err)
	want, err := licensing.NewState(snap, licensing.WithCatalog(cat), licensing.WithRules(licensing.DefaultRules()))
	require.NoError(t, err)
	got, err := licensing.LoadState(bytes.NewReader(data), licensing.WithCatalog(cat), licensing.WithRules(licensing.DefaultRules()))
	require.NoError(t, err)
	assert.Equal(t, tenantJSON(t, want), tenantJSON(t, got))
	assert.Equal(t, viewOf(want.Catalog()), viewOf(got.Catalog()))
}

// LoadState reads the same tenant whatever sizes of reads its reader makes, a value longer
// than one read (here a group of every user) included. That it scans such a value again only
// as its buffer doubles, not on every read, is counted by internal/tenantload's TestLoadScansLinearly.
func TestLoadStateReadsAnyReadSize(t *testing.T) {
	n := 2000
	snap := synth.Tenant(synth.DefaultOptions(n))
	g := &snap.Groups[0]
	g.Members = g.Members[:0]
	for _, u := range snap.Users {
		g.Members = append(g.Members, u.ID)
	}
	var doc bytes.Buffer
	require.NoError(t, snap.WriteJSON(&doc))
	want := tenantJSON(t, requireSameLoad(t, doc.Bytes()))
	for name, r := range map[string]func() io.Reader{
		"one byte":  func() io.Reader { return iotest.OneByteReader(bytes.NewReader(doc.Bytes())) },
		"half":      func() io.Reader { return iotest.HalfReader(bytes.NewReader(doc.Bytes())) },
		"4 KiB":     func() io.Reader { return &chunkReader{doc.Bytes(), 4096} },
		"data, EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(doc.Bytes())) },
	} {
		st, err := licensing.LoadState(r())
		require.NoError(t, err, name)
		assert.Equal(t, want, tenantJSON(t, st), name)
	}
}

// chunkReader returns at most n bytes a read.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}

// Past the first 65,536 users the loader keeps users in blocks; lookups and duplicate checks
// reach across them (users on both sides of the boundary, a duplicate of user 0 at the end).
func TestLoadStatePastTheFirstUserBlock(t *testing.T) {
	const n = 1<<16 + 2
	snap := &licensing.Snapshot{FormatVersion: licensing.TenantFormatVersion, TenantID: sampletenant.TenantID}
	for i := range n {
		snap.Users = append(snap.Users, licensing.User{ID: fmt.Sprintf("u%06d", i), UserPrincipalName: fmt.Sprintf("u%06d@contoso.com", i)})
	}
	load := func() (*licensing.State, error) {
		var doc bytes.Buffer
		require.NoError(t, snap.WriteJSON(&doc))
		return licensing.LoadState(&doc)
	}
	st, err := load()
	require.NoError(t, err)
	require.Equal(t, n, st.NumUsers())
	for _, i := range []int{0, 1<<16 - 1, 1 << 16, n - 1} {
		id := fmt.Sprintf("u%06d", i)
		assert.Equal(t, id, st.User(i).ID)
		got, err := st.LookupUser(strings.ToUpper(id) + "@CONTOSO.COM")
		require.NoError(t, err)
		assert.Equal(t, i, got)
	}

	snap.Users[n-1].ID = snap.Users[0].ID
	_, err = load()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "appears twice")
	_, err = licensing.NewState(snap)
	assert.Contains(t, fmt.Sprint(err), "appears twice")

	snap.Users[n-1].ID = "last"
	snap.Users[n-1].UserPrincipalName = snap.Users[0].UserPrincipalName
	_, err = load()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "share the userPrincipalName")
}

// LoadState indexes userPrincipalNames once every user is in, not user by user: a repeated one
// is still the users' error only when no user before it has one, as Validate (which stops at
// the first user in error) reports, in any order of the document's lists.
func TestLoadStateReportsTheFirstUserErrorWithRepeatedUPNs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		badAt, dup int // user with an invalid usageLocation; user repeating user 0's UPN
		want       string
	}{
		{"a bad user before the repeat", 1, 3, "usageLocation"},
		{"the repeat before a bad user", 3, 1, "share the userPrincipalName"},
		{"a bad user that repeats", 2, 2, "share the userPrincipalName"}, // checked first
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sampletenant.Snapshot()
			require.Greater(t, len(s.Users), 3)
			s.Users[tc.badAt].UsageLocation = "XX"
			s.Users[tc.dup].UserPrincipalName = strings.ToUpper(s.Users[0].UserPrincipalName)
			verr := s.Validate()
			require.ErrorContains(t, verr, tc.want)
			for _, order := range keyOrders[:5] {
				_, err := licensing.LoadState(bytes.NewReader(docInOrder(t, s, order...)))
				require.Error(t, err)
				assert.Equal(t, verr.Error(), err.Error(), "order %v", order)
			}
		})
	}
}

// A tenant file of several MiB (read in many reads) loads as the same document from memory
// does, and a truncated one fails as it does.
func TestLoadStateFromALargeFile(t *testing.T) {
	doc := synthJSON(t, 12_000, 3)
	require.Greater(t, len(doc), 4<<20)
	dir := t.TempDir()
	load := func(name string, data []byte) (*licensing.State, error) {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, data, 0o600))
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		return licensing.LoadState(f)
	}
	want, err := licensing.LoadState(bytes.NewReader(doc))
	require.NoError(t, err)
	got, err := load("tenant.json", doc)
	require.NoError(t, err)
	assert.Equal(t, writeSnapshot(t, want.Snapshot()), writeSnapshot(t, got.Snapshot()))
	cut := doc[:len(doc)-len(doc)/3]
	_, wantErr := licensing.LoadState(bytes.NewReader(cut))
	_, gotErr := load("cut.json", cut)
	require.Error(t, wantErr)
	assert.Equal(t, wantErr.Error(), fmt.Sprint(gotErr))
}

// long reports whether LICENSEPLAN_LONG asks for the exhaustive sweeps (CI sets it; the README's
// go test ./... runs the quick ones).
func long() bool { return os.Getenv("LICENSEPLAN_LONG") != "" }

// Group members are matched with user ids exactly, whether every id is a GUID in lower case
// (LoadState then compares GUIDs) or not.
func TestLoadStateMatchesMembersExactly(t *testing.T) {
	const lower, upper = "10000000-0000-4000-8000-0000000000ab", "10000000-0000-4000-8000-0000000000AB"
	// rename gives the first member of the first group the id user, and lists it as member.
	rename := func(s *licensing.Snapshot, user, member string) {
		old := s.Groups[0].Members[0]
		for i := range s.Users {
			if s.Users[i].ID == old {
				s.Users[i].ID = user
			}
		}
		for i := range s.Groups {
			for k, m := range s.Groups[i].Members {
				if m == old {
					s.Groups[i].Members[k] = user
				}
			}
		}
		s.Groups[0].Members[0] = member
	}
	for _, tc := range []struct {
		name         string
		user, member string
		ok           bool
	}{
		{"GUIDs in lower case", lower, lower, true},
		{"a member in upper case", lower, upper, false},
		{"a member that is not a GUID", lower, "bob", false},
		{"a user id in upper case", upper, upper, true},
		{"a user id in upper case, the member in lower case", upper, lower, false},
		{"ids that are not GUIDs", "bob", "bob", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sampletenant.Snapshot()
			require.NotEmpty(t, s.Groups[0].Members)
			rename(s, tc.user, tc.member)
			for _, order := range keyOrders[:5] {
				data := docInOrder(t, s, order...)
				requireSameLoad(t, data)
				_, err := licensing.LoadState(bytes.NewReader(data))
				if tc.ok {
					require.NoError(t, err)
				} else {
					require.Equal(t, licensing.UnknownUser, licensing.KindOf(err), "%v", err)
				}
			}
		})
	}
}

// Groups are compiled in document order whether LoadState hands them on in batches (small) or
// resolves their members at once (large), with the first error Validate reports. Their sizes
// cross the window in which members are looked up ahead (64), which also ends partway. The
// lookups of a batch's or a large group's members are split as on a large tenant, in three
// ranges, and not at all.
func TestLoadStateLargeAndSmallGroups(t *testing.T) {
	t.Run("split", func(t *testing.T) {
		defer parallel.SplitForTest(64, 3)()
		loadLargeAndSmallGroups(t)
	})
	t.Run("whole", func(t *testing.T) {
		defer parallel.SplitForTest(math.MaxInt, 1)()
		loadLargeAndSmallGroups(t)
	})
}

func loadLargeAndSmallGroups(t *testing.T) {
	const n = 30_000 // a group of all of them has over 1 MiB of member ids
	snap := &licensing.Snapshot{FormatVersion: licensing.TenantFormatVersion, TenantID: sampletenant.TenantID}
	var all []string
	for i := range n {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012x", i)
		snap.Users = append(snap.Users, licensing.User{ID: id, UserPrincipalName: fmt.Sprintf("u%06d@contoso.com", i)})
		all = append(all, id)
	}
	for g := range 200 {
		members := all[g*50 : g*50+60+g%9]
		if g%50 == 10 {
			members = all
		}
		snap.Groups = append(snap.Groups, licensing.Group{ID: fmt.Sprintf("a0000000-0000-4000-8000-%012x", g), DisplayName: fmt.Sprintf("G%d", g), Members: members})
	}
	snap.Groups[3].Members = nil
	doc := func() []byte {
		var b bytes.Buffer
		require.NoError(t, snap.WriteJSON(&b))
		return b.Bytes()
	}
	st := requireSameLoad(t, doc())
	require.NotNil(t, st)
	for _, g := range []int{0, 3, 10, 60, 199} {
		want := len(snap.Groups[g].Members)
		assert.Len(t, st.GroupMembers(g), want, "group %d", g)
	}
	// An unknown member in a small group after a large one, and a member twice in a large one:
	// the first in document order is reported.
	snap.Groups[120].Members = append(slices.Clone(snap.Groups[120].Members), "nobody")
	requireSameLoad(t, doc())
	_, err := licensing.LoadState(bytes.NewReader(doc()))
	assert.Contains(t, fmt.Sprint(err), `member "nobody"`)
	// The same in a group looked up ahead (its 70th member), and a member twice in one.
	snap.Groups[120].Members = snap.Groups[120].Members[:len(snap.Groups[120].Members)-1]
	snap.Groups[100].Members = slices.Insert(slices.Clone(all[:100]), 69, "00000000-0000-4000-8000-ffffffffffff")
	requireSameLoad(t, doc())
	_, err = licensing.LoadState(bytes.NewReader(doc()))
	assert.Contains(t, fmt.Sprint(err), `member "00000000-0000-4000-8000-ffffffffffff"`)
	snap.Groups[100].Members = append(slices.Clone(all[:100]), all[3])
	requireSameLoad(t, doc())
	_, err = licensing.LoadState(bytes.NewReader(doc()))
	assert.Contains(t, fmt.Sprint(err), "lists member "+all[3]+" twice")
	snap.Groups[100].Members = all[:100]
	snap.Groups[110].Members = append(slices.Clone(all), all[7])
	requireSameLoad(t, doc())
	_, err = licensing.LoadState(bytes.NewReader(doc()))
	assert.Contains(t, fmt.Sprint(err), "twice")
}
