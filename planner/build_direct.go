package planner

import (
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/internal/prefault"
	"github.com/licenseplan/licenseplan/licensing"
)

// pathReader reads users' paths from a State into reusable buffers and works out the
// expectations of their assignLicense steps, with its own interner: directSteps's prepare runs
// one on a second goroutine, ahead of the predictions.
type pathReader struct {
	st   *licensing.State
	in   *interner
	pbuf []licensing.Path
	cbuf []licensing.Path
	dbuf []licensing.AssignedLicense
	abuf []licensing.AssignedLicense
	gbuf []int
	rank []int32 // each group's position in the order of group ids (made when first needed)
	// ids is where the expectations' group lists are carved from, a few thousand at a time
	// (one allocation each would be a million small ones)
	ids []string
}

func newPathReader(st *licensing.State) *pathReader {
	return &pathReader{st: st, in: newInterner(st)}
}

// direct reads user u's paths into r.pbuf (where expectationOf can use them until the next
// read) and returns the direct ones in a second buffer, reused by the next call.
func (r *pathReader) direct(u int) []licensing.Path {
	r.pbuf = r.st.Bulk().AppendPaths(r.pbuf[:0], u)
	r.cbuf = r.cbuf[:0]
	for _, p := range r.pbuf {
		if p.Direct() {
			r.cbuf = append(r.cbuf, p)
		}
	}
	return r.cbuf
}

// expected is a user's state an assignLicense step checks: direct licenses and the groups
// the user's paths come from.
type expected struct {
	direct []licensing.AssignedLicense
	groups []string
}

// expectationOf returns the direct licenses (by SKU id) and the sorted ids of the groups
// paths come from (never nil); paths are not modified.
func (r *pathReader) expectationOf(paths []licensing.Path) expected {
	r.gbuf = r.gbuf[:0]
	for _, p := range paths {
		if g := r.st.Bulk().PathGroup(p); !p.Direct() && !slices.Contains(r.gbuf, g) {
			r.gbuf = append(r.gbuf, g)
		}
	}
	if len(r.gbuf) > 1 {
		if r.rank == nil {
			r.rank = groupRanks(r.st)
		}
		slices.SortFunc(r.gbuf, func(a, c int) int { return int(r.rank[a]) - int(r.rank[c]) }) // by id
	}
	// Never nil: a step with no groups lists []. The lists are distinct per user more often
	// than not: not interned, but carved from shared arrays.
	groups := []string{}
	if n := len(r.gbuf); n > 0 {
		if len(r.ids)+n > cap(r.ids) {
			r.ids = make([]string, 0, max(4096, n))
		}
		groups = r.ids[len(r.ids) : len(r.ids)+n : len(r.ids)+n]
		r.ids = r.ids[:len(r.ids)+n]
		for i, g := range r.gbuf {
			groups[i] = r.st.Group(g).ID
		}
	}
	return expected{r.directOf(paths), groups}
}

// groupRanks returns each group's position in the order of the groups' ids (distinct).
func groupRanks(st *licensing.State) []int32 {
	order := make([]int32, st.NumGroups())
	for g := range order {
		order[g] = int32(g)
	}
	slices.SortFunc(order, func(a, c int32) int { return strings.Compare(st.Group(int(a)).ID, st.Group(int(c)).ID) })
	rank := make([]int32, len(order))
	for pos, g := range order {
		rank[g] = int32(pos)
	}
	return rank
}

// directOf returns the direct licenses among paths, by SKU id (shared: read-only).
func (r *pathReader) directOf(paths []licensing.Path) []licensing.AssignedLicense {
	r.dbuf = r.dbuf[:0]
	for _, p := range paths {
		if p.Direct() {
			r.dbuf = append(r.dbuf, licensing.AssignedLicense{SkuID: p.Sku, DisabledPlans: r.in.planIDsByID(p.Disabled)})
		}
	}
	slices.SortFunc(r.dbuf, func(a, c licensing.AssignedLicense) int { return a.SkuID.Compare(c.SkuID) })
	return r.in.licenses(r.dbuf)
}

type migrationRemoval struct {
	sku    licensing.SkuID
	group  string
	bridge bool // the direct license bridged a move to the group (moves.go): not a migration
}

