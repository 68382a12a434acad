package licensing

import (
	"fmt"
	"slices"
	"strings"
)

// ChangeKind is what a Change asks Entra to do.
type ChangeKind uint8

// The changes Entra accepts that affect licensing.
const (
	// AssignUserLicenses is POST /users/{id}/assignLicense: AddLicenses and RemoveLicenses at once, atomically.
	AssignUserLicenses ChangeKind = iota + 1
	// AssignGroupLicenses is POST /groups/{id}/assignLicense, then the group's processing of every member.
	AssignGroupLicenses
	// AddGroupMember is POST /groups/{id}/members/$ref, then processing of the new member.
	AddGroupMember
	// RemoveGroupMember is DELETE /groups/{id}/members/{userId}/$ref.
	RemoveGroupMember
	// SetUsageLocation is PATCH /users/{id} with usageLocation.
	SetUsageLocation
	// ReprocessUser is POST /users/{id}/reprocessLicenseAssignment: the user's group paths in error are evaluated again.
	ReprocessUser
)

var changeKindNames = [...]string{"", "assignUserLicenses", "assignGroupLicenses", "addGroupMember", "removeGroupMember", "setUsageLocation", "reprocessUser"}

// String returns the change kind's name, e.g. "assignUserLicenses".
func (k ChangeKind) String() string {
	if int(k) < len(changeKindNames) {
		return changeKindNames[k]
	}
	return fmt.Sprintf("ChangeKind(%d)", uint8(k))
}

// Change is one call to Entra. User is a user id or userPrincipalName; Group a group id or displayName.
type Change struct {
	Kind           ChangeKind
	User           string
	Group          string
	AddLicenses    []AssignedLicense
	RemoveLicenses []SkuID
	UsageLocation  string
}

// Outcome is what Entra would do with a Change.
type Outcome struct {
	// Refused is true when Entra would reject the call as a whole (HTTP 4xx); nothing changes.
	Refused bool
	// Violations are the reasons for a refusal or, for an accepted change, the errors recorded
	// on members' paths (each with the member as Target): a member whose group licenses failed,
	// or a group path left stuck in DependencyViolation because another plan depends on it.
	Violations []*Error
	// Users are the users whose paths change, by index, with their enabled plans before and after.
	Users []UserEffect
	// Seats are the SKUs whose consumed seats change.
	Seats []SeatEffect

	txn *txn
}

// UserEffect is how a change affects one user.
type UserEffect struct {
	User   int
	Before PlanSet
	After  PlanSet
}

// Lost returns the plans enabled before and not after.
func (e UserEffect) Lost() PlanSet { return e.Before.Minus(e.After) }

// Gained returns the plans enabled after and not before.
func (e UserEffect) Gained() PlanSet { return e.After.Minus(e.Before) }

// SeatEffect is a change of consumed seats of one SKU.
type SeatEffect struct {
	Sku    SkuID
	Before int
	After  int
}

// Err returns the outcome's violations as one error (the first, with the others in its message), or nil.
func (o *Outcome) Err() error {
	if len(o.Violations) == 0 {
		return nil
	}
	if len(o.Violations) == 1 {
		return o.Violations[0]
	}
	e := *o.Violations[0]
	var more []string
	for _, v := range o.Violations[1:] {
		more = append(more, v.Error())
	}
	e.Message += fmt.Sprintf(" (and %d more: %s)", len(more), strings.Join(more, "; "))
	return &e
}

// Predict returns what Entra would do with the change, without changing s.
func (s *State) Predict(c Change) *Outcome {
	t := s.newTxn()
	switch c.Kind {
	case AssignUserLicenses:
		t.assignUser(c)
	case AssignGroupLicenses:
		t.assignGroup(c)
	case AddGroupMember, RemoveGroupMember:
		t.membership(c)
	case SetUsageLocation:
		t.setUsageLocation(c)
	case ReprocessUser:
		if u, ok := t.user(c.User); ok {
			t.reprocess(u)
		}
	default:
		t.refuse(&Error{Kind: InvalidInput, Message: fmt.Sprintf("unknown change kind %d", c.Kind)})
	}
	return t.outcome()
}

// Apply predicts the change and, unless Entra would refuse it, makes it in s.
func (s *State) Apply(c Change) *Outcome {
	o := s.Predict(c)
	if !o.Refused {
		o.txn.commit()
	}
	o.txn = nil
	return o
}

