package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/licenseplan/licenseplan/internal/jsonout"
	"github.com/licenseplan/licenseplan/internal/nonnil"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// stepWire is a step's plan/v1 wire form, which ReadPlan decodes: the reference writeStepOf is
// held to.
func (p *Plan) stepWire(s *Step) *stepJSON {
	sj := &stepJSON{ID: s.ID, Action: s.Action.String(), Target: s.Target, Group: s.Group, UsageLocation: s.UsageLocation,
		DependsOn: nonnil.Slice(s.DependsOn), Wave: s.Wave, Reason: s.Reason, Gained: nonnil.Slice(s.Gained), Lost: nonnil.Slice(s.Lost),
		Expect: s.expectJSON(s.expect()), Result: s.expectJSON(s.result())}
	if s.Action == AssignLicense {
		sj.add, sj.remove = p.licensesWire(s.AddLicenses), nonnil.Slice(s.RemoveLicenses)
		sj.AddLicenses, sj.RemoveLicenses = &sj.add, &sj.remove
	}
	for _, m := range s.Members {
		mj := memberJSON{User: m.User, Gained: nonnil.Slice(m.Gained), Lost: nonnil.Slice(m.Lost)}
		if m.Error != licensing.None {
			mj.Error = m.Error.String()
		}
		sj.Members = append(sj.Members, mj)
	}
	return sj
}

// problemWire is a problem's plan/v1 wire form, which ReadPlan decodes: the reference
// writeProblemOf is held to.
func (p *Plan) problemWire(pr Problem) problemJSON {
	pj := problemJSON{Kind: pr.Kind.String(), Severity: string(pr.Severity), ServicePlans: nonnil.Slice(pr.ServicePlans), Message: pr.Message, Step: pr.Step}
	if pr.Target.Type != "" {
		t := pr.Target
		pj.Target = &t
	}
	if !pr.SkuID.IsZero() {
		id := pr.SkuID
		pj.SkuID = &id
		pj.SkuPartNumber, pj.ProductName = p.skuNames(id)
	}
	return pj
}

// referenceStep is the encoding/json encoding of a step's wire form.
func referenceStep(t *testing.T, sj *stepJSON) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sj); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// checkStep fails unless p.writeStepOf(s) gives the encoding/json bytes of p.stepWire(s):
// compact with the cache c (twice: the second time from the cache) and without, and indented
// (as the compact one indented).
func checkStep(t *testing.T, name string, p *Plan, s *Step, c *stepCache) {
	t.Helper()
	want := referenceStep(t, p.stepWire(s))
	for i, cache := range []*stepCache{c, c, nil} {
		got := jsonout.NewCompact(nil)
		p.writeStepOf(got, s, cache)
		if !bytes.Equal(got.B, want) {
			t.Fatalf("%s (compact, try %d):\nwriteStepOf:\n%s\nencoding/json:\n%s", name, i, got.B, want)
		}
	}
	indented := jsonout.NewIndented(nil, "    ", "  ")
	p.writeStepOf(indented, s, nil)
	if wantIndented := jsonout.AppendIndent(nil, want, "    ", "  "); !bytes.Equal(indented.B, wantIndented) {
		t.Fatalf("%s (indented):\nwriteStepOf:\n%s\nwant:\n%s", name, indented.B, wantIndented)
	}
}

