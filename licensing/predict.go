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
	// Violations are the reasons for a refusal or, for an accepted group change, the errors
	// recorded on members' paths (each with the member as Target).
	Violations []*Error
	// Users are the users whose paths change, by index, with their enabled plans before and after.
	Users []UserEffect
	// Seats are the SKUs whose consumed seats change.
	Seats []SeatEffect
	// Converted lists group paths that became direct assignments because a remaining plan needed them.
	Converted []Conversion

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

// Conversion is a group path turned into a direct assignment when its group path went away
// while a remaining plan depended on it.
type Conversion struct {
	User  int
	Sku   SkuID
	Group string
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
	memo      groupMemo // processMember's
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
	converted  []Conversion
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
	*o = outcomeBuf{Outcome: Outcome{Refused: t.refused, Violations: t.violations, Converted: t.converted, txn: t}}
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
	return int32(i), true
}

func (t *txn) planNames(ids []PlanID) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = t.s.cat.PlanName(id)
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
			t.refuse(&Error{Kind: UnknownSku, Target: target, SkuID: l.SkuID, Message: fmt.Sprintf("%s: SKU %s is not subscribed in this tenant", target, s.cat.SkuName(l.SkuID))})
			continue
		}
		if why := seenHow(l.SkuID); why != "" {
			t.refuse(&Error{Kind: InvalidInput, Target: target, SkuID: l.SkuID, Message: fmt.Sprintf("%s: SKU %s appears twice in addLicenses", target, s.cat.SkuName(l.SkuID))})
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
				t.refuse(&Error{Kind: UnknownServicePlan, Target: target, SkuID: l.SkuID, Plans: []PlanID{p}, Message: fmt.Sprintf("%s: disabled plan %s is not a service plan of SKU %s", target, s.cat.PlanName(p), sb.Sku.Label())})
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
			t.refuse(&Error{Kind: UnknownSku, Target: target, SkuID: id, Message: fmt.Sprintf("%s: SKU %s in removeLicenses is not subscribed in this tenant", target, s.cat.SkuName(id))})
			continue
		}
		if seenHow(id) != "" {
			t.refuse(&Error{Kind: InvalidInput, Target: target, SkuID: id, Message: fmt.Sprintf("%s: SKU %s is both added and removed in one call", target, s.cat.SkuName(id))})
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
			t.refuse(&Error{Kind: InheritedLicense, Target: target, SkuID: sku.ID, Message: fmt.Sprintf("%s: SKU %s is inherited from a group membership (%s) and cannot be removed from the user directly; remove the user from the group or change the group's licenses", target, sku.Label(), strings.Join(inherited, ", "))})
		default:
			t.refuse(&Error{Kind: InvalidInput, Target: target, SkuID: sku.ID, Message: fmt.Sprintf("%s: user does not hold SKU %s, so it cannot be removed", target, sku.Label())})
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
	for _, c := range s.conflictsOf(next) {
		if added(c.Skus[0]) || added(c.Skus[1]) {
			t.refuse(t.conflictError(target, c))
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
		if t.consumed(l.sub)+1 > sb.Prepaid.Enabled {
			t.refuse(&Error{Kind: CountViolation, Target: target, SkuID: sb.Sku.ID, Message: fmt.Sprintf("%s: no free seat of %s (%d of %d consumed)", target, sb.Sku.Label(), t.consumed(l.sub), sb.Prepaid.Enabled)})
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
		Message: fmt.Sprintf("%s: %s (from %s) and %s (from %s) cannot be enabled together (rule %q)", target,
			cat.PlanName(c.Plans[0]), cat.SkuName(c.Skus[0]), cat.PlanName(c.Plans[1]), cat.SkuName(c.Skus[1]), c.Rule.Name)}
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
			Message: fmt.Sprintf("%s: %s needs one of %s enabled (rule %q)", target, t.s.cat.PlanName(m.Plan), t.planNames(m.AnyOf), m.Rule.Name)})
	}
}

