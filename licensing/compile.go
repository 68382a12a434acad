package licensing

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/internal/guid"
	"github.com/licenseplan/licenseplan/internal/intern"
	"github.com/licenseplan/licenseplan/internal/keyindex"
	"github.com/licenseplan/licenseplan/internal/parallel"
	"github.com/licenseplan/licenseplan/internal/prefault"
)

// compiler checks a tenant's SKUs, users and groups one at a time with the rules of
// Snapshot.Validate and, unless it only validates, compiles them into a State. Snapshot.Validate,
// NewState and LoadState all use it, so that each rule and each step of the compilation exists
// once. It is fed SKUs first (addSku, then skusEnd), then users and groups in any interleaving
// (usersEnd once every user is in), then finish.
//
// The first error of each phase is kept and finish reports them in Validate's order: format
// version, default usage location, SKUs, groups, users (a path that names an unknown group
// counts where it appears among the user's checks), members. The error therefore does not depend
// on the order in which a document lists its parts, and a user's paths can be checked before the
// groups they name are known.
type compiler struct {
	build   bool // compile a State; false: only validate
	compact bool // keep compact copies of users and groups (LoadState), not the caller's pointers
	cfg     stateConfig
	s       *State // in validate-only mode it holds only the catalog and the subscriptions

	skuErr, groupErr, userErr, memberErr error

	skus      []*SubscribedSku
	skusDone  bool
	usersDone bool

	nUsers    int32
	idsAscend bool        // so far, every user's id is greater than the one before
	lastID    string      // the last user's id
	users     []*User     // validate-only mode: the users
	recs      [][]userRec // build mode: the users' records, in blocks until usersEnd joins them
	ids       keyindex.Index
	upns      keyindex.Index // lower-cased userPrincipalNames

	// While every user id so far is a GUID in lower case (guidIDs), the users' GUIDs by index:
	// a member id is compared with 16 bytes in one array, not with a string behind two pointers.
	guidIDs bool
	guids   [][16]byte
	fetched int32 // what fetch read (nothing reads it)
	// resolved remembers the last few licenses (SKU and disabled plans) license resolved, as a
	// txn does (resolvedLicenses): a tenant's users hold a few distinct licenses over and over.
	resolved resolvedLicenses
	// hashes, when user is given them (prefetchUsers), are the user's id's hash in ids and its
	// lower-cased userPrincipalName's in upns.
	hashes []uint32

	refs    []groupRef // group ids named by groups or by users' paths
	refByID map[string]int32

	nGroups   int32
	pending   []pendingGroup // groups whose members wait for the users
	lastGroup []int32        // per user: 1 + the last group that listed it

	provisional []int32 // users with group paths that still name a groupRef

	// Scratch space and interned values, shared by all users.
	lics     []groupLicense
	paths    []path
	set      PlanSet
	key      []byte
	sets     map[string]int32 // internSet's: set index by AppendBinary
	pool     *intern.Pool     // compact mode: the values users share, and their names' arena
	userSlab []User
	slabSize int
	signSlab []SignInActivity // compact mode: the users' signInActivity (newSignInActivity)
	pathSlab []path
}

// groupRef is a group id as groups and users' licenseAssignmentStates name it.
type groupRef struct {
	id    string
	group int32 // the group with this id, or -1 while none is known (absentGroups adds one)
}

type pendingGroup struct {
	gi       int32
	id, name string
	members  []string
}

// who names the part of the document at fault in an error message; it is only formatted when
// there is an error.
type who struct {
	group    bool
	id, name string // user: id and userPrincipalName; group: id and displayName
	states   bool   // the user's licenseAssignmentStates
}

func (w who) String() string {
	var s string
	switch {
	case w.group:
		s = fmt.Sprintf("group %s (%s)", w.id, w.name)
	case w.name != "":
		s = "user " + w.id + " (" + w.name + ")"
	default:
		s = "user " + w.id
	}
	if w.states {
		s += " licenseAssignmentStates"
	}
	return s
}

// newCompiler returns a compiler; users and groups are size hints (0 when unknown).
func newCompiler(cfg stateConfig, build, compact bool, users, groups int) *compiler {
	c := &compiler{
		build:   build,
		compact: compact,
		cfg:     cfg,
		ids:     keyindex.New(users),
		upns:    keyindex.New(users),
		refByID: make(map[string]int32, groups),
		guidIDs: true,
		s:       &State{subBySku: map[SkuID]int32{}, sets: intern.NewTable[PlanSet]()},
	}
	if build {
		c.s.groupByID = make(map[string]int32, groups)
		c.s.groupNames = make(map[string][]int32, groups)
		c.s.groups = make([]groupRec, 0, groups)
		c.sets = map[string]int32{}
	}
	if compact {
		c.pool = intern.NewPool()
	}
	return c
}

// snapshot feeds a whole snapshot.
func (c *compiler) snapshot(s *Snapshot) (*State, error) {
	for i := range s.SubscribedSkus {
		c.addSku(&s.SubscribedSkus[i])
	}
	c.skusEnd()
	for i := range s.Users {
		c.addUser(&s.Users[i], false)
	}
	c.usersEnd()
	for i := range s.Groups {
		c.addGroup(&s.Groups[i])
	}
	return c.finish(s.header())
}

