package fake

import (
	"context"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

var _ planner.Tenant = (*Tenant)(nil)

// Tenant is an in-memory Entra tenant with Entra's licensing semantics. All methods are safe
// for concurrent use: one mutex guards the whole tenant. Snapshots go in and come out as copies.
type Tenant struct {
	mu    sync.Mutex
	clock Clock
	delay time.Duration

	tenantID   string
	defaultLoc string
	// signInUnknown: the snapshot could not read sign-in activity, which the fake takes for a
	// tenant without Entra ID P1 (Graph refuses $select=signInActivity).
	signInUnknown bool
	// noPremium: the tenant answers $select=signInActivity as Graph does without Entra ID P1
	// (403): the snapshot says signInActivityUnknown, or no user in it has signInActivity.
	noPremium     bool
	subscriptions []licensing.CompanySubscription // GET /directory/subscriptions; nil: none
	cat           *licensing.Catalog
	rules         *licensing.RuleIndex

	skus    []*sku
	skuByID map[licensing.SkuID]int

	users     map[string]*user // by id
	userByUPN map[string]*user // by lower-cased userPrincipalName
	userIDs   []string         // sorted: the paging order
	userOrder []*user          // snapshot order: the export order

	groups     map[string]*group
	groupIDs   []string // sorted
	groupOrder []*group // snapshot order, deleted groups left out

	queued  []*group // groups with background work, in the order queued
	history []HistoryEntry
	loading bool
}

type sku struct {
	info     licensing.SubscribedSku
	plans    licensing.PlanSet
	consumed int
}

type user struct {
	data   licensing.User // the user's own properties; license fields are derived
	usage  string
	paths  []path
	groups []string // ids of the groups the user is a direct member of, sorted
}

type groupLicense struct {
	sku      int
	disabled licensing.PlanSet
}

type group struct {
	data       licensing.Group // id, displayName and the kind fields; the rest is derived
	licenses   []groupLicense  // in SKU order
	members    []string        // sorted
	processing string
	queuedAt   time.Time
	work       map[string]Cause // members (and former members) waiting for processing
	failNext   bool             // the next processing ends in ProcessingFailed (FailNextProcessing)
}

// Option configures New and Load.
type Option func(*config)

type config struct {
	clock Clock
	delay time.Duration
	rules *licensing.Rules
}

// WithClock makes the tenant read time from c (default: the wall clock).
func WithClock(c Clock) Option { return func(o *config) { o.clock = c } }

// WithProcessingDelay sets how long group license processing takes: a group is
// QueuedForProcessing for the first half of d, ProcessingInProgress for the second, and its
// members' licenses change when d has passed. Zero (the default) processes at once.
func WithProcessingDelay(d time.Duration) Option { return func(o *config) { o.delay = d } }

// WithRules uses r instead of licensing.DefaultRules for mutual exclusions, stacking,
// prerequisites and usage-location limits.
func WithRules(r *licensing.Rules) Option { return func(o *config) { o.rules = r } }

// Load reads a tenant/v1 document and returns a tenant with it; see New.
func Load(r io.Reader, opts ...Option) (*Tenant, error) {
	snap, err := licensing.ReadSnapshot(r)
	if err != nil {
		return nil, err
	}
	return New(snap, opts...)
}

// New returns a tenant holding a copy of snap. A user's direct licenses are its
// licenseAssignmentStates with assignedByGroup null (its assignedLicenses when it has no
// licenseAssignmentStates). A reported group path that is stuck (its group is absent, does not
// carry its SKU or does not list the user as a member) is kept as reported: state, error and
// disabledPlans. The other group paths and consumedUnits are not read from snap: they are
// recomputed by processing every licensed group, in snapshot order, members in ascending id
// order, as Entra's group processing would. Every group ends ProcessingComplete.
func New(snap *licensing.Snapshot, opts ...Option) (*Tenant, error) {
	cfg := config{clock: SystemClock{}}
	for _, o := range opts {
		o(&cfg)
	}
	if snap == nil {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "fake.New: the snapshot is nil"}
	}
	if err := snap.Validate(); err != nil {
		return nil, err
	}
	rules := cfg.rules
	if rules == nil {
		rules = licensing.DefaultRules()
	}
	cat := snap.Catalog()
	t := &Tenant{
		clock:         cfg.clock,
		delay:         cfg.delay,
		tenantID:      snap.TenantID,
		defaultLoc:    snap.DefaultUsageLocation,
		signInUnknown: snap.SignInActivityUnknown,
		subscriptions: slices.Clone(snap.Subscriptions),
		cat:           cat,
		rules:         rules.Compile(cat),
		skuByID:       make(map[licensing.SkuID]int, len(snap.SubscribedSkus)),
		users:         make(map[string]*user, len(snap.Users)),
		userByUPN:     make(map[string]*user, len(snap.Users)),
		groups:        make(map[string]*group, len(snap.Groups)),
		loading:       true,
	}
	for _, k := range snap.SubscribedSkus {
		info := k
		info.ServicePlans = slices.Clone(k.ServicePlans)
		info.SubscriptionIDs = slices.Clone(k.SubscriptionIDs)
		info.ConsumedUnits = 0
		s, _ := cat.Sku(k.SkuID)
		t.skuByID[k.SkuID] = len(t.skus)
		t.skus = append(t.skus, &sku{info: info, plans: s.PlanSet()})
	}
	for _, sg := range snap.Groups {
		g := &group{
			data:       groupData(sg),
			members:    slices.Sorted(slices.Values(sg.Members)),
			processing: licensing.ProcessingComplete,
		}
		g.licenses = t.groupLicenses(sg.AssignedLicenses)
		t.groups[g.data.ID] = g
		t.groupOrder = append(t.groupOrder, g)
	}
	t.groupIDs = slices.Sorted(maps.Keys(t.groups))
	for _, su := range snap.Users {
		u := &user{data: copyUser(su), usage: su.UsageLocation}
		t.users[su.ID] = u
		if su.UserPrincipalName != "" {
			t.userByUPN[strings.ToLower(su.UserPrincipalName)] = u
		}
		t.userOrder = append(t.userOrder, u)
	}
	t.userIDs = slices.Sorted(maps.Keys(t.users))
	t.noPremium = snap.SignInActivityUnknown || !slices.ContainsFunc(snap.Users, func(u licensing.User) bool { return u.SignInActivity != nil })
	for _, g := range t.groupOrder {
		for _, m := range g.members {
			u := t.users[m]
			u.groups = append(u.groups, g.data.ID)
		}
	}
	for _, u := range t.users {
		slices.Sort(u.groups)
		u.groups = slices.Compact(u.groups)
	}
	for i, su := range snap.Users {
		u := t.userOrder[i]
		var ps []path
		if su.LicenseAssignmentStates == nil {
			for _, l := range su.AssignedLicenses {
				ps = append(ps, t.directPath(l.SkuID, l.DisabledPlans))
			}
		}
		for _, st := range su.LicenseAssignmentStates {
			if st.Direct() {
				ps = append(ps, t.directPath(st.SkuID, st.DisabledPlans))
				continue
			}
			p := t.reportedPath(st)
			if slices.ContainsFunc(ps, func(o path) bool { return o.sku == p.sku && o.group == p.group }) {
				continue
			}
			if !t.stuck(u, p) && p.state != licensing.StateActiveWithError {
				// A path the group gives as it is now has the group's disabled plans; an
				// ActiveWithError one keeps its own (the group's last change failed for u).
				for _, l := range t.groups[p.group].licenses {
					if l.sku == p.sku {
						p.disabled = l.disabled
					}
				}
			}
			ps = append(ps, p)
		}
		t.setPaths(u, ps, "")
	}
	for _, g := range t.groupOrder {
		if len(g.licenses) == 0 {
			continue
		}
		for _, m := range g.members {
			// A member whose paths from the group are all reported keeps them as reported.
			u := t.users[m]
			n := 0
			for _, p := range u.paths {
				if p.group == g.data.ID && carries(g.licenses, p.sku) {
					n++
				}
			}
			if n < len(g.licenses) {
				t.processMember(g.data.ID, u, "", true, false)
			}
		}
	}
	t.loading = false
	return t, nil
}

