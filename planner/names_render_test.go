package planner_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

var styles = []licensing.NameStyle{licensing.NamesBoth, licensing.NamesPart, licensing.NamesProduct}

// casePlan builds the plan of testdata/<name>.
func casePlan(t *testing.T, name string) *planner.Plan {
	t.Helper()
	return planner.Build(loadCase(t, filepath.Join("testdata", name)))
}

func markdown(t *testing.T, p *planner.Plan) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, p.WriteMarkdown(&b))
	return b.String()
}

// The default names SKUs by product and part number, and plans by friendly name, in text and
// Markdown.
func TestPlanTextNamesProducts(t *testing.T) {
	p := casePlan(t, "e1-to-e3-swap")
	txt, md := p.String(), markdown(t, p)
	for _, out := range []string{txt, md} {
		assert.Contains(t, out, "assignLicense +Office 365 E3 (ENTERPRISEPACK) -Office 365 E1 (STANDARDPACK)")
		assert.Contains(t, out, "Exchange Online (Plan 2), Microsoft 365 Apps for enterprise")
		assert.Contains(t, out, "Exchange Online (Plan 1), Microsoft Forms (Plan E1)")
		assert.Contains(t, out, "Office 365 E3 (ENTERPRISEPACK)")
	}
	assert.Contains(t, txt, "\n       + Azure Rights Management, Exchange Online (Plan 2), ")
	assert.Contains(t, txt, "\n  Office 365 E3 (ENTERPRISEPACK)  ")
	assert.Contains(t, md, "| Office 365 E3 (ENTERPRISEPACK) | 25 | 16 | 17 |")
	assert.Contains(t, md, "| Azure Rights Management, Exchange Online (Plan 2), Microsoft 365 Apps for enterprise, Microsoft Forms (Plan E3), Microsoft Stream for Office 365 E3, SharePoint (Plan 2) |")
	assert.Equal(t, txt, p.WithNames(licensing.NamesBoth).String(), "both is the default")
}

// Each style names what it says: part numbers and plan names (the rendering from before product
// names), product and friendly names, or both.
func TestPlanNameStyles(t *testing.T) {
	p := casePlan(t, "stories")
	s2, ok := p.Step("s2")
	require.True(t, ok)
	s6, ok := p.Step("s6")
	require.True(t, ok)
	for _, c := range []struct {
		style          licensing.NameStyle
		swap, withOff  string
		gained, seat   string
		absent         []string
		listSeparators string
	}{
		{licensing.NamesBoth, "assignLicense +Office 365 E3 (ENTERPRISEPACK) -Office 365 E1 (STANDARDPACK)",
			"assignLicense +Office 365 E1 (STANDARDPACK) (off: Yammer Enterprise)",
			"       + Azure Rights Management, Exchange Online (Plan 2), Microsoft 365 Apps for enterprise,\n         Microsoft Forms (Plan E3),",
			"  Office 365 E3 (ENTERPRISEPACK)      ", nil, ", "},
		{licensing.NamesPart, "assignLicense +ENTERPRISEPACK -STANDARDPACK",
			"assignLicense +STANDARDPACK (off: YAMMER_ENTERPRISE)",
			"       + EXCHANGE_S_ENTERPRISE FORMS_PLAN_E3 OFFICESUBSCRIPTION RMS_S_ENTERPRISE SHAREPOINTENTERPRISE STREAM_O365_E3\n",
			"  ENTERPRISEPACK                      25       16       17\n", []string{"Office 365 E3", "Exchange Online (Plan 2),"}, " "},
		{licensing.NamesProduct, "assignLicense +Office 365 E3 -Office 365 E1",
			"assignLicense +Office 365 E1 (off: Yammer Enterprise)",
			"       + Azure Rights Management, Exchange Online (Plan 2), Microsoft 365 Apps for enterprise,\n",
			"  Office 365 E3      ", []string{"+ENTERPRISEPACK", "Office 365 E3 (ENTERPRISEPACK)  "}, ", "},
	} {
		t.Run(c.style.String(), func(t *testing.T) {
			q := p.WithNames(c.style)
			assert.Equal(t, c.swap, q.Summary(s2))
			assert.Equal(t, c.withOff, q.Summary(s6))
			txt := q.String()
			assert.Contains(t, txt, c.gained)
			assert.Contains(t, txt, c.seat)
			for _, a := range c.absent {
				// Problem messages come from Build, which names in its own way; reasons name
				// in the style.
				assert.NotContains(t, stepLinesAndSeats(txt), a)
			}
			assert.Contains(t, markdown(t, q), "`"+c.swap+"`")
		})
	}
	assert.Equal(t, p.WithNames(licensing.NamesBoth).String(), p.String(), "WithNames returns a copy; the plan keeps its style")
	assert.NotEqual(t, p.WithNames(licensing.NamesPart).String(), p.String())
}

// stepLinesAndSeats is the text without what WriteText copies from Build: the problems.
func stepLinesAndSeats(txt string) string {
	return strings.Split(txt, "\nProblems\n")[0]
}