func (c *compiler) addSku(k *SubscribedSku) {
	i := len(c.skus)
	c.skus = append(c.skus, k)
	if c.skuErr != nil {
		return
	}
	if k.SkuID.IsZero() {
		c.skuErr = errorf(InvalidInput, "subscribedSkus[%d] (%s) has no skuId", i, k.SkuPartNumber)
		return
	}
	if _, dup := c.s.subBySku[k.SkuID]; dup {
		c.skuErr = errorf(InvalidInput, "subscribedSkus[%d]: skuId %s appears twice", i, k.SkuID)
		return
	}
	c.s.subBySku[k.SkuID] = int32(i)
}

// skusEnd builds the catalog and the subscriptions once every SKU is in.
func (c *compiler) skusEnd() {
	if c.skusDone {
		return
	}
	c.skusDone = true
	s := c.s
	cat := NewCatalog()
	for _, k := range c.skus {
		addSkuToCatalog(cat, k)
	}
	if c.build {
		cat.nameFrom(c.cfg.catalog, microsoftReference())
	}
	s.cat = cat
	s.subs = make([]Subscription, 0, len(c.skus))
	for _, k := range c.skus {
		sku, _ := cat.Sku(k.SkuID)
		s.subs = append(s.subs, Subscription{Sku: sku, AppliesTo: k.AppliesTo, CapabilityStatus: k.CapabilityStatus, Prepaid: k.PrepaidUnits, source: k})
	}
	if c.build {
		rules := c.cfg.rules
		if rules == nil {
			rules = DefaultRules()
		}
		s.rules = rules.Compile(cat)
		n := len(s.subs)
		s.mayPair = make([]bool, n*n)
		for i := range s.subs {
			for j := i; j < n; j++ { // mayConflict is symmetric
				may := s.rules.mayConflict(s.subs[i].Sku.plans, s.subs[j].Sku.plans)
				s.mayPair[i*n+j], s.mayPair[j*n+i] = may, may
			}
		}
	}
}

// license checks one assignment of SKU id with disabled plans (an assignedLicenses entry or a
// path) and returns its subscription and, when compiling and want is set, its disabled plans.
func (c *compiler) license(w who, id SkuID, disabled []PlanID, want bool) (groupLicense, error) {
	want = want && c.build
	if sub, dis, ok := c.resolved.find(AssignedLicense{SkuID: id, DisabledPlans: disabled}); ok {
		if !want {
			dis = 0
		}
		return groupLicense{sub: sub, dis: dis}, nil
	}
	gl, err := c.resolveLicense(w, id, disabled, want)
	if err == nil && want {
		c.resolved.keep(AssignedLicense{SkuID: id, DisabledPlans: disabled}, gl.sub, gl.dis)
	}
	return gl, err
}

// resolveLicense is license without the compiler's memory of the licenses resolved before.
func (c *compiler) resolveLicense(w who, id SkuID, disabled []PlanID, want bool) (groupLicense, error) {
	sub, ok := c.s.subBySku[id]
	if !ok {
		return groupLicense{sub: -1}, &Error{Kind: UnknownSku, SkuID: id, Message: fmt.Sprintf("%s: assignedLicenses has SKU %s, which is not in subscribedSkus", w, id)}
	}
	if len(disabled) == 0 {
		return groupLicense{sub: sub}, nil
	}
	plans := c.s.subs[sub].Sku.plans
	set := &c.set
	set.w = set.w[:0]
	for _, p := range disabled {
		i, ok := c.s.cat.PlanIndex(p)
		if !ok || !plans.Has(i) {
			return groupLicense{sub: -1}, &Error{Kind: UnknownServicePlan, SkuID: id, Plans: []PlanID{p}, Message: fmt.Sprintf("%s: disabled plan %s is not a service plan of SKU %s", w, p, id)}
		}
		if want {
			set.Add(i)
		}
	}
	if !want {
		return groupLicense{sub: sub}, nil
	}
	return groupLicense{sub: sub, dis: c.internSet(set)}, nil
}

// licenses checks an assignedLicenses list and leaves its subscriptions and disabled plans in c.lics.
func (c *compiler) licenses(w who, ls []AssignedLicense, want bool) error {
	c.lics = c.lics[:0]
	for i, l := range ls {
		gl, err := c.license(w, l.SkuID, l.DisabledPlans, want)
		if err != nil {
			return err
		}
		for _, o := range ls[:i] {
			if o.SkuID == l.SkuID {
				return errorf(InvalidInput, "%s: assignedLicenses lists SKU %s twice", w, l.SkuID)
			}
		}
		c.lics = append(c.lics, gl)
	}
	return nil
}

// internSet returns the index of the disabled plans s (which it does not keep) in the State's
// set table; the compiler keeps its own index to spare the table's lock.
func (c *compiler) internSet(s *PlanSet) int32 {
	c.key, _ = s.AppendBinary(c.key[:0])
	if i, ok := c.sets[string(c.key)]; ok {
		return i
	}
	i := c.s.setIndex(*s)
	c.sets[string(c.key)] = i
	return i
}

