package planner_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// seedFile adds a testdata file to the fuzzer's seeds, if it is there.
func seedFile(f *testing.F, path string) {
	if b, err := os.ReadFile(path); err == nil {
		f.Add(b)
	}
}

// FuzzReadDesired: ReadDesired never panics; it refuses bad input with an InvalidInput (not
// JSON) or InvalidDesiredState (a field is wrong) *licensing.Error that says what is wrong, and what it accepts passes Validate. Seed corpus:
// the golden cases' desired.json files and testdata/fuzz/FuzzReadDesired.
func FuzzReadDesired(f *testing.F) {
	for _, c := range []string{"stories", "e1-to-e3-swap", "migration-canary-waves", "attribute-rules", "unknown-names", "exchange-p1-to-p2-accepted"} {
		seedFile(f, "testdata/"+c+"/desired.json")
	}
	f.Add([]byte(`{"formatVersion":"desired/v1"}`))
	f.Add([]byte(`{"formatVersion":"desired/v1","users":[{"user":"a@b.c","mode":"exact","licenses":[{"sku":"X","disabledPlans":["P"]}]}],"migrateDirectToGroup":{"users":["a@b.c"],"waves":[0.5,1]}}`))
	f.Add([]byte(`{"formatVersion":"desired/v2"}`))
	f.Add([]byte(`{"formatVersion":"desired/v1","users":[{"user":"a","mode":"sometimes"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := planner.ReadDesired(bytes.NewReader(data))
		if err != nil {
			var le *licensing.Error
			if !errors.As(err, &le) || (le.Kind != licensing.InvalidInput && le.Kind != licensing.InvalidDesiredState) {
				t.Fatalf("error is not an InvalidInput or InvalidDesiredState *licensing.Error: %#v", err)
			}
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("ReadDesired accepted a document Validate refuses: %v", err)
		}
	})
}

// FuzzReadPlan: ReadPlan never panics; it refuses bad input with an InvalidInput
// *licensing.Error naming the bad field; a plan it accepts writes back (WriteJSON) to a document
// it reads again to the same bytes. Seed corpus: the golden plan.json files and
// testdata/fuzz/FuzzReadPlan.
func FuzzReadPlan(f *testing.F) {
	for _, c := range []string{"stories", "e1-to-e3-swap", "migration-canary-waves", "group-based-move", "offboarding-inherited", "unknown-names"} {
		seedFile(f, "testdata/"+c+"/plan.json")
	}
	f.Add([]byte(`{"formatVersion":"plan/v1","tenantId":"t","applyable":true,"steps":[]}`))
	f.Add([]byte(`{"formatVersion":"plan/v1","tenantId":"t","applyable":true,"steps":[{"id":"s1","action":"setUsageLocation","target":{"type":"user","id":"u"},"usageLocation":"US","wave":0}]}`))
	f.Add([]byte(`{"formatVersion":"plan/v1","steps":[{"id":"s1","action":"explode"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := planner.ReadPlan(bytes.NewReader(data), "")
		if err != nil {
			var le *licensing.Error
			if !errors.As(err, &le) || le.Kind != licensing.InvalidInput {
				t.Fatalf("error is not an InvalidInput *licensing.Error: %#v", err)
			}
			if !strings.Contains(err.Error(), "plan") {
				t.Fatalf("error does not say it is about the plan: %v", err)
			}
			return
		}
		var once bytes.Buffer
		if err := p.WriteJSON(&once); err != nil {
			t.Fatalf("an accepted plan does not write: %v", err)
		}
		again, err := planner.ReadPlan(bytes.NewReader(once.Bytes()), p.TenantID)
		if err != nil {
			t.Fatalf("a written plan does not read back: %v\n%s", err, once.String())
		}
		var twice bytes.Buffer
		if err := again.WriteJSON(&twice); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatalf("write → read → write changed the plan:\n%s\n---\n%s", once.String(), twice.String())
		}
	})
}
