package licensing

import (
	"encoding/json"
	"io"
	"slices"

	"github.com/licenseplan/licenseplan/internal/tenantload"
)

// LoadState reads a tenant/v1 document and compiles it: the State, and the errors, of
// NewState(ReadSnapshot(r)) without holding the document. The document is read as a stream,
// one SKU, user and group at a time, and each user keeps only its directory fields (see
// State.User) and its compiled paths; users share interned values such as departments. Memory
// stays proportional to the tenant's users rather than to the document when the document lists
// subscribedSkus before users and users before groups, as Snapshot.WriteJSON writes it; other
// orders are read correctly, with users or groups held until what they depend on has been read.
// LoadState buffers its reading itself.
//
// Unlike ReadSnapshot, which merges repeated top-level keys field by field, LoadState refuses a
// document that lists subscribedSkus, users or groups twice.
func LoadState(r io.Reader, opts ...StateOption) (*State, error) {
	if r == nil {
		return nil, errorf(InvalidInput, "LoadState: the reader is nil; pass the tenant/v1 document")
	}
	cfg := stateConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	c := newCompiler(cfg, true, true, 0, 0)
	k := &loadSink{c: c}
	err := tenantload.Load(r, k, c.pool)
	k.sync()
	if err != nil {
		switch err := err.(type) {
		case *tenantload.JSONError:
			return nil, jsonError(err.Err)
		case *tenantload.RepeatedListError:
			return nil, errorf(InvalidInput, "tenant file has %q twice", err.Field)
		}
		return nil, err
	}
	if k.doc != nil { // a document that is not an object, and decodes (null)
		return c.snapshot(k.doc)
	}
	k.skusEnd()
	h := k.h
	*k = loadSink{} // the reading's buffers are not needed any more
	return c.finish(h)
}

func jsonError(err error) error {
	return &Error{Kind: InvalidInput, Message: "tenant file is not valid tenant/v1 JSON", Err: describeJSONError(err)}
}

// loadSink is LoadState's side of internal/tenantload: it decodes with encoding/json what the
// parser leaves to it, converts the parser's records to this package's types, and feeds the
// compiler, holding users and groups read before the SKUs were complete until they are.
type loadSink struct {
	c   *compiler
	h   header    // the top-level fields
	doc *Snapshot // a document that is not an object, decoded whole

	usersEnded    bool
	pendingUsers  []pendingUser
	pendingGroups []*Group

	// Decoding and conversion buffers, reused from one user to the next; a parsed user's lists
	// are converted into its batch's (those of async.cur).
	u      User
	uis    []int32 // a large group's members (compiler.resolve)
	lics   []AssignedLicense
	states []LicenseAssignmentState
	plans  []PlanID

	async *asyncUsers // compiling parsed users on a second goroutine, or nil
}

// asyncUsers compiles parsed users and groups on a second goroutine while the parser reads on:
// once the SKUs are complete, they go to it in batches, in document order. Everything else that
// reaches the compiler waits for it (loadSink.sync), so that the compiler sees what it sees
// when it is fed on one goroutine.
type asyncUsers struct {
	cur        *userBatch
	todo, free chan *userBatch
	done       chan struct{}
	panicked   any
}

// userBatch is a batch of parsed users, with the memory of their lists, or of parsed groups,
// with their members' ids.
type userBatch struct {
	users  []User
	lics   []AssignedLicense
	states []LicenseAssignmentState
	plans  []PlanID

	groups  []batchGroup
	ids     []byte  // the groups' member ids, one after another
	ends    []int32 // where each id ends in ids
	members [][]byte
	uis     []int32  // the users the ids name (compiler.resolve)
	hashes  []uint32 // the users' ids' and userPrincipalNames' (compiler.prefetchUsers)
}

// batchGroup is a group in a batch, with how many of the batch's member ids are its own.
type batchGroup struct {
	g        *Group
	members  int
	nullList bool // members was null
}

const (
	userBatchSize  = 256
	groupBatchIDs  = 1 << 20 // bytes of member ids in a batch of groups, about: ids enough for resolve to split (parallel.MinItems)
	groupBatchSize = 64
)