// ref returns the groupRef of a group id, adding one that no group has claimed yet.
func (c *compiler) ref(id string) int32 {
	if r, ok := c.refByID[id]; ok {
		return r
	}
	r := int32(len(c.refs))
	c.refs = append(c.refs, groupRef{id: id, group: -1})
	c.refByID[id] = r
	return r
}

// addUser compiles user u; parsed says u comes from LoadState's parser (internal/tenantload),
// whose strings are packed and interned already (compactUser).
func (c *compiler) addUser(u *User, parsed bool) {
	if c.skuErr != nil || c.groupErr != nil || c.userErr != nil {
		return // Validate would have stopped before this user
	}
	if err := c.user(u, parsed); err != nil {
		c.userErr = err
	}
}

func (c *compiler) user(u *User, parsed bool) error {
	i := c.nUsers
	if u.ID == "" {
		return errorf(InvalidInput, "users[%d] (%q) has no id", i, u.UserPrincipalName)
	}
	keep := u
	if c.compact {
		keep = c.compactUser(u, parsed)
	}
	hid, hupn, hashed := uint32(0), uint32(0), len(c.hashes) == 2
	if hashed {
		hid, hupn = c.hashes[0], c.hashes[1]
	} else {
		hid = c.ids.Hash(keep.ID)
	}
	if _, dup := c.ids.AddHashed(keep.ID, hid, i, compilerIDs{c}); dup {
		return errorf(InvalidInput, "users[%d]: user id %s appears twice", i, u.ID)
	}
	if c.guidIDs {
		if g, ok := lowerGUID(keep.ID); ok {
			c.guids = prefault.Append(c.guids, g)
		} else {
			c.guidIDs, c.guids = false, nil
		}
	}
	if upn := keep.UserPrincipalName; upn != "" {
		k := strings.ToLower(upn)
		if !hashed {
			hupn = c.upns.Hash(k)
		}
		if o, dup := c.upns.AddHashed(k, hupn, i, compilerUPNs{c}); dup {
			return errorf(InvalidInput, "users %s and %s share the userPrincipalName %q", c.userAt(o).ID, u.ID, u.UserPrincipalName)
		}
	}
	w := who{id: u.ID, name: u.UserPrincipalName}
	if u.UsageLocation != "" && !IsCountryCode(u.UsageLocation) {
		return errorf(InvalidInput, "%s: usageLocation %s", w, CountryCodeProblem(u.UsageLocation))
	}
	if err := checkUserLifecycle(w, u); err != nil {
		return err
	}
	states := u.LicenseAssignmentStates
	if err := c.licenses(w, u.AssignedLicenses, states == nil); err != nil {
		return err
	}
	ps := c.paths[:0]
	if states == nil && c.build {
		for _, l := range c.lics {
			ps = append(ps, path{sub: l.sub, group: -1, dis: l.dis})
		}
	}
	ws := w
	ws.states = true
	provisional := false
	for k := range states {
		st := &states[k]
		direct := st.Direct()
		gl, err := c.license(ws, st.SkuID, st.DisabledPlans, true) // a stuck group path keeps its own
		if err != nil {
			return err
		}
		group := int32(-1)
		if !direct {
			// Whether the group exists is known at finish; a path naming a group the
			// snapshot does not list is kept as a stuck path (absentGroups).
			group = -2 - c.ref(*st.AssignedByGroup)
			provisional = true
		} else {
			for _, o := range states[:k] {
				if o.Direct() && o.SkuID == st.SkuID {
					return errorf(InvalidInput, "%s: two direct licenseAssignmentStates for SKU %s", w, st.SkuID)
				}
			}
		}
		switch st.State {
		case StateActive, StateActiveWithError, StateDisabled, StateError, "":
		default:
			return errorf(InvalidInput, "%s: licenseAssignmentStates state %q is not one of Active, ActiveWithError, Disabled, Error", w, st.State)
		}
		if c.build {
			ps = append(ps, pathFromState(st, gl.sub, group, gl.dis))
		}
	}
	if c.nUsers == 0 {
		c.idsAscend = true
	} else if c.idsAscend && keep.ID <= c.lastID {
		c.idsAscend = false
	}
	c.lastID = keep.ID
	c.nUsers++
	c.paths = ps[:0]
	if !c.build {
		c.users = append(c.users, u)
		return nil
	}
	r := userRec{u: keep, usage: keep.UsageLocation, paths: c.carve(ps)}
	if provisional {
		// Reported group paths are resolved once the groups and their members are known.
		c.provisional = append(c.provisional, i)
	} else {
		sortPaths(r.paths)
	}
	if i%recBlock == 0 {
		// The first block grows by append, so that small tenants stay small; the others are
		// made whole (appending to a million would allocate several times their size).
		var block []userRec
		if i > 0 {
			block = prefault.Make[userRec](0, recBlock)
		}
		c.recs = append(c.recs, block)
	}
	c.recs[len(c.recs)-1] = append(c.recs[len(c.recs)-1], r)
	return nil
}

const recBlock = 1 << 16

