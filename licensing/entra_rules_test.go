package licensing_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

const (
	idMCOMEETADVGov  = "f544b08d-1645-4287-82de-8d91f37c02a1"
	idTeamsGov       = "304767db-7d23-49e8-a945-4a7eb65f9f28"
	idMCOSTANDARDGov = "a31ef4a2-f787-435e-8335-e47eb0cafc94"
	idProjectOnline  = "fe71d6c3-a2ea-4499-9778-da042bf08063"
	idSPEnterprise   = "5dbe027f-2339-4123-9542-606e4d348a72"
	idSPStandard     = "c7699d2e-19aa-44de-8edf-1736da088ca1"
	idMCOEV          = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7"
	idMCOSTANDARD    = "0feaeb32-d00e-4d66-bd5a-43b5b83db82c"
	idMCOIMP         = "afc06cb0-b4f4-4473-8286-d644f70d8faf"
	idTeams1         = "57ff2da0-773e-42df-b2af-ffb7a2317929"
)

// A catalog that knows the plans by name, as a tenant's subscribedSkus would.
func entraCatalog() *licensing.Catalog {
	c := licensing.NewCatalog()
	for id, name := range map[string]string{
		idMCOMEETADVGov: "MCOMEETADV_GOV", idTeamsGov: "TEAMS_GOV", idMCOSTANDARDGov: "MCOSTANDARD_GOV",
		idProjectOnline: "SHAREPOINT_PROJECT", idSPEnterprise: "SHAREPOINTENTERPRISE", idSPStandard: "SHAREPOINTSTANDARD",
		idMCOEV: "MCOEV", idMCOSTANDARD: "MCOSTANDARD", idMCOIMP: "MCOIMP", idTeams1: "TEAMS1",
	} {
		c.AddPlan(licensing.ServicePlan{ID: licensing.MustParsePlanID(id), Name: name})
	}
	return c
}

func TestRuleFromEntraMessage(t *testing.T) {
	cat := entraCatalog()
	cases := []struct {
		name     string
		msg      string
		wantPlan string   // prerequisite: the plan; "" for an exclusion
		wantAny  []string // prerequisite: requiresAnyOf; exclusion: its plans
	}{
		{"Graph's words, quoted in MicrosoftDocs/microsoft-365-docs#3864",
			"License assignment failed because service plan " + idMCOMEETADVGov + " depends on the service plan(s) " + idTeamsGov + "," + idMCOSTANDARDGov,
			"MCOMEETADV_GOV", []string{"TEAMS_GOV", "MCOSTANDARD_GOV"}},
		{"a field report's reprocess error (Project Online)",
			"License assignment failed because service plan " + idProjectOnline + " depends on the service plan(s) " + idSPEnterprise,
			"SHAREPOINT_PROJECT", []string{"SHAREPOINTENTERPRISE"}},
		{"spaces after commas and a trailing period (fake/doc.go's form)",
			"License assignment failed because service plan " + idMCOEV + " depends on the service plan(s) " + idMCOSTANDARD + ", " + idTeams1 + ".",
			"MCOEV", []string{"MCOSTANDARD", "TEAMS1"}},
		{"upper-case ids inside a PowerShell wrapper",
			"Set-MgUserLicense_AssignExpanded: License assignment failed because service plan " + strings.ToUpper(idMCOEV) +
				" depends on the service plan(s) " + strings.ToUpper(idTeams1) + "\r\nStatus: 400 (BadRequest)\r\nErrorCode: Request_BadRequest",
			"MCOEV", []string{"TEAMS1"}},
		{"mutually exclusive (the fake's and Graph's form)",
			"License assignment failed because service plans " + idSPStandard + "," + idSPEnterprise + " are mutually exclusive.",
			"", []string{"SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE"}},
		{"mutually exclusive with a space",
			"License assignment failed because service plans " + idMCOSTANDARD + ", " + idMCOIMP + " are mutually exclusive",
			"", []string{"MCOSTANDARD", "MCOIMP"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := licensing.RuleFromEntraMessage(tc.msg, cat, "2026-12-07")
			require.True(t, ok)
			require.NoError(t, r.Validate())
			assert.Equal(t, licensing.RulesFormatVersion, r.FormatVersion)
			if tc.wantPlan != "" {
				require.Len(t, r.Prerequisites, 1)
				assert.Empty(t, r.MutuallyExclusive)
				p := r.Prerequisites[0]
				assert.Equal(t, tc.wantPlan, p.Plan.Name)
				assert.Equal(t, tc.wantAny, refNames(p.RequiresAnyOf))
				assert.Equal(t, licensing.StrengthRefused, p.Strength)
				assert.Equal(t, "Entra error text: "+strings.TrimSpace(tc.msg), p.Source)
				assert.Equal(t, "2026-12-07", p.Date)
				assert.Contains(t, p.Name, tc.wantPlan)
			} else {
				require.Len(t, r.MutuallyExclusive, 1)
				assert.Empty(t, r.Prerequisites)
				x := r.MutuallyExclusive[0]
				assert.Equal(t, tc.wantAny, refNames(x.Plans))
				assert.Equal(t, licensing.StrengthRefused, x.Strength)
				assert.True(t, strings.HasPrefix(x.Source, "Entra error text: License assignment failed"))
			}
			// The entry prints as a rules/v1 file a user can keep, and reads back.
			var b bytes.Buffer
			require.NoError(t, r.WriteJSON(&b))
			back, err := licensing.ReadRules(&b)
			require.NoError(t, err)
			assert.Equal(t, r, back)
		})
	}

	t.Run("without a catalog the ids stand alone", func(t *testing.T) {
		r, ok := licensing.RuleFromEntraMessage("License assignment failed because service plan "+idMCOEV+" depends on the service plan(s) "+idTeams1, nil, "2026-12-07")
		require.True(t, ok)
		assert.Equal(t, idMCOEV, r.Prerequisites[0].Plan.String())
		assert.Empty(t, r.Prerequisites[0].Plan.Name)
	})

	for _, msg := range []string{
		"",
		"License assignment cannot be done for user with invalid usage location.",
		"User license is inherited from a group membership and it cannot be removed directly from the user.",
		// Truncated as some scripts quote it: no required plan, nothing to learn.
		"License assignment failed because service plan " + idMCOEV + " depends on the service plan(s)  ",
		"License assignment failed because service plans " + idSPStandard + " are mutually exclusive.",
		"License assignment failed because service plan not-a-guid depends on the service plan(s) " + idTeams1,
		// A plan that "depends" on itself only.
		"License assignment failed because service plan " + idTeams1 + " depends on the service plan(s) " + idTeams1,
	} {
		r, ok := licensing.RuleFromEntraMessage(msg, cat, "2026-12-07")
		assert.False(t, ok, msg)
		assert.Nil(t, r, msg)
	}
}

