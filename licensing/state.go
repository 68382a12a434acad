package licensing

import (
	"fmt"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/internal/intern"
	"github.com/licenseplan/licenseplan/internal/keyindex"
	"github.com/licenseplan/licenseplan/internal/prefault"
)

// PathState is the state of one assignment path, as Entra reports it.
type PathState uint8

// The path states.
const (
	PathActive PathState = iota
	PathActiveWithError
	PathDisabled
	PathError
)

var pathStateNames = [...]string{StateActive, StateActiveWithError, StateDisabled, StateError}

// String returns Entra's name for the state.
func (p PathState) String() string { return pathStateNames[p] }

// Enables reports whether a path in this state enables its plans (Active or ActiveWithError).
func (p PathState) Enables() bool { return p == PathActive || p == PathActiveWithError }

func parsePathState(s string) PathState {
	switch s {
	case StateActiveWithError:
		return PathActiveWithError
	case StateDisabled:
		return PathDisabled
	case StateError:
		return PathError
	}
	return PathActive
}

// Subscription is a SKU the tenant subscribes to, with its seats.
type Subscription struct {
	Sku              *Sku
	AppliesTo        string
	CapabilityStatus string
	Prepaid          PrepaidUnits
	Consumed         int // seats consumed: users with at least one path of the SKU not in Error
	source           *SubscribedSku
}

// Seats returns the assignable seats, prepaidUnits.enabled + prepaidUnits.warning: seats in their grace period + prepaidUnits.warning: seats in their grace period
// (warning) are "available for normal use and assignment" (Graph, subscribedSku; prepaidUnits).
func (s *Subscription) Seats() int { return s.Prepaid.Enabled + s.Prepaid.Warning }

// OnGracePeriod reports whether some of the SKU's assignable seats are grace-period seats
// (prepaidUnits.warning): they lapse when the grace period ends.
func (s *Subscription) OnGracePeriod() bool { return s.Prepaid.Warning > 0 }

// Available returns the free seats: Seats − consumed (never negative).
func (s *Subscription) Available() int { return max(0, s.Seats()-s.Consumed) }

// Assignable reports whether the SKU may be newly assigned to users, and why not.
func (s *Subscription) Assignable() (bool, string) {
	if !strings.EqualFold(s.AppliesTo, "User") {
		return false, fmt.Sprintf("SKU %s applies to %q, not to users", s.Sku.Title(), s.AppliesTo)
	}
	switch s.CapabilityStatus {
	case "Enabled", "Warning", "":
		return true, ""
	}
	return false, fmt.Sprintf("SKU %s is %s; only Enabled or Warning subscriptions can be assigned", s.Sku.Title(), s.CapabilityStatus)
}

// path is one assignment path of a SKU to a user, held compactly: 16 bytes without pointers.
type path struct {
	sub   int32 // index in State.subs
	group int32 // index in State.groups, or -1 for a direct assignment
	dis   int32 // the disabled plans: index in State.sets
	state PathState
	err   Kind // None unless state is PathError or PathActiveWithError
}

func (p path) direct() bool { return p.group < 0 }

type userRec struct {
	u      *User
	usage  string
	paths  []path  // never modified in place: replaced as a whole (so Clone can share)
	groups []int32 // licensed groups the user is a direct member of, ascending
}

type groupLicense struct {
	sub int32
	dis int32 // the disabled plans: index in State.sets
}

type groupRec struct {
	g          *Group
	licenses   []groupLicense // replaced as a whole
	members    []int32        // ascending user indexes; replaced as a whole
	processing string
	// absent: the group is not in the tenant (deleted, or never read): only users' stuck paths
	// name it. It has no name, licenses or members, and changes to it are refused.
	absent bool
}

// State is a tenant compiled for fast, deterministic questions: each user's assignment paths
// and effective plans, seats, and what Entra would do with a change (Predict / Apply).
// A State is not safe for concurrent Apply; Clone it to explore alternatives. Predict and the
// read methods only read it, so goroutines may share a State nothing changes.
type State struct {
	cat        *Catalog
	rules      *RuleIndex
	tenantID   string
	defaultLoc string
	header     header // the snapshot's top-level fields, for Snapshot and the accessors
	subs       []Subscription
	subBySku   map[SkuID]int32
	mayPair    []bool // [i*len(subs)+j]: subscriptions i and j may conflict (see mayConflictPair); nil: unknown
	users      []userRec
	ids        keyindex.Index // users by id
	idsAscend  bool           // every user's id is greater than the one before (byUserID)
	upns       keyindex.Index // users by lower-cased userPrincipalName
	groups     []groupRec
	groupByID  map[string]int32
	groupNames map[string][]int32     // lower-cased displayName
	sets       *intern.Table[PlanSet] // the paths' disabled plans (index 0: none); shared by clones (append-only)
	spare      *txn                   // Bulk.ApplyUserLicenses's working memory; never shared by Clone
	out        *outcomeBuf            // Bulk.ApplyUserLicenses's outcome; never shared by Clone
}

