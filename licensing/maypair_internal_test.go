package licensing

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// mayPair never rules out a pair that conflicts: over every pair of SKUs of Microsoft's catalog,
// each with all its plans on, a pair Conflicts finds refused has mayPair set; and it rules out
// most pairs (what spares conflictsOf its work).
func TestMayPairHoldsEveryConflictOfTheCatalog(t *testing.T) {
	ms := MicrosoftCatalog()
	snap := &Snapshot{FormatVersion: TenantFormatVersion, TenantID: "00000000-0000-4000-8000-000000000001"}
	for _, sku := range ms.Skus() {
		sub := SubscribedSku{SkuID: sku.ID, SkuPartNumber: sku.PartNumber, AppliesTo: "User", CapabilityStatus: "Enabled", PrepaidUnits: PrepaidUnits{Enabled: 1}}
		for _, id := range sku.Plans {
			sp, _ := ms.Plan(id)
			name := id.String()
			if sp != nil {
				name = sp.Name
			}
			sub.ServicePlans = append(sub.ServicePlans, ServicePlanInfo{ServicePlanID: id, ServicePlanName: name, AppliesTo: "User"})
		}
		snap.SubscribedSkus = append(snap.SubscribedSkus, sub)
	}
	s, err := NewState(snap)
	require.NoError(t, err)
	n := len(s.subs)
	require.Len(t, s.mayPair, n*n)
	conflicting, ruledOut := 0, 0
	for i := range s.subs {
		for j := i + 1; j < n; j++ {
			a, b := s.subs[i].Sku, s.subs[j].Sku
			cs := s.rules.Conflicts([]SkuPlans{{Sku: a.ID, Plans: a.plans}, {Sku: b.ID, Plans: b.plans}})
			if len(cs) > 0 {
				conflicting++
				require.True(t, s.mayPair[i*n+j] && s.mayPair[j*n+i], "%s and %s conflict (%v) but mayPair rules them out", a.Title(), b.Title(), cs[0].Rule.Name)
			}
			if !s.mayPair[i*n+j] {
				ruledOut++
			}
		}
	}
	require.Positive(t, conflicting, "the catalog has conflicting SKUs")
	require.Greater(t, ruledOut, n*(n-1)/4, "mayPair rules out most pairs")
	t.Logf("%d SKUs: %d conflicting pairs, %d of %d pairs ruled out", n, conflicting, ruledOut, n*(n-1)/2)
}
