package licensing

import (
	"bytes"
	"fmt"
	"testing"
	"testing/iotest"
)

// However the input arrives (one byte a read here), the loader scans each byte of a value a
// bounded number of times: a rescan of the partial value on every read would make one-byte
// reads quadratic. Counted, not timed.
func TestLoadStateScansLinearly(t *testing.T) {
	// 500 users, and one group with all of them: a value bigger than many reads.
	const sku, plan = "6fd2c87f-b296-42f0-b197-1e91e994b900", "efb87545-963c-4e0d-99df-69c6916d9eb0"
	snap := &Snapshot{FormatVersion: "tenant/v1", TenantID: "0c1f2e3d-4b5a-4978-8f6e-5d4c3b2a1908",
		SubscribedSkus: []SubscribedSku{{SkuID: MustParseSkuID(sku), SkuPartNumber: "ENTERPRISEPACK", AppliesTo: "User", CapabilityStatus: "Enabled",
			PrepaidUnits: PrepaidUnits{Enabled: 1000}, ServicePlans: []ServicePlanInfo{{ServicePlanID: MustParsePlanID(plan), ServicePlanName: "EXCHANGE_S_ENTERPRISE"}}}},
		Groups: []Group{{ID: "a0000000-0000-4000-8000-000000000001", DisplayName: "All", AssignedLicenses: []AssignedLicense{{SkuID: MustParseSkuID(sku)}}}}}
	for i := range 500 {
		id := fmt.Sprintf("10000000-0000-4000-8000-%012d", i)
		snap.Users = append(snap.Users, User{ID: id, UserPrincipalName: fmt.Sprintf("user%d@contoso.com", i), UsageLocation: "US"})
		snap.Groups[0].Members = append(snap.Groups[0].Members, id)
	}
	var doc bytes.Buffer
	if err := snap.WriteJSON(&doc); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]func() *loader{
		"one byte": func() *loader {
			return &loader{c: newCompiler(stateConfig{}, true, true, 0, 0), s: stream{r: iotest.OneByteReader(bytes.NewReader(doc.Bytes())), buf: make([]byte, 0, 1<<16)}}
		},
		"whole": func() *loader {
			return &loader{c: newCompiler(stateConfig{}, true, true, 0, 0), s: stream{r: bytes.NewReader(doc.Bytes()), buf: make([]byte, 0, 1<<16)}}
		},
	} {
		l := r()
		l.p.c = l.c
		if _, err := l.load(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if limit := 4 * int64(doc.Len()); l.scanned > limit {
			t.Errorf("%s: scanned %d bytes of a %d-byte document (limit %d): values are rescanned per read", name, l.scanned, doc.Len(), limit)
		}
	}
}