// reportedPath is a group path as a snapshot reports it: its state ("" is Active), error (an
// unknown name is Other) and disabled plans.
func (t *Tenant) reportedPath(st licensing.LicenseAssignmentState) path {
	kind, ok := licensing.ParseKind(st.Error)
	if !ok {
		kind = licensing.Other
	}
	state := st.State
	if state == "" {
		state = licensing.StateActive
	}
	return path{sku: t.skuByID[st.SkuID], group: *st.AssignedByGroup, disabled: t.cat.PlanSetOf(st.DisabledPlans), state: state, err: kind}
}

func copyUser(u licensing.User) licensing.User {
	c := u
	c.AssignedLicenses, c.LicenseAssignmentStates = nil, nil
	if u.AccountEnabled != nil {
		v := *u.AccountEnabled
		c.AccountEnabled = &v
	}
	if u.SignInActivity != nil {
		a := *u.SignInActivity
		c.SignInActivity = &a
	}
	c.OnPremisesExtensionAttributes = maps.Clone(u.OnPremisesExtensionAttributes)
	return c
}

func (t *Tenant) directPath(id licensing.SkuID, disabled []licensing.PlanID) path {
	return path{sku: t.skuByID[id], disabled: t.cat.PlanSetOf(disabled), state: licensing.StateActive}
}

