package licensing_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

// The invariant that keeps the default rules honest, checked over Microsoft's whole catalog
// (../shared/data; skipped in a clone without it):
//
//   - every SKU Microsoft sells standalone, assigned alone with all plans on, passes the default
//     rules: no missing prerequisite (plans of one SKU never conflict);
//   - every add-on SKU that needs a base fails alone, with a dependency naming the add-on's plan,
//     and passes with a base it is sold for;
//   - the documented pairings come out as Microsoft documents them.
//
// "Standalone" is decided mechanically: a SKU that carries a base service (a mailbox, SharePoint
// or OneDrive, Teams or Skype for Business Online, the Office apps). A SKU without a base service
// that fails a prerequisite must be listed in catalogAddOns with its source, so a new SKU or a
// rule change that breaks this fails here, naming the SKU and the plan.

// The Microsoft CSVs the invariant runs over: the verbatim download and CIPP's superset of it.
var invariantCatalogs = []string{
	"ms-product-names-service-plan-identifiers-for-licensing.2025-12-30.nubrixsecurity.csv",
	"ms-product-names-service-plan-identifiers-for-licensing.CIPP-superset.2026-06-24.csv",
}

// catalogBasePlans are the base services: a SKU carrying one of them can be a user's only license.
var catalogBasePlans = []string{
	// Exchange Online mailboxes
	"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_DESKLESS", "EXCHANGE_S_ESSENTIALS", "EXCHANGE_B_STANDARD",
	"EXCHANGE_S_STANDARD_MIDMARKET", "EXCHANGE_S_STANDARD_GOV", "EXCHANGE_S_ENTERPRISE_GOV",
	// SharePoint and OneDrive
	"SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE", "SHAREPOINTDESKLESS", "SHAREPOINTSTANDARD_EDU", "SHAREPOINTENTERPRISE_EDU",
	"SHAREPOINTENTERPRISE_MIDMARKET", "SHAREPOINTLITE", "SHAREPOINT_S_DEVELOPER", "SHAREPOINTENTERPRISE_GOV",
	"ONEDRIVESTANDARD", "ONEDRIVEENTERPRISE", "ONEDRIVE_BASIC", "ONEDRIVE_BASIC_P2",
	// Teams and Skype for Business Online
	"TEAMS1", "TEAMS_GOV", "TEAMS_AR_GCCHIGH", "TEAMS_AR_DOD", "MCOSTANDARD", "MCOIMP", "MCOSTANDARD_GOV",
	// Office apps
	"OFFICESUBSCRIPTION", "OFFICE_BUSINESS", "OFFICEMOBILE_SUBSCRIPTION",
}

// addOn is an add-on SKU that needs a base: alone it fails with a dependency naming Plan;
// with the base SKU Base it passes.
type addOn struct {
	Plan   string
	Base   string
	Source string
}

const (
	srcTeamsAddOns = "Microsoft Learn, \"Teams add-on licensing\" (MicrosoftDocs/OfficeDocs-SkypeForBusiness Teams/teams-add-on-licensing): Audio Conferencing, Teams Phone and Calling Plans are add-ons to a Teams licence"
	srcBizVoice    = "Microsoft Learn, Microsoft 365 Business Voice: an add-on to Microsoft 365 Business Basic/Standard/Premium"
	srcMDO         = "Microsoft Learn, Defender for Office 365 (MicrosoftDocs/defender-docs mdo-about.md, 2024-05-07): protects Exchange Online mail; E5 Security is an add-on to E3"
	srcF5          = "Microsoft Learn, Defender for Identity licensing (MicrosoftDocs/ATADocs ATPDocs/includes/licenses.md, 2023-09-26): the F5 Security / Security + Compliance add-ons require Microsoft 365 F1/F3 or Office 365 F3"
	srcWA          = "MicrosoftDocs/entra-docs licensing-groups-resolve-problems.md: Workplace Analytics is an add-on needing Exchange Online (Plan 1) or (Plan 2)"
	srcGCCConf     = "MicrosoftDocs/microsoft-365-docs pull request #3864 (2021-01-07): Graph refuses Audio Conferencing for GCC without TEAMS_GOV or MCOSTANDARD_GOV"
)

