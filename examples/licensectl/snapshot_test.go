package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/graphadapter/graphtest"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// liveGraph serves the sample tenant the way Graph serves a tenant that changes while it is
// read (package graphtest): a deleted member and a path to a deleted group, a member and a
// licensed group the listings have not caught up with, expired page tokens, a throttled page,
// /organization failing before it answers, and the groups $filter refused.
func liveGraph(t *testing.T) *graphtest.Server {
	t.Helper()
	s := sampletenant.Snapshot()
	dead := "a0000000-0000-4000-8000-0000000000de"
	ems := licensing.MustParseSkuID(sampletenant.EMS)
	for i := range s.Users {
		if s.Users[i].UserPrincipalName == "mobile1@contoso.com" {
			g := sampletenant.GroupEMS
			s.Users[i].LicenseAssignmentStates = []licensing.LicenseAssignmentState{
				{SkuID: ems, DisabledPlans: []licensing.PlanID{}, AssignedByGroup: &g, State: "Active", Error: "None"},
				{SkuID: ems, DisabledPlans: []licensing.PlanID{}, AssignedByGroup: &dead, State: "Active", Error: "None"},
			}
		}
	}
	for i := range s.Groups {
		if s.Groups[i].ID == sampletenant.GroupTeams {
			s.Groups[i].Members = append(s.Groups[i].Members, "10000000-0000-4000-8000-0000000000de")
		}
	}
	srv := graphtest.Start(graphtest.Config{
		Tenant:               s,
		UnlicensedGroups:     []licensing.Group{{ID: "a0000000-0000-4000-8000-0000000000f0", DisplayName: "All staff", Members: []string{}, AssignedLicenses: []licensing.AssignedLicense{}}},
		PageSize:             2,
		NotListedUsers:       []string{sampletenant.Carol},
		NotListedGroups:      []string{sampletenant.GroupEMS},
		ExpireTokens:         []string{"users", "groups", "members"},
		ThrottleUsersPage:    2,
		RetryAfter:           1, // real seconds here: the adapter's tests wait out 10 minutes on a fake clock
		OrganizationFailures: 2,
	})
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), "loopback only")
	t.Cleanup(srv.Close)
	return srv
}

func TestSnapshotAndPlanAgainstLiveGraph(t *testing.T) {
	srv := liveGraph(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "snap.json")

	stdout, stderr, code := cli(t, "", "snapshot", "--graph-endpoint", srv.URL, "--out", out, "--progress-every", "1ms")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "licensectl snapshot: read 24/24 users", "a summary line at the end")
	assert.Contains(t, stderr, "retries")
	assert.Contains(t, stderr, "3 listings restarted (expired page token)")
	assert.Contains(t, stderr, "4 fetched by id (2 deleted)")
	assert.GreaterOrEqual(t, strings.Count(stderr, "licensectl snapshot: "), 3, "periodic log lines when stderr is not a terminal:\n%s", stderr)

	f, err := os.Open(out)
	require.NoError(t, err)
	snap, err := licensing.ReadSnapshot(f)
	f.Close()
	require.NoError(t, err)
	assert.Len(t, snap.Users, 24, "Carol, missing from the listing, was fetched by id")
	assert.Len(t, snap.Groups, 3, "Licensing_EMS, missing from the listing, was fetched by id")
	require.NotNil(t, snap.Gone)
	assert.Equal(t, []string{"10000000-0000-4000-8000-0000000000de"}, snap.Gone.Users)
	assert.Equal(t, []string{"a0000000-0000-4000-8000-0000000000de"}, snap.Gone.Groups)
	assert.Equal(t, "US", snap.DefaultUsageLocation)
	assert.NotEmpty(t, snap.ReadAt)

	desired := writeFile(t, dir, "desired.json", swap)
	stdout, stderr, code = cli(t, "", "plan", "--graph-endpoint", srv.URL, "--desired", desired)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "assignLicense +Office 365 E3 (ENTERPRISEPACK) -Office 365 E1 (STANDARDPACK)")

	for _, r := range srv.Requests() {
		assert.NotContains(t, r.Query, "filter", "%s %s", r.Path, r.Query)
	}
}

func TestSnapshotProgressEveryMustBePositive(t *testing.T) {
	_, _, code := cli(t, "", "snapshot", "--graph-endpoint", "http://127.0.0.1:1/v1.0", "--progress-every", "0s")
	assert.Equal(t, 2, code)
}
