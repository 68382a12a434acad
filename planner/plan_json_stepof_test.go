package planner

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/licenseplan/licenseplan/internal/jsonout"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// checkStepOf fails unless p.writeStepOf(s) gives the bytes of writeStep(p.stepWire(s)), compact
// (with the cache c, twice, and without) and indented.
func checkStepOf(t *testing.T, name string, p *Plan, s *Step, c *stepCache) {
	t.Helper()
	for _, compact := range []bool{true, true, false} {
		mk := func() *jsonout.Indented {
			if compact {
				return jsonout.NewCompact(nil)
			}
			return jsonout.NewIndented(nil, "    ", "  ")
		}
		got, want := mk(), mk()
		if compact {
			p.writeStepOf(got, s, c)
		} else {
			p.writeStepOf(got, s, nil)
		}
		writeStep(want, p.stepWire(s))
		if string(got.B) != string(want.B) {
			t.Fatalf("%s (compact %v):\nwriteStepOf:\n%s\nwriteStep(stepWire):\n%s", name, compact, got.B, want.B)
		}
	}
}

// The step written straight from a Step is the step written from its wire struct: every step of
// every golden plan, each with its plan's names and without, and steps with every optional part.
func TestStepOfMatchesStepWire(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/desired.json")
	if err != nil || len(dirs) == 0 {
		t.Fatal("no golden cases", err)
	}
	steps := 0
	var plans []*Plan
	for _, d := range dirs {
		snap := sampletenant.Snapshot()
		if f, err := os.Open(filepath.Join(filepath.Dir(d), "tenant.json")); err == nil {
			snap, err = licensing.ReadSnapshot(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		st, err := licensing.NewState(snap)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(d)
		if err != nil {
			t.Fatal(err)
		}
		desired, err := ReadDesired(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := Build(st, desired)
		plans = append(plans, p)
		cache := newStepCache()
		for _, s := range p.Steps {
			checkStepOf(t, d+" "+s.ID, p, s, cache)
			var none *Plan
			checkStepOf(t, d+" "+s.ID+" unnamed", none, s, cache)
			checkStepOf(t, d+" "+s.ID+" uncached", p, s, nil)
			steps++
		}
	}
	if steps < 100 {
		t.Fatalf("only %d steps compared", steps)
	}

	odd := "quo\"te back\\slash \n\t\x01 <html>&amp; \u2028 bad\xff ünï ✓"
	p := plans[0]
	var sku licensing.SkuID
	for _, s := range p.Steps {
		if len(s.AddLicenses) > 0 {
			sku = s.AddLicenses[0].SkuID
			break
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
				checkStepOf(t, fmt.Sprintf("variant %d of %v on %s", i, a, tg.Type), p, s, cache)
				checkStepOf(t, fmt.Sprintf("variant %d of %v on %s, unnamed", i, a, tg.Type), nil, s, cache)
			}
		}
	}
}

// A full stepCache empties itself and still writes every list as writePlanIDs does.
func TestStepCacheBounded(t *testing.T) {
	c := newStepCache()
	lists := make([][]licensing.PlanID, 2*maxCached+3)
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
			if len(c.ids) > maxCached {
				t.Fatalf("%d lists cached, at most %d", len(c.ids), maxCached)
			}
		}
	}
}