func (t *txn) assignGroup(c Change) {
	g, ok := t.group(c.Group)
	if !ok {
		return
	}
	s := t.s
	target := s.GroupTarget(int(g))
	adds, removes, ok := t.licenses(target, c.AddLicenses, c.RemoveLicenses)
	if !ok {
		return
	}
	old := t.getGroupLic(g)
	for _, sub := range removes {
		if !slices.ContainsFunc(old, func(l groupLicense) bool { return l.sub == sub }) {
			t.refuse(&Error{Kind: InvalidInput, Target: target, SkuID: s.subs[sub].Sku.ID, Message: fmt.Sprintf("%s: group does not hold SKU %s, so it cannot be removed", target, s.subs[sub].Sku.Label())})
		}
	}
	if t.refused {
		return
	}
	var next []groupLicense
	for _, l := range old {
		if !slices.Contains(removes, l.sub) && !slices.ContainsFunc(adds, func(a groupLicense) bool { return a.sub == l.sub }) {
			next = append(next, l)
		}
	}
	next = append(next, adds...)
	slices.SortFunc(next, func(a, b groupLicense) int { return int(a.sub - b.sub) })
	var enabled PlanSet
	for _, l := range next {
		enabled.unionMinus(s.subs[l.sub].Sku.plans, s.sets.get(l.dis))
	}
	for _, m := range s.rules.MissingPrerequisites(enabled) {
		t.refuse(&Error{Kind: GroupPrerequisiteMissing, Target: target, Plans: append([]PlanID{m.Plan}, m.AnyOf...),
			Message: fmt.Sprintf("%s: %s needs one of %s in the same group's assignment (rule %q)", target, s.cat.PlanName(m.Plan), t.planNames(m.AnyOf), m.Rule.Name)})
	}
	if t.refused {
		return
	}
	if t.groupLic == nil {
		t.groupLic = map[int32][]groupLicense{}
	}
	t.groupLic[g] = next
	for _, u := range t.getMembers(g) {
		before := s.enabledOf(t.getPaths(u))
		t.removeGroupPaths(u, g, func(p path) bool { return slices.Contains(removes, p.sub) })
		t.processMember(u, g)
		// Plans the group now disables may be what another of the member's plans needs.
		was := map[PlanID]bool{}
		for _, m := range s.rules.MissingPrerequisites(before) {
			was[m.Plan] = true
		}
		for _, m := range s.rules.MissingPrerequisites(s.enabledOf(t.getPaths(u))) {
			if !was[m.Plan] {
				ut := s.UserTarget(int(u))
				t.violations = append(t.violations, &Error{Kind: DependencyViolation, Target: ut, Plans: append([]PlanID{m.Plan}, m.AnyOf...),
					Message: fmt.Sprintf("%s: after the change to group %s, %s needs one of %s enabled (rule %q)", ut, target.Name, s.cat.PlanName(m.Plan), t.planNames(m.AnyOf), m.Rule.Name)})
			}
		}
	}
}

// removeGroupPaths drops u's paths from group g that match, converting to direct assignments
// the ones whose plans a remaining enabled plan depends on.
func (t *txn) removeGroupPaths(u, g int32, match func(path) bool) {
	s := t.s
	old := t.getPaths(u)
	var keep, gone []path
	for _, p := range old {
		if p.group == g && match(p) {
			gone = append(gone, p)
		} else {
			keep = append(keep, p)
		}
	}
	if len(gone) == 0 {
		return
	}
	was := map[PlanID]bool{}
	for _, m := range s.rules.MissingPrerequisites(s.enabledOf(old)) {
		was[m.Plan] = true
	}
	for changed := true; changed; {
		changed = false
		for _, m := range s.rules.MissingPrerequisites(s.enabledOf(keep)) {
			if was[m.Plan] {
				continue
			}
			need := s.cat.PlanSetOf(m.AnyOf)
			for i, p := range gone {
				if !p.state.Enables() || !s.subs[p.sub].Sku.plans.Minus(s.disabled(p)).Intersects(need) {
					continue
				}
				t.converted = append(t.converted, Conversion{User: int(u), Sku: s.subs[p.sub].Sku.ID, Group: s.groups[g].g.ID})
				if k := slices.IndexFunc(keep, func(k path) bool { return k.direct() && k.sub == p.sub }); k >= 0 {
					// A direct path of the SKU exists: it is widened to enable what the group path enabled.
					keep[k].dis = s.sets.add(s.disabled(keep[k]).Intersect(s.disabled(p)))
					keep[k].state = PathActive
				} else {
					keep = append(keep, path{sub: p.sub, group: -1, state: PathActive, dis: p.dis})
				}
				gone = slices.Delete(gone, i, i+1)
				changed = true
				break
			}
			if changed {
				break
			}
		}
	}
	t.setPaths(u, keep)
}