// loadCase reads testdata/<case>/tenant.json (or the sample tenant) and desired.json.
func loadCase(t *testing.T, dir string) (*licensing.State, *Desired) {
	t.Helper()
	snap := sampletenant.Snapshot()
	if f, err := os.Open(filepath.Join(dir, "tenant.json")); err == nil {
		defer f.Close()
		snap, err = licensing.ReadSnapshot(f)
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := licensing.NewState(snap)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "desired.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := ReadDesired(f)
	if err != nil {
		t.Fatal(err)
	}
	return st, d
}

// goldenPlans builds the plan of every golden case (testdata/*/desired.json).
func goldenPlans(t *testing.T) []*Plan {
	t.Helper()
	dirs, err := filepath.Glob("testdata/*/desired.json")
	if err != nil || len(dirs) == 0 {
		t.Fatal("no golden cases", err)
	}
	var plans []*Plan
	for _, d := range dirs {
		plans = append(plans, Build(loadCase(t, filepath.Dir(d))))
	}
	return plans
}

// The step writer and encoding/json give the same bytes: every step of every golden plan, with
// its plan's names and without, and steps of every action and target with every optional part,
// empty lists and strings encoding/json escapes.
func TestStepWriterMatchesEncodingJSON(t *testing.T) {
	plans := goldenPlans(t)
	steps := 0
	for i, p := range plans {
		cache := newStepCache()
		for _, s := range p.Steps {
			name := fmt.Sprintf("golden plan %d step %s", i, s.ID)
			checkStep(t, name, p, s, cache)
			checkStep(t, name+" unnamed", nil, s, cache)
			steps++
		}
	}
	if steps < 100 {
		t.Fatalf("only %d steps compared", steps)
	}

	odd := "quo\"te back\\slash \n\t\x01 <html>&amp; \u2028 bad\xff ünï ✓"
	p := plans[0]
	var sku licensing.SkuID
	for _, q := range plans {
		for _, s := range q.Steps {
			if len(s.AddLicenses) > 0 && sku.IsZero() {
				sku, p = s.AddLicenses[0].SkuID, q
			}
		}
	}
	lic := []licensing.AssignedLicense{{SkuID: sku, DisabledPlans: []licensing.PlanID{{3}}}, {SkuID: licensing.SkuID{9}}}
	full := &Expectation{DirectLicenses: lic, Groups: []string{"g1", odd}, UsageLocation: odd, GroupLicenses: lic, Member: true}
	empty := &Expectation{Groups: []string{}}
	actions := []Action{AssignLicense, SetUsageLocation, AddGroupMember, RemoveGroupMember, WaitForGroupProcessing, ReprocessLicenseAssignment, Action(99)}
	targets := []licensing.Target{{Type: licensing.TargetUser, ID: "u1", Name: odd}, {Type: licensing.TargetGroup, ID: odd}}
	variants := []func(s *Step){
		func(s *Step) {},
		func(s *Step) {
			s.Group = &licensing.Target{Type: licensing.TargetGroup, ID: odd, Name: "n"}
			s.AddLicenses, s.RemoveLicenses = lic, []licensing.SkuID{sku, {7}}
			s.UsageLocation, s.DependsOn, s.Wave, s.Reason = odd, []string{"a", odd}, 3, odd
			s.Gained, s.Lost = []licensing.PlanID{{1}, {2}}, []licensing.PlanID{}
			s.Members = []MemberImpact{{User: targets[0], Gained: []licensing.PlanID{{1}}, Error: licensing.CountViolation}, {}}
			s.Expect, s.Result = full, empty
		},
		func(s *Step) {
			s.AddLicenses, s.RemoveLicenses, s.DependsOn, s.Members = []licensing.AssignedLicense{}, []licensing.SkuID{}, []string{}, []MemberImpact{}
			s.Expect, s.Result = empty, full
		},
	}
	cache := newStepCache()
	for _, a := range actions {
		for _, tg := range targets {
			for i, change := range variants {
				s := &Step{ID: odd, Action: a, Target: tg}
				change(s)
				name := fmt.Sprintf("variant %d of %v on %s", i, a, tg.Type)
				checkStep(t, name, p, s, cache)
				checkStep(t, name+", unnamed", nil, s, cache)
			}
		}
	}
}

// A stepCache holds a fixed number of lists, a new one taking the slot of another, and still
// writes every list as writePlanIDs does; the list just written is in it.
func TestStepCacheBounded(t *testing.T) {
	c := newStepCache()
	lists := make([][]licensing.PlanID, 2*fragmentSlots+3)
	for i := range lists {
		lists[i] = []licensing.PlanID{{byte(i), byte(i >> 8)}, {7}}
	}
	for round := range 2 {
		for i, ids := range lists {
			got, want := jsonout.NewCompact(nil), jsonout.NewCompact(nil)
			got.Open('[')
			got.Elem()
			c.planIDs(got, ids)
			want.Open('[')
			want.Elem()
			writePlanIDs(want, ids)
			if string(got.B) != string(want.B) {
				t.Fatalf("round %d list %d: %s, want %s", round, i, got.B, want.B)
			}
			if b := c.ids.get(idsKey{&ids[0], len(ids)}); string(b) != string(want.B[1:]) {
				t.Fatalf("round %d list %d: cached %q, want %q", round, i, b, want.B[1:])
			}
		}
	}
}

// writeProblemOf writes what encoding/json writes of problemWire, indented as a list element
// of plan/v1: for every problem of every golden plan, and for problems with every optional
// part, named and not, with strings that need escaping.
func TestProblemWriterMatchesEncodingJSON(t *testing.T) {
	check := func(name string, p *Plan, pr Problem) {
		t.Helper()
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(p.problemWire(pr)); err != nil {
			t.Fatal(err)
		}
		want := jsonout.AppendIndent(nil, bytes.TrimSuffix(buf.Bytes(), []byte("\n")), "    ", "  ")
		got := jsonout.NewIndented(nil, "    ", "  ")
		p.writeProblemOf(got, &pr)
		if !bytes.Equal(got.B, want) {
			t.Fatalf("%s:\nwriteProblemOf:\n%s\nencoding/json:\n%s", name, got.B, want)
		}
	}
	plans := goldenPlans(t)
	n := 0
	for i, p := range plans {
		for k, pr := range p.Problems {
			check(fmt.Sprintf("golden plan %d problem %d", i, k), p, pr)
			check(fmt.Sprintf("golden plan %d problem %d unnamed", i, k), nil, pr)
			n++
		}
	}
	if n < 20 {
		t.Fatalf("only %d problems compared", n)
	}
	odd := "quo\"te back\\slash \n\t\x01 <html>&amp; \u2028 bad\xff ünï ✓"
	var sku licensing.SkuID
	p := plans[0]
	for _, q := range plans {
		for _, pr := range q.Problems {
			if !pr.SkuID.IsZero() && sku.IsZero() {
				sku, p = pr.SkuID, q
			}
		}
	}
	for i, pr := range []Problem{
		{},
		{Kind: licensing.CountViolation, Severity: SeverityError, Message: odd},
		{Kind: licensing.ServiceLoss, Severity: SeverityWarning, Target: licensing.Target{Type: licensing.TargetUser, ID: odd, Name: odd}, SkuID: sku,
			ServicePlans: []licensing.PlanID{{1}, {2}}, Message: "m", Step: odd},
		{Kind: licensing.Other, Severity: SeverityInfo, Target: licensing.Target{Type: licensing.TargetGroup, ID: "g"}, SkuID: licensing.SkuID{9}, ServicePlans: []licensing.PlanID{}},
	} {
		check(fmt.Sprintf("problem %d", i), p, pr)
		check(fmt.Sprintf("problem %d unnamed", i), nil, pr)
	}
}