// The keys of a State's users, for its indexes.
type (
	stateIDs  struct{ s *State }
	stateUPNs struct{ s *State }
)

func (k stateIDs) Key(i int32) string  { return k.s.users[i].u.ID }
func (k stateUPNs) Key(i int32) string { return strings.ToLower(k.s.users[i].u.UserPrincipalName) }

// disabled returns the plans path p disables (shared: read-only).
func (s *State) disabled(p path) PlanSet { return s.sets.Get(p.dis) }

// setIndex returns the index of the disabled plans ps (which it does not keep) in the State's
// set table, so that a path is 16 bytes without pointers (the garbage collector skips a million
// users' paths) and refers to its set by index. The table is shared by the State's clones; the
// sets it keeps are marked shared, so that a copy handed out is copied before it is written to.
// Predict on one State from several goroutines adds the sets of the bodies it checks: the
// table allows that.
func (s *State) setIndex(ps PlanSet) int32 {
	if ps.IsEmpty() {
		return 0
	}
	return s.sets.Add(ps, keepSet)
}

func keepSet(ps PlanSet) PlanSet { return ps.Clone().share() }

// StateOption configures NewState and LoadState.
type StateOption func(*stateConfig)

type stateConfig struct {
	catalog *Catalog
	rules   *Rules
}

// WithCatalog names the tenant's SKUs and plans from c (typically a newer Microsoft licensing
// CSV, see ReadCatalogCSV) before the embedded MicrosoftCatalog; the tenant's own names win over
// both. Lookups also see c's other SKUs and plans: a reference to one of them says the tenant
// does not subscribe to it. The State's catalog keeps only the tenant's SKUs.
func WithCatalog(c *Catalog) StateOption { return func(o *stateConfig) { o.catalog = c } }

// WithRules uses r instead of DefaultRules.
func WithRules(r *Rules) StateOption { return func(o *stateConfig) { o.rules = r } }

// NewState compiles a validated snapshot. Direct paths come from licenseAssignmentStates with
// assignedByGroup null (or assignedLicenses when a user has no licenseAssignmentStates). Group
// paths come from membership × the group's assignedLicenses, keeping the state and error the
// user's licenseAssignmentStates report for that group; a path the snapshot does not report is
// evaluated as Entra's group processing would (in group order, then member order). Consumed
// seats are recomputed from the paths. The State points into the snapshot (User, Group), so the
// snapshot must not be modified while the State is used; LoadState reads a document into a
// State without keeping it.
func NewState(snap *Snapshot, opts ...StateOption) (*State, error) {
	cfg := stateConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	if snap == nil {
		return nil, errorf(InvalidInput, "NewState: the snapshot is nil")
	}
	return newCompiler(cfg, true, false, len(snap.Users), len(snap.Groups)).snapshot(snap)
}

func (g *groupRec) has(sub int32) bool { return hasLicense(g.licenses, sub) }

func (g *groupRec) license(sub int32) groupLicense {
	for _, l := range g.licenses {
		if l.sub == sub {
			return l
		}
	}
	return groupLicense{sub: -1}
}

func sortPaths(ps []path) { slices.SortFunc(ps, comparePaths) }

// comparePaths orders paths by subscription, then direct first, then group.
func comparePaths(a, b path) int {
	if a.sub != b.sub {
		return int(a.sub - b.sub)
	}
	return int(a.group - b.group)
}

// appendSeats appends the subscriptions a user consumes a seat of to out (paths are sorted by
// subscription).
func appendSeats(out []int32, ps []path) []int32 {
	for _, p := range ps {
		if p.state != PathError && (len(out) == 0 || out[len(out)-1] != p.sub) {
			out = append(out, p.sub)
		}
	}
	return out
}

func holdsSeat(ps []path, sub int32) bool {
	for _, p := range ps {
		if p.sub == sub && p.state != PathError {
			return true
		}
	}
	return false
}

// Clone returns an independent copy that shares no mutable data with s.
func (s *State) Clone() *State {
	c := *s
	c.spare, c.out = nil, nil
	c.subs = slices.Clone(s.subs)
	c.users = append(prefault.Make[userRec](0, len(s.users)), s.users...)
	c.groups = slices.Clone(s.groups)
	return &c
}