// processMember evaluates group g's licenses for member u as Entra's group processing does:
// all of the group's SKUs apply to the member, or none do and every path from the group is in
// Error with the reason. The member error, if any, is recorded as a violation.
func (t *txn) processMember(u, g int32) {
	s := t.s
	lic := t.getGroupLic(g)
	old := t.getPaths(u)
	next := make([]path, 0, len(old)+len(lic)) // the member's other paths, then the group's
	for _, p := range old {
		if p.group != g {
			next = append(next, p)
		}
	}
	if len(lic) == 0 {
		if len(next) == 0 {
			next = nil
		}
		t.setPaths(u, next)
		return
	}
	m := t.groupMemo(g, lic)
	nOthers := len(next)
	for _, l := range lic {
		next = append(next, path{sub: l.sub, group: g, state: PathActive, dis: l.dis})
	}
	others, mine := next[:nOthers], next[nOthers:]
	// The member's name is read only to explain a failure (most members get their licenses).
	target := func() Target { return s.UserTarget(int(u)) }
	gname := s.groups[g].g.DisplayName
	var fail *Error
	loc := t.getUsage(u)
	if loc == "" {
		loc = s.defaultLoc
	}
	if loc == "" {
		fail = &Error{Kind: Other, Target: target(), Message: fmt.Sprintf("%s: no usage location and no tenant default for licenses from group %s", target(), gname)}
	}
	if fail == nil {
		if ps := m.prohibitedIn(s.rules, loc); len(ps) > 0 {
			fail = &Error{Kind: ProhibitedInUsageLocationViolation, Target: target(), Plans: ps[0].Plans, Message: fmt.Sprintf("%s: %s from group %s not offered in usage location %s (rule %q)", target(), t.planNames(ps[0].Plans), gname, loc, ps[0].Rule.Name)}
		}
	}
	if fail == nil && m.mayConflict {
		all := append(s.bySku(others, nil), m.bySku...)
		for _, c := range s.rules.Conflicts(all) {
			if s.fromGroup(all, len(all)-len(m.bySku), c) {
				fail = t.conflictError(target(), c)
				fail.Message += " — group " + gname
				break
			}
		}
	}
	if fail == nil {
		for _, l := range lic {
			if holdsSeat(others, l.sub) {
				continue
			}
			sb := &s.subs[l.sub]
			if t.consumed(l.sub)-t.heldBy(u, g, l.sub)+1 > sb.Prepaid.Enabled {
				fail = &Error{Kind: CountViolation, Target: target(), SkuID: sb.Sku.ID, Message: fmt.Sprintf("%s: no free seat of %s for group %s (%d of %d consumed)", target(), sb.Sku.Label(), gname, t.consumed(l.sub)-t.heldBy(u, g, l.sub), sb.Prepaid.Enabled)}
				break
			}
		}
	}
	if fail != nil {
		for i := range mine {
			mine[i].state, mine[i].err = PathError, fail.Kind
		}
		t.violations = append(t.violations, fail)
	}
	t.setPaths(u, next)
}

// groupMemo is what processMember works out once for a group's licenses rather than once per
// member: the plans they enable, those plans by SKU, whether any is in an exclusion rule, and
// the plans prohibited in the last usage location asked about.
type groupMemo struct {
	g           int32
	lic         []groupLicense // the licenses it was made for (replaced as a whole, never changed)
	enabled     PlanSet
	bySku       []SkuPlans
	mayConflict bool
	loc         string
	prohibited  []Prohibition
	locKnown    bool
}

