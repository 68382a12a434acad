package planner_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func readPlanFile(t *testing.T, path string) *planner.Plan {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	p, err := planner.ReadPlan(f, "")
	require.NoError(t, err, path)
	return p
}

func planJSON(t *testing.T, p *planner.Plan) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, p.WriteJSON(&b))
	return b.Bytes()
}

// jsonDoc is plan/v1 decoded loosely, to check its shape.
type jsonDoc = map[string]any

func decode(t *testing.T, b []byte) jsonDoc {
	t.Helper()
	var d jsonDoc
	require.NoError(t, json.Unmarshal(b, &d))
	return d
}

// walk calls f on every object in v, with the key it sits under ("" in lists) .
func walk(v any, key string, f func(key string, o map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(key, x)
		for k, e := range x {
			walk(e, k, f)
		}
	case []any:
		for _, e := range x {
			walk(e, key, f)
		}
	}
}

// names returns a plan/v1 document's names section as id → entry.
func names(t *testing.T, d jsonDoc) (skus, plans map[string]map[string]any) {
	t.Helper()
	n, ok := d["names"].(map[string]any)
	require.True(t, ok, "plan/v1 has a names section")
	skus, plans = map[string]map[string]any{}, map[string]map[string]any{}
	var ids []string
	for _, e := range n["skus"].([]any) {
		o := e.(map[string]any)
		ids = append(ids, o["skuId"].(string))
		skus[o["skuId"].(string)] = o
	}
	assert.True(t, slices.IsSorted(ids), "names.skus sorted by id")
	assert.Len(t, skus, len(ids), "names.skus once each")
	ids = nil
	for _, e := range n["servicePlans"].([]any) {
		o := e.(map[string]any)
		ids = append(ids, o["servicePlanId"].(string))
		plans[o["servicePlanId"].(string)] = o
	}
	assert.True(t, slices.IsSorted(ids), "names.servicePlans sorted by id")
	assert.Len(t, plans, len(ids), "names.servicePlans once each")
	return skus, plans
}

func TestPlanJSONNamesSection(t *testing.T) {
	d := decode(t, planJSON(t, casePlan(t, "e1-to-e3-swap")))
	skus, plans := names(t, d)
	assert.Equal(t, map[string]any{"skuId": "6fd2c87f-b296-42f0-b197-1e91e994b900", "skuPartNumber": "ENTERPRISEPACK", "productName": "Office 365 E3"},
		skus["6fd2c87f-b296-42f0-b197-1e91e994b900"])
	assert.Equal(t, map[string]any{"servicePlanId": "efb87545-963c-4e0d-99df-69c6916d9eb0", "servicePlanName": "EXCHANGE_S_ENTERPRISE", "friendlyName": "Exchange Online (Plan 2)"},
		plans["efb87545-963c-4e0d-99df-69c6916d9eb0"])
	step := d["steps"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{map[string]any{"skuId": "6fd2c87f-b296-42f0-b197-1e91e994b900", "skuPartNumber": "ENTERPRISEPACK", "productName": "Office 365 E3", "disabledPlans": []any{}}},
		step["addLicenses"])
	assert.Equal(t, []any{"18181a46-0d4e-45cd-891e-60aabd171b4e"}, step["removeLicenses"], "removeLicenses stays a list of ids, as in Graph")
}

// In every golden plan, every SKU and plan id is in the names section, and every object with a
// skuId carries the names the section gives it.
func TestPlanJSONNamesEverything(t *testing.T) {
	files, err := filepath.Glob("testdata/*/plan.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		d := decode(t, raw)
		skus, plans := names(t, d)
		named := 0
		for _, k := range []string{"steps", "seats", "problems"} {
			walk(d[k], k, func(key string, o map[string]any) {
				if id, ok := o["skuId"].(string); ok {
					n, ok := skus[id]
					if key == "directLicenses" || key == "groupLicenses" {
						// Expectations name SKUs by id only; the names section names them.
						assert.True(t, ok, "%s: %s in names.skus", f, id)
						assert.Nil(t, o["productName"], "%s: expectations carry ids only", f)
					} else if assert.True(t, ok, "%s: %s in names.skus", f, id) {
						assert.Equal(t, n["skuPartNumber"], o["skuPartNumber"], "%s: %v", f, o)
						assert.Equal(t, n["productName"], o["productName"], "%s: %v", f, o)
						if o["productName"] != nil {
							named++
						}
					}
				}
				for _, list := range []string{"removeLicenses"} {
					for _, id := range anyList(o[list]) {
						assert.Contains(t, skus, id, "%s: %s", f, list)
					}
				}
				for _, list := range []string{"gained", "lost", "disabledPlans", "servicePlans"} {
					for _, id := range anyList(o[list]) {
						assert.Contains(t, plans, id, "%s: %s", f, list)
					}
				}
			})
		}
		assert.Positive(t, named, "%s names products", f)
	}
}

func anyList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, e := range l {
		out[i], _ = e.(string)
	}
	return out
}

