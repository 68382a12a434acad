package licensing

// Bulk is a State's interface for loops over many users that reuse memory, such as
// planner.Build's over a million users. Each of its methods answers a question that State,
// its Catalog or its RuleIndex answer too, without the allocation or the lookup by name they
// make per call:
//
//   - AppendPaths is State.Paths into the caller's buffer; PathGroup gives a path's group as an
//     index (State.Group) instead of an id.
//   - HasPathInError and HasStuckPath scan a user's compact paths without exporting them.
//   - ApplyUserLicenses is State.Apply of an assignLicense for a user index, reusing its working
//     memory and its Outcome: results are valid until the next call.
//   - PlanIDsByID is Catalog.PlanIDs in GUID order, for comparisons nobody reads.
//   - MayConflict is the cheap test before RuleIndex.Conflicts.
//
// Use State's methods unless a profile of such a loop says otherwise. A Bulk holds nothing of
// its own: it is the State, and what State says about sharing it between goroutines holds.
type Bulk struct{ s *State }

// Bulk returns the bulk view of s.
func (s *State) Bulk() *Bulk { return &Bulk{s} }

// AppendPaths appends user i's assignment paths to dst and returns it: State.Paths without the
// allocation.
func (b *Bulk) AppendPaths(dst []Path, i int) []Path {
	s := b.s
	for _, p := range s.users[i].paths {
		dst = append(dst, s.exportPath(int32(i), p))
	}
	return dst
}

// PathGroup returns the index (see State.Group) of the group that assigns p, a path AppendPaths
// or State.Paths returned (of this State or a clone: clones share group indexes), or -1 for a
// direct assignment.
func (b *Bulk) PathGroup(p Path) int { return p.groupIdx }

// HasPathInError reports whether user i has a path in Error whose error is kind (of any kind
// when kind is None); with groupOnly, only paths from groups count. It reads the compact state
// without exporting Paths, for scans over every user.
func (b *Bulk) HasPathInError(i int, kind Kind, groupOnly bool) bool {
	for _, p := range b.s.users[i].paths {
		if p.state == PathError && (kind == None || p.err == kind) && (!groupOnly || !p.direct()) {
			return true
		}
	}
	return false
}

// HasStuckPath reports whether user i has a path that is stuck (Path.Stuck) without exporting
// the user's paths, for scans over every user.
func (b *Bulk) HasStuckPath(i int) bool {
	s := b.s
	for _, p := range s.users[i].paths {
		if p.group >= 0 && s.stuck(s.users[i].groups, p) {
			return true
		}
	}
	return false
}

// ApplyUserLicenses is State.Apply of an AssignUserLicenses change for user index i (0 ≤ i <
// NumUsers): the same prediction and effect, without resolving the user by name, and reusing
// its working memory from one call to the next.
//
// The Outcome is reused too: it and the slices and sets it holds (not the Errors its
// Violations point to) are valid until the next ApplyUserLicenses on the State. Copy what you
// keep.
//
// It changes only user i's paths and the seat counts, so another goroutine may meanwhile read
// other users (AppendPaths, Paths, User, UserGroups, Group): planner.Build reads ahead so.
func (b *Bulk) ApplyUserLicenses(i int, add []AssignedLicense, remove []SkuID) *Outcome {
	s := b.s
	t := s.spare
	if t == nil {
		t = s.newTxn()
		t.carve = true // the State keeps most calls' paths
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

// PlanIDsByID returns the ids of the plans in ps (a set of the State's catalog) in GUID order:
// cheaper than Catalog.PlanIDs where no person reads the order (comparisons, expectations).
func (b *Bulk) PlanIDsByID(ps PlanSet) []PlanID { return b.s.cat.planIDsByID(ps) }

// MayConflict reports whether some refused exclusion rule of the State's rules has plans in
// both a and c: a cheap necessary condition for RuleIndex.Conflicts to find a pair between two
// SKUs, so that a loop predicts only where it must.
func (b *Bulk) MayConflict(a, c PlanSet) bool { return b.s.rules.mayConflict(a, c) }
