package licensing_test

import (
	"bytes"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
)

// TestApplyUserLicensesMatchesApply runs the same assignLicense calls through Apply (by name)
// and ApplyUserLicenses (by index, reusing its working memory): every outcome and the final
// state must be the same, refusals included.
func TestApplyUserLicensesMatchesApply(t *testing.T) {
	for name, snap := range map[string]*licensing.Snapshot{
		"contoso": sampletenant.Snapshot(),
		"synth":   synth.Tenant(synth.DefaultOptions(300)),
	} {
		t.Run(name, func(t *testing.T) {
			st, err := licensing.NewState(snap)
			require.NoError(t, err)
			byName, byIndex := st.Clone(), st.Clone()
			subs := st.Subscriptions()
			refused, accepted := 0, 0
			for i := 0; i < st.NumUsers(); i++ {
				// Each user gets a different add/remove: some refused (no such direct license,
				// no seat, conflicts), some accepted.
				add := []licensing.AssignedLicense{{SkuID: subs[i%len(subs)].Sku.ID}}
				var remove []licensing.SkuID
				if ps := byName.Paths(i); len(ps) > 0 && i%3 != 0 {
					remove = []licensing.SkuID{ps[0].Sku}
				}
				if i%5 == 0 {
					add = nil
				}
				o1 := byName.Apply(licensing.Change{Kind: licensing.AssignUserLicenses, User: st.User(i).ID, AddLicenses: add, RemoveLicenses: remove})
				o2 := byIndex.Bulk().ApplyUserLicenses(i, add, remove)
				require.Equal(t, o1, o2, "user %d", i)
				if o1.Refused {
					refused++
				} else {
					accepted++
				}
			}
			assert.Positive(t, refused, "the calls include refusals")
			assert.Positive(t, accepted, "the calls include accepted changes")
			var a, b bytes.Buffer
			require.NoError(t, byName.Snapshot().WriteJSON(&a))
			require.NoError(t, byIndex.Snapshot().WriteJSON(&b))
			assert.Equal(t, a.String(), b.String())
			// The original is untouched: Clone does not share the reused working memory.
			var c bytes.Buffer
			require.NoError(t, st.Snapshot().WriteJSON(&c))
			assert.NotEqual(t, a.String(), c.String())
		})
	}
}

// ApplyUserLicenses remembers how the licenses of recent bodies resolved: a body whose
// disabled plans the caller changed in place, in the same memory, must still get its own, as
// Apply (a fresh transaction each call) gives it.
func TestApplyUserLicensesResolvesReusedBodies(t *testing.T) {
	st, err := licensing.NewState(synth.Tenant(synth.DefaultOptions(60)))
	require.NoError(t, err)
	ref := st.Clone()
	accepted := map[licensing.PlanID]int{}
	body := []licensing.AssignedLicense{{DisabledPlans: make([]licensing.PlanID, 1)}}
	var subs []*licensing.Subscription // a few, so that each comes back with other plans
	for _, sub := range st.Subscriptions() {
		if len(subs) < 3 && sub.Sku.PlanSet().Len() >= 3 {
			subs = append(subs, sub)
		}
	}
	require.Len(t, subs, 3)
	for u := 0; u < st.NumUsers(); u++ {
		sub := subs[u%len(subs)]
		plans := st.Catalog().PlanIDs(sub.Sku.PlanSet())
		body[0].SkuID = sub.Sku.ID
		body[0].DisabledPlans[0] = plans[u/len(subs)%len(plans)] // the same memory, another plan
		if u%7 == 3 {
			body[0].DisabledPlans[0] = licensing.PlanID{1} // no plan of the SKU: refused, never remembered
		}
		want := ref.Apply(licensing.Change{Kind: licensing.AssignUserLicenses, User: st.User(u).ID,
			AddLicenses: []licensing.AssignedLicense{{SkuID: body[0].SkuID, DisabledPlans: slices.Clone(body[0].DisabledPlans)}}})
		got := st.Bulk().ApplyUserLicenses(u, body, nil)
		require.Equal(t, want.Refused, got.Refused, "user %d", u)
		require.Equal(t, want.Violations, got.Violations, "user %d", u)
		require.Equal(t, ref.Paths(u), st.Paths(u), "user %d", u)
		if !got.Refused {
			accepted[body[0].DisabledPlans[0]]++
		}
	}
	assert.Greater(t, len(accepted), 3, "accepted bodies disable several plans")
}