func (c *compiler) userAt(i int32) *User {
	switch {
	case !c.build:
		return c.users[i]
	case c.usersDone:
		return c.s.users[i].u
	}
	return c.recs[i/recBlock][i%recBlock].u
}

// The keys of the users a compiler has.
type (
	compilerIDs  struct{ c *compiler }
	compilerUPNs struct{ c *compiler }
)

func (k compilerIDs) Key(i int32) string  { return k.c.userAt(i).ID }
func (k compilerUPNs) Key(i int32) string { return strings.ToLower(k.c.userAt(i).UserPrincipalName) }

// KeyIs reports whether user i's id is b.
func (k compilerIDs) KeyIs(i int32, b []byte) bool {
	if !k.c.guidIDs {
		return k.Key(i) == string(b)
	}
	g, ok := lowerGUID(b) // else b is no user's id: each is a GUID in lower case
	return ok && k.c.guids[i] == g
}

// lowerGUID decodes s when it is the canonical form of a GUID in lower case: two such strings
// are equal exactly when their GUIDs are.
func lowerGUID[T string | []byte](s T) ([16]byte, bool) {
	g, bad := guid.Decode(s)
	if bad != 0 {
		return g, false
	}
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'F' {
			return g, false
		}
	}
	return g, true
}

// pathFromState compiles a reported path; a group path's disabled plans are the group's.
func pathFromState(st *LicenseAssignmentState, sub, group, dis int32) path {
	p := path{sub: sub, group: group, state: parsePathState(st.State), dis: dis}
	if k, ok := ParseKind(st.Error); ok && (k == None || k.IsEntraError()) {
		p.err = k
	} else {
		p.err = Other
	}
	if p.state == PathError && p.err == None {
		p.err = Other
	}
	return p
}

// carve copies ps into a block shared with other users' paths (capacity-limited, so that
// appending to one user's paths never reaches another's).
func (c *compiler) carve(ps []path) []path {
	if len(ps) == 0 {
		return nil
	}
	if cap(c.pathSlab)-len(c.pathSlab) < len(ps) {
		c.pathSlab = make([]path, 0, max(min(2048, 2*cap(c.pathSlab)), 64, len(ps)))
	}
	n := len(c.pathSlab)
	c.pathSlab = append(c.pathSlab, ps...)
	return c.pathSlab[n : n+len(ps) : n+len(ps)]
}

// compactUser returns a copy of u's directory fields: one allocation for id, userPrincipalName
// and displayName, and the values many users share (usage location, department, job title,
// extension attributes, accountEnabled) interned. A parsed user's are so already.
func (c *compiler) compactUser(u *User, parsed bool) *User {
	if len(c.userSlab) == 0 {
		c.slabSize = min(1024, max(16, 2*c.slabSize))
		c.userSlab = prefault.Make[User](c.slabSize, c.slabSize)
	}
	cu := &c.userSlab[0]
	c.userSlab = c.userSlab[1:]
	if u.AccountEnabled != nil {
		cu.AccountEnabled = c.pool.Bool(*u.AccountEnabled)
	}
	c.compactLifecycle(cu, u, parsed)
	if parsed {
		cu.ID, cu.UserPrincipalName, cu.DisplayName = u.ID, u.UserPrincipalName, u.DisplayName
		cu.UsageLocation, cu.Department, cu.JobTitle = u.UsageLocation, u.Department, u.JobTitle
		cu.OnPremisesExtensionAttributes = u.OnPremisesExtensionAttributes
		return cu
	}
	cu.ID, cu.UserPrincipalName, cu.DisplayName = c.pool.Pack(u.ID, u.UserPrincipalName, u.DisplayName)
	cu.UsageLocation = c.pool.String(u.UsageLocation)
	cu.Department = c.pool.String(u.Department)
	cu.JobTitle = c.pool.String(u.JobTitle)
	cu.OnPremisesExtensionAttributes = c.pool.Attrs(u.OnPremisesExtensionAttributes)
	return cu
}

func (c *compiler) addGroup(g *Group) { c.addGroupMembers(g, stringMembers(g.Members)) }

// addGroupMembers adds a group whose members are given apart (g.Members is not read).
func (c *compiler) addGroupMembers(g *Group, members memberList) {
	if c.skuErr != nil || c.groupErr != nil {
		return // Validate would have stopped before this group
	}
	if err := c.group(g, members); err != nil {
		c.groupErr = err
	}
}