// Every assignLicense step carries addLicenses and removeLicenses, empty or not, as Graph's
// assignLicense request does; no other step has them.
func TestAssignLicenseStepsCarryBothLists(t *testing.T) {
	files, err := filepath.Glob("testdata/*/plan.json")
	require.NoError(t, err)
	addOnly, removeOnly := 0, 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, s := range decode(t, raw)["steps"].([]any) {
			st := s.(map[string]any)
			add, hasAdd := st["addLicenses"].([]any)
			remove, hasRemove := st["removeLicenses"].([]any)
			if st["action"] != "assignLicense" {
				assert.False(t, hasAdd || hasRemove, "%s %s", f, st["id"])
				continue
			}
			assert.True(t, hasAdd && hasRemove, "%s %s has both lists", f, st["id"])
			if len(remove) == 0 {
				addOnly++
			}
			if len(add) == 0 {
				removeOnly++
			}
		}
	}
	assert.Positive(t, addOnly, "the goldens have steps that only add")
	assert.Positive(t, removeOnly, "and steps that only remove")

	// A step built in Go with nil lists too.
	p := &planner.Plan{TenantID: "t", Steps: []*planner.Step{{ID: "s1", Action: planner.AssignLicense,
		Target: licensing.Target{Type: licensing.TargetUser, ID: "u1"}}}}
	out := string(planJSON(t, p))
	assert.Contains(t, out, `"addLicenses":[],`)
	assert.Contains(t, out, `"removeLicenses":[],`)
	back, err := planner.ReadPlan(strings.NewReader(out), "t")
	require.NoError(t, err)
	assert.Equal(t, out, string(planJSON(t, back)))
}

// A plan read from plan/v1 renders, without a catalog, as the plan that was written: the names
// come back from the file. Its JSON is the same bytes again. Reasons are the exception in the
// part and product styles: plan/v1 carries a reason as its text in the default style, which a
// plan read back renders as it is, where the plan built names the reason's SKUs and plans in
// the style.
func TestPlanReadBackRendersNames(t *testing.T) {
	files, err := filepath.Glob("testdata/*/desired.json")
	require.NoError(t, err)
	for _, f := range files {
		dir := filepath.Dir(f)
		p := planner.Build(loadCase(t, dir))
		js := planJSON(t, p)
		back, err := planner.ReadPlan(bytes.NewReader(js), "")
		require.NoError(t, err)
		assert.Equal(t, string(js), string(planJSON(t, back)), "%s: WriteJSON → ReadPlan → WriteJSON", dir)
		for _, style := range styles {
			txt, backTxt := p.WithNames(style).String(), back.WithNames(style).String()
			md, backMD := markdown(t, p.WithNames(style)), markdown(t, back.WithNames(style))
			if style != licensing.NamesBoth {
				txt, backTxt, md, backMD = withoutWhy(txt), withoutWhy(backTxt), withoutWhyColumn(md), withoutWhyColumn(backMD)
			}
			assert.Equal(t, txt, backTxt, "%s %s", dir, style)
			assert.Equal(t, md, backMD, "%s %s", dir, style)
		}
	}
}

// withoutWhy is WriteText's text without its why: lines.
func withoutWhy(txt string) string {
	lines := strings.Split(txt, "\n")
	return strings.Join(slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(l, "       why: ") }), "\n")
}

// withoutWhyColumn is WriteMarkdown's text with the why cell of each step row emptied.
func withoutWhyColumn(md string) string {
	lines := strings.Split(md, "\n")
	for i, l := range lines {
		cells := strings.Split(l, " | ") // a cell's own | is escaped: \|
		if len(cells) == 7 && strings.HasPrefix(l, "| s") {
			cells[4] = ""
			lines[i] = strings.Join(cells, " | ")
		}
	}
	return strings.Join(lines, "\n")
}

// The names come from the file's names section, not from Microsoft's catalog; a catalog given
// with WithCatalog wins over them.
func TestPlanNamesFromTheFile(t *testing.T) {
	e3, e1 := licensing.MustParseSkuID("6fd2c87f-b296-42f0-b197-1e91e994b900"), licensing.MustParseSkuID("18181a46-0d4e-45cd-891e-60aabd171b4e")
	exo2 := licensing.MustParsePlanID("efb87545-963c-4e0d-99df-69c6916d9eb0")
	renamed := func(e3Name, exoName string) *licensing.Catalog {
		c := licensing.NewCatalog()
		c.AddSku(licensing.Sku{ID: e3, PartNumber: "ENTERPRISEPACK", DisplayName: e3Name},
			licensing.ServicePlan{ID: exo2, Name: "EXCHANGE_S_ENTERPRISE", DisplayName: exoName})
		c.AddSku(licensing.Sku{ID: e1, PartNumber: "STANDARDPACK"})
		return c
	}
	p := casePlan(t, "e1-to-e3-swap").WithCatalog(renamed("Contoso E3", "Contoso Mail"))
	js := planJSON(t, p)
	assert.Contains(t, string(js), `"productName": "Contoso E3"`)

	back, err := planner.ReadPlan(bytes.NewReader(js), "")
	require.NoError(t, err)
	s := back.Steps[0]
	assert.Equal(t, "assignLicense +Contoso E3 (ENTERPRISEPACK) -STANDARDPACK", back.Summary(s))
	assert.Contains(t, back.String(), "       + Azure Rights Management, Contoso Mail, ")
	assert.Contains(t, back.String(), "\n  Contoso E3 (ENTERPRISEPACK)  ")

	given := back.WithCatalog(renamed("Fabrikam E3", "Fabrikam Mail"))
	assert.Equal(t, "assignLicense +Fabrikam E3 (ENTERPRISEPACK) -STANDARDPACK", given.Summary(s))
	assert.Contains(t, given.String(), "Fabrikam Mail, ")
	assert.Contains(t, string(planJSON(t, given)), `"productName": "Fabrikam E3"`)
	assert.Equal(t, "assignLicense +Contoso E3 (ENTERPRISEPACK) -STANDARDPACK", back.Summary(s), "WithCatalog returns a copy")
}

