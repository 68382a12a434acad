package planner_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/licenseplan/licenseplan/planner"
)

// FuzzReadJournal: ReadJournal never panics (journal/v1 and journal/v2); what it accepts it
// accepts again once the entries are written back (format, source and recorded plan kept), and
// a journal cut anywhere (a crash mid-write) reads as a prefix of the whole. Seed corpus: testdata/fuzz/FuzzReadJournal.
func FuzzReadJournal(f *testing.F) {
	begin := `{"time":"2025-03-01T09:00:00Z","event":"begin","formatVersion":"journal/v1","tenantId":"t","planHash":"sha256:aa","steps":2}`
	f.Add([]byte(""))
	f.Add([]byte(begin + "\n"))
	f.Add([]byte(begin + "\n" + `{"event":"started","step":"s1"}` + "\n" + `{"event":"succeeded","step":"s1","status":"Succeeded"}` + "\n"))
	f.Add([]byte(begin + "\n" + `{"event":"started","step":"s1"}` + "\n" + `{"event":"succ`))
	f.Add([]byte(begin + "\n\n  \n" + `{"event":"failed","step":"s2","status":"Drift","kind":"Drift","message":"x"}`))
	v2 := `{"time":"2025-03-01T09:00:00Z","event":"begin","formatVersion":"journal/v2","tenantId":"t","planHash":"sha256:aa","steps":2,"source":{"kind":"snapshot","name":"snap.json"},"origin":"desired sha256:bb","plan":{"formatVersion":"plan/v1","tenantId":"t","applyable":true,"steps":[],"seats":[],"problems":[]}}`
	f.Add([]byte(v2 + "\n" + `{"event":"started","step":"s1"}` + "\n" + `{"event":"succeeded","step":"s1","status":"Succeeded","before":{"usageLocation":""},"after":{"usageLocation":"NO"}}` + "\n" +
		strings.Replace(v2, `"snapshot"`, `"tenant"`, 1) + "\n" + `{"event":"verified","step":"s1","status":"Succeeded","after":{"usageLocation":"NO"}}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := planner.ReadJournal(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Write the entries back as JSON lines: the same journal.
		var b bytes.Buffer
		for _, e := range j.Entries {
			line, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("entry does not marshal: %v", err)
			}
			b.Write(line)
			b.WriteByte('\n')
		}
		again, err := planner.ReadJournal(&b)
		if err != nil {
			t.Fatalf("entries written back do not read: %v\n%s", err, b.String())
		}
		if len(again.Entries) != len(j.Entries) || again.PlanHash != j.PlanHash || again.TenantID != j.TenantID ||
			again.FormatVersion != j.FormatVersion || again.Source != j.Source || again.HasPlan() != j.HasPlan() {
			t.Fatalf("round trip changed the journal: %d entries → %d", len(j.Entries), len(again.Entries))
		}
		// Any cut of an accepted journal whose last line was whole is accepted too, with at most
		// the entries before the cut (a cut never leaves a complete JSON object behind).
		if j.Truncated {
			return
		}
		for _, cut := range []int{len(data) / 2, len(data) - 1} {
			if cut <= 0 {
				continue
			}
			part, err := planner.ReadJournal(bytes.NewReader(data[:cut]))
			if err != nil {
				t.Fatalf("journal cut at %d of %d refused: %v", cut, len(data), err)
			}
			if len(part.Entries) > len(j.Entries) {
				t.Fatalf("a cut journal has more entries (%d) than the whole (%d)", len(part.Entries), len(j.Entries))
			}
		}
	})
}