func (c *compiler) group(g *Group, members memberList) error {
	gi := c.nGroups
	if g.ID == "" {
		return errorf(InvalidInput, "groups[%d] (%q) has no id", gi, g.DisplayName)
	}
	r := c.ref(g.ID)
	if c.refs[r].group >= 0 {
		return errorf(InvalidInput, "groups[%d]: group id %s appears twice", gi, g.ID)
	}
	c.refs[r].group = gi
	if err := c.licenses(who{group: true, id: g.ID, name: g.DisplayName}, g.AssignedLicenses, true); err != nil {
		return err
	}
	c.nGroups++
	if c.build {
		keep := g
		if c.compact {
			cg := *g
			cg.Members = nil // GroupMembers has them
			keep = &cg
		}
		gr := groupRec{g: keep, processing: ProcessingComplete}
		if g.LicenseProcessingState != nil && g.LicenseProcessingState.State != "" {
			gr.processing = g.LicenseProcessingState.State
		}
		if len(c.lics) > 0 {
			gr.licenses = slices.Clone(c.lics)
		}
		c.s.groupByID[g.ID] = gi
		if g.DisplayName != "" {
			k := strings.ToLower(g.DisplayName)
			c.s.groupNames[k] = append(c.s.groupNames[k], gi)
		}
		c.s.groups = append(c.s.groups, gr)
	}
	if r, ok := members.(resolvedList); ok {
		c.resolvedMembers(gi, g.ID, g.DisplayName, r.ms, r.uis)
	} else if c.usersDone {
		c.members(gi, g.ID, g.DisplayName, members)
	} else {
		c.pending = append(c.pending, pendingGroup{gi: gi, id: g.ID, name: g.DisplayName, members: members.strings()})
	}
	return nil
}

// usersEnd says every user is in: the members of the groups seen so far are resolved, and those
// of later groups as they come.
func (c *compiler) usersEnd() {
	if c.usersDone {
		return
	}
	c.usersDone = true
	if c.build {
		c.s.users = prefault.Make[userRec](0, int(c.nUsers))
		for _, b := range c.recs {
			c.s.users = append(c.s.users, b...)
		}
		c.recs = nil
	}
	for _, p := range c.pending {
		c.members(p.gi, p.id, p.name, stringMembers(p.members))
	}
	c.pending = nil
}

// members checks group gi's members and resolves them to user indexes in one pass.
func (c *compiler) members(gi int32, id, name string, members memberList) {
	if c.memberErr != nil || c.userErr != nil || c.groupErr != nil || c.skuErr != nil {
		return // an earlier error is what Validate reports
	}
	if c.lastGroup == nil {
		c.lastGroup = prefault.Make[int32](int(c.nUsers), int(c.nUsers)) // read before written
	}
	n := members.len()
	var out []int32
	if c.build && n > 0 {
		out = make([]int32, 0, n)
	}
	for k := range n {
		ui, ok := members.find(c, k)
		if !ok {
			c.memberErr = &Error{Kind: UnknownUser, Target: Target{Type: TargetGroup, ID: id, Name: name}, Message: fmt.Sprintf("group %s (%s) has member %q, which is not in users", id, name, members.id(k))}
			return
		}
		if c.lastGroup[ui] == gi+1 {
			c.memberErr = errorf(InvalidInput, "group %s (%s) lists member %s twice", id, name, members.id(k))
			return
		}
		c.lastGroup[ui] = gi + 1
		if c.build {
			out = append(out, ui)
		}
	}
	if c.build {
		slices.Sort(out)
		c.s.groups[gi].members = out
	}
}

// prefetchUsers returns, for each of users, the hashes of its id and of its lower-cased
// userPrincipalName in the indexes user adds them to, appended to hs (two per user), having read
// the slots the adds will start at: adds one after another wait for each slot's cache miss in
// turn, where these reads do not depend on each other and overlap.
func (c *compiler) prefetchUsers(users []User, hs []uint32) []uint32 {
	var sum int32
	hs = slices.Grow(hs, 2*len(users))
	for i := range users {
		u := &users[i]
		hid, hupn := c.ids.Hash(u.ID), c.upns.Hash(strings.ToLower(u.UserPrincipalName))
		sum += c.ids.Home(hid) + c.upns.Home(hupn)
		hs = append(hs, hid, hupn)
	}
	c.fetched += sum
	return hs
}

// fetchWindow is how many member ids resolve looks up ahead of resolving them (fetch).
const fetchWindow = 64

// resolve looks member ids ms up in the users' index into out (grown as needed): the index of
// the user each id names, or -1 for an id no user has. Many ids (parallel.Parts) are looked up
// on every core: it only reads the index and the users, which nothing changes once every user
// is in (usersDone), as resolve requires.
func (c *compiler) resolve(ms [][]byte, out []int32) []int32 {
	out = slices.Grow(out[:0], len(ms))[:len(ms)]
	parts := parallel.Parts(len(ms))
	sums := make([]int32, parts)
	parallel.Ranges(len(ms), parts, func(part, lo, hi int) {
		var hs [fetchWindow]uint32
		for k := lo; k < hi; k++ {
			var ui int32
			var ok bool
			if c.guidIDs {
				w := (k - lo) % fetchWindow
				if w == 0 {
					sums[part] += c.fetch(ms[k:min(k+fetchWindow, hi)], hs[:])
				}
				ui, ok = c.ids.FindHashed(ms[k], hs[w], compilerIDs{c})
			} else {
				ui, ok = c.ids.FindBytes(ms[k], compilerIDs{c})
			}
			if !ok {
				ui = -1
			}
			out[k] = ui
		}
	})
	for _, v := range sums {
		c.fetched += v
	}
	return out
}