// Catalog returns the catalog (the tenant's SKUs, enriched as configured).
func (s *State) Catalog() *Catalog { return s.cat }

// Rules returns the compiled rules.
func (s *State) Rules() *RuleIndex { return s.rules }

// TenantID returns the tenant id from the snapshot.
func (s *State) TenantID() string { return s.tenantID }

// DefaultUsageLocation is the country group-based licensing falls back to.
func (s *State) DefaultUsageLocation() string { return s.defaultLoc }

// DefaultUsageLocationUnknown reports whether the snapshot could not read the tenant's country
// (Snapshot.DefaultUsageLocationUnknown): a prediction of group licensing for a user without a
// usage location is then a guess.
func (s *State) DefaultUsageLocationUnknown() bool { return s.header.defaultLocUnknown }

// ReadAt is when the snapshot was read (RFC 3339), or "" when it does not say.
func (s *State) ReadAt() string { return s.header.readAt }

// Subscriptions returns the subscribed SKUs in snapshot order.
func (s *State) Subscriptions() []*Subscription {
	out := make([]*Subscription, len(s.subs))
	for i := range s.subs {
		out[i] = &s.subs[i]
	}
	return out
}

// Subscription returns the subscription of the SKU, if the tenant has one.
func (s *State) Subscription(id SkuID) (*Subscription, bool) {
	i, ok := s.subBySku[id]
	if !ok {
		return nil, false
	}
	return &s.subs[i], true
}

// LookupSku resolves a SKU reference (id, part number or display name) to a subscribed SKU.
// A SKU the catalog knows but the tenant does not subscribe to is an UnknownSku error that says so.
func (s *State) LookupSku(ref string) (*Subscription, error) {
	sku, err := s.cat.LookupSku(ref)
	if err != nil {
		return nil, err
	}
	sub, ok := s.Subscription(sku.ID)
	if !ok {
		var have []string
		for _, x := range s.subs {
			have = append(have, x.Sku.Label())
		}
		return nil, &Error{Kind: UnknownSku, SkuID: sku.ID, Message: fmt.Sprintf("SKU %q (%s) exists but this tenant has no subscription to it; subscribed: %s", ref, sku.ID, strings.Join(have, ", "))}
	}
	return sub, nil
}

// NumUsers returns the number of users.
func (s *State) NumUsers() int { return len(s.users) }

// NumGroups returns the number of groups.
func (s *State) NumGroups() int { return len(s.groups) }

// User returns the user at index i (0 ≤ i < NumUsers) as read from the snapshot: its directory
// fields (id, userPrincipalName, displayName, accountEnabled, userType, createdDateTime,
// signInActivity, usageLocation, department, jobTitle, onPremisesExtensionAttributes). With
// NewState it is the snapshot's User and its license fields are the snapshot's; with LoadState
// they are not kept (nil), and users share interned values.
// Either way, treat it as read-only, and ask Paths and Effective for the licensing now.
func (s *State) User(i int) *User { return s.users[i].u }

// UsageLocation returns the user's usage location now (it may have been changed by Apply).
func (s *State) UsageLocation(i int) string { return s.users[i].usage }

// Group returns the group at index i as read from the snapshot. With LoadState its members are
// not kept (nil): ask GroupMembers, GroupLicenses and GroupProcessingState for the group now.
func (s *State) Group(i int) *Group { return s.groups[i].g }

// GroupProcessingState returns the group's licenseProcessingState now.
func (s *State) GroupProcessingState(i int) string { return s.groups[i].processing }

// LookupUser resolves a user by id or userPrincipalName (any case) to its index.
func (s *State) LookupUser(ref string) (int, error) {
	if i, ok := s.userKey(ref); ok {
		return int(i), nil
	}
	if i, ok := s.userKey(strings.ToLower(ref)); ok {
		return int(i), nil
	}
	hint := ""
	if strings.Contains(ref, "@") {
		var names []string
		at := ref[strings.IndexByte(ref, '@'):]
		for _, u := range s.users {
			if strings.HasSuffix(strings.ToLower(u.u.UserPrincipalName), strings.ToLower(at)) {
				names = append(names, u.u.UserPrincipalName)
			}
			if len(names) > 10000 {
				break
			}
		}
		hint = suggestion(ref, names)
	}
	return -1, &Error{Kind: UnknownUser, Target: Target{Type: TargetUser, ID: ref}, Message: fmt.Sprintf("no user with id or userPrincipalName %q%s", ref, hint)}
}