// prepared is what directSteps works out for one user from the user's paths alone, before
// predicting the user's call: the change, the call's body and the expectations before and
// after it (if Entra accepts it as one call).
type prepared struct {
	u       int
	adds    []licTarget
	removes []licensing.SkuID
	mig     []migrationRemoval
	wave    int
	exp     expected
	target  licensing.Target
	addBody []licensing.AssignedLicense // assigned(adds)
	remBody []licensing.SkuID           // the removes, shared
	after   []licensing.AssignedLicense // afterAssign(exp.direct, adds, removes)
	// check says whether adding before removing may conflict (or make-before-break may
	// split the call): the step's reason then waits for a prediction; else why is its reason.
	check bool
	why   *reason
}

// directSteps plans each user's one assignLicense. Reading a user's paths and working out
// the change (prepare) runs on a second goroutine ahead of the predictions: a user's direct
// step changes only that user's paths, so the user's paths are the same when the prediction
// comes to them, and predictions stay in user order (seats are counted in that order).
func (b *builder) directSteps() {
	if b.w.NumUsers() >= 4*slabSize {
		defer b.slabsAhead()()
	}
	removals, waveOf := b.migration()
	// Batches go back to prepare once used, with the adds and removes slices they hold
	// (userDirectStep keeps neither): a million users need a few batches, not 2000.
	batches, used := make(chan []prepared, 4), make(chan []prepared, 8)
	go func() {
		defer close(batches)
		b.prepare(removals, waveOf, batches, used)
	}()
	for batch := range batches {
		for _, p := range batch {
			b.userDirectStep(&p)
		}
		select {
		case used <- batch:
		default:
		}
	}
}

// prepare sends the users that need a direct change, in user order, in batches, reusing the
// batches that come back on used. It only reads the working state (through its own
// pathReader) and the builder's targets.
func (b *builder) prepare(removals [][]migrationRemoval, waveOf []int32, out chan<- []prepared, used <-chan []prepared) {
	const batchSize = 512
	rd := newPathReader(b.w)
	var reasons reasonMemo // prepare's own
	next := func() []prepared {
		select {
		case batch := <-used:
			return batch[:0]
		default:
			return make([]prepared, 0, batchSize)
		}
	}
	batch := next()
	for u := 0; u < b.w.NumUsers(); u++ {
		t := b.users[u]
		var mig []migrationRemoval
		if removals != nil {
			mig = removals[u]
		}
		if br := b.bridged[u]; len(br) > 0 {
			mig = append(slices.Clip(mig), br...)
		}
		if t == nil && len(mig) == 0 {
			continue
		}
		cur := rd.direct(u)
		var adds []licTarget
		var removes []licensing.SkuID
		if n := len(batch); n < cap(batch) {
			slot := batch[:n+1][n] // a used batch's slot: its slices' memory is free again
			adds, removes = slot.adds[:0], slot.removes[:0]
		}
		if t != nil {
			for _, lt := range t.lic {
				i := slices.IndexFunc(cur, func(p licensing.Path) bool { return p.Sku == lt.sub.Sku.ID })
				if i >= 0 && cur[i].Disabled.Equal(lt.disabled) {
					continue
				}
				adds = append(adds, lt)
			}
			if t.mode == ModeExact {
				for _, p := range cur {
					if !slices.ContainsFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == p.Sku }) {
						removes = append(removes, p.Sku)
					}
				}
			}
		}
		for _, m := range mig {
			if !slices.Contains(removes, m.sku) {
				removes = append(removes, m.sku)
			}
		}
		if len(adds) == 0 && len(removes) == 0 {
			continue
		}
		slices.SortFunc(removes, func(a, c licensing.SkuID) int { return a.Compare(c) })
		p := prepared{u: u, adds: adds, removes: removes, mig: mig, exp: rd.expectationOf(rd.pbuf), // rd.pbuf still holds u's paths
			target: b.w.UserTarget(u), addBody: assignedIn(rd.in, &rd.abuf, adds), remBody: rd.in.skus(removes)}
		p.after = afterAssignIn(rd.in, &rd.abuf, p.exp.direct, adds, removes)
		p.check = len(adds) > 0 && len(removes) > 0 && (b.d.Options.MakeBeforeBreak || b.mayConflict(adds, removes))
		if !p.check {
			p.why = reasons.direct(b, reasonChange, adds, removes, nil, mig)
		}
		if waveOf != nil {
			p.wave = int(waveOf[u])
		}
		if batch = append(batch, p); len(batch) == batchSize {
			out <- batch
			batch = next()
		}
	}
	if len(batch) > 0 {
		out <- batch
	}
}

