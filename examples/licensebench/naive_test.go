package main

import (
	"bytes"
	"sort"
	"testing"

	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// The naive baseline must agree with the real planner on which users need a direct change.
func TestNaivePlanAgreesOnUsers(t *testing.T) {
	for _, n := range []int{300, 2000} {
		snap := synth.Tenant(synth.DefaultOptions(n))
		d, err := planner.ReadDesired(bytes.NewReader(synth.DesiredJSON(snap)))
		if err != nil {
			t.Fatal(err)
		}
		st, err := licensing.NewState(snap)
		if err != nil {
			t.Fatal(err)
		}
		want := directUsers(planner.Build(st, d))
		var got []string
		for _, s := range naivePlan(snap, d) {
			got = append(got, s.User)
		}
		sort.Strings(got)
		if len(got) != len(want) {
			t.Errorf("n=%d: naive plan changes %d users, the planner %d", n, len(got), len(want))
		}
		w := map[string]bool{}
		for _, u := range want {
			w[u] = true
		}
		bad := 0
		for _, u := range got {
			if !w[u] && bad < 5 {
				bad++
				t.Errorf("n=%d: naive changes user %s, the planner does not", n, u)
			}
		}
	}
}

// The naive model and the state agree on every user's enabled plans for a tenant without
// group paths in error.
func TestNaiveModelCountsPlans(t *testing.T) {
	snap := synth.Tenant(synth.DefaultOptions(300))
	m := buildNaiveModel(snap)
	if len(m) != len(snap.Users) {
		t.Fatalf("model has %d users, want %d", len(m), len(snap.Users))
	}
	for _, u := range snap.Users {
		for _, l := range u.AssignedLicenses {
			if _, ok := m[u.ID][l.SkuID.String()]; !ok {
				t.Fatalf("user %s: direct SKU %s missing from the model", u.ID, l.SkuID)
			}
		}
	}
}