// resolvedMembers adds the members of group gi, whose ids ms resolve resolved to users (uis):
// in one pass when every id names a user once, as most groups' do; else members goes through
// them one by one, to report the first that does not in the group's order.
func (c *compiler) resolvedMembers(gi int32, id, name string, ms [][]byte, uis []int32) {
	if c.memberErr != nil || c.userErr != nil || c.groupErr != nil || c.skuErr != nil {
		return // an earlier error is what Validate reports
	}
	if !c.build {
		c.members(gi, id, name, byteMembers(ms))
		return
	}
	var out []int32
	if len(uis) > 0 {
		out = slices.Clone(uis)
		slices.Sort(out)
	}
	if len(out) > 0 && out[0] < 0 || repeats(out) { // -1 sorts first
		c.members(gi, id, name, byteMembers(ms))
		return
	}
	c.s.groups[gi].members = out
}

// repeats reports whether sorted us holds a value twice.
func repeats(us []int32) bool {
	for k := 1; k < len(us); k++ {
		if us[k] == us[k-1] {
			return true
		}
	}
	return false
}

// fetch reads, for the member ids ms (GUIDs), the memory their lookups will read: the ids
// index's slots and the users' GUIDs. Lookups one after another spend most of their time
// waiting for memory, one miss after the other; the reads here do not depend on each other, so
// the processor overlaps their misses. It leaves each id's hash in hs and returns what it read,
// for the caller to keep (so that the reads stay).
func (c *compiler) fetch(ms [][]byte, hs []uint32) int32 {
	var home [fetchWindow]int32
	for j, m := range ms {
		hs[j] = c.ids.HashBytes(m)
		home[j] = c.ids.Home(hs[j])
	}
	var sum int32
	for _, u := range home[:len(ms)] {
		if u >= 0 {
			sum += int32(c.guids[u][0])
		}
	}
	return sum
}

// memberList is a group's member ids: a Group's, or bytes LoadState's parser read (valid
// until it reads on).
type memberList interface {
	len() int
	find(c *compiler, k int) (int32, bool) // the user with member k's id
	id(k int) string
	strings() []string
}

type (
	stringMembers []string
	byteMembers   [][]byte
	// resolvedList is member ids and the users they name (resolve), once every user is in.
	resolvedList struct {
		ms  [][]byte
		uis []int32
	}
)

func (m resolvedList) len() int        { return len(m.ms) }
func (m resolvedList) id(k int) string { return string(m.ms[k]) }
func (m resolvedList) find(_ *compiler, k int) (int32, bool) {
	return m.uis[k], m.uis[k] >= 0
}
func (m resolvedList) strings() []string { return byteMembers(m.ms).strings() }

func (m stringMembers) len() int          { return len(m) }
func (m byteMembers) len() int            { return len(m) }
func (m stringMembers) id(k int) string   { return m[k] }
func (m byteMembers) id(k int) string     { return string(m[k]) }
func (m stringMembers) strings() []string { return m }
func (m stringMembers) find(c *compiler, k int) (int32, bool) {
	return c.ids.Find(m[k], compilerIDs{c})
}
func (m byteMembers) find(c *compiler, k int) (int32, bool) {
	return c.ids.FindBytes(m[k], compilerIDs{c})
}
func (m byteMembers) strings() []string {
	if m == nil {
		return nil
	}
	out := make([]string, len(m))
	for k, b := range m {
		out[k] = string(b)
	}
	return out
}

// err returns the error Validate reports: the first of the first phase that has one.
func (c *compiler) err(h header) error {
	if h.formatVersion != TenantFormatVersion {
		return errorf(InvalidInput, "tenant file formatVersion is %q, want %q", h.formatVersion, TenantFormatVersion)
	}
	if h.defaultLoc != "" && !IsCountryCode(h.defaultLoc) {
		return errorf(InvalidInput, "tenant defaultUsageLocation %s", CountryCodeProblem(h.defaultLoc))
	}
	if h.readAt != "" {
		if _, err := time.Parse(time.RFC3339, h.readAt); err != nil {
			return errorf(InvalidInput, "tenant readAt %q is not an RFC 3339 time such as \"2026-12-07T09:00:00Z\"", h.readAt)
		}
	}
	for _, part := range slices.Sorted(maps.Keys(h.readTimes)) {
		if _, err := time.Parse(time.RFC3339, h.readTimes[part]); err != nil {
			return errorf(InvalidInput, "tenant readTimes[%q] %q is not an RFC 3339 time such as \"2026-12-07T09:00:00Z\"", part, h.readTimes[part])
		}
	}
	if err := checkSubscriptions(h.subscriptions); err != nil {
		return err
	}
	if c.skuErr != nil {
		return c.skuErr
	}
	if c.groupErr != nil {
		return c.groupErr
	}
	if c.userErr != nil {
		return c.userErr
	}
	return c.memberErr
}

// finish reports the first error as Validate does or, when compiling, completes the State.
func (c *compiler) finish(h header) (*State, error) {
	c.skusEnd()
	c.usersEnd()
	if err := c.err(h); err != nil {
		return nil, err
	}
	if !c.build {
		return nil, nil
	}
	s := c.s
	s.tenantID, s.defaultLoc = h.tenantID, h.defaultLoc
	s.header = h
	s.ids, s.upns = c.ids, c.upns
	c.guids = nil
	s.idsAscend = c.idsAscend
	c.absentGroups()
	c.link()
	return s, nil
}

