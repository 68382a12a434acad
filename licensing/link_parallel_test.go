package licensing_test

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/parallel"
	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
)

// A large tenant's group members are evaluated on every core when loading (except the members
// of groups whose SKU may run out of seats), a small one's in Entra's order on one: both must
// compile the same State, path for path and seat for seat. Each tenant is compiled both ways,
// by NewState and by LoadState, from a snapshot that reports no paths (every member evaluated),
// one that reports every path, and one that reports every other user's; with seats as generated
// (one SKU short, so its members stay in order), with every SKU short, and with none short. Each
// has two more groups whose SKUs exclude each other and share members, so that a member's result
// depends on the order of the member's groups.
func TestParallelMemberEvaluationCompilesTheSameState(t *testing.T) {
	seats := map[string]func(*licensing.Snapshot){
		"as generated": func(*licensing.Snapshot) {},
		"every SKU short": func(s *licensing.Snapshot) {
			for i := range s.SubscribedSkus {
				s.SubscribedSkus[i].PrepaidUnits.Enabled /= 3
			}
		},
		"none short": func(s *licensing.Snapshot) {
			for i := range s.SubscribedSkus {
				s.SubscribedSkus[i].PrepaidUnits.Enabled = math.MaxInt32
			}
		},
	}
	for _, seed := range []uint64{1, 2} {
		o := synth.DefaultOptions(1500)
		o.Seed, o.Groups = seed, 20
		for seatName, edit := range seats {
			snap := synth.Tenant(o)
			clashingGroups(snap)
			edit(snap)
			full, err := licensing.NewState(snap)
			require.NoError(t, err)
			reported, err := licensing.ReadSnapshot(bytes.NewReader(writeSnapshot(t, full.Snapshot())))
			require.NoError(t, err)
			half, err := licensing.ReadSnapshot(bytes.NewReader(writeSnapshot(t, full.Snapshot())))
			require.NoError(t, err)
			for i := range half.Users {
				if i%2 == 1 {
					half.Users[i].LicenseAssignmentStates = nil
				}
			}
			for reportName, s := range map[string]*licensing.Snapshot{"none reported": snap, "all reported": reported, "half reported": half} {
				t.Run(fmt.Sprintf("seed %d/%s/%s", seed, seatName, reportName), func(t *testing.T) {
					doc := writeSnapshot(t, s)
					compile := func(from, parts int) (string, string) {
						defer parallel.SplitForTest(from, parts)()
						st, err := licensing.NewState(s)
						require.NoError(t, err)
						ld, err := licensing.LoadState(bytes.NewReader(doc))
						require.NoError(t, err)
						return tenantJSON(t, st), tenantJSON(t, ld)
					}
					wantNew, wantLoad := compile(math.MaxInt, 0)
					gotNew, gotLoad := compile(0, 2)
					require.Equal(t, wantNew, gotNew, "NewState")
					require.Equal(t, wantLoad, gotLoad, "LoadState")
					require.Equal(t, wantNew, wantLoad)
				})
			}
		}
	}
}

// clashingGroups adds two groups with the same members, one assigning Office 365 E1 and the
// other E3, whose plans exclude each other: the first group evaluated gives its member the
// SKU, the second fails with MutuallyExclusiveViolation.
func clashingGroups(s *licensing.Snapshot) {
	var members []string
	for i := 0; i < len(s.Users); i += 5 {
		members = append(members, s.Users[i].ID)
	}
	for i, part := range []string{"STANDARDPACK", "ENTERPRISEPACK"} {
		for _, k := range s.SubscribedSkus {
			if k.SkuPartNumber == part {
				s.Groups = append(s.Groups, licensing.Group{ID: fmt.Sprintf("00000000-0000-4000-8000-c1a5400000%02d", i), DisplayName: "Clash " + part,
					Members: members, AssignedLicenses: []licensing.AssignedLicense{{SkuID: k.SkuID}}})
			}
		}
	}
}
