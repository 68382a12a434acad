package planner

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/licenseplan/licenseplan/internal/prefault"
	"github.com/licenseplan/licenseplan/licensing"
)

// migration selects the direct paths to remove in a direct → group migration: only those whose
// every enabled plan is already enabled by the user's active group paths of the same SKU, and
// that the desired state does not keep as direct. Users are put in waves in snapshot order.
func (b *builder) migration() (removals [][]migrationRemoval, waveOf []int32) {
	m := b.d.MigrateDirectToGroup
	if m == nil {
		return nil, nil
	}
	var selected []int
	if m.Users.All {
		selected = make([]int, 0, b.w.NumUsers())
		for u := 0; u < b.w.NumUsers(); u++ {
			selected = append(selected, u)
		}
	} else {
		seen := map[int]bool{}
		for i, ref := range m.Users.Users {
			u, err := b.w.LookupUser(ref)
			if err != nil {
				b.problemFromErr(fmt.Sprintf("migrateDirectToGroup.users[%d]", i), err, SeverityError, nil)
				continue
			}
			if !seen[u] {
				seen[u] = true
				selected = append(selected, u)
			}
		}
		slices.Sort(selected)
	}
	removals = prefault.Make[[]migrationRemoval](b.w.NumUsers(), b.w.NumUsers())
	// Two halves at once: each user's removals depend only on the user's paths. Problems
	// and movers are put back in user order.
	half := len(selected) / 2
	var (
		wg       sync.WaitGroup
		problems [2][]Problem
		moved    [2][]int
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		problems[1], moved[1] = b.migrateUsers(selected[half:], m.Users.All, newInterner(b.before), removals)
	}()
	problems[0], moved[0] = b.migrateUsers(selected[:half], m.Users.All, b.in, removals)
	wg.Wait()
	b.plan.Problems = append(append(b.plan.Problems, problems[0]...), problems[1]...)
	movers := append(moved[0], moved[1]...)
	waveOf = make([]int32, b.w.NumUsers())
	waves := m.Waves
	if len(waves) == 0 {
		waves = []float64{1}
	}
	n := len(movers)
	w := 0
	for k, u := range movers {
		for w < len(waves)-1 && k >= int(math.Ceil(waves[w]*float64(n))) {
			w++
		}
		waveOf[u] = int32(w)
	}
	return removals, waveOf
}

// migrateUsers works out the direct paths a migration removes from each of users (into
// removals, at the user's index), returning the problems it finds and the users with a
// removal, both in the order of users. all is migrateDirectToGroup.users "all" (kept paths
// are then not reported one by one). It only reads the builder's state, so two calls on
// different users may run at once, each with its own interner.
func (b *builder) migrateUsers(users []int, all bool, in *interner, removals [][]migrationRemoval) (problems []Problem, movers []int) {
	var buf []licensing.Path
	var nbuf []string
	var arena []migrationRemoval
	for _, u := range users {
		buf = b.w.Bulk().AppendPaths(buf[:0], u)
		paths := buf
		t := b.users[u]
		for _, p := range paths {
			if !p.Direct() {
				continue
			}
			sku, _ := b.cat.Sku(p.Sku)
			if t != nil && slices.ContainsFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == p.Sku }) {
				if !all {
					problems = append(problems, Problem{Kind: licensing.NotCovered, Severity: SeverityInfo, Target: b.w.UserTarget(u), SkuID: p.Sku,
						Message: fmt.Sprintf("%s: direct %s kept: the desired state lists it for the user", b.w.UserTarget(u), sku.Title())})
				}
				continue
			}
			groups := nbuf[:0]
			for _, q := range paths {
				if q.Sku == p.Sku && !q.Direct() && q.State.Enables() {
					groups = append(groups, b.w.Group(b.w.Bulk().PathGroup(q)).DisplayName)
				}
			}
			nbuf = groups
			if len(groups) == 0 {
				if !all {
					problems = append(problems, Problem{Kind: licensing.NotCovered, Severity: SeverityInfo, Target: b.w.UserTarget(u), SkuID: p.Sku,
						Message: fmt.Sprintf("%s: direct %s kept: no active group path gives %s", b.w.UserTarget(u), sku.Title(), sku.Title())})
				}
				continue
			}
			if missing := notCovered(p, sku, paths); !missing.IsEmpty() {
				names := in.joined(groups, ", ")
				tail := in.memo(string(p.Sku[:])+names+string(mustBinary(missing)), func() string {
					return fmt.Sprintf(": direct %s kept: groups %s do not enable %s", sku.Title(), names, strings.Join(b.planTitles(missing), ", "))
				})
				target := b.w.UserTarget(u)
				problems = append(problems, Problem{Kind: licensing.NotCovered, Severity: SeverityInfo, Target: target, SkuID: p.Sku, ServicePlans: in.planIDs(missing),
					Message: target.String() + tail})
				continue
			}
			r := migrationRemoval{sku: p.Sku, group: in.joined(groups, ", ")}
			if len(removals[u]) > 0 {
				removals[u] = append(removals[u], r)
				continue
			}
			if len(arena) == cap(arena) { // a user's first removal, carved: a million small slices are a few arrays
				arena = make([]migrationRemoval, 0, 1<<12)
			}
			arena = append(arena, r)
			removals[u] = arena[len(arena)-1 : len(arena) : len(arena)]
		}
		if len(removals[u]) > 0 {
			movers = append(movers, u)
		}
	}
	return problems, movers
}

// notCovered returns the plans direct path p (of SKU sku) enables that no active group path of
// the SKU among paths enables. Most users have a group path that disables no plan p enables:
// that is seen without making a set.
func notCovered(p licensing.Path, sku *licensing.Sku, paths []licensing.Path) licensing.PlanSet {
	groupPath := func(q licensing.Path) bool { return q.Sku == p.Sku && !q.Direct() && q.State.Enables() }
	if slices.ContainsFunc(paths, func(q licensing.Path) bool { return groupPath(q) && q.Disabled.SubsetOf(p.Disabled) }) {
		return licensing.PlanSet{}
	}
	var groupOn licensing.PlanSet
	for _, q := range paths {
		if groupPath(q) {
			groupOn.UnionWith(sku.PlanSet().Minus(q.Disabled))
		}
	}
	return sku.PlanSet().Minus(p.Disabled).Minus(groupOn)
}