// absentGroups adds a group record for every group id that users' paths name but the snapshot
// does not list (a deleted group whose paths are stuck), in the order first named.
func (c *compiler) absentGroups() {
	for i := range c.refs {
		r := &c.refs[i]
		if r.group >= 0 {
			continue
		}
		r.group = int32(len(c.s.groups))
		c.s.groupByID[r.id] = r.group
		c.s.groups = append(c.s.groups, groupRec{g: &Group{ID: r.id}, absent: true})
	}
}

// link completes a State whose users, groups and members are in: each user's groups, the group
// paths the users report, consumed seats, and the group paths nobody reported, evaluated as
// Entra's group processing would (in group order, then member order).
func (c *compiler) link() {
	s := c.s
	// Each user's groups, ascending, in one array for all memberships; the users split into
	// ranges on every core, each range's memberships read from the groups' (ascending) members.
	count := make([]int32, len(s.users))
	parts := parallel.Parts(len(s.users))
	totals := make([]int, parts+1) // totals[p+1]: the memberships of range p's users
	parallel.Ranges(len(s.users), parts, func(part, lo, hi int) {
		n := 0
		for gi := range s.groups {
			ms := membersIn(s.groups[gi].members, lo, hi)
			for _, u := range ms {
				count[u]++
			}
			n += len(ms)
		}
		totals[part+1] = n
	})
	for p := range parts {
		totals[p+1] += totals[p]
	}
	all := make([]int32, totals[parts])
	parallel.Ranges(len(s.users), parts, func(part, lo, hi int) {
		off := totals[part]
		for u := lo; u < hi; u++ {
			n := int(count[u])
			if n > 0 {
				s.users[u].groups = all[off : off : off+n]
			}
			off += n
		}
		for gi := range s.groups {
			for _, u := range membersIn(s.groups[gi].members, lo, hi) {
				s.users[u].groups = append(s.users[u].groups, int32(gi))
			}
		}
	})
	reported := make([]bool, len(s.users))
	for _, u := range c.provisional {
		c.resolvePaths(u)
		reported[u] = true
	}
	var buf [16]int32
	for u := range s.users {
		for _, sub := range appendSeats(buf[:0], s.users[u].paths) {
			s.subs[sub].Consumed++
		}
	}
	// Members whose paths from a group are not all reported. On a large tenant, those who are
	// no member of a group with a SKU that may run out of seats go first, on every core
	// (evaluateMembersByUser); the others (all of them on a small tenant) follow here.
	var serial []bool // nil: every member here
	if parts > 1 {
		serial = s.seatBound(reported, parts)
		s.evaluateMembersByUser(reported, serial, parts)
	}
	// A txn per few members keeps its tables small; committing between members changes nothing,
	// as each sees the last one's effect. One txn, reset after each commit, keeps what it works
	// out per group (groupMemo).
	const batch = 16
	t := s.newTxn()
	var todo []int32
	for gi := range s.groups {
		g := &s.groups[gi]
		if len(g.licenses) == 0 {
			continue
		}
		todo = todo[:0]
		for _, u := range g.members {
			if (serial == nil || serial[u]) && unreported(reported, s.users[u].paths, u, int32(gi), g.licenses) {
				todo = append(todo, u)
			}
		}
		n := 0
		for _, u := range s.byUserID(todo) {
			t.evaluate(u, int32(gi), false) // loading removes nothing
			if n++; n == batch {
				t.commit()
				t.reset()
				n = 0
			}
		}
		t.commit()
		t.reset()
	}
}

// membersIn returns the members (ascending user indexes) in [lo, hi).
func membersIn(ms []int32, lo, hi int) []int32 {
	a, _ := slices.BinarySearch(ms, int32(lo))
	b, _ := slices.BinarySearch(ms, int32(hi))
	return ms[a:b]
}

// unreported reports whether link evaluates member u of group gi (whose licenses are lic), whose
// paths are ps: u's paths were not reported, or not all of those from the group are.
func unreported(reported []bool, ps []path, u, gi int32, lic []groupLicense) bool {
	return !reported[u] || countGroupPaths(ps, gi, lic) < len(lic)
}

// seatBound finds the SKUs that may run out of seats while link evaluates members: those
// without seats enough to add one for each membership link may evaluate (of a member whose
// paths from the group are not all reported) on top of the seats consumed now. It returns the
// members of the groups that carry such a SKU.
func (s *State) seatBound(reported []bool, parts int) []bool {
	mores := make([][]int, parts) // each range of users' own counts
	parallel.Ranges(len(s.users), parts, func(part, lo, hi int) {
		more := make([]int, len(s.subs))
		for gi := range s.groups {
			g := &s.groups[gi]
			if len(g.licenses) == 0 {
				continue
			}
			for _, u := range membersIn(g.members, lo, hi) {
				if unreported(reported, s.users[u].paths, u, int32(gi), g.licenses) {
					for _, l := range g.licenses {
						more[l.sub]++
					}
				}
			}
		}
		mores[part] = more
	})
	more := make([]int, len(s.subs))
	for _, m := range mores {
		for i, n := range m {
			more[i] += n
		}
	}
	var short []int // the groups that carry a SKU that may run out
	for gi := range s.groups {
		if slices.ContainsFunc(s.groups[gi].licenses, func(l groupLicense) bool { return s.subs[l.sub].Consumed+more[l.sub] > s.subs[l.sub].Seats() }) {
			short = append(short, gi)
		}
	}
	inGroups := make([]bool, len(s.users))
	parallel.Ranges(len(s.users), parts, func(_, lo, hi int) {
		for _, gi := range short {
			for _, u := range membersIn(s.groups[gi].members, lo, hi) {
				inGroups[u] = true
			}
		}
	})
	return inGroups
}