// userKey finds a user by id or, failing that, by lower-cased userPrincipalName: an id wins.
func (s *State) userKey(k string) (int32, bool) {
	if i, ok := s.ids.Find(k, stateIDs{s}); ok {
		return i, true
	}
	return s.upns.Find(k, stateUPNs{s})
}

// LookupGroup resolves a group by id or displayName (any case; a name must be unique). An
// absent group (see GroupAbsent) is found by its id only.
func (s *State) LookupGroup(ref string) (int, error) {
	if i, ok := s.groupByID[ref]; ok {
		return int(i), nil
	}
	switch is := s.groupNames[strings.ToLower(ref)]; len(is) {
	case 1:
		return int(is[0]), nil
	case 0:
		var names []string
		for _, g := range s.groups {
			names = append(names, g.g.DisplayName)
		}
		return -1, &Error{Kind: UnknownGroup, Target: Target{Type: TargetGroup, ID: ref}, Message: fmt.Sprintf("no group with id or displayName %q%s", ref, suggestion(ref, names))}
	default:
		var ids []string
		for _, i := range is {
			ids = append(ids, s.groups[i].g.ID)
		}
		return -1, &Error{Kind: UnknownGroup, Target: Target{Type: TargetGroup, ID: ref}, Message: fmt.Sprintf("group name %q is ambiguous: use one of the ids %s", ref, strings.Join(ids, ", "))}
	}
}

// UserTarget names user i for errors and plans.
func (s *State) UserTarget(i int) Target {
	u := s.users[i].u
	return Target{Type: TargetUser, ID: u.ID, Name: u.UserPrincipalName}
}

// GroupTarget names group i for errors and plans.
func (s *State) GroupTarget(i int) Target {
	g := s.groups[i].g
	return Target{Type: TargetGroup, ID: g.ID, Name: g.DisplayName}
}

// Path is one assignment path of a SKU to a user, as reports show it.
type Path struct {
	Sku      SkuID
	Group    string    // the assigning group's id; "" for a direct assignment
	groupIdx int       // the assigning group's index (Bulk.PathGroup); -1 for a direct assignment
	Disabled PlanSet   // the path's disabled plans (a copy on write: changing it never changes the State)
	State    PathState // Active, ActiveWithError, Disabled or Error
	Error    Kind      // None, or why when State is Error or ActiveWithError
	// Stuck is true for a group path that outlived its group's assignment: the group is absent
	// (deleted), no longer carries the SKU, or no longer has the user as a member. Entra keeps
	// such a path while another plan depends on it (DependencyViolation: "can't be removed until
	// the dependency is resolved"); it goes when the dependency is fixed and the user reprocessed.
	Stuck bool
}

// Direct reports whether the path is a direct assignment.
func (p Path) Direct() bool { return p.Group == "" }

// Paths returns user i's assignment paths, ordered by SKU (snapshot order) then direct first,
// then groups in snapshot order.
func (s *State) Paths(i int) []Path {
	ps := s.users[i].paths
	out := make([]Path, len(ps))
	for k, p := range ps {
		out[k] = s.exportPath(int32(i), p)
	}
	return out
}

func (s *State) exportPath(u int32, p path) Path {
	out := Path{Sku: s.subs[p.sub].Sku.ID, groupIdx: int(p.group), Disabled: s.disabled(p), State: p.state, Error: p.err}
	if p.group >= 0 {
		out.Group = s.groups[p.group].g.ID
		out.Stuck = s.stuck(s.users[u].groups, p)
	}
	return out
}

// stuck reports whether group path p of a user in groups (ascending) outlived its group's
// assignment (see Path.Stuck).
func (s *State) stuck(groups []int32, p path) bool {
	g := &s.groups[p.group]
	return stuckPath(g.absent, g.licenses, groups, p)
}

// stuckPath reports whether group path p outlived its group's assignment, given whether the
// group is absent, its licenses, and the (ascending) groups of the path's user.
func stuckPath(absent bool, lic []groupLicense, groups []int32, p path) bool {
	if absent || !hasLicense(lic, p.sub) {
		return true
	}
	_, member := slices.BinarySearch(groups, p.group)
	return !member
}

// GroupAbsent reports whether group i is not in the tenant: a group that users' stuck paths
// name but the snapshot does not list (deleted, or not read). It has no name, licenses or
// members, and changes to it are refused as UnknownGroup.
func (s *State) GroupAbsent(i int) bool { return s.groups[i].absent }

// UserGroups returns the indexes of the groups user i is a direct member of, ascending.
func (s *State) UserGroups(i int) []int {
	out := make([]int, len(s.users[i].groups))
	for k, g := range s.users[i].groups {
		out[k] = int(g)
	}
	return out
}