func TestRuleIndexPredictsEntraMessages(t *testing.T) {
	cat := entraCatalog()
	ri := licensing.DefaultRules().Compile(cat)
	learn := func(msg string) *licensing.Rules {
		r, ok := licensing.RuleFromEntraMessage(msg, cat, "2026-12-07")
		require.True(t, ok, msg)
		return r
	}
	cases := []struct {
		name string
		msg  string
		want bool
	}{
		{"the defaults know Project Online needs SharePoint (Plan 2)",
			"License assignment failed because service plan " + idProjectOnline + " depends on the service plan(s) " + idSPEnterprise, true},
		{"the defaults know GCC Audio Conferencing",
			"License assignment failed because service plan " + idMCOMEETADVGov + " depends on the service plan(s) " + idTeamsGov + "," + idMCOSTANDARDGov, true},
		{"a narrower list than the defaults accept is not predicted (TEAMS1 alone: the defaults also accept MCOSTANDARD)",
			"License assignment failed because service plan " + idMCOEV + " depends on the service plan(s) " + idTeams1, false},
		{"a wider list is predicted",
			"License assignment failed because service plan " + idMCOEV + " depends on the service plan(s) " + idTeams1 + "," + idMCOSTANDARD + "," + idTeamsGov, true},
		{"SharePoint Plan 1 × Plan 2 is a refused default exclusion",
			"License assignment failed because service plans " + idSPStandard + "," + idSPEnterprise + " are mutually exclusive.", true},
		{"MCOSTANDARD × MCOIMP stacks in the defaults, so Entra refusing it is news",
			"License assignment failed because service plans " + idMCOSTANDARD + "," + idMCOIMP + " are mutually exclusive.", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ri.Predicts(learn(tc.msg)))
		})
	}

	t.Run("a learned rule, added to the rules, predicts its own message", func(t *testing.T) {
		msg := "License assignment failed because service plan " + idMCOEV + " depends on the service plan(s) " + idTeams1
		learned := learn(msg)
		ri2 := licensing.DefaultRules().Extend(learned).Compile(cat)
		assert.True(t, ri2.Predicts(learned))
		// And it now refuses MCOEV with MCOSTANDARD alone, as Entra did.
		var ids []licensing.PlanID
		for _, n := range []string{"MCOEV", "MCOSTANDARD"} {
			p, err := cat.LookupPlan(n)
			require.NoError(t, err)
			ids = append(ids, p.ID)
		}
		miss := ri2.MissingPrerequisites(cat.PlanSetOf(ids))
		require.Len(t, miss, 1)
		assert.Equal(t, learned.Prerequisites[0].Name, miss[0].Rule.Name)
	})

	t.Run("a discouraged rule does not predict a refusal", func(t *testing.T) {
		msg := "License assignment failed because service plan " + idMCOEV + " depends on the service plan(s) " + idTeams1
		soft := learn(msg)
		soft.Prerequisites[0].Strength = licensing.StrengthDiscouraged
		only := (&licensing.Rules{}).Extend(&licensing.Rules{FormatVersion: licensing.RulesFormatVersion, ReplaceDefaults: true, Prerequisites: soft.Prerequisites})
		assert.False(t, only.Compile(cat).Predicts(learn(msg)))
	})

	t.Run("unknown plans are not predicted", func(t *testing.T) {
		msg := "License assignment failed because service plan 11111111-2222-4333-8444-555555555555 depends on the service plan(s) " + idTeams1
		assert.False(t, ri.Predicts(learn(msg)))
	})
}

func FuzzRuleFromEntraMessage(f *testing.F) {
	f.Add("License assignment failed because service plan " + idMCOEV + " depends on the service plan(s) " + idMCOSTANDARD + ", " + idTeams1 + ".")
	f.Add("License assignment failed because service plans " + idSPStandard + "," + idSPEnterprise + " are mutually exclusive.")
	f.Add("License assignment failed because service plans " + idSPStandard + "," + idSPStandard + " are mutually exclusive.")
	f.Add("depends on the service plan(s)")
	f.Add("")
	cat := entraCatalog()
	ri := licensing.DefaultRules().Compile(entraCatalog())
	f.Fuzz(func(t *testing.T, msg string) {
		r, ok := licensing.RuleFromEntraMessage(msg, cat, "2026-12-07")
		if !ok {
			if r != nil {
				t.Fatalf("not ok but a document: %+v", r)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("invalid rules from %q: %v", msg, err)
		}
		if len(r.Prerequisites)+len(r.MutuallyExclusive) != 1 {
			t.Fatalf("want exactly one rule from %q, got %+v", msg, r)
		}
		_ = ri.Predicts(r) // never panics, whatever the plans
	})
}