// catalogAddOns lists, by part number, the add-on SKUs Microsoft sells that carry no base
// service and fail alone. Keep it short: every entry needs its source.
var catalogAddOns = map[string]addOn{
	"MCOMEETADV":                            {"MCOMEETADV", "ENTERPRISEPACK", srcTeamsAddOns},
	"MCOMEETADV_FACULTY":                    {"MCOMEETADV", "ENTERPRISEPACK", srcTeamsAddOns},
	"MCOMEETADV_GOV":                        {"MCOMEETADV_GOV", "ENTERPRISEPACK_GOV", srcGCCConf},
	"MCOEV":                                 {"MCOEV", "ENTERPRISEPACK", srcTeamsAddOns},
	"MCOEV_DOD":                             {"MCOEV", "ENTERPRISEPACK", srcTeamsAddOns},
	"MCOEV_FACULTY":                         {"MCOEV", "ENTERPRISEPACK", srcTeamsAddOns},
	"MCOEV_GCCHIGH":                         {"MCOEV", "ENTERPRISEPACK", srcTeamsAddOns},
	"MCOEV_STUDENT":                         {"MCOEV", "ENTERPRISEPACK", srcTeamsAddOns},
	"MCOEV_TELSTRA":                         {"MCOEV", "ENTERPRISEPACK", srcTeamsAddOns},
	"MCOEV_USGOV_DOD":                       {"MCOEV", "ENTERPRISEPACK", srcTeamsAddOns},
	"MCOEV_USGOV_GCCHIGH":                   {"MCOEV", "ENTERPRISEPACK", srcTeamsAddOns},
	"MCOTEAMS_ESSENTIALS":                   {"MCOEV", "ENTERPRISEPACK", srcTeamsAddOns},
	"BUSINESS_VOICE":                        {"MCOMEETADV", "O365_BUSINESS_ESSENTIALS", srcBizVoice},
	"BUSINESS_VOICE_MED2":                   {"MCOMEETADV", "O365_BUSINESS_ESSENTIALS", srcBizVoice},
	"BUSINESS_VOICE_MED2_TELCO":             {"MCOMEETADV", "O365_BUSINESS_ESSENTIALS", srcBizVoice},
	"BUSINESS_VOICE_DIRECTROUTING":          {"MCOMEETADV", "O365_BUSINESS_ESSENTIALS", srcBizVoice},
	"BUSINESS_VOICE_DIRECTROUTING_MED":      {"MCOMEETADV", "O365_BUSINESS_ESSENTIALS", srcBizVoice},
	"THREAT_INTELLIGENCE":                   {"THREAT_INTELLIGENCE", "EXCHANGESTANDARD", srcMDO},
	"IDENTITY_THREAT_PROTECTION":            {"THREAT_INTELLIGENCE", "SPE_E3", srcMDO},
	"IDENTITY_THREAT_PROTECTION_FOR_EMS_E5": {"THREAT_INTELLIGENCE", "ENTERPRISEPACK", srcMDO},
	"SPE_F5_SEC":                            {"THREAT_INTELLIGENCE", "SPE_F1", srcF5},
	"SPE_F5_SECCOMP":                        {"THREAT_INTELLIGENCE", "DESKLESSPACK", srcF5},
	"M365_SECURITY_COMPLIANCE_FOR_FLW":      {"THREAT_INTELLIGENCE", "DESKLESSPACK", srcF5},
	"WORKPLACE_ANALYTICS":                   {"WORKPLACE_ANALYTICS", "EXCHANGESTANDARD", srcWA},
}

// pairing is a documented combination of SKUs (all plans on unless Disable names some plans of
// the first SKU) and what Entra does with it.
type pairing struct {
	Name         string
	Skus         []string
	Disable      []string // plans disabled on the first SKU
	WantConflict string   // the refused exclusion rule that fires, or ""
	WantMissing  string   // the plan whose prerequisite is missing, or ""
	Source       string
}

const srcNoTeams = "Microsoft Learn, EEA Teams licensing notice (MicrosoftDocs/OfficeDocs-SkypeForBusiness Teams/includes/eea-teams-licensing.md): new Enterprise customers buy an E1/E3/E5 (no Teams) suite plus Microsoft Teams Enterprise or Teams EEA"

