package report_test

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

// synthetic returns the sample tenant's SKUs and groups with n users licensed in the sample's
// patterns (direct E1, direct E3 also covered by the base group, base + Teams groups, EMS
// group, E3 + Audio Conferencing), each with its licenseAssignmentStates as a real export has
// them, and seats for all.
func synthetic(tb testing.TB, n int) *licensing.State {
	tb.Helper()
	snap := sampletenant.Snapshot()
	for i := range snap.SubscribedSkus {
		snap.SubscribedSkus[i].PrepaidUnits.Enabled = n
	}
	e1, e3 := licensing.MustParseSkuID(sampletenant.E1), licensing.MustParseSkuID(sampletenant.E3)
	ems, audio := licensing.MustParseSkuID(sampletenant.EMS), licensing.MustParseSkuID(sampletenant.AudioConf)
	groupDisabled := map[string][]licensing.PlanID{}
	groupIdx := map[string]int{}
	for i, g := range snap.Groups {
		snap.Groups[i].Members = nil
		groupIdx[g.ID] = i
		groupDisabled[g.ID] = g.AssignedLicenses[0].DisabledPlans
	}
	base, teams, emsGroup := sampletenant.GroupE3Base, sampletenant.GroupTeams, sampletenant.GroupEMS
	active := func(sku licensing.SkuID, group *string) licensing.LicenseAssignmentState {
		dis := []licensing.PlanID{}
		if group != nil {
			dis = groupDisabled[*group]
		}
		return licensing.LicenseAssignmentState{SkuID: sku, DisabledPlans: dis, AssignedByGroup: group, State: "Active", Error: "None"}
	}
	enabled := true
	snap.Users = make([]licensing.User, n)
	for i := range n {
		id := fmt.Sprintf("20000000-0000-4000-8000-%012d", i)
		u := licensing.User{ID: id, UserPrincipalName: "user" + strconv.Itoa(i) + "@contoso.com", AccountEnabled: &enabled, UsageLocation: "US"}
		join := func(g string) {
			snap.Groups[groupIdx[g]].Members = append(snap.Groups[groupIdx[g]].Members, id)
		}
		switch i % 5 {
		case 0:
			u.LicenseAssignmentStates = []licensing.LicenseAssignmentState{active(e1, nil)}
		case 1:
			join(base)
			u.LicenseAssignmentStates = []licensing.LicenseAssignmentState{active(e3, nil), active(e3, &base)}
			u.LicenseAssignmentStates[0].DisabledPlans = groupDisabled[base]
		case 2:
			join(base)
			join(teams)
			u.LicenseAssignmentStates = []licensing.LicenseAssignmentState{active(e3, &base), active(e3, &teams)}
		case 3:
			join(emsGroup)
			u.LicenseAssignmentStates = []licensing.LicenseAssignmentState{active(ems, &emsGroup)}
		case 4:
			u.LicenseAssignmentStates = []licensing.LicenseAssignmentState{active(e3, nil), active(audio, nil)}
		}
		for _, s := range u.LicenseAssignmentStates { // one per SKU (the disabled plans do not matter here)
			if k := len(u.AssignedLicenses); k == 0 || u.AssignedLicenses[k-1].SkuID != s.SkuID {
				u.AssignedLicenses = append(u.AssignedLicenses, licensing.AssignedLicense{SkuID: s.SkuID, DisabledPlans: s.DisabledPlans})
			}
		}
		snap.Users[i] = u
	}
	st, err := licensing.NewState(snap)
	require.NoError(tb, err)
	return st
}

// BenchmarkReports renders every report of a synthetic tenant as CSV (100,000 users; set
// REPORT_BENCH_USERS for another size, e.g. 1000000).
func BenchmarkReports(b *testing.B) {
	n := 100_000
	if s := os.Getenv("REPORT_BENCH_USERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	st := synthetic(b, n)
	for _, name := range report.Names() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				require.NoError(b, report.Write(io.Discard, st, name, report.CSV))
			}
		})
	}
	b.Run("explain", func(b *testing.B) {
		for b.Loop() {
			_, err := report.Explain(st, "user12345@contoso.com")
			require.NoError(b, err)
		}
	})
}

func TestSyntheticTenantReports(t *testing.T) {
	st := synthetic(t, 1000)
	for _, r := range report.Seats(st) {
		require.Equal(t, r.ConsumedUnits, r.DirectOnly+r.GroupOnly+r.DirectAndGroup, r.SkuPartNumber)
	}
	n := 0
	for range report.Redundant(st) {
		n++
	}
	require.Equal(t, 200, n, "every fifth user has a direct E3 covered by the base group")
	require.Empty(t, report.Errors(st).Causes)
}