// GroupMembers returns the indexes of group i's members, ascending.
func (s *State) GroupMembers(i int) []int {
	out := make([]int, len(s.groups[i].members))
	for k, m := range s.groups[i].members {
		out[k] = int(m)
	}
	return out
}

// GroupLicenses returns group i's assignedLicenses.
func (s *State) GroupLicenses(i int) []AssignedLicense {
	var out []AssignedLicense
	for _, l := range s.groups[i].licenses {
		out = append(out, AssignedLicense{SkuID: s.subs[l.sub].Sku.ID, DisabledPlans: s.cat.PlanIDs(s.sets.Get(l.dis))})
	}
	return out
}

// Effective is a user's effective licensing: what Entra derives from the active paths.
type Effective struct {
	Enabled  PlanSet           // plans enabled by any active path
	BySku    []SkuPlans        // per SKU with an active path: the plans it enables
	Assigned []AssignedLicense // assignedLicenses: per SKU, the plans disabled on every active path
}

// Effective computes user i's effective licensing.
func (s *State) Effective(i int) Effective {
	return s.effective(s.users[i].paths)
}

// EnabledPlans returns the plans enabled for user i (the union over active paths).
func (s *State) EnabledPlans(i int) PlanSet {
	var e PlanSet
	for _, p := range s.users[i].paths {
		if p.state.Enables() {
			e.unionMinus(s.subs[p.sub].Sku.plans, s.disabled(p))
		}
	}
	return e
}

func (s *State) effective(ps []path) Effective {
	var e Effective
	for _, sp := range s.bySku(ps, nil) {
		e.Enabled.UnionWith(sp.Plans)
		e.BySku = append(e.BySku, sp)
		sku, _ := s.cat.Sku(sp.Sku)
		e.Assigned = append(e.Assigned, AssignedLicense{SkuID: sp.Sku, DisabledPlans: s.cat.PlanIDs(sku.plans.Minus(sp.Plans))})
	}
	return e
}

// bySku merges the active paths per SKU; skip, when not nil, leaves paths out.
func (s *State) bySku(ps []path, skip func(path) bool) []SkuPlans {
	var out []SkuPlans
	for _, p := range ps {
		if !p.state.Enables() || (skip != nil && skip(p)) {
			continue
		}
		sku := s.subs[p.sub].Sku
		if n := len(out); n > 0 && out[n-1].Sku == sku.ID {
			out[n-1].Plans.unionMinus(sku.plans, s.disabled(p))
			continue
		}
		out = append(out, SkuPlans{Sku: sku.ID, Plans: sku.plans.Minus(s.disabled(p))})
	}
	return out
}

// Snapshot exports the state now as a tenant/v1 document: consumedUnits recomputed,
// assignedLicenses as Entra derives them and every path in licenseAssignmentStates.
func (s *State) Snapshot() *Snapshot {
	out := s.header.snapshot() // the top-level fields
	for _, sub := range s.subs {
		k := *sub.source
		k.ConsumedUnits = sub.Consumed
		k.CapabilityStatus = sub.CapabilityStatus
		k.PrepaidUnits = sub.Prepaid
		out.SubscribedSkus = append(out.SubscribedSkus, k)
	}
	for gi := range s.groups {
		if s.groups[gi].absent {
			continue
		}
		g := *s.groups[gi].g
		g.AssignedLicenses = s.GroupLicenses(gi)
		g.Members = make([]string, len(s.groups[gi].members))
		for k, m := range s.groups[gi].members {
			g.Members[k] = s.users[m].u.ID
		}
		g.LicenseProcessingState = &LicenseProcessingState{State: s.groups[gi].processing}
		out.Groups = append(out.Groups, g)
	}
	out.Users = make([]User, len(s.users))
	for ui := range s.users {
		r := &s.users[ui]
		u := *r.u
		u.UsageLocation = r.usage
		u.AssignedLicenses = s.effective(r.paths).Assigned
		u.LicenseAssignmentStates = make([]LicenseAssignmentState, 0, len(r.paths))
		for _, p := range r.paths {
			st := LicenseAssignmentState{SkuID: s.subs[p.sub].Sku.ID, DisabledPlans: s.cat.PlanIDs(s.disabled(p)), State: p.state.String(), Error: "None"}
			if p.group >= 0 {
				id := s.groups[p.group].g.ID
				st.AssignedByGroup = &id
			}
			if p.err != None {
				st.Error = p.err.String()
			}
			u.LicenseAssignmentStates = append(u.LicenseAssignmentStates, st)
		}
		out.Users[ui] = u
	}
	return out
}