// plan/v1 files written before the names section still read, render with names (part numbers
// from their seats, the rest from Microsoft's catalog) and are rewritten with the section.
func TestPlanV1WithoutNamesReads(t *testing.T) {
	for _, c := range []string{"stories", "group-change-conflicting-member"} {
		path := "testdata/plan-v1-before-names/" + c + ".json"
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NotContains(t, string(raw), `"names"`)
		p := readPlanFile(t, path)
		require.NotEmpty(t, p.Steps)

		txt := p.String()
		golden(t, "testdata/plan-v1-before-names/"+c+".txt", []byte(txt))
		assert.Contains(t, txt, "Office 365 E1 (STANDARDPACK)")

		js := planJSON(t, p)
		_, _ = names(t, decode(t, js))
		again, err := planner.ReadPlan(bytes.NewReader(js), "")
		require.NoError(t, err)
		assert.Equal(t, string(js), string(planJSON(t, again)), "the rewritten file round-trips")
		assert.Equal(t, txt, again.String())
	}
	// A step of then that only removed had no addLicenses; it reads as adding nothing.
	p := readPlanFile(t, "testdata/plan-v1-before-names/stories.json")
	s4, ok := p.Step("s4")
	require.True(t, ok)
	assert.Empty(t, s4.AddLicenses)
	assert.Len(t, s4.RemoveLicenses, 1)
	assert.Equal(t, "assignLicense -Exchange Online (Plan 1) (EXCHANGESTANDARD)", p.Summary(s4))
}

func TestPlanNamesSectionChecked(t *testing.T) {
	raw, err := os.ReadFile("testdata/e1-to-e3-swap/plan.json")
	require.NoError(t, err)
	for _, c := range []struct{ from, to, want string }{
		{`"names": {
    "skus": [
      {`, `"names": {
    "skus": [
      {
        "skuId": "0c266dff-15dd-4b49-8397-2bb16070ed52"
      },
      {`, "names.skus[1] skuId \"0c266dff-15dd-4b49-8397-2bb16070ed52\" is missing or repeated"},
		{`"servicePlanName": "FORMS_PLAN_E1",`, `"servicePlanName": "FORMS_PLAN_E1", "aliases": [],`, "unknown field"},
		{`"skus": [`, `"skus": [{"skuId": "not-a-guid"},`, "not valid plan/v1 JSON"},
	} {
		bad := strings.Replace(string(raw), c.from, c.to, 1)
		require.NotEqual(t, string(raw), bad, c.from)
		_, err := planner.ReadPlan(strings.NewReader(bad), "")
		require.Error(t, err, c.to)
		assert.Contains(t, err.Error(), c.want)
	}
}

// Names a file gives in part (a names entry without a part number, a seat with one) merge, and
// the plan written from them reads back to the same bytes.
func TestPlanNamesMergeWithSeats(t *testing.T) {
	doc := `{"formatVersion": "plan/v1", "tenantId": "t", "applyable": true, "steps": [],
	  "seats": [{"skuId": "11111111-2222-4333-8444-555555555555", "skuPartNumber": "CONTOSO_PACK", "available": 1, "consumedBefore": 0, "consumedAfter": 0}],
	  "problems": [],
	  "names": {"skus": [{"skuId": "11111111-2222-4333-8444-555555555555", "productName": "Contoso Pack"}], "servicePlans": []}}`
	p, err := planner.ReadPlan(strings.NewReader(doc), "")
	require.NoError(t, err)
	assert.Contains(t, p.String(), "\n  Contoso Pack (CONTOSO_PACK)  ")
	once := planJSON(t, p)
	assert.Contains(t, string(once), `"productName": "Contoso Pack"`)
	again, err := planner.ReadPlan(bytes.NewReader(once), "")
	require.NoError(t, err)
	assert.Equal(t, string(once), string(planJSON(t, again)))
}