func (t *Tenant) groupLicenses(ls []licensing.AssignedLicense) []groupLicense {
	out := make([]groupLicense, 0, len(ls))
	for _, l := range ls {
		out = append(out, groupLicense{sku: t.skuByID[l.SkuID], disabled: t.cat.PlanSetOf(l.DisabledPlans)})
	}
	slices.SortFunc(out, func(a, b groupLicense) int { return a.sku - b.sku })
	return out
}

// lock takes the tenant's mutex and runs the background group processing that is due.
func (t *Tenant) lock() {
	t.mu.Lock()
	t.runDue()
}

// TenantID returns the tenant's id.
func (t *Tenant) TenantID() string { return t.tenantID }

// Clock returns the clock the tenant reads time from.
func (t *Tenant) Clock() Clock { return t.clock }

// Catalog returns the tenant's catalog: its subscribed SKUs and their service plans, plus the
// plans the rules name. It must not be modified.
func (t *Tenant) Catalog() *licensing.Catalog { return t.cat }

// lookupUser finds a user by object id or userPrincipalName (any case).
func (t *Tenant) lookupUser(ref string) (*user, error) {
	if u, ok := t.users[ref]; ok {
		return u, nil
	}
	if u, ok := t.userByUPN[strings.ToLower(ref)]; ok {
		return u, nil
	}
	return nil, errUnknownUser(ref)
}

func (t *Tenant) lookupGroup(id string) (*group, error) {
	if g, ok := t.groups[id]; ok {
		return g, nil
	}
	return nil, errUnknownGroup(id)
}

func (u *user) target() licensing.Target {
	return licensing.Target{Type: licensing.TargetUser, ID: u.data.ID, Name: u.data.UserPrincipalName}
}

func (g *group) target() licensing.Target {
	return licensing.Target{Type: licensing.TargetGroup, ID: g.data.ID, Name: g.data.DisplayName}
}

// State returns the tenant now as a tenant/v1 snapshot (a copy): consumedUnits as counted,
// each user's assignedLicenses as Entra derives them and every assignment path in
// licenseAssignmentStates, groups with their members, licenses and licenseProcessingState.
func (t *Tenant) State() *licensing.Snapshot {
	t.lock()
	defer t.mu.Unlock()
	return t.export()
}

// Snapshot implements planner.Tenant; it is State.
func (t *Tenant) Snapshot(ctx context.Context) (*licensing.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return t.State(), nil
}

// SubscribedSkus implements planner.Tenant: the subscribed SKUs with consumedUnits now.
func (t *Tenant) SubscribedSkus(ctx context.Context) ([]licensing.SubscribedSku, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.lock()
	defer t.mu.Unlock()
	out := make([]licensing.SubscribedSku, len(t.skus))
	for i, s := range t.skus {
		out[i] = t.exportSku(s)
	}
	return out, nil
}

// User implements planner.Tenant: the user (by id or userPrincipalName) with its usageLocation,
// assignedLicenses and licenseAssignmentStates.
func (t *Tenant) User(ctx context.Context, userID string) (*licensing.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.lock()
	defer t.mu.Unlock()
	u, err := t.lookupUser(userID)
	if err != nil {
		return nil, err
	}
	out := t.exportUser(u)
	return &out, nil
}

// Group implements planner.Tenant: the group with assignedLicenses, licenseProcessingState and members.
func (t *Tenant) Group(ctx context.Context, groupID string) (*licensing.Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.lock()
	defer t.mu.Unlock()
	g, err := t.lookupGroup(groupID)
	if err != nil {
		return nil, err
	}
	out := t.exportGroup(g)
	return &out, nil
}

func (t *Tenant) export() *licensing.Snapshot {
	out := &licensing.Snapshot{
		FormatVersion:         licensing.TenantFormatVersion,
		TenantID:              t.tenantID,
		DefaultUsageLocation:  t.defaultLoc,
		SignInActivityUnknown: t.signInUnknown,
		Subscriptions:         slices.Clone(t.subscriptions),
		SubscribedSkus:        make([]licensing.SubscribedSku, len(t.skus)),
		Users:                 make([]licensing.User, len(t.userOrder)),
		Groups:                make([]licensing.Group, len(t.groupOrder)),
	}
	for i, s := range t.skus {
		out.SubscribedSkus[i] = t.exportSku(s)
	}
	for i, u := range t.userOrder {
		out.Users[i] = t.exportUser(u)
	}
	for i, g := range t.groupOrder {
		out.Groups[i] = t.exportGroup(g)
	}
	return out
}

