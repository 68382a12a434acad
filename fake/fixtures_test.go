package fake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// SKUs, plans and ids of the sample tenant Contoso (see internal/sampletenant).
var (
	skuE1         = licensing.MustParseSkuID(sampletenant.E1)
	skuE3         = licensing.MustParseSkuID(sampletenant.E3)
	skuExchangeP1 = licensing.MustParseSkuID(sampletenant.ExchangeP1)
	skuExchangeP2 = licensing.MustParseSkuID(sampletenant.ExchangeP2)
	skuAudioConf  = licensing.MustParseSkuID(sampletenant.AudioConf)
	skuWorkplace  = licensing.MustParseSkuID(sampletenant.WorkplaceAn)
	skuEMS        = licensing.MustParseSkuID(sampletenant.EMS)

	planSharePointP1 = licensing.MustParsePlanID("c7699d2e-19aa-44de-8edf-1736da088ca1") // SHAREPOINTSTANDARD
	planSharePointP2 = licensing.MustParsePlanID("5dbe027f-2339-4123-9542-606e4d348a72") // SHAREPOINTENTERPRISE
	planExchangeP2   = licensing.MustParsePlanID("efb87545-963c-4e0d-99df-69c6916d9eb0") // EXCHANGE_S_ENTERPRISE
	planSkype        = licensing.MustParsePlanID("0feaeb32-d00e-4d66-bd5a-43b5b83db82c") // MCOSTANDARD
	planAudioConf    = licensing.MustParsePlanID("3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40") // MCOMEETADV
	planWorkplace    = licensing.MustParsePlanID("f477b0f0-3bb1-4890-940c-40fcee6ce05f") // WORKPLACE_ANALYTICS
	planTeams        = licensing.MustParsePlanID("57ff2da0-773e-42df-b2af-ffb7a2317929") // TEAMS1
	planSway         = licensing.MustParsePlanID("a23b959c-7ce8-4e57-9140-b90eb88a9e97") // SWAY
	planYammer       = licensing.MustParsePlanID("7547a3fe-08ee-4ccb-b430-5077c5041653") // YAMMER_ENTERPRISE
	planFormsE3      = licensing.MustParsePlanID("2789c901-c14e-48ab-a76a-be334d9d793a") // FORMS_PLAN_E3

	mobile1 = "10000000-0000-4000-8000-000000000031"
	mobile4 = "10000000-0000-4000-8000-000000000034"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

var ctx = context.Background()

// sample returns the sample tenant Contoso on a manual clock at t0.
func sample(t *testing.T, opts ...fake.Option) (*fake.Tenant, *fake.ManualClock) {
	t.Helper()
	clk := fake.NewManualClock(t0)
	tn, err := fake.New(sampletenant.Snapshot(), append([]fake.Option{fake.WithClock(clk)}, opts...)...)
	require.NoError(t, err)
	return tn, clk
}

func getUser(t *testing.T, tn *fake.Tenant, id string) *licensing.User {
	t.Helper()
	u, err := tn.User(ctx, id)
	require.NoError(t, err)
	return u
}

// pathsOf returns the user's paths of one SKU.
func pathsOf(u *licensing.User, sku licensing.SkuID) []licensing.LicenseAssignmentState {
	var out []licensing.LicenseAssignmentState
	for _, p := range u.LicenseAssignmentStates {
		if p.SkuID == sku {
			out = append(out, p)
		}
	}
	return out
}

func groupPath(u *licensing.User, sku licensing.SkuID, group string) (licensing.LicenseAssignmentState, bool) {
	for _, p := range pathsOf(u, sku) {
		if p.AssignedByGroup != nil && *p.AssignedByGroup == group {
			return p, true
		}
	}
	return licensing.LicenseAssignmentState{}, false
}

func directPath(u *licensing.User, sku licensing.SkuID) (licensing.LicenseAssignmentState, bool) {
	for _, p := range pathsOf(u, sku) {
		if p.AssignedByGroup == nil {
			return p, true
		}
	}
	return licensing.LicenseAssignmentState{}, false
}

func assigned(u *licensing.User, sku licensing.SkuID) (licensing.AssignedLicense, bool) {
	for _, l := range u.AssignedLicenses {
		if l.SkuID == sku {
			return l, true
		}
	}
	return licensing.AssignedLicense{}, false
}

func consumed(t *testing.T, tn *fake.Tenant, sku licensing.SkuID) int {
	t.Helper()
	skus, err := tn.SubscribedSkus(ctx)
	require.NoError(t, err)
	for _, k := range skus {
		if k.SkuID == sku {
			return k.ConsumedUnits
		}
	}
	t.Fatalf("no SKU %s", sku)
	return 0
}

func lic(sku licensing.SkuID, disabled ...licensing.PlanID) licensing.AssignedLicense {
	return licensing.AssignedLicense{SkuID: sku, DisabledPlans: append([]licensing.PlanID{}, disabled...)}
}

func sortedPlans(ps ...licensing.PlanID) []licensing.PlanID {
	out := slices.Clone(ps)
	slices.SortFunc(out, licensing.PlanID.Compare)
	return out
}

var errContextCanceled = context.Canceled

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
