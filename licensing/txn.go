package licensing

import (
	"fmt"
	"slices"
)

// The transaction behind Predict and Apply: a change's effects (new paths, usage locations,
// memberships, group licenses, seat counts) are collected in a txn over the State, checked, and
// committed only when Entra would accept the change. The kinds of change live in userchange.go
// (a user's assignLicense, usage location) and groupprocessing.go (groups and their members);
// the checks they share in checks.go.

// txn collects the effects of one change before they are committed.
type txn struct {
	s          *State
	paths      pathTable
	usage      map[int32]string
	userGroups map[int32][]int32
	groupLic   map[int32][]groupLicense
	members    map[int32][]int32
	seat       []int   // consumed seats' change by subscription, or nil (none yet)
	seatSubs   []int32 // the subscriptions whose entry in seat changed, each once
	touched    []int32
	refused    bool
	violations []*Error
	scratch    // kept by reset
	// known is the one user an assignUser changed, with the plans enabled before and after,
	// so that outcome does not compute them again.
	known struct {
		ok            bool
		u             int32
		before, after PlanSet
	}
}

func (s *State) newTxn() *txn {
	return &txn{s: s}
}

func (t *txn) refuse(e *Error) {
	t.refused = true
	t.violations = append(t.violations, e)
}

// reset empties t for reuse, keeping the capacity of what the Outcome does not hold. It sets
// the fields one by one (a million users' changes each reset a txn: writing the whole struct,
// scratch included, cost more than the rest of a commit); TestTxnResetEmptiesEveryField holds
// it to emptying every field but s and scratch.
func (t *txn) reset() {
	clear(t.paths.paths)
	t.paths = pathTable{users: t.paths.users[:0], paths: t.paths.paths[:0]}
	t.usage, t.userGroups, t.groupLic, t.members = nil, nil, nil, nil
	if t.seat != nil {
		for _, i := range t.seatSubs {
			t.seat[i] = 0
		}
		t.seatSpare, t.seat = t.seat, nil
	}
	t.seatSubs = t.seatSubs[:0]
	t.touched = t.touched[:0]
	t.refused, t.violations = false, nil
	t.known.ok, t.known.u, t.known.before, t.known.after = false, 0, PlanSet{}, PlanSet{}
}

// changeSeat adds d to the seats of subscription sub that the change consumes.
func (t *txn) changeSeat(sub int32, d int) {
	if !slices.Contains(t.seatSubs, sub) {
		t.seatSubs = append(t.seatSubs, sub)
	}
	t.seat[sub] += d
}

// pathTable maps users to their new paths within a txn. Most changes touch one user, so it is
// a short list; a map index is built only when a change touches many (a group's members).
type pathTable struct {
	users []int32
	paths [][]path
	index map[int32]int
}

func (pt *pathTable) find(u int32) int {
	if pt.index != nil {
		if i, ok := pt.index[u]; ok {
			return i
		}
		return -1
	}
	for i, x := range pt.users {
		if x == u {
			return i
		}
	}
	return -1
}

func (pt *pathTable) get(u int32) ([]path, bool) {
	if i := pt.find(u); i >= 0 {
		return pt.paths[i], true
	}
	return nil, false
}

// set stores u's paths and reports whether u is new to the table.
func (pt *pathTable) set(u int32, ps []path) bool {
	if i := pt.find(u); i >= 0 {
		pt.paths[i] = ps
		return false
	}
	pt.users = append(pt.users, u)
	pt.paths = append(pt.paths, ps)
	if pt.index != nil {
		pt.index[u] = len(pt.users) - 1
	} else if len(pt.users) > 16 {
		pt.index = make(map[int32]int, 64)
		for i, x := range pt.users {
			pt.index[x] = i
		}
	}
	return true
}

// scratch is a txn's working memory that outlives a reset, for the next change.
type scratch struct {
	resolved  resolvedLicenses // licenses' subscriptions and sets (txn.licenses)
	seatSpare []int            // a zeroed seat slice
	set       PlanSet          // the disabled plans of a body's entry
	bufs      [3][]uint64      // assignUserAt's sets
	addBuf    []groupLicense
	remBuf    []int32
	memo      *groupMemo   // evaluate's last
	memos     []*groupMemo // evaluate's, by group index: members are evaluated user by user too
	// evalBufs are the two buffers evaluate builds a member's paths in when the txn's owner
	// copies them out at each commit (owned): a member of several groups is evaluated once per
	// group, and each evaluation replaces the paths of the one before.
	evalBufs [2][]path
	owned    bool
	// carve: a user's new paths are carved from arena, a few thousand at a time, not
	// allocated one by one (Bulk.ApplyUserLicenses's txn: a million users' changes)
	carve bool
	arena []path
}

// pathsFor returns an empty slice with room for n paths, a user's new paths: new memory, or, in
// a txn that carves, room in its arena that nothing else is given.
func (t *txn) pathsFor(n int) []path {
	if !t.carve {
		return make([]path, 0, n)
	}
	if len(t.arena)+n > cap(t.arena) {
		t.arena = make([]path, 0, max(1<<12, n))
	}
	k := len(t.arena)
	t.arena = t.arena[:k+n]
	return t.arena[k : k : k+n]
}

// newPaths returns an empty slice with room for n paths to replace old, a member's paths: new
// memory, or, in an owned txn, the evaluation buffer old is not in.
func (t *txn) newPaths(old []path, n int) []path {
	if !t.owned {
		return make([]path, 0, n)
	}
	i := 0
	if b := t.evalBufs[0]; len(old) > 0 && cap(b) > 0 && &b[:1][0] == &old[0] {
		i = 1
	}
	if cap(t.evalBufs[i]) < n {
		t.evalBufs[i] = make([]path, 0, max(n, 16))
	}
	return t.evalBufs[i][:0]
}