var catalogPairings = []pairing{
	{Name: "Office 365 E3 (no Teams) + Microsoft Teams EEA", Skus: []string{"Office_365_E3_(no_Teams)", "Microsoft_Teams_EEA_New"}, Source: srcNoTeams},
	{Name: "Office 365 E3 EEA (no Teams) + Microsoft Teams EEA", Skus: []string{"O365_w/o_Teams_Bundle_E3", "Microsoft_Teams_EEA_New"}, Source: srcNoTeams},
	{Name: "Office 365 E1 EEA (no Teams) + Microsoft Teams EEA", Skus: []string{"Office_365_w/o_Teams_Bundle_E1", "Microsoft_Teams_EEA_New"}, Source: srcNoTeams},
	{Name: "Microsoft 365 E3 (no Teams) + Microsoft Teams EEA", Skus: []string{"Microsoft_365_E3_(no_Teams)", "Microsoft_Teams_EEA_New"}, Source: srcNoTeams},
	{Name: "Microsoft 365 E5 EEA (no Teams) + Microsoft Teams EEA", Skus: []string{"O365_w/o_Teams_Bundle_M5", "Microsoft_Teams_EEA_New"}, Source: srcNoTeams},
	{Name: "Microsoft 365 E5 (no Teams) + Microsoft Teams Enterprise", Skus: []string{"Microsoft_365_E5_(no_Teams)", "Microsoft_Teams_Enterprise_New"}, Source: srcNoTeams},
	{Name: "Office 365 E3 (no Teams) + Microsoft Teams Enterprise", Skus: []string{"Office_365_E3_(no_Teams)", "Microsoft_Teams_Enterprise_New"}, Source: srcNoTeams},
	{Name: "Office 365 E3 (no Teams) + Teams Phone Standard", Skus: []string{"Office_365_E3_(no_Teams)", "MCOEV"},
		Source: srcTeamsAddOns + "; the (no Teams) suites' MCOSTANDARD satisfies it as in the E5 (no Teams) suites, which carry MCOEV without TEAMS1"},
	{Name: "Office 365 E1 direct + E3 by group (the seeds' example)", Skus: []string{"STANDARDPACK", "ENTERPRISEPACK"}, WantConflict: "SharePoint Online",
		Source: "MicrosoftDocs/entra-docs licensing-groups-resolve-problems.md, \"Service plans that conflict\""},
	{Name: "Exchange Online (Plan 1) + Office 365 E3 stack", Skus: []string{"EXCHANGESTANDARD", "ENTERPRISEPACK"},
		Source: "Exchange Team blog, concurrent Exchange Online licenses (2023-01-20); licensing-groups-resolve-problems.md TIP"},
	{Name: "Exchange Online (Plan 1) + (Plan 2) stack", Skus: []string{"EXCHANGESTANDARD", "EXCHANGEENTERPRISE"},
		Source: "Exchange Team blog, concurrent Exchange Online licenses (2023-01-20)"},
	{Name: "Office 365 Midsize Business + Exchange Online (Plan 1): legacy, no stacking", Skus: []string{"MIDSIZEPACK", "EXCHANGESTANDARD"}, WantConflict: "Exchange Online",
		Source: "DESIGN.md section 2 (concurrent Exchange licensing does not cover Small/Mid-sized Business); Microsoft's exclusion table, Exchange Online"},
	{Name: "Project Plan 3 with SharePoint (Plan 2) disabled", Skus: []string{"PROJECTPROFESSIONAL"}, Disable: []string{"SHAREPOINTENTERPRISE"},
		WantMissing: "SHAREPOINT_PROJECT", Source: "Graph refusal quoted in a field report: fe71d6c3-… (SHAREPOINT_PROJECT) depends on 5dbe027f-… (SHAREPOINTENTERPRISE)"},
	{Name: "Office 365 E3 with every Skype and Teams plan disabled + Audio Conferencing", Skus: []string{"ENTERPRISEPACK", "MCOMEETADV"}, Disable: []string{"MCOSTANDARD", "TEAMS1"},
		WantMissing: "MCOMEETADV", Source: "MicrosoftDocs/entra-docs licensing-groups-resolve-problems.md (Audio Conferencing depends on Skype for Business)"},
	{Name: "Office 365 E3 + Audio Conferencing", Skus: []string{"ENTERPRISEPACK", "MCOMEETADV"}, Source: srcTeamsAddOns},
	{Name: "Microsoft 365 Apps for enterprise alone (Office for the web with OneDrive)", Skus: []string{"OFFICESUBSCRIPTION"},
		Source: "Microsoft's CSV: the SKU carries SHAREPOINTWAC with ONEDRIVESTANDARD and no SharePoint plan"},
}