// A built plan's reasons name SKUs and plans in the plan's style, in text and Markdown; the
// default style's are Step.Reason, as plan/v1 carries them. A plan read from plan/v1 has only
// that text, and a step whose Reason was changed has its new text: both render as they are.
func TestReasonsNameInStyle(t *testing.T) {
	p := casePlan(t, "stories")
	s2, ok := p.Step("s2")
	require.True(t, ok)
	both := "swap Office 365 E1 (STANDARDPACK) → Office 365 E3 (ENTERPRISEPACK) in one call (SharePoint (Plan 1) (SHAREPOINTSTANDARD) and SharePoint (Plan 2) (SHAREPOINTENTERPRISE) conflict)"
	require.Equal(t, both, s2.Reason)
	for style, want := range map[licensing.NameStyle]string{
		licensing.NamesBoth:    both,
		licensing.NamesPart:    "swap STANDARDPACK → ENTERPRISEPACK in one call (SHAREPOINTSTANDARD and SHAREPOINTENTERPRISE conflict)",
		licensing.NamesProduct: "swap Office 365 E1 → Office 365 E3 in one call (SharePoint (Plan 1) and SharePoint (Plan 2) conflict)",
	} {
		q := p.WithNames(style)
		assert.Contains(t, q.String(), "\n       why: "+want+"\n", style)
		assert.Contains(t, markdown(t, q), " | "+want+" | ", style)
	}
	part := p.WithNames(licensing.NamesPart).String()
	assert.Contains(t, part, "why: migrate to group-based licensing: direct ENTERPRISEPACK is covered by group Licensing_E3_Base\n")
	assert.Contains(t, part, "why: make-before-break swap EXCHANGESTANDARD → EXCHANGEENTERPRISE: add the new license first")

	back := readBack(t, p)
	assert.Contains(t, back.WithNames(licensing.NamesPart).String(), "\n       why: "+both+"\n", "plan/v1 has the text only")

	c := p.Clone()
	c.Steps[1].Reason = "changed"
	assert.Contains(t, c.WithNames(licensing.NamesPart).String(), "\n       why: changed\n")
	assert.Contains(t, p.WithNames(licensing.NamesPart).String(), "ENTERPRISEPACK in one call", "the plan cloned keeps its reasons")
}

// readBack writes p as plan/v1 and reads it again.
func readBack(t *testing.T, p *planner.Plan) *planner.Plan {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, p.WriteJSON(&b))
	back, err := planner.ReadPlan(&b, "")
	require.NoError(t, err)
	return back
}

// The part style renders a plan as before product names, byte for byte: the text and Markdown
// of plan/v1 files written then (with their reasons and messages) are the goldens of then.
func TestPartNamesRenderAsBefore(t *testing.T) {
	for _, c := range []string{"stories", "group-change-conflicting-member"} {
		dir := "testdata/plan-v1-before-names/"
		p := readPlanFile(t, dir+c+".json").WithNames(licensing.NamesPart)
		txt, err := os.ReadFile(dir + c + ".part.txt")
		require.NoError(t, err)
		md, err := os.ReadFile(dir + c + ".part.md")
		require.NoError(t, err)
		assert.Equal(t, string(txt), p.String(), c)
		assert.Equal(t, string(md), markdown(t, p), c)
	}
}

// The seat table's columns line up in every style, however long the names.
func TestSeatTableAligned(t *testing.T) {
	for _, c := range []string{"stories", "migration-canary-waves", "unknown-names"} {
		p := casePlan(t, c)
		for _, style := range styles {
			txt := p.WithNames(style).String()
			_, seats, ok := strings.Cut(txt, "\nSeats\n")
			require.True(t, ok)
			seats, _, _ = strings.Cut(seats, "\n\n")
			lines := strings.Split(strings.TrimSuffix(seats, "\n"), "\n")
			require.Greater(t, len(lines), 1)
			header := lines[0]
			ends := []int{}
			for _, col := range []string{"available", "before", "after"} {
				i := strings.Index(header, col)
				ends = append(ends, utf8.RuneCountInString(header[:i+len(col)]))
			}
			name := strings.Index(header, "SKU")
			for _, l := range lines[1:] {
				l = strings.TrimSuffix(l, "  OVER")
				fields := strings.Fields(l)
				require.GreaterOrEqual(t, len(fields), 4, l)
				runes := []rune(l)
				assert.Equal(t, len(runes), ends[2], "%s %s: %q ends where after does", c, style, l)
				for k, end := range ends {
					num := fields[len(fields)-3+k]
					assert.Equal(t, num, strings.TrimSpace(string(runes[end-len(num):end])), "%s %s: %q column %d", c, style, l, k)
					assert.Equal(t, ' ', runes[end-len(num)-1], "%s %s: %q column %d", c, style, l, k)
				}
				assert.NotEqual(t, ' ', runes[name], "%s %s: %q starts its name under SKU", c, style, l)
			}
		}
	}
}

// The same plan renders to the same bytes in every style.
func TestNamedRenderingDeterministic(t *testing.T) {
	for _, c := range []string{"stories", "group-based-move"} {
		for _, style := range styles {
			a, b := casePlan(t, c).WithNames(style), casePlan(t, c).WithNames(style)
			assert.Equal(t, a.String(), b.String())
			assert.Equal(t, markdown(t, a), markdown(t, b))
			var ja, jb bytes.Buffer
			require.NoError(t, a.WriteJSON(&ja))
			require.NoError(t, b.WriteJSON(&jb))
			assert.Equal(t, ja.String(), jb.String())
		}
	}
}