func (t *txn) getPaths(u int32) []path {
	if ps, ok := t.paths.get(u); ok {
		return ps
	}
	return t.s.users[u].paths
}

func (t *txn) setPaths(u int32, ps []path) {
	old := t.getPaths(u)
	if !slices.IsSortedFunc(ps, comparePaths) {
		sortPaths(ps)
	}
	var b1, b2 [8]int32
	was, now := appendSeats(b1[:0], old), appendSeats(b2[:0], ps)
	if t.seat == nil && !slices.Equal(was, now) {
		if len(t.seatSpare) == len(t.s.subs) {
			t.seat, t.seatSpare = t.seatSpare, nil
		} else {
			t.seat = make([]int, len(t.s.subs))
		}
	}
	if t.seat != nil {
		for _, sub := range was {
			t.changeSeat(sub, -1)
		}
		for _, sub := range now {
			t.changeSeat(sub, 1)
		}
	}
	if t.paths.set(u, ps) {
		t.touched = append(t.touched, u)
	}
}

func (t *txn) consumed(sub int32) int {
	if t.seat == nil {
		return t.s.subs[sub].Consumed
	}
	return t.s.subs[sub].Consumed + t.seat[sub]
}

func (t *txn) getUsage(u int32) string {
	if v, ok := t.usage[u]; ok {
		return v
	}
	return t.s.users[u].usage
}

func (t *txn) getUserGroups(u int32) []int32 {
	if v, ok := t.userGroups[u]; ok {
		return v
	}
	return t.s.users[u].groups
}

func (t *txn) getGroupLic(g int32) []groupLicense {
	if v, ok := t.groupLic[g]; ok {
		return v
	}
	return t.s.groups[g].licenses
}

func (t *txn) getMembers(g int32) []int32 {
	if v, ok := t.members[g]; ok {
		return v
	}
	return t.s.groups[g].members
}

func (t *txn) commit() {
	s := t.s
	for i, u := range t.paths.users {
		s.users[u].paths = t.paths.paths[i]
	}
	for u, v := range t.usage {
		s.users[u].usage = v
	}
	for u, v := range t.userGroups {
		s.users[u].groups = v
	}
	for g, v := range t.groupLic {
		s.groups[g].licenses = v
	}
	for g, v := range t.members {
		s.groups[g].members = v
	}
	for _, i := range t.seatSubs {
		s.subs[i].Consumed += t.seat[i]
	}
}

func (t *txn) outcome() *Outcome { return t.outcomeIn(new(outcomeBuf)) }

// outcomeIn is outcome, held in o.
func (t *txn) outcomeIn(o *outcomeBuf) *Outcome {
	*o = outcomeBuf{Outcome: Outcome{Refused: t.refused, Violations: t.violations, txn: t}}
	if t.refused {
		return &o.Outcome
	}
	o.Users, o.Seats = o.users[:0], o.seats[:0]
	slices.Sort(t.touched)
	for _, u := range t.touched {
		ps, _ := t.paths.get(u)
		var before, after PlanSet
		if t.known.ok && t.known.u == u && len(t.touched) == 1 {
			before, after = t.known.before, t.known.after
		} else {
			before, after = t.s.enabledOf(t.s.users[u].paths), t.s.enabledOf(ps)
		}
		if before.Equal(after) && slices.EqualFunc(t.s.users[u].paths, ps, pathEqual) {
			continue
		}
		o.Users = append(o.Users, UserEffect{User: int(u), Before: before, After: after})
	}
	slices.Sort(t.seatSubs) // in subscription order
	for _, i := range t.seatSubs {
		if d := t.seat[i]; d != 0 {
			o.Seats = append(o.Seats, SeatEffect{Sku: t.s.subs[i].Sku.ID, Before: t.s.subs[i].Consumed, After: t.s.subs[i].Consumed + d})
		}
	}
	if len(o.Users) == 0 {
		o.Users = nil
	}
	if len(o.Seats) == 0 {
		o.Seats = nil
	}
	return &o.Outcome
}

// outcomeBuf holds an Outcome with room for the effects of a one-user change, so that such
// an outcome is one allocation.
type outcomeBuf struct {
	Outcome
	users [1]UserEffect
	seats [2]SeatEffect
}

func pathEqual(a, b path) bool {
	return a.sub == b.sub && a.group == b.group && a.state == b.state && a.err == b.err && a.dis == b.dis // sets are interned
}

func (s *State) enabledOf(ps []path) PlanSet {
	return s.enabledIn(nil, ps)
}

// enabledIn is enabledOf, held in buf's memory.
func (s *State) enabledIn(buf []uint64, ps []path) PlanSet {
	if len(ps) == 0 {
		return PlanSet{}
	}
	if buf == nil {
		buf = make([]uint64, 0, s.cat.words())
	}
	e := PlanSet{w: buf[:0]}
	for _, p := range ps {
		if p.state.Enables() {
			e.unionMinus(s.subs[p.sub].Sku.plans, s.disabled(p))
		}
	}
	return e
}

func (t *txn) user(ref string) (int32, bool) {
	i, err := t.s.LookupUser(ref)
	if err != nil {
		t.refuse(err.(*Error))
		return -1, false
	}
	return int32(i), true
}

func (t *txn) group(ref string) (int32, bool) {
	i, err := t.s.LookupGroup(ref)
	if err != nil {
		t.refuse(err.(*Error))
		return -1, false
	}
	if t.s.groups[i].absent {
		t.refuse(&Error{Kind: UnknownGroup, Target: Target{Type: TargetGroup, ID: ref}, Message: fmt.Sprintf("group %s is not in the tenant (deleted); only stuck license paths still name it", ref)})
		return -1, false
	}
	return int32(i), true
}