func TestCatalogInvariantUnderDefaultRules(t *testing.T) {
	for _, file := range invariantCatalogs {
		t.Run(file, func(t *testing.T) {
			cat := readCatalogFile(t, file)
			ri := licensing.DefaultRules().Compile(cat)
			base := namedPlanSet(cat, catalogBasePlans)

			var standalone, addOns, quiet int
			for _, sku := range cat.Skus() {
				if sku.PartNumber == "" {
					continue
				}
				alone := []licensing.SkuPlans{{Sku: sku.ID, Plans: sku.PlanSet()}}
				assert.Empty(t, ri.Conflicts(alone), "%s: plans of one SKU never conflict", sku.PartNumber)
				assert.Empty(t, ri.DiscouragedConflicts(alone), "%s: plans of one SKU never conflict", sku.PartNumber)
				miss := ri.MissingPrerequisites(sku.PlanSet())
				a, isAddOn := catalogAddOns[sku.PartNumber]
				switch {
				case isAddOn:
					addOns++
					checkAddOn(t, cat, ri, sku, a, miss)
				case sku.PlanSet().Intersects(base):
					standalone++
					if len(miss) > 0 {
						t.Errorf("%s (%s) is sold standalone (it carries %s) but the default rules refuse it alone: %s",
							sku.PartNumber, sku.DisplayName, strings.Join(cat.PlanNames(sku.PlanSet().Intersect(base)), ", "), describeMissing(cat, miss))
					}
				default:
					quiet++
					if len(miss) > 0 {
						t.Errorf("%s (%s) carries no base service and fails alone (%s): if Microsoft sells it as an add-on, list it in catalogAddOns with its source; otherwise fix the rule",
							sku.PartNumber, sku.DisplayName, describeMissing(cat, miss))
					}
				}
			}
			t.Logf("%s: %d standalone SKUs pass alone, %d add-ons fail alone and pass with their base, %d other SKUs need nothing", file, standalone, addOns, quiet)
			assert.Greater(t, standalone, 150, "the base-service test must recognise Microsoft's suites and standalone services")
			assert.GreaterOrEqual(t, addOns, 20, "the add-on list must match SKUs in the catalog")

			for _, p := range catalogPairings {
				t.Run(p.Name, func(t *testing.T) { checkPairing(t, cat, ri, p) })
			}
		})
	}
}

func checkAddOn(t *testing.T, cat *licensing.Catalog, ri *licensing.RuleIndex, sku *licensing.Sku, a addOn, miss []licensing.MissingPrerequisite) {
	t.Helper()
	require.NotEmpty(t, a.Source, sku.PartNumber)
	names := make([]string, len(miss))
	for i, m := range miss {
		names[i] = cat.PlanName(m.Plan)
	}
	if !slices.Contains(names, a.Plan) {
		t.Errorf("add-on %s (%s) alone must fail with a dependency naming %s; got %s", sku.PartNumber, sku.DisplayName, a.Plan, describeMissing(cat, miss))
	}
	b, err := cat.LookupSku(a.Base)
	if err != nil {
		t.Errorf("add-on %s: its base %s is not in the catalog: %v", sku.PartNumber, a.Base, err)
		return
	}
	with := sku.PlanSet().Union(b.PlanSet())
	if m := ri.MissingPrerequisites(with); len(m) > 0 {
		t.Errorf("add-on %s with its base %s still fails: %s", sku.PartNumber, a.Base, describeMissing(cat, m))
	}
	if c := ri.Conflicts([]licensing.SkuPlans{{Sku: sku.ID, Plans: sku.PlanSet()}, {Sku: b.ID, Plans: b.PlanSet()}}); len(c) > 0 {
		t.Errorf("add-on %s conflicts with its base %s: %s", sku.PartNumber, a.Base, describeConflicts(cat, c))
	}
}