// evaluateMembersByUser is link's evaluation of the members whose paths from a group are not
// all reported, for the users not in skip, user by user (each user's groups in group order),
// the users split into parts ranges on goroutines of their own. Entra processes a group's members in turn, and the order matters only through
// seat counts: a member's evaluation reads and writes that member's paths, reads the groups
// (which loading does not change) and checks the seats. skip (seatBound) holds every member of
// a group whose SKU may run out of seats: the users here use only SKUs with seats for every
// evaluation in any order, and no evaluation here changes the seats of another SKU (a member's
// other paths stay as they are). Each goroutine writes only its own users' paths and counts
// its seats apart; the counts are added once all are done, before link's serial evaluation of
// the users in skip, which the counts do not change.
func (s *State) evaluateMembersByUser(reported, skip []bool, parts int) {
	seats := make([][]int, parts)
	parallel.Ranges(len(s.users), parts, func(part, lo, hi int) {
		t := s.newTxn()
		t.owned = true // each member's paths are copied out below (keep)
		var keep []path
		own := make([]int, len(s.subs))
		for u := int32(lo); u < int32(hi); u++ {
			if skip[u] {
				continue
			}
			for _, gi := range s.users[u].groups {
				if g := &s.groups[gi]; len(g.licenses) > 0 && unreported(reported, t.getPaths(u), u, gi, g.licenses) {
					t.evaluate(u, gi, false) // loading removes nothing
				}
			}
			if len(t.touched) > 0 {
				for i, v := range t.paths.users {
					ps := t.paths.paths[i]
					if len(ps) > 0 { // out of the txn's buffers, carved from shared arrays
						if len(keep)+len(ps) > cap(keep) {
							keep = make([]path, 0, max(1<<12, len(ps)))
						}
						n := len(keep)
						keep = append(keep, ps...)
						ps = keep[n:len(keep):len(keep)]
					}
					s.users[v].paths = ps
				}
				for _, i := range t.seatSubs {
					own[i] += t.seat[i]
				}
				t.reset()
			}
		}
		seats[part] = own
	})
	for _, own := range seats {
		for i, d := range own {
			s.subs[i].Consumed += d
		}
	}
}

// countGroupPaths counts the paths in ps from group gi of the SKUs it carries (its licenses lic).
func countGroupPaths(ps []path, gi int32, lic []groupLicense) int {
	n := 0
	for _, p := range ps {
		if p.group == gi && hasLicense(lic, p.sub) {
			n++
		}
	}
	return n
}

// resolvePaths keeps user u's reported group paths: those whose group lists u as a member and
// holds the SKU with the group's disabled plans (an ActiveWithError one with its own), and the stuck ones (the group is absent, no
// longer holds the SKU or no longer lists u) as reported. The order before sorting is NewState's
// of old: direct paths as reported, then group paths by group, each group's as reported, then
// the stuck paths as reported.
func (c *compiler) resolvePaths(u int32) {
	r := &c.s.users[u]
	out := c.paths[:0]
	for _, p := range r.paths {
		if p.group == -1 {
			out = append(out, p)
		}
	}
	for _, gi := range r.groups {
		g := &c.s.groups[gi]
		for _, p := range r.paths {
			if p.group < -1 && c.refs[-2-p.group].group == gi && g.has(p.sub) {
				p.group = gi
				if p.state != PathActiveWithError {
					// An ActiveWithError path keeps the plans it had: the group's change failed.
					p.dis = g.license(p.sub).dis
				}
				out = append(out, p)
			}
		}
	}
	for _, p := range r.paths {
		if p.group >= -1 {
			continue
		}
		gi := c.refs[-2-p.group].group
		p.group = gi
		if c.s.stuck(r.groups, p) {
			out = append(out, p)
		}
	}
	sortPaths(out)
	if len(out) == 0 {
		r.paths = nil
	} else {
		r.paths = r.paths[:copy(r.paths, out)]
	}
	c.paths = out[:0]
}

// addSkuToCatalog adds a subscribed SKU and its plans to c.
func addSkuToCatalog(c *Catalog, k *SubscribedSku) {
	plans := make([]ServicePlan, len(k.ServicePlans))
	for i, p := range k.ServicePlans {
		plans[i] = ServicePlan{ID: p.ServicePlanID, Name: p.ServicePlanName}
	}
	c.AddSku(Sku{ID: k.SkuID, PartNumber: k.SkuPartNumber}, plans...)
}
