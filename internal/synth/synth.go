// Package synth generates realistic synthetic tenants (tenant/v1) and desired states at any
// size, deterministically from a seed: for demos, benchmarks and property tests.
//
// A tenant mixes the sample tenant's real SKUs (Office 365 E1/E3, Exchange Online Plan 1/2,
// Audio Conferencing, Workplace Analytics, EMS) with synthetic SKUs, direct and inherited
// paths, cumulative groups, E1-direct users in the E3 group (MutuallyExclusiveViolation), a
// SKU with fewer seats than its group needs (CountViolation), usage locations from ten
// countries and a few users without one. With Options.Lifecycle it also has what reclaim and
// expiry questions need: users' sign-in activity (active, idle, never), guests, disabled users,
// and subscriptions with a trial and renewals.
package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/licenseplan/licenseplan/internal/nonnil"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// Options size the tenant. Zero values take the defaults of DefaultOptions.
type Options struct {
	Users  int
	Skus   int // total SKUs, including the 7 real ones (at least 7)
	Groups int // licensed groups (at least 3)
	Seed   uint64
	// Lifecycle adds what says whether a license is used, with realistic values (see
	// lifecycle.go): readAt, each user's userType, createdDateTime and signInActivity, some
	// disabled users, and the tenant's subscriptions. It draws from a random stream of its own:
	// the rest of the tenant is the same with or without it. DefaultOptions leaves it off, so
	// that the benchmarks' tenants stay what they were; licensectl generate turns it on.
	Lifecycle bool
	// ReadAt is the snapshot's readAt with Lifecycle (default 2026-06-01T08:00:00Z): every time
	// is drawn relative to it, so that the same seed gives the same tenant.
	ReadAt time.Time
}

// DefaultOptions returns the shape of the performance target scaled to n users:
// 60 SKUs and 500 licensed groups at 1,000,000 users (fewer groups for small tenants).
func DefaultOptions(n int) Options {
	return Options{Users: n, Skus: 60, Groups: min(500, max(3, n/200)), Seed: 1}
}

var countries = []string{"US", "GB", "NO", "DE", "FR", "SE", "IN", "JP", "BR", "CA"}

// Departments are the departments users are spread over (Desired gives each a license rule).
var Departments = []string{"Sales", "Support", "Engineering", "Finance", "Marketing", "Operations", "Legal", "Research", "Field", "HR"}

func guid(r *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, 0x8000|r.Uint32()&0x3fff, r.Uint64()&0xffffffffffff)
}

