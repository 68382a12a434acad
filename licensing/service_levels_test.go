package licensing_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

// Service levels with Microsoft's own SKUs (the verbatim CSV): an upgrade keeps the service, a
// downgrade loses the higher level.
func TestServiceLossWithMicrosoftSkus(t *testing.T) {
	cat := readCatalogFile(t, invariantCatalogs[0])
	ri := licensing.DefaultRules().Compile(cat)
	sku := func(ref string) licensing.PlanSet {
		t.Helper()
		s, err := cat.LookupSku(ref)
		require.NoError(t, err, ref)
		return s.PlanSet()
	}
	union := func(refs ...string) licensing.PlanSet {
		var s licensing.PlanSet
		for _, r := range refs {
			s.UnionWith(sku(r))
		}
		return s
	}
	lost := func(before, after licensing.PlanSet) []string { return cat.PlanNames(ri.ServiceLoss(before, after)) }

	t.Run("E3 → E1 loses desktop Office, Exchange Plan 2, SharePoint Plan 2 and RMS", func(t *testing.T) {
		l := lost(sku("ENTERPRISEPACK"), sku("STANDARDPACK"))
		assert.Subset(t, l, []string{"OFFICESUBSCRIPTION", "EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "RMS_S_ENTERPRISE"})
		assert.NotContains(t, l, "TEAMS1", "both carry Teams")
		assert.NotContains(t, l, "SHAREPOINTSTANDARD", "E3 has no Plan 1 to lose")
	})

	t.Run("E1 → E3 loses nothing", func(t *testing.T) {
		assert.Empty(t, lost(sku("STANDARDPACK"), sku("ENTERPRISEPACK")))
	})

	t.Run("E3 → E5 keeps every leveled service", func(t *testing.T) {
		// Microsoft's CSV lists a few E3 extras (Bing_Chat_Enterprise, Nucleus, Mesh for Teams…)
		// under other plans in E5; those are reported, the leveled services are not.
		l := lost(sku("ENTERPRISEPACK"), sku("ENTERPRISEPREMIUM"))
		for _, p := range []string{"EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "OFFICESUBSCRIPTION", "RMS_S_ENTERPRISE", "FORMS_PLAN_E3", "STREAM_O365_E3", "BPOS_S_TODO_2"} {
			assert.NotContains(t, l, p)
		}
	})

	t.Run("Exchange Online Plan 1 → Plan 2 keeps the mailbox; back loses Plan 2", func(t *testing.T) {
		// Microsoft's Exchange Online (Plan 2) SKU carries EXCHANGE_S_ENTERPRISE alone, so the
		// Plan 1 SKU's To Do (Plan 1) and Intune for Office 365 are honestly reported lost.
		assert.Equal(t, []string{"BPOS_S_TODO_1", "INTUNE_O365"}, lost(sku("EXCHANGESTANDARD"), sku("EXCHANGEENTERPRISE")))
		assert.Empty(t, lost(sku("EXCHANGESTANDARD"), union("EXCHANGEENTERPRISE", "STANDARDPACK")), "with E1 beside it, nothing")
		assert.Contains(t, lost(sku("EXCHANGEENTERPRISE"), sku("EXCHANGESTANDARD")), "EXCHANGE_S_ENTERPRISE")
	})

	t.Run("Exchange Online Kiosk → Plan 1 loses nothing; Plan 1 → Kiosk loses Plan 1", func(t *testing.T) {
		assert.Empty(t, lost(sku("EXCHANGEDESKLESS"), sku("EXCHANGESTANDARD")))
		assert.Contains(t, lost(sku("EXCHANGESTANDARD"), sku("EXCHANGEDESKLESS")), "EXCHANGE_S_STANDARD")
	})

	for _, ems := range []string{"EMS", "EMSPREMIUM"} {
		t.Run("removing "+ems+" from an Office 365 E3 user loses Intune and AIP P1", func(t *testing.T) {
			l := lost(union("ENTERPRISEPACK", ems), sku("ENTERPRISEPACK"))
			assert.Subset(t, l, []string{"INTUNE_A", "RMS_S_PREMIUM", "AAD_PREMIUM"})
			assert.NotContains(t, l, "RMS_S_ENTERPRISE", "E3 keeps its own RMS")
		})
	}

	t.Run("EMS E3 → E5 loses nothing; E5 → E3 loses AIP P2 and Entra ID P2", func(t *testing.T) {
		assert.Empty(t, lost(sku("EMS"), sku("EMSPREMIUM")))
		assert.Subset(t, lost(sku("EMSPREMIUM"), sku("EMS")), []string{"RMS_S_PREMIUM2", "AAD_PREMIUM_P2"})
	})

	t.Run("Microsoft 365 Apps for enterprise → Office 365 E1 loses desktop Office", func(t *testing.T) {
		assert.Contains(t, lost(sku("OFFICESUBSCRIPTION"), sku("STANDARDPACK")), "OFFICESUBSCRIPTION")
	})

	t.Run("Microsoft 365 Business Standard → Business Basic loses the Office apps", func(t *testing.T) {
		l := lost(sku("O365_BUSINESS_PREMIUM"), sku("O365_BUSINESS_ESSENTIALS"))
		assert.Contains(t, l, "OFFICE_BUSINESS")
		assert.NotContains(t, l, "EXCHANGE_S_STANDARD")
	})

	t.Run("Office 365 E3 → Office 365 E3 (no Teams) loses Teams only", func(t *testing.T) {
		l := lost(sku("ENTERPRISEPACK"), sku("Office_365_E3_(no_Teams)"))
		assert.Contains(t, l, "TEAMS1")
		for _, p := range l {
			assert.True(t, strings.HasPrefix(p, "TEAMS") || strings.Contains(p, "MESH") || strings.Contains(p, "MCO"), "unexpected loss %s", p)
		}
	})
}

// The level semantics on small hand-made families.
func TestServiceLossLevels(t *testing.T) {
	cat := licensing.NewCatalog()
	ids := map[string]licensing.PlanID{}
	for i, n := range []string{"KIOSK", "P1", "P1B", "P2", "OTHER", "FLAT1", "FLAT2"} {
		id := licensing.MustParsePlanID("00000000-0000-4000-8000-00000000000" + string(rune('1'+i)))
		ids[n] = id
		cat.AddPlan(licensing.ServicePlan{ID: id, Name: n})
	}
	ref := func(n string) licensing.PlanRef { return licensing.PlanRef{ID: ids[n], Name: n} }
	r := &licensing.Rules{FormatVersion: licensing.RulesFormatVersion, Services: []licensing.ServiceRule{
		{Name: "mail", Source: "test", Date: "2026-12-07", Levels: [][]licensing.PlanRef{{ref("KIOSK")}, {ref("P1"), ref("P1B")}, {ref("P2")}}},
		{Name: "flat (old form)", Source: "test", Date: "2026-12-07", Plans: []licensing.PlanRef{ref("FLAT1"), ref("FLAT2")}},
	}}
	require.NoError(t, r.Validate())
	ri := r.Compile(cat)
	set := func(names ...string) licensing.PlanSet {
		var s []licensing.PlanID
		for _, n := range names {
			s = append(s, ids[n])
		}
		return cat.PlanSetOf(s)
	}
	cases := []struct {
		before, after []string
		want          []string
	}{
		{[]string{"KIOSK"}, []string{"P1"}, nil},
		{[]string{"P1"}, []string{"P2"}, nil},
		{[]string{"P1"}, []string{"P1B"}, nil},                 // same level
		{[]string{"P2"}, []string{"P1"}, []string{"P2"}},       // downgrade
		{[]string{"P2"}, []string{"KIOSK"}, []string{"P2"}},    // downgrade
		{[]string{"P1", "P2"}, []string{"P2"}, nil},            // stacked: the superior stays
		{[]string{"P1", "P2"}, []string{"P1"}, []string{"P2"}}, // stacked: the superior goes
		{[]string{"P1", "OTHER"}, []string{"P2"}, []string{"OTHER"}},
		{[]string{"P1"}, nil, []string{"P1"}},
		{[]string{"FLAT1"}, []string{"FLAT2"}, nil}, // one level: equal
		{[]string{"FLAT2"}, []string{"FLAT1"}, nil},
		{[]string{"P2"}, []string{"FLAT1"}, []string{"P2"}}, // another family does not count
	}
	for _, tc := range cases {
		got := cat.PlanNames(ri.ServiceLoss(set(tc.before...), set(tc.after...)))
		if tc.want == nil {
			assert.Empty(t, got, "%v → %v", tc.before, tc.after)
		} else {
			assert.Equal(t, tc.want, got, "%v → %v", tc.before, tc.after)
		}
	}
}

// Exclusion and stacking rules no longer make service families: an exclusion between two plans
// says nothing about their levels.
func TestExclusionsAreNotServiceFamilies(t *testing.T) {
	cat := licensing.NewCatalog()
	a := licensing.PlanRef{ID: licensing.MustParsePlanID("00000000-0000-4000-8000-0000000000a1"), Name: "A"}
	b := licensing.PlanRef{ID: licensing.MustParsePlanID("00000000-0000-4000-8000-0000000000b1"), Name: "B"}
	r := &licensing.Rules{FormatVersion: licensing.RulesFormatVersion,
		MutuallyExclusive: []licensing.ExclusionRule{{Name: "x", Source: "t", Date: "2026-12-07", Plans: []licensing.PlanRef{a, b}}},
		Stacking:          []licensing.StackingRule{{Name: "s", Source: "t", Date: "2026-12-07", Plans: []licensing.PlanRef{a, b}}},
	}
	ri := r.Compile(cat)
	lost := ri.ServiceLoss(cat.PlanSetOf([]licensing.PlanID{a.ID}), cat.PlanSetOf([]licensing.PlanID{b.ID}))
	assert.Equal(t, []string{"A"}, cat.PlanNames(lost))
}

// Discouraged rules warn and never refuse; rules without a strength (older files) refuse.
func TestRuleStrengths(t *testing.T) {
	cat := licensing.NewCatalog()
	mk := func(s string) licensing.PlanRef {
		id := licensing.MustParsePlanID(s)
		cat.AddPlan(licensing.ServicePlan{ID: id, Name: "P" + s[len(s)-2:]})
		return licensing.PlanRef{ID: id, Name: "P" + s[len(s)-2:]}
	}
	p1, p2, p3, p4 := mk("00000000-0000-4000-8000-000000000011"), mk("00000000-0000-4000-8000-000000000012"),
		mk("00000000-0000-4000-8000-000000000013"), mk("00000000-0000-4000-8000-000000000014")
	r, err := licensing.ReadRules(strings.NewReader(`{"formatVersion":"rules/v1",
		"mutuallyExclusive":[
			{"name":"old","source":"t","date":"2020-01-01","plans":[{"id":"` + p1.ID.String() + `"},{"id":"` + p2.ID.String() + `"}]},
			{"name":"soft","strength":"discouraged","source":"t","date":"2020-01-01","plans":[{"id":"` + p3.ID.String() + `"},{"id":"` + p4.ID.String() + `"}]}],
		"prerequisites":[
			{"name":"hard","strength":"refused","source":"t","date":"2020-01-01","plan":{"id":"` + p1.ID.String() + `"},"requiresAnyOf":[{"id":"` + p2.ID.String() + `"}]},
			{"name":"softdep","strength":"discouraged","source":"t","date":"2020-01-01","plan":{"id":"` + p3.ID.String() + `"},"requiresAnyOf":[{"id":"` + p4.ID.String() + `"}]}],
		"usageLocation":[
			{"name":"nowhere","strength":"discouraged","source":"t","date":"2020-01-01","plans":[{"id":"` + p3.ID.String() + `"}],"prohibitedIn":["CN"]}]}`))
	require.NoError(t, err)
	assert.True(t, r.MutuallyExclusive[0].Strength.Refused(), "no strength reads as refused")
	assert.False(t, r.MutuallyExclusive[1].Strength.Refused())
	ri := r.Compile(cat)
	skuA, skuB := licensing.MustParseSkuID("00000000-0000-4000-8000-0000000000aa"), licensing.MustParseSkuID("00000000-0000-4000-8000-0000000000bb")
	set := func(ps ...licensing.PlanRef) licensing.PlanSet {
		var ids []licensing.PlanID
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		return cat.PlanSetOf(ids)
	}
	by := []licensing.SkuPlans{{Sku: skuA, Plans: set(p1, p3)}, {Sku: skuB, Plans: set(p2, p4)}}
	hard := ri.Conflicts(by)
	require.Len(t, hard, 1)
	assert.Equal(t, "old", hard[0].Rule.Name)
	soft := ri.DiscouragedConflicts(by)
	require.Len(t, soft, 1)
	assert.Equal(t, "soft", soft[0].Rule.Name)
	assert.True(t, licensing.MayConflict(ri, set(p1), set(p2)))
	assert.False(t, licensing.MayConflict(ri, set(p3), set(p4)), "MayConflict is about refusals")

	miss := ri.MissingPrerequisites(set(p1, p3))
	require.Len(t, miss, 1)
	assert.Equal(t, "hard", miss[0].Rule.Name)
	warn := ri.DiscouragedPrerequisites(set(p1, p3))
	require.Len(t, warn, 1)
	assert.Equal(t, "softdep", warn[0].Rule.Name)
	assert.Empty(t, ri.DiscouragedPrerequisites(set(p3, p4)))

	assert.Empty(t, ri.Prohibited(set(p3), "CN"))
	require.Len(t, ri.DiscouragedProhibited(set(p3), "cn"), 1)
}
