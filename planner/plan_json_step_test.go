package planner

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/licenseplan/licenseplan/internal/jsonout"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// referenceStep is the encoding/json encoding of a step.
func referenceStep(t *testing.T, sj *stepJSON) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sj); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func writtenStep(sj *stepJSON) string {
	w := jsonout.NewCompact(nil)
	writeStep(w, sj)
	indented := jsonout.NewIndented(nil, "    ", "  ")
	writeStep(indented, sj)
	if got, want := string(indented.B), string(jsonout.AppendIndent(nil, w.B, "    ", "  ")); got != want {
		return "indented layout differs from the compact one indented:\n" + got + "\n" + want
	}
	return string(w.B)
}

// The step writer and encoding/json give the same bytes: every step of every golden plan, and
// steps with every optional part and awkward strings.
func TestStepWriterMatchesEncodingJSON(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/desired.json")
	if err != nil || len(dirs) == 0 {
		t.Fatal("no golden cases", err)
	}
	steps := 0
	var some *stepJSON
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
		for _, s := range p.Steps {
			sj := p.stepWire(s)
			if got, want := writtenStep(sj), referenceStep(t, sj); got != want {
				t.Fatalf("%s step %s:\nwriter:\n%s\nencoding/json:\n%s", d, s.ID, got, want)
			}
			steps++
			if sj.AddLicenses != nil && sj.Expect != nil {
				some = sj
			}
		}
	}
	if steps < 100 || some == nil {
		t.Fatalf("only %d steps compared", steps)
	}

	// Every optional part, nil lists, and strings encoding/json escapes.
	odd := "quo\"te back\\slash \n\t\x01 <html>&amp; \u2028 bad\xff ünï ✓"
	loc, member := "GB", true
	var none []licensing.PlanID
	groups := []string{"g1", odd}
	variants := []func(sj *stepJSON){
		func(sj *stepJSON) { sj.Reason, sj.Target.Name, sj.ID = odd, odd, odd },
		func(sj *stepJSON) { sj.Target.Name = "" },
		func(sj *stepJSON) { sj.Group = &licensing.Target{Type: licensing.TargetGroup, ID: odd} },
		func(sj *stepJSON) { sj.UsageLocation = odd },
		func(sj *stepJSON) { sj.DependsOn, sj.Gained, sj.Lost = nil, nil, nil },
		func(sj *stepJSON) {
			sj.Members = []memberJSON{{User: licensing.Target{Type: licensing.TargetUser, ID: "u"}, Gained: none, Lost: []licensing.PlanID{{1}}, Error: odd}, {}}
		},
		func(sj *stepJSON) {
			sj.Expect = &expectJSON{UsageLocation: &loc, Member: &member, Groups: &groups}
			sj.Result = &expectJSON{GroupLicenses: &[]licenseJSON{{SkuID: licensing.SkuID{2}, SkuPartNumber: odd, ProductName: odd}}}
		},
		func(sj *stepJSON) { sj.Expect, sj.Result, sj.AddLicenses, sj.RemoveLicenses = nil, nil, nil, nil },
		func(sj *stepJSON) {
			var nilAdd []licenseJSON
			var nilRemove []licensing.SkuID
			sj.AddLicenses, sj.RemoveLicenses = &nilAdd, &nilRemove
			sj.Expect = &expectJSON{}
		},
	}
	for i, change := range variants {
		sj := *some
		change(&sj)
		if got, want := writtenStep(&sj), referenceStep(t, &sj); got != want {
			t.Errorf("variant %d:\nwriter:\n%s\nencoding/json:\n%s", i, got, want)
		}
	}
}