// Tenant generates a tenant. The same options give the same tenant.
func Tenant(o Options) *licensing.Snapshot {
	if o.Skus < 7 {
		o.Skus = 60
	}
	if o.Groups < 3 {
		o.Groups = 3
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	base := sampletenant.Snapshot()
	snap := &licensing.Snapshot{FormatVersion: licensing.TenantFormatVersion, TenantID: guid(r), DefaultUsageLocation: "US"}
	for _, s := range base.SubscribedSkus {
		s.ID = snap.TenantID + "_" + s.SkuID.String()
		snap.SubscribedSkus = append(snap.SubscribedSkus, s)
	}
	// Synthetic plans and SKUs.
	pool := make([]licensing.ServicePlanInfo, 400)
	for i := range pool {
		pool[i] = licensing.ServicePlanInfo{ServicePlanID: licensing.MustParsePlanID(guid(r)), ServicePlanName: fmt.Sprintf("SYNTH_PLAN_%03d", i), AppliesTo: "User", ProvisioningStatus: "Success"}
	}
	for i := len(snap.SubscribedSkus); i < o.Skus; i++ {
		id := licensing.MustParseSkuID(guid(r))
		k := licensing.SubscribedSku{ID: snap.TenantID + "_" + id.String(), SkuID: id, SkuPartNumber: fmt.Sprintf("SYNTH_SKU_%02d", i), AppliesTo: "User", CapabilityStatus: "Enabled"}
		n := 4 + r.IntN(7)
		start := r.IntN(len(pool) - n)
		k.ServicePlans = append([]licensing.ServicePlanInfo(nil), pool[start:start+n]...)
		snap.SubscribedSkus = append(snap.SubscribedSkus, k)
	}
	sku := func(part string) *licensing.SubscribedSku {
		for i := range snap.SubscribedSkus {
			if snap.SubscribedSkus[i].SkuPartNumber == part {
				return &snap.SubscribedSkus[i]
			}
		}
		panic(part)
	}
	plan := func(k *licensing.SubscribedSku, name string) licensing.PlanID {
		for _, p := range k.ServicePlans {
			if p.ServicePlanName == name {
				return p.ServicePlanID
			}
		}
		panic(name)
	}
	e1, e3, exo1, ems := sku("STANDARDPACK"), sku("ENTERPRISEPACK"), sku("EXCHANGESTANDARD"), sku("EMS")
	baseOff := []licensing.PlanID{plan(e3, "TEAMS1"), plan(e3, "SWAY"), plan(e3, "YAMMER_ENTERPRISE"), plan(e3, "FORMS_PLAN_E3")}
	var teamsOff []licensing.PlanID
	for _, p := range e3.ServicePlans {
		if p.ServicePlanName != "TEAMS1" {
			teamsOff = append(teamsOff, p.ServicePlanID)
		}
	}
	synthetic := snap.SubscribedSkus[7:]
	// Groups.
	snap.Groups = []licensing.Group{
		{ID: guid(r), DisplayName: "Licensing_E3_Base", AssignedLicenses: []licensing.AssignedLicense{{SkuID: e3.SkuID, DisabledPlans: baseOff}}},
		{ID: guid(r), DisplayName: "Licensing_Teams", AssignedLicenses: []licensing.AssignedLicense{{SkuID: e3.SkuID, DisabledPlans: teamsOff}}},
		{ID: guid(r), DisplayName: "Licensing_EMS", AssignedLicenses: []licensing.AssignedLicense{{SkuID: ems.SkuID, DisabledPlans: []licensing.PlanID{}}}},
	}
	for i := 3; i < o.Groups; i++ {
		k := &synthetic[r.IntN(len(synthetic))]
		var off []licensing.PlanID
		if r.IntN(3) == 0 {
			off = []licensing.PlanID{k.ServicePlans[r.IntN(len(k.ServicePlans))].ServicePlanID}
		}
		snap.Groups = append(snap.Groups, licensing.Group{ID: guid(r), DisplayName: fmt.Sprintf("Licensing_%s_%03d", k.SkuPartNumber, i), AssignedLicenses: []licensing.AssignedLicense{{SkuID: k.SkuID, DisabledPlans: nonnil.Slice(off)}}})
	}
	// Users.
	demand := map[licensing.SkuID]int{}
	snap.Users = make([]licensing.User, o.Users)
	enabled := true
	for i := range snap.Users {
		u := licensing.User{
			ID:                fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(o.Seed), i+1),
			UserPrincipalName: fmt.Sprintf("user%07d@synth.example", i+1),
			DisplayName:       fmt.Sprintf("User %d", i+1),
			AccountEnabled:    &enabled,
			Department:        Departments[r.IntN(len(Departments))],
			JobTitle:          "Staff",
			AssignedLicenses:  []licensing.AssignedLicense{},
		}
		if r.IntN(100) != 0 {
			u.UsageLocation = countries[r.IntN(len(countries))]
		}
		direct := func(k *licensing.SubscribedSku, off []licensing.PlanID) {
			u.AssignedLicenses = append(u.AssignedLicenses, licensing.AssignedLicense{SkuID: k.SkuID, DisabledPlans: nonnil.Slice(off)})
			demand[k.SkuID]++
		}
		var joined []int
		join := func(g int) {
			joined = append(joined, g)
			snap.Groups[g].Members = append(snap.Groups[g].Members, u.ID)
			demand[snap.Groups[g].AssignedLicenses[0].SkuID]++
		}
		roll := r.IntN(100)
		switch {
		case roll < 45 && u.UsageLocation != "":
			if r.IntN(10) < 7 {
				direct(e3, baseOff)
			} else {
				direct(e3, nil)
			}
			if r.IntN(10) < 6 {
				join(0)
				if r.IntN(4) == 0 {
					join(1)
				}
			}
			u.OnPremisesExtensionAttributes = map[string]string{"extensionAttribute10": "E3 All"}
		case roll < 70 && u.UsageLocation != "":
			direct(e1, nil)
			if r.IntN(50) == 0 {
				join(0) // E1 direct + E3 group: a MutuallyExclusiveViolation path
			}
		case roll < 80 && u.UsageLocation != "":
			direct(exo1, nil)
		default:
			join(0)
		}
		if r.IntN(20) == 0 {
			join(2)
		}
		for n := 1 + r.IntN(2); n > 0; n-- {
			g := 3 + r.IntN(max(1, len(snap.Groups)-3))
			if g < len(snap.Groups) && !slices.Contains(joined, g) {
				join(g)
			}
		}
		if r.IntN(10) == 0 && u.UsageLocation != "" {
			k := &synthetic[r.IntN(len(synthetic))]
			if !hasSku(u.AssignedLicenses, k.SkuID) {
				direct(k, nil)
			}
		}
		snap.Users[i] = u
	}
	for i := range snap.SubscribedSkus {
		k := &snap.SubscribedSkus[i]
		d := demand[k.SkuID]
		k.PrepaidUnits = licensing.PrepaidUnits{Enabled: d + d/10 + 10}
		if k.SkuPartNumber == "EMS" {
			k.PrepaidUnits.Enabled = d * 9 / 10 // fewer seats than the group needs
		}
		if i >= 7 {
			k.PrepaidUnits.Enabled += o.Users // room for the desired state's department licenses
		}
	}
	if o.Lifecycle {
		addLifecycle(snap, o)
	}
	return snap
}

func hasSku(ls []licensing.AssignedLicense, id licensing.SkuID) bool {
	for _, l := range ls {
		if l.SkuID == id {
			return true
		}
	}
	return false
}

// DesiredJSON returns a desired/v1 document that touches every user of a generated tenant:
// one license rule per department (a synthetic SKU each, one plan off) and a direct → group
// migration of all users in three waves.
func DesiredJSON(snap *licensing.Snapshot) []byte {
	synthetic := snap.SubscribedSkus[7:]
	out := `{"formatVersion": "desired/v1", "rules": [`
	for i, d := range Departments {
		k := synthetic[(i*7)%len(synthetic)]
		if i > 0 {
			out += ","
		}
		out += fmt.Sprintf("\n  {\"name\": \"%s\", \"where\": {\"department\": %q}, \"licenses\": [{\"sku\": %q, \"disabledPlans\": [%q]}]}",
			d, d, k.SkuPartNumber, k.ServicePlans[0].ServicePlanName)
	}
	out += "],\n \"migrateDirectToGroup\": {\"users\": \"all\", \"waves\": [0.01, 0.1, 1.0]}}\n"
	return []byte(out)
}