// userDirectStep emits the one assignLicense of user p.u (or two, make-before-break).
func (b *builder) userDirectStep(p *prepared) {
	u, adds, removes, wave, target, addBody := p.u, p.adds, p.removes, p.wave, p.target, p.addBody
	if !p.check {
		b.applyUser(u, p.exp, adds, &p.after, &Step{Action: AssignLicense, Target: target, AddLicenses: addBody, RemoveLicenses: p.remBody, Wave: wave, why: p.why})
		return
	}
	// Adding before removing may conflict: the prediction of the adds alone says which plans,
	// for the reason, and whether make-before-break can split the call.
	var conflict []licensing.PlanID
	o := b.w.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: target.ID, AddLicenses: addBody})
	for _, v := range o.Violations {
		if v.Kind == licensing.MutuallyExclusiveViolation {
			conflict = v.Plans
			break
		}
	}
	if b.d.Options.MakeBeforeBreak && !o.Refused {
		s1, after := b.applyUser(u, p.exp, adds, nil, &Step{Action: AssignLicense, Target: target, AddLicenses: addBody, RemoveLicenses: []licensing.SkuID{}, Wave: wave,
			why: b.reasons.direct(b, reasonSwapAdd, adds, removes, nil, nil)})
		b.applyUser(u, after, nil, nil, &Step{Action: AssignLicense, Target: target, AddLicenses: []licensing.AssignedLicense{}, RemoveLicenses: p.remBody, Wave: wave,
			why: b.reasons.direct(b, reasonSwapRemove, adds, removes, nil, nil)}, s1.n)
		return
	}
	b.applyUser(u, p.exp, adds, &p.after, &Step{Action: AssignLicense, Target: target, AddLicenses: addBody, RemoveLicenses: p.remBody, Wave: wave,
		why: b.reasons.direct(b, reasonChange, adds, removes, conflict, p.mig)})
}