func (t *Tenant) exportSku(s *sku) licensing.SubscribedSku {
	k := s.info
	k.ServicePlans = slices.Clone(s.info.ServicePlans)
	k.SubscriptionIDs = slices.Clone(s.info.SubscriptionIDs)
	k.ConsumedUnits = s.consumed
	if k.ID == "" {
		k.ID = t.tenantID + "_" + k.SkuID.String()
	}
	return k
}

func (t *Tenant) exportUser(u *user) licensing.User {
	out := copyUser(u.data)
	out.UsageLocation = u.usage
	out.AssignedLicenses = t.assignedLicenses(u.paths)
	if len(u.paths) > 0 { // nil otherwise, as a tenant/v1 file reads back
		out.LicenseAssignmentStates = make([]licensing.LicenseAssignmentState, len(u.paths))
		for i, p := range u.paths {
			out.LicenseAssignmentStates[i] = t.exportPath(p)
		}
	}
	return out
}

func (t *Tenant) exportPath(p path) licensing.LicenseAssignmentState {
	st := licensing.LicenseAssignmentState{
		SkuID:         t.skus[p.sku].info.SkuID,
		DisabledPlans: t.planIDs(p.disabled),
		State:         p.state,
		Error:         p.err.String(),
	}
	if p.group != "" {
		g := p.group
		st.AssignedByGroup = &g
	}
	if !p.updated.IsZero() {
		st.LastUpdatedDateTime = p.updated.UTC().Format(time.RFC3339)
	}
	return st
}

// assignedLicenses derives Graph's assignedLicenses: one entry per SKU with an active path,
// disabling the plans that no active path of that SKU enables.
func (t *Tenant) assignedLicenses(ps []path) []licensing.AssignedLicense {
	out := []licensing.AssignedLicense{}
	for i := 0; i < len(ps); {
		j := i
		var en licensing.PlanSet
		active := false
		for ; j < len(ps) && ps[j].sku == ps[i].sku; j++ {
			if ps[j].enables() {
				active = true
				en.UnionWith(t.pathPlans(ps[j]))
			}
		}
		if active {
			s := t.skus[ps[i].sku]
			out = append(out, licensing.AssignedLicense{SkuID: s.info.SkuID, DisabledPlans: t.planIDs(s.plans.Minus(en))})
		}
		i = j
	}
	return out
}

func (t *Tenant) exportGroup(g *group) licensing.Group {
	out := licensing.Group{
		ID:                     g.data.ID,
		DisplayName:            g.data.DisplayName,
		Members:                slices.Clone(g.members),
		AssignedLicenses:       t.exportGroupLicenses(g),
		LicenseProcessingState: &licensing.LicenseProcessingState{State: g.processing},
	}
	if out.Members == nil {
		out.Members = []string{}
	}
	d := groupData(g.data)
	out.GroupTypes, out.SecurityEnabled, out.MailEnabled, out.OnPremisesSyncEnabled = d.GroupTypes, d.SecurityEnabled, d.MailEnabled, d.OnPremisesSyncEnabled
	out.MembershipRule, out.MembershipRuleProcessingState = d.MembershipRule, d.MembershipRuleProcessingState
	return out
}

// groupData is the part of a snapshot group the fake keeps as it is: id, displayName and the
// kind fields (copies, so that neither the caller's snapshot nor an export shares them).
func groupData(g licensing.Group) licensing.Group {
	return licensing.Group{ID: g.ID, DisplayName: g.DisplayName, GroupTypes: slices.Clone(g.GroupTypes),
		SecurityEnabled: cloneBool(g.SecurityEnabled), MailEnabled: cloneBool(g.MailEnabled), OnPremisesSyncEnabled: cloneBool(g.OnPremisesSyncEnabled),
		MembershipRule: g.MembershipRule, MembershipRuleProcessingState: g.MembershipRuleProcessingState}
}

func cloneBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

func (t *Tenant) exportGroupLicenses(g *group) []licensing.AssignedLicense {
	out := make([]licensing.AssignedLicense, len(g.licenses))
	for i, l := range g.licenses {
		out[i] = licensing.AssignedLicense{SkuID: t.skus[l.sku].info.SkuID, DisabledPlans: t.planIDs(l.disabled)}
	}
	return out
}

// planIDs returns the ids of the plans in s in ascending id order (never nil).
func (t *Tenant) planIDs(s licensing.PlanSet) []licensing.PlanID {
	idx := s.Indexes()
	out := make([]licensing.PlanID, len(idx))
	for i, x := range idx {
		out[i] = t.cat.PlanAt(x).ID
	}
	slices.SortFunc(out, licensing.PlanID.Compare)
	return out
}