func checkPairing(t *testing.T, cat *licensing.Catalog, ri *licensing.RuleIndex, p pairing) {
	require.NotEmpty(t, p.Source, p.Name)
	var bySku []licensing.SkuPlans
	var enabled licensing.PlanSet
	for i, ref := range p.Skus {
		sku, err := cat.LookupSku(ref)
		if err != nil {
			t.Skipf("%s is not in this catalog", ref)
		}
		plans := sku.PlanSet().Clone()
		if i == 0 {
			for _, d := range p.Disable {
				pl, err := cat.LookupPlanInSku(sku, d)
				require.NoError(t, err, "%s in %s", d, ref)
				plans.Remove(pl.Index())
			}
		}
		bySku = append(bySku, licensing.SkuPlans{Sku: sku.ID, Plans: plans})
		enabled.UnionWith(plans)
	}
	conflicts := ri.Conflicts(bySku)
	if p.WantConflict == "" {
		assert.Empty(t, conflicts, "%s: %s", p.Name, describeConflicts(cat, conflicts))
	} else if assert.NotEmpty(t, conflicts, "%s must conflict on %s", p.Name, p.WantConflict) {
		for _, c := range conflicts {
			assert.Equal(t, p.WantConflict, c.Rule.Name, describeConflicts(cat, conflicts))
		}
	}
	miss := ri.MissingPrerequisites(enabled)
	if p.WantMissing == "" {
		assert.Empty(t, miss, "%s: %s", p.Name, describeMissing(cat, miss))
	} else {
		assert.True(t, slices.ContainsFunc(miss, func(m licensing.MissingPrerequisite) bool { return cat.PlanName(m.Plan) == p.WantMissing }),
			"%s must fail with a dependency naming %s: %s", p.Name, p.WantMissing, describeMissing(cat, miss))
	}
}

// The default rules name plans as Microsoft's CSV does: a typo in a GUID or a name fails here.
func TestDefaultRulePlansMatchMicrosoftsCatalog(t *testing.T) {
	cat := readCatalogFile(t, invariantCatalogs[0])
	r := licensing.DefaultRules()
	check := func(rule string, refs ...licensing.PlanRef) {
		for _, ref := range refs {
			p, ok := cat.Plan(ref.ID)
			if !ok {
				continue // retired plans of Microsoft's exclusion table (e.g. SHAREPOINTSTANDARD_YAMMERSHADOW)
			}
			assert.True(t, p.Name == ref.Name || slices.Contains(p.Aliases, ref.Name),
				"rule %q: plan %s is named %q in Microsoft's CSV, not %q", rule, ref.ID, p.Name, ref.Name)
		}
	}
	for _, x := range r.MutuallyExclusive {
		check(x.Name, x.Plans...)
	}
	for _, x := range r.Stacking {
		check(x.Name, x.Plans...)
	}
	for _, x := range r.Prerequisites {
		check(x.Name, append([]licensing.PlanRef{x.Plan}, x.RequiresAnyOf...)...)
		_, ok := cat.Plan(x.Plan.ID)
		assert.True(t, ok, "prerequisite %q: its plan %s is in no SKU Microsoft sells", x.Name, x.Plan)
	}
	for _, x := range r.Services {
		for _, l := range x.AllLevels() {
			check(x.Name, l...)
		}
	}
}

func namedPlanSet(cat *licensing.Catalog, names []string) licensing.PlanSet {
	var ids []licensing.PlanID
	for _, n := range names {
		if p, err := cat.LookupPlan(n); err == nil {
			ids = append(ids, p.ID)
		}
	}
	return cat.PlanSetOf(ids)
}

func describeMissing(cat *licensing.Catalog, miss []licensing.MissingPrerequisite) string {
	if len(miss) == 0 {
		return "no missing prerequisite"
	}
	var parts []string
	for _, m := range miss {
		parts = append(parts, fmt.Sprintf("%s needs one of %s (rule %q)", cat.PlanName(m.Plan), strings.Join(planNamesOf(cat, m.AnyOf), ", "), m.Rule.Name))
	}
	return strings.Join(parts, "; ")
}

func describeConflicts(cat *licensing.Catalog, cs []licensing.Conflict) string {
	if len(cs) == 0 {
		return "no conflict"
	}
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s (%s) × %s (%s) (rule %q)", cat.PlanName(c.Plans[0]), cat.SkuName(c.Skus[0]), cat.PlanName(c.Plans[1]), cat.SkuName(c.Skus[1]), c.Rule.Name))
	}
	return strings.Join(parts, "; ")
}