// dedupe drops the repeated positions of ids, in place.
func dedupe(ids []int32) []int32 {
	out := ids[:0]
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// mayConflict reports whether an added and a removed SKU have plans in one exclusion set: only
// then can adding before removing conflict (a cheap test that spares a prediction per user).
func (b *builder) mayConflict(adds []licTarget, removes []licensing.SkuID) bool {
	for _, a := range adds {
		on := a.sub.Sku.PlanSet().Minus(a.disabled)
		for _, r := range removes {
			if sku, ok := b.cat.Sku(r); ok && b.before.Bulk().MayConflict(on, sku.PlanSet()) {
				return true
			}
		}
	}
	return false
}

// afterAssignIn returns the direct licenses (by SKU id, shared in in) after an accepted
// assignLicense adding adds and removing remove on a user whose direct licenses are direct;
// buf is working memory.
func afterAssignIn(in *interner, buf *[]licensing.AssignedLicense, direct []licensing.AssignedLicense, adds []licTarget, remove []licensing.SkuID) []licensing.AssignedLicense {
	out := (*buf)[:0]
	for _, l := range direct {
		if !slices.Contains(remove, l.SkuID) && !slices.ContainsFunc(adds, func(a licTarget) bool { return a.sub.Sku.ID == l.SkuID }) {
			out = append(out, l)
		}
	}
	for _, a := range adds {
		out = append(out, licensing.AssignedLicense{SkuID: a.sub.Sku.ID, DisabledPlans: in.planIDsByID(a.disabled)})
	}
	slices.SortFunc(out, func(x, y licensing.AssignedLicense) int { return x.SkuID.Compare(y.SkuID) })
	*buf = out
	return in.licenses(out)
}

// applyUser plans user u's assignLicense step, whose body adds adds; exp is the user's
// expectation now (what the step checks before it runs); the step depends on the user's
// earlier steps and on the steps at the positions in after. known, when not nil, holds the
// direct licenses after the call (afterAssignIn of its change), worked out ahead. It returns
// the step and the expectation after it.
func (b *builder) applyUser(u int, exp expected, adds []licTarget, known *[]licensing.AssignedLicense, s *Step, after ...int32) (*stepSlot, expected) {
	step := b.add(s, dedupe(append(b.deps(u), after...)))
	step.user = int32(u)
	pair := &step.exp
	pair[0] = Expectation{DirectLicenses: exp.direct, Groups: exp.groups}
	step.Expect, step.Result = &pair[0], &pair[1]
	o := b.w.Bulk().ApplyUserLicenses(u, step.AddLicenses, step.RemoveLicenses)
	res := exp
	if !o.Refused {
		// assignLicense changes only direct paths (the groups the user's paths come from
		// stay): every removed or added SKU's direct path goes, every added one comes with
		// the body's disabled plans. Verification checks this against the tenant.
		if known != nil {
			res.direct = *known
		} else {
			res.direct = afterAssignIn(b.in, &b.abuf, exp.direct, adds, step.RemoveLicenses)
		}
	}
	*step.Result = Expectation{DirectLicenses: res.direct, Groups: res.groups}
	if o.Refused {
		for _, v := range o.Violations {
			b.problemFromErr("", v, SeverityError, step)
		}
		return step, res
	}
	var before, now licensing.PlanSet // equal (and empty) when the call changes no plan
	if len(o.Users) > 0 {
		before, now = o.Users[0].Before, o.Users[0].After
	}
	step.Gained, step.Lost = b.in.diff(now, before), b.in.diff(before, now)
	b.serviceLoss(step, step.Target, before, now)
	b.released(step, o)
	b.depends(u, step)
	if len(b.touched) == 0 || b.touched[len(b.touched)-1] != u {
		b.touched = prefault.Append(b.touched, u)
	}
	return step, res
}

// reasonMemo holds the reasons of users' assignLicense steps by their inputs: one per
// goroutine that makes them (Build's, and prepare's), each with its own.
type reasonMemo struct {
	reasons map[string]*reason
	key     []byte
}

// direct explains a user's assignLicense step (a change, or one of a make-before-break swap's
// two steps); it depends only on its arguments, so it is made once per distinct change and
// shared. It only reads b.
func (m *reasonMemo) direct(b *builder, kind reasonKind, adds []licTarget, removes []licensing.SkuID, conflict []licensing.PlanID, mig []migrationRemoval) *reason {
	k := append(m.key[:0], byte(kind))
	for _, a := range adds {
		k = append(k, a.sub.Sku.ID[:]...)
		k, _ = a.disabled.AppendBinary(k)
		k = append(k, 0)
	}
	k = append(k, 1)
	for _, r := range removes {
		k = append(k, r[:]...)
	}
	k = append(k, 1)
	for _, p := range conflict {
		k = append(k, p[:]...)
	}
	for _, m := range mig {
		k = append(append(append(k, 1), m.sku[:]...), m.group...)
		if m.bridge {
			k = append(k, 2)
		}
	}
	m.key = k
	if r, ok := m.reasons[string(k)]; ok {
		return r
	}
	r := b.changeReason("", adds, removes, conflict)
	r.kind = kind
	if len(mig) > 0 {
		r.mig = slices.Clone(mig)
	}
	if m.reasons == nil {
		m.reasons = map[string]*reason{}
	}
	m.reasons[string(k)] = r
	return r
}

// changeReason is the reason of a change of who's licenses ("group NAME", or "" for a user)
// that adds adds and removes removes, in one call.
func (b *builder) changeReason(who string, adds []licTarget, removes []licensing.SkuID, conflict []licensing.PlanID) *reason {
	r := &reason{kind: reasonChange, who: who, removes: slices.Clone(removes)}
	if len(adds) > 0 {
		r.adds = make([]licensing.SkuID, len(adds))
		for i, a := range adds {
			r.adds[i] = a.sub.Sku.ID
		}
	}
	if len(conflict) > 0 {
		r.conflicts = [][]licensing.PlanID{slices.Clone(conflict)}
	}
	return r
}