// compileBatch feeds batch b to the compiler.
func (k *loadSink) compileBatch(b *userBatch) {
	if len(b.users) > 0 {
		b.hashes = k.c.prefetchUsers(b.users, b.hashes[:0])
	}
	for i := range b.users {
		k.c.hashes = b.hashes[2*i : 2*i+2]
		k.c.addUser(&b.users[i], true)
	}
	k.c.hashes = nil
	all := slices.Grow(b.members[:0], len(b.ends))
	for id := range b.ends {
		all = append(all, b.ids[k.idStart(b, id):b.ends[id]])
	}
	b.members = all
	if k.c.usersDone && len(b.groups) > 0 {
		b.uis = k.c.resolve(all, b.uis) // the batch's ids at once: on every core when many
	}
	id := 0
	for _, bg := range b.groups {
		ms := all[id : id+bg.members]
		var m memberList = byteMembers(ms)
		if bg.nullList {
			m = byteMembers(nil)
		} else if k.c.usersDone {
			m = resolvedList{ms, b.uis[id : id+bg.members]}
		}
		id += bg.members
		k.c.addGroupMembers(bg.g, m)
	}
	clear(b.users) // no strings kept alive by a batch in waiting
	clear(b.groups)
	clear(b.members[:cap(b.members)])
	b.users, b.groups, b.ids, b.ends = b.users[:0], b.groups[:0], b.ids[:0], b.ends[:0]
}

// idStart is where member id i of batch b starts.
func (k *loadSink) idStart(b *userBatch, i int) int32 {
	if i == 0 {
		return 0
	}
	return b.ends[i-1]
}

func (k *loadSink) startAsync() {
	// Room for 32 batches in waiting (8192 users): parsing and compiling take about as long,
	// and each has its hiccups (fresh memory, the collector); with room for only a few, each
	// side waited for the other a fifth of the time on a million users.
	a := &asyncUsers{todo: make(chan *userBatch, 32), free: make(chan *userBatch, 40), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		defer func() { a.panicked = recover() }()
		for b := range a.todo {
			k.compileBatch(b)
			select {
			case a.free <- b:
			default:
			}
		}
	}()
	k.async = a
	k.newBatch()
}

// batchOf returns the batch to add a user (groups false) or a group (groups true) to, starting
// the second goroutine at the first: a batch holds users or groups, never both, so that they
// reach the compiler in document order.
func (k *loadSink) batchOf(groups bool) *userBatch {
	if k.async == nil {
		k.startAsync()
	}
	if cur := k.async.cur; (groups && len(cur.users) > 0) || (!groups && len(cur.groups) > 0) {
		k.sendBatch()
		k.newBatch()
	}
	return k.async.cur
}

// newBatch starts a batch: one that came back, else a new one.
func (k *loadSink) newBatch() {
	a := k.async
	var b *userBatch
	select {
	case b = <-a.free:
	default:
		b = &userBatch{users: make([]User, 0, userBatchSize)}
	}
	a.cur = b
	k.lics, k.states, k.plans = b.lics[:0], b.states[:0], b.plans[:0]
}

// sendBatch hands the current batch to the compiling goroutine.
func (k *loadSink) sendBatch() {
	a := k.async
	b := a.cur
	b.lics, b.states, b.plans = k.lics, k.states, k.plans
	a.todo <- b
	a.cur = nil
}

// sync waits until the users handed on are compiled: the compiler is then the parser's alone.
func (k *loadSink) sync() {
	a := k.async
	if a == nil {
		return
	}
	if len(a.cur.users) > 0 || len(a.cur.groups) > 0 {
		k.sendBatch()
	}
	k.async = nil
	close(a.todo)
	<-a.done
	k.lics, k.states, k.plans = nil, nil, nil
	if a.panicked != nil {
		panic(a.panicked)
	}
}

