package licensing_test

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

func refNames(refs []licensing.PlanRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.String()
	}
	return out
}

func TestDefaultRules(t *testing.T) {
	r := licensing.DefaultRules()
	require.NoError(t, r.Validate())
	assert.Equal(t, licensing.RulesFormatVersion, r.FormatVersion)

	t.Run("Microsoft's exclusion table", func(t *testing.T) {
		var names []string
		for _, x := range r.MutuallyExclusive {
			names = append(names, x.Name)
			assert.Equal(t, "2025-10-29", x.Date, x.Name)
			assert.Contains(t, x.Source, "Service plans that cannot be assigned at the same time", x.Name)
		}
		assert.Equal(t, []string{"Dynamics CRM", "Exchange Online", "Microsoft 365 (RMS)", "Intune", "SharePoint Online",
			"Skype for Business (client plans)", "Skype for Business (PSTN calling plans)", "Yammer"}, names)
		sp := r.MutuallyExclusive[slices.IndexFunc(r.MutuallyExclusive, func(x licensing.ExclusionRule) bool { return x.Name == "SharePoint Online" })]
		assert.Subset(t, refNames(sp.Plans), []string{"SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE"})
		ex := r.MutuallyExclusive[slices.IndexFunc(r.MutuallyExclusive, func(x licensing.ExclusionRule) bool { return x.Name == "Exchange Online" })]
		assert.NotContains(t, refNames(ex.Plans), "EXCHANGE_S_ENTERPRISE", "the current table no longer lists Exchange Online (Plan 2)")
	})

	t.Run("stacking", func(t *testing.T) {
		require.Len(t, r.Stacking, 2)
		s := r.Stacking[0]
		assert.Equal(t, "Exchange Online concurrent licensing", s.Name)
		assert.Equal(t, "2023-01-20", s.Date)
		assert.Subset(t, refNames(s.Plans), []string{"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_DESKLESS", "EXCHANGE_S_ESSENTIALS"})
		teams := r.Stacking[1]
		assert.Equal(t, []string{"MCOSTANDARD", "MCOIMP"}, refNames(teams.Plans), "the (no Teams) suites' Skype plan with Teams EEA/Enterprise's MCOIMP, nothing more")
		assert.Contains(t, teams.Source, "eea-teams-licensing")
	})

	t.Run("every exclusion and prerequisite says its strength", func(t *testing.T) {
		for _, x := range r.MutuallyExclusive {
			assert.Equal(t, licensing.StrengthRefused, x.Strength, x.Name)
		}
		for _, x := range r.Prerequisites {
			assert.Equal(t, licensing.StrengthRefused, x.Strength, x.Name)
		}
	})

	t.Run("prerequisites", func(t *testing.T) {
		want := map[string][]string{
			"WORKPLACE_ANALYTICS": {"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"},
			"MCOMEETADV":          {"MCOSTANDARD", "TEAMS1"},
			"MCOMEETADV_GOV":      {"TEAMS_GOV", "MCOSTANDARD_GOV"},
			"SHAREPOINTWAC":       {"SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE", "ONEDRIVESTANDARD", "ONEDRIVEENTERPRISE", "ONEDRIVE_BASIC_P2"},
			"MCOEV":               {"MCOSTANDARD", "TEAMS1"},
			"THREAT_INTELLIGENCE": {"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_DESKLESS", "EXCHANGE_S_ESSENTIALS"},
			"SHAREPOINT_PROJECT":  {"SHAREPOINTENTERPRISE"},
		}
		require.Len(t, r.Prerequisites, len(want))
		for _, p := range r.Prerequisites {
			need, ok := want[p.Plan.Name]
			if assert.True(t, ok, p.Plan.Name) {
				assert.Subset(t, refNames(p.RequiresAnyOf), need, p.Name)
			}
			assert.NotEmpty(t, p.Source)
			assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, p.Date, p.Name)
		}
	})

	t.Run("services and usage locations", func(t *testing.T) {
		assert.Empty(t, r.UsageLocation, "Microsoft publishes no machine-readable list of prohibitions")
		assert.NotEmpty(t, r.Services)
		for _, s := range r.Services {
			n := 0
			for _, l := range s.AllLevels() {
				assert.NotEmpty(t, l, s.Name)
				n += len(l)
			}
			assert.GreaterOrEqual(t, n, 2, s.Name)
			assert.NotEmpty(t, s.Source, s.Name)
			assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, s.Date, s.Name)
		}
	})

	t.Run("names are unique, so Disable drops exactly one rule", func(t *testing.T) {
		seen := map[string]bool{}
		add := func(name string) {
			assert.False(t, seen[name], "two default rules are named %q", name)
			seen[name] = true
		}
		for _, x := range r.MutuallyExclusive {
			add(x.Name)
		}
		for _, x := range r.Stacking {
			add(x.Name)
		}
		for _, x := range r.Prerequisites {
			add(x.Name)
		}
		for _, x := range r.Services {
			add(x.Name)
		}
	})

	t.Run("fresh copies", func(t *testing.T) {
		a := licensing.DefaultRules()
		a.MutuallyExclusive = nil
		assert.Len(t, licensing.DefaultRules().MutuallyExclusive, 8, "changing one copy leaves the defaults alone")
	})
}