func TestPlanSetAppendBinary(t *testing.T) {
	var a, b licensing.PlanSet
	a.Add(3)
	a.Add(130)
	b.Add(130)
	b.Add(3)
	b.Add(200)
	b.Remove(200) // a trailing zero word must not change the encoding
	ka, _ := a.AppendBinary(nil)
	kb, _ := b.AppendBinary(nil)
	assert.Equal(t, ka, kb)
	assert.Len(t, ka, 24)
	k0, _ := licensing.PlanSet{}.AppendBinary([]byte("x"))
	assert.Equal(t, []byte("x"), k0)
	b.Add(4)
	kb, _ = b.AppendBinary(nil)
	assert.NotEqual(t, ka, kb)
}

func TestHasPathInError(t *testing.T) {
	st, err := licensing.NewState(synth.Tenant(synth.DefaultOptions(2000)))
	require.NoError(t, err)
	seen := map[bool]int{}
	for i := 0; i < st.NumUsers(); i++ {
		var anyErr, groupErr, count bool
		for _, p := range st.Paths(i) {
			if p.State != licensing.PathError {
				continue
			}
			anyErr = true
			groupErr = groupErr || !p.Direct()
			count = count || p.Error == licensing.CountViolation
		}
		assert.Equal(t, anyErr, st.Bulk().HasPathInError(i, licensing.None, false), "user %d", i)
		assert.Equal(t, groupErr, st.Bulk().HasPathInError(i, licensing.None, true), "user %d", i)
		assert.Equal(t, count, st.Bulk().HasPathInError(i, licensing.CountViolation, false), "user %d", i)
		seen[groupErr]++
	}
	assert.Positive(t, seen[true], "the tenant has users with group paths in error")
	assert.Positive(t, seen[false])
}

// TestPredictConcurrently: Predict only reads a State, so goroutines may share one, even
// while the bodies they check bring disabled-plan sets the State has not seen (its set table
// is shared and guarded). Run with -race; outcomes must be those of sequential calls.
func TestPredictConcurrently(t *testing.T) {
	snap := synth.Tenant(synth.DefaultOptions(300))
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	// The sequential answers come from a State of its own: clones share the set table, and
	// the shared State must meet the sets for the first time in the goroutines.
	alone, err := licensing.NewState(snap)
	require.NoError(t, err)
	subs := st.Subscriptions()
	change := func(i int) licensing.Change {
		sku := subs[i%len(subs)].Sku
		ids := st.Catalog().PlanIDs(sku.PlanSet())
		var disabled []licensing.PlanID
		for k, id := range ids {
			if (i>>k)&1 == 1 { // a different subset of the SKU's plans for many users
				disabled = append(disabled, id)
			}
		}
		return licensing.Change{Kind: licensing.AssignUserLicenses, User: st.User(i).ID,
			AddLicenses: []licensing.AssignedLicense{{SkuID: sku.ID, DisabledPlans: disabled}}}
	}
	want := make([]*licensing.Outcome, st.NumUsers())
	for i := range want {
		want[i] = alone.Predict(change(i))
	}
	got := make([][]*licensing.Outcome, 4)
	var wg sync.WaitGroup
	for g := range got {
		got[g] = make([]*licensing.Outcome, st.NumUsers())
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range got[g] {
				i := (k + g*77) % st.NumUsers()
				got[g][i] = st.Predict(change(i))
			}
		}()
	}
	wg.Wait()
	accepted := 0
	for g := range got {
		for i := range want {
			require.Equal(t, want[i].Refused, got[g][i].Refused, "user %d", i)
			require.Equal(t, want[i].Violations, got[g][i].Violations, "user %d", i)
			require.Equal(t, want[i].Users, got[g][i].Users, "user %d", i)
			if !want[i].Refused {
				accepted++
			}
		}
	}
	assert.Positive(t, accepted)
}

// ApplyUserLicenses on user i changes nothing another goroutine reading users after i sees:
// a reader running ahead of the applies (as planner.Build's does) reads the users as they were.
// Run with -race.
func TestReadAheadOfApplyUserLicenses(t *testing.T) {
	st, err := licensing.NewState(synth.Tenant(synth.DefaultOptions(2000)))
	require.NoError(t, err)
	before := st.Clone()
	subs := st.Subscriptions()
	read := make(chan []licensing.Path, 64)
	go func() {
		defer close(read)
		for u := range st.NumUsers() {
			_ = st.User(u).ID
			_ = st.UserGroups(u)
			read <- st.Bulk().AppendPaths(nil, u)
		}
	}()
	applied := 0
	for u := range st.NumUsers() {
		ps := <-read // read before user u's change, possibly while u-1's is made
		require.Equal(t, before.Paths(u), ps, "user %d", u)
		if !st.Bulk().ApplyUserLicenses(u, []licensing.AssignedLicense{{SkuID: subs[u%len(subs)].Sku.ID}}, nil).Refused {
			applied++
		}
	}
	assert.Positive(t, applied)
}