// Decode implements tenantload.Sink: it decodes b as ReadSnapshot's decoding of the whole
// document decodes that part of it.
func (k *loadSink) Decode(p tenantload.Part, b []byte, keep bool) error {
	k.sync()
	switch p {
	case tenantload.WholeDocument:
		var snap Snapshot
		err := json.Unmarshal(b, &snap)
		if err == nil && keep {
			k.doc = &snap
		}
		return err
	case tenantload.FormatVersion:
		return json.Unmarshal(b, &k.h.formatVersion)
	case tenantload.TenantID:
		return json.Unmarshal(b, &k.h.tenantID)
	case tenantload.DefaultUsageLocation:
		return json.Unmarshal(b, &k.h.defaultLoc)
	case tenantload.DefaultUsageLocationUnknown:
		return json.Unmarshal(b, &k.h.defaultLocUnknown)
	case tenantload.ReadAt:
		return json.Unmarshal(b, &k.h.readAt)
	case tenantload.ReadTimes:
		return json.Unmarshal(b, &k.h.readTimes)
	case tenantload.Gone:
		return json.Unmarshal(b, &k.h.gone)
	case tenantload.SignInActivityUnknown:
		return json.Unmarshal(b, &k.h.signInUnknown)
	case tenantload.Subscriptions:
		return json.Unmarshal(b, &k.h.subscriptions)
	case tenantload.SkuElem:
		s := new(SubscribedSku)
		err := json.Unmarshal(b, s)
		if err == nil && keep {
			k.c.addSku(s)
		}
		return err
	case tenantload.UserElem:
		u := &k.u
		*u = User{}
		err := json.Unmarshal(b, u)
		if err == nil && keep {
			k.addUser(u, false)
		}
		return err
	case tenantload.GroupElem:
		g := new(Group)
		err := json.Unmarshal(b, g)
		if err == nil && keep {
			k.addGroup(g)
		}
		return err
	case tenantload.SkuList:
		var ks []SubscribedSku
		err := json.Unmarshal(b, &ks)
		if err == nil && keep {
			for i := range ks {
				k.c.addSku(&ks[i])
			}
		}
		return err
	case tenantload.UserList:
		var us []User
		err := json.Unmarshal(b, &us)
		if err == nil && keep {
			for i := range us {
				k.addUser(&us[i], false)
			}
		}
		return err
	case tenantload.GroupList:
		var gs []Group
		err := json.Unmarshal(b, &gs)
		if err == nil && keep {
			for i := range gs {
				k.addGroup(&gs[i])
			}
		}
		return err
	}
	panic("licensing: LoadState was handed an unknown part of the document")
}

// User implements tenantload.Sink: a user the parser read, whose strings are packed and
// interned already (compiler.compactUser).
func (k *loadSink) User(r *tenantload.User) {
	pending := !k.c.skusDone // then the user is kept: its lists in memory of its own
	var u *User
	if pending {
		u = new(User)
	} else {
		b := k.batchOf(false)
		b.users = append(b.users, User{})
		u = &b.users[len(b.users)-1]
	}
	*u = User{ID: r.ID, UserPrincipalName: r.UserPrincipalName, DisplayName: r.DisplayName, AccountEnabled: r.AccountEnabled,
		UserType: r.UserType, CreatedDateTime: r.CreatedDateTime, SignInActivity: k.signInActivity(r),
		UsageLocation: r.UsageLocation, Department: r.Department, JobTitle: r.JobTitle, OnPremisesExtensionAttributes: r.OnPremisesExtensionAttributes,
		AssignedLicenses: k.licenses(r.AssignedLicenses, pending), LicenseAssignmentStates: k.pathStates(r.LicenseAssignmentStates, pending)}
	if pending {
		k.pendingUsers = append(k.pendingUsers, pendingUser{u, true})
		return
	}
	if len(k.async.cur.users) == userBatchSize {
		k.sendBatch()
		k.newBatch()
	}
}

// Group implements tenantload.Sink: a group the parser read, with its member ids apart.
func (k *loadSink) Group(r *tenantload.Group, members [][]byte) {
	g := &Group{ID: r.ID, DisplayName: r.DisplayName, AssignedLicenses: k.licenses(r.AssignedLicenses, true), // the State keeps them
		GroupTypes: r.GroupTypes, SecurityEnabled: r.SecurityEnabled, MailEnabled: r.MailEnabled, MembershipRule: r.MembershipRule,
		MembershipRuleProcessingState: r.MembershipRuleProcessingState, OnPremisesSyncEnabled: r.OnPremisesSyncEnabled}
	if r.HasProcessingState {
		g.LicenseProcessingState = &LicenseProcessingState{State: r.ProcessingState}
	}
	if k.c.skusDone {
		size := 0
		for _, m := range members {
			size += len(m)
		}
		if size > groupBatchIDs { // a group this large is resolved here, not copied
			k.sync()
			var m memberList = byteMembers(members)
			if k.c.usersDone && members != nil {
				k.uis = k.c.resolve(members, k.uis)
				m = resolvedList{members, k.uis}
			}
			k.c.addGroupMembers(g, m)
			return
		}
		b := k.batchOf(true)
		if b.ids == nil { // room for a batch's ids: a batch is reused, and this is its memory for them
			b.ids, b.ends = make([]byte, 0, groupBatchIDs+groupBatchIDs/4), make([]int32, 0, groupBatchIDs/32)
		}
		b.groups = append(b.groups, batchGroup{g: g, members: len(members), nullList: members == nil})
		for _, m := range members {
			b.ids = append(b.ids, m...)
			b.ends = append(b.ends, int32(len(b.ids)))
		}
		if len(b.groups) == groupBatchSize || len(b.ids) >= groupBatchIDs {
			k.sendBatch()
			k.newBatch()
		}
		return
	}
	g.Members = byteMembers(members).strings()
	k.pendingGroups = append(k.pendingGroups, g)
}