// The embedded table must match the machine-readable transcription of Microsoft's table.
func TestDefaultRulesMatchMicrosoftsExclusionTable(t *testing.T) {
	b, err := os.ReadFile(sharedData(t, "ms-mutually-exclusive-service-plans.json"))
	require.NoError(t, err)
	var doc struct {
		Current struct {
			Groups []struct {
				Service string      `json:"service"`
				Members [][2]string `json:"members"`
			} `json:"groups"`
		} `json:"current"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	r := licensing.DefaultRules()
	require.Len(t, r.MutuallyExclusive, len(doc.Current.Groups))
	for _, g := range doc.Current.Groups {
		t.Run(g.Service, func(t *testing.T) {
			i := slices.IndexFunc(r.MutuallyExclusive, func(x licensing.ExclusionRule) bool { return x.Name == g.Service })
			require.GreaterOrEqual(t, i, 0, "an exclusion rule named %q", g.Service)
			want := map[string]string{}
			for _, m := range g.Members {
				want[strings.ToLower(m[1])] = m[0]
			}
			got := map[string]string{}
			for _, p := range r.MutuallyExclusive[i].Plans {
				got[p.ID.String()] = p.Name
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestReadRulesNamesTheRuleAtFault(t *testing.T) {
	const p1 = `{"id":"c7699d2e-19aa-44de-8edf-1736da088ca1","name":"SHAREPOINTSTANDARD"}`
	const p2 = `{"id":"5dbe027f-2339-4123-9542-606e4d348a72","name":"SHAREPOINTENTERPRISE"}`
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"not JSON", `{"formatVersion":`, []string{"not valid rules/v1 JSON"}},
		{"wrong version", `{"formatVersion":"rules/v2"}`, []string{`"rules/v2"`, `"rules/v1"`}},
		{"no version", `{}`, []string{`formatVersion is ""`}},
		{"unknown field", `{"formatVersion":"rules/v1","mutualyExclusive":[]}`, []string{"mutualyExclusive"}},
		{"exclusion without name", `{"formatVersion":"rules/v1","mutuallyExclusive":[{"plans":[` + p1 + `,` + p2 + `]}]}`,
			[]string{"mutuallyExclusive[0]", "needs a name"}},
		{"exclusion with one plan", `{"formatVersion":"rules/v1","mutuallyExclusive":[{"name":"SP","plans":[` + p1 + `]}]}`,
			[]string{`mutuallyExclusive[0] ("SP")`, "at least 2 plans, has 1"}},
		{"plan without id", `{"formatVersion":"rules/v1","stacking":[{"name":"EXO","plans":[` + p1 + `,{"name":"EXCHANGE_S_ENTERPRISE"}]}]}`,
			[]string{`stacking[0] ("EXO")`, "plan 1 has no id"}},
		{"bad plan id", `{"formatVersion":"rules/v1","stacking":[{"name":"EXO","plans":[{"id":"EXCHANGE_S_ENTERPRISE"}]}]}`,
			[]string{`"EXCHANGE_S_ENTERPRISE"`}},
		{"prerequisite without requirement", `{"formatVersion":"rules/v1","prerequisites":[{"name":"WA","plan":` + p1 + `,"requiresAnyOf":[]}]}`,
			[]string{`prerequisites[0] ("WA")`}},
		{"service with one plan", `{"formatVersion":"rules/v1","services":[{"name":"Forms","plans":[` + p1 + `]}]}`,
			[]string{`services[0] ("Forms")`}},
		{"usage rule without countries", `{"formatVersion":"rules/v1","usageLocation":[{"name":"Teams","plans":[` + p1 + `]}]}`,
			[]string{`usageLocation[0] ("Teams")`, "prohibitedIn or allowedOnlyIn"}},
		{"usage rule with a bad country", `{"formatVersion":"rules/v1","usageLocation":[{"name":"Teams","plans":[` + p1 + `],"prohibitedIn":["CN","usa"]}]}`,
			[]string{`usageLocation[0] ("Teams")`, `"usa"`}},
		{"usage rule with a lower-case country", `{"formatVersion":"rules/v1","usageLocation":[{"name":"Teams","plans":[` + p1 + `],"allowedOnlyIn":["us"]}]}`,
			[]string{`"us" is not an ISO 3166-1 alpha-2`, `upper case: "US"`}},
		{"unknown strength", `{"formatVersion":"rules/v1","mutuallyExclusive":[{"name":"SP","strength":"forbidden","plans":[` + p1 + `,` + p2 + `]}]}`,
			[]string{`mutuallyExclusive[0] ("SP")`, `strength is "forbidden"`, `"refused"`, `"discouraged"`}},
		{"prerequisite with an unknown strength", `{"formatVersion":"rules/v1","prerequisites":[{"name":"WA","strength":"Refused","plan":` + p1 + `,"requiresAnyOf":[` + p2 + `]}]}`,
			[]string{`prerequisites[0] ("WA")`, `strength is "Refused"`}},
		{"usage rule with an unknown strength", `{"formatVersion":"rules/v1","usageLocation":[{"name":"Teams","strength":"warn","plans":[` + p1 + `],"prohibitedIn":["CN"]}]}`,
			[]string{`usageLocation[0] ("Teams")`, `strength is "warn"`}},
		{"service with plans and levels", `{"formatVersion":"rules/v1","services":[{"name":"SP","plans":[` + p1 + `],"levels":[[` + p1 + `],[` + p2 + `]]}]}`,
			[]string{`services[0] ("SP")`, "both plans and levels"}},
		{"service with an empty level", `{"formatVersion":"rules/v1","services":[{"name":"SP","levels":[[` + p1 + `],[],[` + p2 + `]]}]}`,
			[]string{`services[0] ("SP")`, "level 1 has no plans"}},
		{"service with one plan in levels", `{"formatVersion":"rules/v1","services":[{"name":"SP","levels":[[` + p1 + `]]}]}`,
			[]string{`services[0] ("SP")`, "at least 2 plans"}},
		{"service plan at two levels", `{"formatVersion":"rules/v1","services":[{"name":"SP","levels":[[` + p1 + `],[` + p2 + `,` + p1 + `]]}]}`,
			[]string{`services[0] ("SP")`, "SHAREPOINTSTANDARD is listed twice"}},
		{"usage rule with an unassigned country", `{"formatVersion":"rules/v1","usageLocation":[{"name":"Teams","plans":[` + p1 + `],"prohibitedIn":["XX"]}]}`,
			[]string{`"XX" is not an ISO 3166-1 alpha-2`}},
		{"usage rule with UK", `{"formatVersion":"rules/v1","usageLocation":[{"name":"Teams","plans":[` + p1 + `],"prohibitedIn":["UK"]}]}`,
			[]string{`"UK"`, `"GB"`}},
		{"second rule at fault", `{"formatVersion":"rules/v1","mutuallyExclusive":[{"name":"A","plans":[` + p1 + `,` + p2 + `]},{"name":"B","plans":[]}]}`,
			[]string{`mutuallyExclusive[1] ("B")`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := licensing.ReadRules(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Nil(t, r)
			assert.ErrorIs(t, err, licensing.InvalidInput)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestRulesRoundTripThroughJSON(t *testing.T) {
	def := licensing.DefaultRules()
	var b bytes.Buffer
	require.NoError(t, def.WriteJSON(&b))
	back, err := licensing.ReadRules(&b)
	require.NoError(t, err)
	assert.Equal(t, def, back)

	custom := &licensing.Rules{
		FormatVersion: licensing.RulesFormatVersion,
		Disable:       []string{"Yammer"},
		UsageLocation: []licensing.UsageLocationRule{{
			Name: "Audio Conferencing markets", Source: "contract", Date: "2026-01-01",
			Plans:         []licensing.PlanRef{{ID: licensing.MustParsePlanID("3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40"), Name: "MCOMEETADV"}},
			AllowedOnlyIn: []string{"US", "GB"},
		}},
	}
	b.Reset()
	require.NoError(t, custom.WriteJSON(&b))
	assert.Contains(t, b.String(), `"formatVersion": "rules/v1"`)
	back, err = licensing.ReadRules(&b)
	require.NoError(t, err)
	assert.Equal(t, custom, back)
}

func TestRulesExtend(t *testing.T) {
	def := licensing.DefaultRules()
	extra := licensing.PrerequisiteRule{
		Name: "Copilot needs Exchange", Source: "test", Date: "2026-01-01",
		Plan:          licensing.PlanRef{ID: licensing.MustParsePlanID("fe6c28b3-d468-44ea-bbd0-a10a5167435c"), Name: "COPILOT"},
		RequiresAnyOf: []licensing.PlanRef{{ID: licensing.MustParsePlanID("efb87545-963c-4e0d-99df-69c6916d9eb0"), Name: "EXCHANGE_S_ENTERPRISE"}},
	}

	t.Run("disable and add", func(t *testing.T) {
		r := def.Extend(&licensing.Rules{
			FormatVersion: licensing.RulesFormatVersion,
			Disable:       []string{"Yammer", "Audio Conferencing needs Skype for Business Online or Teams"},
			Prerequisites: []licensing.PrerequisiteRule{extra},
		})
		require.NoError(t, r.Validate())
		assert.Len(t, r.MutuallyExclusive, 7)
		assert.NotContains(t, exclusionNames(r), "Yammer")
		require.Len(t, r.Prerequisites, len(def.Prerequisites))
		assert.Equal(t, "Copilot needs Exchange", r.Prerequisites[len(r.Prerequisites)-1].Name, "added rules come after the defaults")
		assert.Len(t, r.Stacking, len(def.Stacking))
		assert.Equal(t, len(def.Services), len(r.Services))
		assert.Len(t, def.MutuallyExclusive, 8, "the base rules are not changed")
	})

	t.Run("replace defaults", func(t *testing.T) {
		r := def.Extend(&licensing.Rules{
			FormatVersion:   licensing.RulesFormatVersion,
			ReplaceDefaults: true,
			Disable:         []string{"ignored"},
			Prerequisites:   []licensing.PrerequisiteRule{extra},
		})
		require.NoError(t, r.Validate())
		assert.Empty(t, r.MutuallyExclusive)
		assert.Empty(t, r.Stacking)
		assert.Equal(t, []licensing.PrerequisiteRule{extra}, r.Prerequisites)
		assert.False(t, r.ReplaceDefaults)
		assert.Nil(t, r.Disable)
	})

	t.Run("disabling an exclusion lets E1 and E3 coexist", func(t *testing.T) {
		r := def.Extend(&licensing.Rules{Disable: []string{"SharePoint Online"}})
		assert.Len(t, r.MutuallyExclusive, 7)
		assert.Equal(t, len(def.Services), len(r.Services), "only the exclusion rule goes, not the SharePoint service levels")
		s := contoso(t, licensing.WithRules(r))
		erin := userIndex(t, s, "erin@contoso.com")
		for _, p := range s.Paths(erin) {
			assert.Equal(t, licensing.PathActive, p.State, "no conflict left between E1's and E3's SharePoint plans")
		}
		// E1 → E3 is still no loss of SharePoint: Plan 2 replaces Plan 1.
		o := s.Predict(assign("alice@contoso.com", lic(skuE3), skuE1))
		require.False(t, o.Refused, "%v", o.Err())
		e := o.Users[0]
		assert.True(t, s.Rules().ServiceLoss(e.Before, e.After).IsEmpty())
	})
}

func exclusionNames(r *licensing.Rules) []string {
	var out []string
	for _, x := range r.MutuallyExclusive {
		out = append(out, x.Name)
	}
	return out
}

func TestRuleIndexChecks(t *testing.T) {
	s := contoso(t)
	ri := s.Rules()
	cat := s.Catalog()
	plans := func(names ...string) licensing.PlanSet {
		var ids []licensing.PlanID
		for _, n := range names {
			p, err := cat.LookupPlan(n)
			require.NoError(t, err, n)
			ids = append(ids, p.ID)
		}
		return cat.PlanSetOf(ids)
	}
	e1 := licensing.MustParseSkuID(sampletenant.E1)
	e3 := licensing.MustParseSkuID(sampletenant.E3)
	exo1 := licensing.MustParseSkuID(sampletenant.ExchangeP1)

	t.Run("conflicts between SKUs", func(t *testing.T) {
		cs := ri.Conflicts([]licensing.SkuPlans{
			{Sku: e1, Plans: plans("EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "MCOSTANDARD")},
			{Sku: e3, Plans: plans("EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "MCOSTANDARD")},
		})
		require.Len(t, cs, 1, "SharePoint conflicts; Exchange stacks; the same plan from two SKUs is fine")
		assert.Equal(t, "SharePoint Online", cs[0].Rule.Name)
		assert.Equal(t, []string{"SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE"}, []string{cat.PlanName(cs[0].Plans[0]), cat.PlanName(cs[0].Plans[1])})
		assert.Equal(t, [2]licensing.SkuID{e1, e3}, cs[0].Skus)
	})

	t.Run("plans of one SKU never conflict", func(t *testing.T) {
		assert.Empty(t, ri.Conflicts([]licensing.SkuPlans{{Sku: e1, Plans: plans("SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE")}}))
		assert.Empty(t, ri.Conflicts([]licensing.SkuPlans{
			{Sku: e1, Plans: plans("SHAREPOINTSTANDARD")},
			{Sku: e1, Plans: plans("SHAREPOINTENTERPRISE")},
		}))
	})

	t.Run("legacy Exchange conflicts stack", func(t *testing.T) {
		assert.Empty(t, ri.Conflicts([]licensing.SkuPlans{
			{Sku: e1, Plans: plans("EXCHANGE_S_STANDARD")},
			{Sku: exo1, Plans: plans("EXCHANGE_S_STANDARD")},
			{Sku: e3, Plans: plans("EXCHANGE_S_ENTERPRISE")},
		}))
	})

	t.Run("missing prerequisites", func(t *testing.T) {
		miss := ri.MissingPrerequisites(plans("WORKPLACE_ANALYTICS", "MCOMEETADV", "MCOSTANDARD"))
		require.Len(t, miss, 1)
		assert.Equal(t, "WORKPLACE_ANALYTICS", cat.PlanName(miss[0].Plan))
		assert.ElementsMatch(t, []string{"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"}, planNamesOf(cat, miss[0].AnyOf))
		assert.Empty(t, ri.MissingPrerequisites(plans("WORKPLACE_ANALYTICS", "EXCHANGE_S_STANDARD")))
		assert.Empty(t, ri.MissingPrerequisites(plans("TEAMS1")))
	})

	t.Run("service loss", func(t *testing.T) {
		e1Plans := plans("EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "FORMS_PLAN_E1", "TEAMS1")
		e3Plans := plans("EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "FORMS_PLAN_E3", "TEAMS1")
		assert.True(t, ri.ServiceLoss(e1Plans, e3Plans).IsEmpty(), "E1 → E3: every service goes on at another level")
		assert.Equal(t, []string{"EXCHANGE_S_STANDARD", "FORMS_PLAN_E1", "SHAREPOINTSTANDARD", "TEAMS1"},
			cat.PlanNames(ri.ServiceLoss(e1Plans, licensing.PlanSet{})), "removing E1 alone loses everything")
		assert.Equal(t, []string{"TEAMS1"}, cat.PlanNames(ri.ServiceLoss(e1Plans, plans("EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "FORMS_PLAN_E3"))))
	})
}

func planNamesOf(cat *licensing.Catalog, ids []licensing.PlanID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = cat.PlanName(id)
	}
	return out
}