// ApplyUserLicenses is Apply of an AssignUserLicenses change for user index i (0 ≤ i <
// NumUsers): the same prediction and effect, without resolving the user by name, and reusing
// its working memory from one call to the next — the form for loops over many users.
//
// The Outcome is reused too: it and the slices and sets it holds (not the Errors its
// Violations point to) are valid until the next ApplyUserLicenses on s. Copy what you keep.
//
// It changes only user i's paths and the seat counts, so another goroutine may meanwhile read
// other users (AppendPaths, Paths, User, UserGroups, Group): planner.Build reads ahead so.
func (s *State) ApplyUserLicenses(i int, add []AssignedLicense, remove []SkuID) *Outcome {
	t := s.spare
	if t == nil {
		t = s.newTxn()
	}
	s.spare = nil
	t.assignUserAt(int32(i), add, remove)
	if s.out == nil {
		s.out = new(outcomeBuf)
	}
	o := t.outcomeIn(s.out)
	if !o.Refused {
		t.commit()
	}
	o.txn = nil
	t.reset()
	s.spare = t
	return o
}

// reset empties t for reuse, keeping the capacity of what the Outcome does not hold.
func (t *txn) reset() {
	clear(t.paths.paths)
	if t.seat != nil {
		clear(t.seat)
		t.seatSpare = t.seat
	}
	*t = txn{s: t.s, paths: pathTable{users: t.paths.users[:0], paths: t.paths.paths[:0]}, touched: t.touched[:0], scratch: t.scratch}
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
	seatSpare []int       // a zeroed seat slice
	set       PlanSet     // the disabled plans of a body's entry
	bufs      [3][]uint64 // assignUserAt's sets
	addBuf    []groupLicense
	remBuf    []int32
	memo      groupMemo // evaluate's
}