// groupMemo returns the memo of group g's licenses lic, making it if t's is another's.
func (t *txn) groupMemo(g int32, lic []groupLicense) *groupMemo {
	m := &t.memo
	if m.g == g && len(m.lic) == len(lic) && len(lic) > 0 && &m.lic[0] == &lic[0] {
		return m
	}
	s := t.s
	*m = groupMemo{g: g, lic: lic}
	ps := make([]path, len(lic))
	for i, l := range lic {
		ps[i] = path{sub: l.sub, group: g, state: PathActive, dis: l.dis}
		m.enabled.unionMinus(s.subs[l.sub].Sku.plans, s.sets.get(l.dis))
	}
	m.bySku = s.bySku(ps, nil)
	m.mayConflict = m.enabled.Intersects(s.rules.allExcl)
	return m
}

// prohibitedIn is rules.Prohibited of the group's enabled plans in country loc.
func (m *groupMemo) prohibitedIn(rules *RuleIndex, loc string) []Prohibition {
	if !m.locKnown || m.loc != loc {
		m.loc, m.prohibited, m.locKnown = loc, rules.Prohibited(m.enabled, loc), true
	}
	return m.prohibited
}

// heldBy is 1 when u's only seat of sub now comes from group g's path (it is released on re-evaluation).
func (t *txn) heldBy(u, g int32, sub int32) int {
	ps := t.getPaths(u)
	viaG, other := false, false
	for _, p := range ps {
		if p.sub != sub || p.state == PathError {
			continue
		}
		if p.group == g {
			viaG = true
		} else {
			other = true
		}
	}
	if viaG && !other {
		return 1
	}
	return 0
}

// fromGroup reports whether a conflict involves one of the group's entries (at index ≥ nOthers).
func (s *State) fromGroup(all []SkuPlans, nOthers int, c Conflict) bool {
	for i := nOthers; i < len(all); i++ {
		for k := 0; k < 2; k++ {
			if all[i].Sku == c.Skus[k] {
				if idx, ok := s.cat.PlanIndex(c.Plans[k]); ok && all[i].Plans.Has(idx) {
					return true
				}
			}
		}
	}
	return false
}

func (t *txn) membership(c Change) {
	u, ok := t.user(c.User)
	if !ok {
		return
	}
	g, ok := t.group(c.Group)
	if !ok {
		return
	}
	s := t.s
	groups := t.getUserGroups(u)
	member := slices.Contains(groups, g)
	target := s.UserTarget(int(u))
	gt := s.GroupTarget(int(g))
	if t.userGroups == nil {
		t.userGroups = map[int32][]int32{}
		t.members = map[int32][]int32{}
	}
	if c.Kind == AddGroupMember {
		if member {
			t.refuse(&Error{Kind: InvalidInput, Target: target, Message: fmt.Sprintf("%s is already a member of %s", target, gt)})
			return
		}
		ng := append(slices.Clone(groups), g)
		slices.Sort(ng)
		t.userGroups[u] = ng
		nm := append(slices.Clone(t.getMembers(g)), u)
		slices.Sort(nm)
		t.members[g] = nm
		t.processMember(u, g)
		return
	}
	if !member {
		t.refuse(&Error{Kind: InvalidInput, Target: target, Message: fmt.Sprintf("%s is not a member of %s", target, gt)})
		return
	}
	t.userGroups[u] = slices.DeleteFunc(slices.Clone(groups), func(x int32) bool { return x == g })
	t.members[g] = slices.DeleteFunc(slices.Clone(t.getMembers(g)), func(x int32) bool { return x == u })
	t.removeGroupPaths(u, g, func(path) bool { return true })
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
		t.refuse(&Error{Kind: InvalidInput, Target: target, Message: fmt.Sprintf("%s: usage location %q is not an ISO 3166 alpha-2 code such as \"US\"", target, c.UsageLocation)})
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
	t.reprocess(u)
}

func (t *txn) reprocess(u int32) {
	for _, g := range t.getUserGroups(u) {
		if slices.ContainsFunc(t.getPaths(u), func(p path) bool { return p.group == g && p.state == PathError }) {
			t.processMember(u, g)
		}
	}
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