// End implements tenantload.Sink.
func (k *loadSink) End(p tenantload.Part) {
	k.sync()
	switch p {
	case tenantload.SkuList:
		k.skusEnd()
	case tenantload.UserList:
		k.usersEnded = true
		if k.c.skusDone {
			k.c.usersEnd()
		}
	}
}

// licenses converts the parser's assignedLicenses: into k's buffers, or into memory of their
// own (keep). nil stays nil and [] empty, as encoding/json stores them.
func (k *loadSink) licenses(ls []tenantload.License, keep bool) []AssignedLicense {
	switch {
	case ls == nil:
		return nil
	case len(ls) == 0:
		return []AssignedLicense{}
	}
	out := k.lics
	if keep {
		out = make([]AssignedLicense, 0, len(ls))
	}
	start := len(out)
	for _, l := range ls {
		out = append(out, AssignedLicense{SkuID: SkuID(l.SkuID), DisabledPlans: k.planIDs(l.DisabledPlans, keep)})
	}
	if !keep {
		k.lics = out
	}
	return out[start:len(out):len(out)]
}

// pathStates converts the parser's licenseAssignmentStates as licenses does.
func (k *loadSink) pathStates(ps []tenantload.PathState, keep bool) []LicenseAssignmentState {
	switch {
	case ps == nil:
		return nil
	case len(ps) == 0:
		return []LicenseAssignmentState{}
	}
	out := k.states
	if keep {
		out = make([]LicenseAssignmentState, 0, len(ps))
	}
	start := len(out)
	for _, p := range ps {
		out = append(out, LicenseAssignmentState{SkuID: SkuID(p.SkuID), DisabledPlans: k.planIDs(p.DisabledPlans, keep),
			AssignedByGroup: p.AssignedByGroup, State: p.State, Error: p.Error, LastUpdatedDateTime: p.LastUpdatedDateTime})
	}
	if !keep {
		k.states = out
	}
	return out[start:len(out):len(out)]
}

// planIDs converts disabledPlans as licenses does.
func (k *loadSink) planIDs(ps [][16]byte, keep bool) []PlanID {
	switch {
	case ps == nil:
		return nil
	case len(ps) == 0:
		return []PlanID{}
	}
	out := k.plans
	if keep {
		out = make([]PlanID, 0, len(ps))
	}
	start := len(out)
	for _, p := range ps {
		out = append(out, PlanID(p))
	}
	if !keep {
		k.plans = out
	}
	return out[start:len(out):len(out)]
}

// addUser compiles user u now, or once the SKUs are complete (then a copy: what u points to may
// be reused); parsed says it comes from the parser (compiler.addUser).
func (k *loadSink) addUser(u *User, parsed bool) {
	if k.c.skusDone {
		k.c.addUser(u, parsed)
		return
	}
	k.pendingUsers = append(k.pendingUsers, pendingUser{cloneUser(u), parsed})
}

// pendingUser is a user read before the SKUs were complete.
type pendingUser struct {
	u      *User
	parsed bool
}

// cloneUser copies u and its lists.
func cloneUser(u *User) *User {
	c := *u
	c.AssignedLicenses = cloneLicenses(u.AssignedLicenses)
	c.LicenseAssignmentStates = slices.Clone(u.LicenseAssignmentStates)
	for i := range c.LicenseAssignmentStates {
		st := &c.LicenseAssignmentStates[i]
		st.DisabledPlans = slices.Clone(st.DisabledPlans)
	}
	return &c
}

func cloneLicenses(ls []AssignedLicense) []AssignedLicense {
	out := slices.Clone(ls)
	for i := range out {
		out[i].DisabledPlans = slices.Clone(out[i].DisabledPlans)
	}
	return out
}

func (k *loadSink) addGroup(g *Group) {
	if k.c.skusDone {
		k.c.addGroup(g)
		return
	}
	k.pendingGroups = append(k.pendingGroups, g)
}

// skusEnd completes the SKUs and compiles what waited for them.
func (k *loadSink) skusEnd() {
	if k.c.skusDone {
		return
	}
	k.c.skusEnd()
	for _, p := range k.pendingUsers {
		k.c.addUser(p.u, p.parsed)
	}
	if k.usersEnded {
		k.c.usersEnd()
	}
	for _, g := range k.pendingGroups {
		k.c.addGroup(g)
	}
	k.pendingUsers, k.pendingGroups = nil, nil
}