// txn collects the effects of one change before they are committed.
type txn struct {
	s          *State
	paths      pathTable
	usage      map[int32]string
	userGroups map[int32][]int32
	groupLic   map[int32][]groupLicense
	members    map[int32][]int32
	seat       []int
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
			t.seat[sub]--
		}
		for _, sub := range now {
			t.seat[sub]++
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
	for i, d := range t.seat {
		s.subs[i].Consumed += d
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
	for i, d := range t.seat {
		if d != 0 {
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

func (t *txn) planNames(ids []PlanID) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = t.s.cat.PlanNamed(id, NamesBoth)
	}
	return strings.Join(names, ", ")
}

// licenses resolves and checks the SKUs of an assignLicense body for target.
func (t *txn) licenses(target Target, add []AssignedLicense, remove []SkuID) (adds []groupLicense, removes []int32, ok bool) {
	s := t.s
	type use struct {
		id  SkuID
		how string
	}
	var seen [4]use
	seenList := seen[:0]
	adds, removes = t.addBuf[:0], t.remBuf[:0]
	defer func() { t.addBuf, t.remBuf = adds, removes }() // not kept by the change: reused
	seenHow := func(id SkuID) string {
		for _, u := range seenList {
			if u.id == id {
				return u.how
			}
		}
		return ""
	}
	for _, l := range add {
		sub, known := s.subBySku[l.SkuID]
		if !known {
			t.refuse(&Error{Kind: UnknownSku, Target: target, SkuID: l.SkuID, Message: fmt.Sprintf("%s: SKU %s is not subscribed in this tenant", target, s.cat.SkuNamed(l.SkuID, NamesBoth))})
			continue
		}
		if why := seenHow(l.SkuID); why != "" {
			t.refuse(&Error{Kind: InvalidInput, Target: target, SkuID: l.SkuID, Message: fmt.Sprintf("%s: SKU %s appears twice in addLicenses", target, s.cat.SkuNamed(l.SkuID, NamesBoth))})
			continue
		}
		seenList = append(seenList, use{l.SkuID, "add"})
		sb := &s.subs[sub]
		if okA, why := sb.Assignable(); !okA {
			t.refuse(&Error{Kind: SkuNotAssignable, Target: target, SkuID: l.SkuID, Message: fmt.Sprintf("%s: %s", target, why)})
			continue
		}
		dis := &t.set
		dis.w = dis.w[:0]
		for _, p := range l.DisabledPlans {
			i, known := s.cat.PlanIndex(p)
			if !known || !sb.Sku.plans.Has(i) {
				t.refuse(&Error{Kind: UnknownServicePlan, Target: target, SkuID: l.SkuID, Plans: []PlanID{p}, Message: fmt.Sprintf("%s: disabled plan %s is not a service plan of SKU %s", target, s.cat.PlanNamed(p, NamesBoth), sb.Sku.Title())})
				continue
			}
			dis.Add(i)
		}
		i := s.sets.add(*dis)
		adds = append(adds, groupLicense{sub: sub, dis: i})
	}
	for _, id := range remove {
		sub, known := s.subBySku[id]
		if !known {
			t.refuse(&Error{Kind: UnknownSku, Target: target, SkuID: id, Message: fmt.Sprintf("%s: SKU %s in removeLicenses is not subscribed in this tenant", target, s.cat.SkuNamed(id, NamesBoth))})
			continue
		}
		if seenHow(id) != "" {
			t.refuse(&Error{Kind: InvalidInput, Target: target, SkuID: id, Message: fmt.Sprintf("%s: SKU %s is both added and removed in one call", target, s.cat.SkuNamed(id, NamesBoth))})
			continue
		}
		seenList = append(seenList, use{id, "remove"})
		removes = append(removes, sub)
	}
	return adds, removes, !t.refused
}

func (t *txn) assignUser(c Change) {
	u, ok := t.user(c.User)
	if !ok {
		return
	}
	t.assignUserAt(u, c.AddLicenses, c.RemoveLicenses)
}

func (t *txn) assignUserAt(u int32, add []AssignedLicense, remove []SkuID) {
	s := t.s
	target := s.UserTarget(int(u))
	adds, removes, ok := t.licenses(target, add, remove)
	if !ok {
		return
	}
	old := t.getPaths(u)
	for _, sub := range removes {
		direct, inherited := false, []string(nil)
		for _, p := range old {
			if p.sub == sub {
				if p.direct() {
					direct = true
				} else {
					inherited = append(inherited, s.groups[p.group].g.DisplayName)
				}
			}
		}
		sku := s.subs[sub].Sku
		switch {
		case direct:
		case len(inherited) > 0:
			t.refuse(&Error{Kind: InheritedLicense, Target: target, SkuID: sku.ID, Message: fmt.Sprintf("%s: SKU %s is inherited from a group membership (%s) and cannot be removed from the user directly; remove the user from the group or change the group's licenses", target, sku.Title(), strings.Join(inherited, ", "))})
		default:
			t.refuse(&Error{Kind: InvalidInput, Target: target, SkuID: sku.ID, Message: fmt.Sprintf("%s: user does not hold SKU %s, so it cannot be removed", target, sku.Title())})
		}
	}
	if len(adds) > 0 && t.getUsage(u) == "" {
		t.refuse(&Error{Kind: UsageLocationMissing, Target: target, Message: fmt.Sprintf("%s has no usageLocation; set one (e.g. \"US\") before assigning licenses directly", target)})
	}
	if t.refused {
		return
	}
	touched := func(sub int32) bool {
		return slices.ContainsFunc(adds, func(l groupLicense) bool { return l.sub == sub }) || slices.Contains(removes, sub)
	}
	next := make([]path, 0, len(old)+len(adds))
	for _, p := range old {
		if !(p.direct() && touched(p.sub)) {
			next = append(next, p)
		}
	}
	for _, l := range adds {
		next = append(next, path{sub: l.sub, group: -1, state: PathActive, dis: l.dis})
	}
	sortPaths(next)
	// The enabled sets live in the txn's buffers (an ApplyUserLicenses outcome holds them
	// until the next call; a Predict's txn is its own).
	before, after := s.enabledIn(t.bufs[0], old), s.enabledIn(t.bufs[1], next)
	t.bufs[0], t.bufs[1] = before.w, after.w
	added := func(id SkuID) bool {
		return slices.ContainsFunc(adds, func(l groupLicense) bool { return s.subs[l.sub].Sku.ID == id })
	}
	if cs := s.conflictsOf(next); len(cs) > 0 {
		// Only conflicts the call creates: a pair already enabled (a stuck group path, say) is
		// not made by re-adding one of its SKUs.
		was := s.conflictsOf(old)
		for _, c := range cs {
			if (added(c.Skus[0]) || added(c.Skus[1])) && !slices.ContainsFunc(was, c.same) {
				t.refuse(t.conflictError(target, c))
			}
		}
	}
	t.checkDependencies(target, before, after, DependencyViolation)
	gained := PlanSet{w: t.bufs[2][:0]}
	gained.unionMinus(after, before)
	t.bufs[2] = gained.w
	for _, p := range s.rules.Prohibited(gained, t.getUsage(u)) {
		t.refuse(&Error{Kind: ProhibitedInUsageLocationViolation, Target: target, Plans: p.Plans, Message: fmt.Sprintf("%s: %s not offered in usage location %s (rule %q)", target, t.planNames(p.Plans), t.getUsage(u), p.Rule.Name)})
	}
	for _, l := range adds {
		if holdsSeat(old, l.sub) {
			continue
		}
		sb := &s.subs[l.sub]
		if t.consumed(l.sub)+1 > sb.Seats() {
			t.refuse(&Error{Kind: CountViolation, Target: target, SkuID: sb.Sku.ID, Message: fmt.Sprintf("%s: no free seat of %s (%d of %d consumed)", target, sb.Sku.Title(), t.consumed(l.sub), sb.Seats())})
		}
	}
	if t.refused {
		return
	}
	t.setPaths(u, next)
	t.known.ok, t.known.u, t.known.before, t.known.after = true, u, before, after
}

func (t *txn) conflictError(target Target, c Conflict) *Error {
	cat := t.s.cat
	return &Error{Kind: MutuallyExclusiveViolation, Target: target, SkuID: c.Skus[0], Plans: c.Plans[:],
		Message: fmt.Sprintf("%s: %s from %s and %s from %s cannot be enabled together (rule %q)", target,
			cat.PlanNamed(c.Plans[0], NamesBoth), cat.SkuNamed(c.Skus[0], NamesBoth), cat.PlanNamed(c.Plans[1], NamesBoth), cat.SkuNamed(c.Skus[1], NamesBoth), c.Rule.Name)}
}

// checkDependencies refuses when a plan enabled after has lost every prerequisite it had before.
func (t *txn) checkDependencies(target Target, before, after PlanSet, kind Kind) {
	missing := t.s.rules.MissingPrerequisites(after)
	if len(missing) == 0 {
		return
	}
	was := t.s.rules.MissingPrerequisites(before)
	for _, m := range missing {
		if slices.ContainsFunc(was, func(w MissingPrerequisite) bool { return w.Plan == m.Plan }) {
			continue
		}
		t.refuse(&Error{Kind: kind, Target: target, Plans: append([]PlanID{m.Plan}, m.AnyOf...),
			Message: fmt.Sprintf("%s: %s needs one of %s enabled (rule %q)", target, t.s.cat.PlanNamed(m.Plan, NamesBoth), t.planNames(m.AnyOf), m.Rule.Name)})
	}
}

func (t *txn) setUsageLocation(c Change) {
	u, ok := t.user(c.User)
	if !ok {
		return
	}
	s := t.s
	target := s.UserTarget(int(u))
	loc := strings.ToUpper(strings.TrimSpace(c.UsageLocation))
	if loc != "" && !IsCountryCode(loc) {
		t.refuse(&Error{Kind: InvalidInput, Target: target, Message: fmt.Sprintf("%s: usage location %s", target, CountryCodeProblem(loc))})
		return
	}
	ps := t.getPaths(u)
	if loc == "" && slices.ContainsFunc(ps, func(p path) bool { return p.direct() }) {
		t.refuse(&Error{Kind: UsageLocationMissing, Target: target, Message: fmt.Sprintf("%s holds direct licenses, so its usage location cannot be cleared", target)})
		return
	}
	enabled := s.enabledOf(ps)
	had := map[*UsageLocationRule]bool{}
	for _, p := range s.rules.Prohibited(enabled, t.getUsage(u)) {
		had[p.Rule] = true
	}
	for _, p := range s.rules.Prohibited(enabled, loc) {
		if !had[p.Rule] {
			t.refuse(&Error{Kind: ProhibitedInUsageLocationViolation, Target: target, Plans: p.Plans, Message: fmt.Sprintf("%s: %s not offered in usage location %s (rule %q)", target, t.planNames(p.Plans), loc, p.Rule.Name)})
		}
	}
	if t.refused {
		return
	}
	if t.usage == nil {
		t.usage = map[int32]string{}
	}
	t.usage[u] = loc
	if t.paths.set(u, ps) {
		t.touched = append(t.touched, u)
	}
	// A new usage location may resolve a group path in error (e.g. a prohibited plan, or no location).
	t.reprocessErrors(u)
}

// conflictsOf returns the conflicts among a user's active paths; users whose SKUs cannot
// conflict (fewer than two with a plan in any exclusion rule) are answered without allocating.
func (s *State) conflictsOf(ps []path) []Conflict {
	n, last := 0, int32(-1)
	for _, p := range ps {
		if p.state.Enables() && p.sub != last && s.subs[p.sub].Sku.plans.Intersects(s.rules.allExcl) {
			n++
			last = p.sub
		}
	}
	if n < 2 {
		return nil
	}
	return s.rules.Conflicts(s.bySku(ps, nil))
}
