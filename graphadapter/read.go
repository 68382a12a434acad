package graphadapter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/directory"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/organization"
	"github.com/microsoftgraph/msgraph-sdk-go/subscribedskus"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/licenseplan/licenseplan/licensing"
)

// userSelect is what Snapshot, EachUser and User read of a user. licenseDetails is deliberately
// not used: application permissions cannot read it; assignedLicenses and licenseAssignmentStates
// carry the same facts plus the assignment paths. userType and createdDateTime need nothing
// beyond User.Read.All.
var userSelect = []string{
	"id", "userPrincipalName", "displayName", "accountEnabled", "userType", "createdDateTime", "usageLocation", "department", "jobTitle",
	"onPremisesExtensionAttributes", "assignedLicenses", "licenseAssignmentStates",
}

// signInSelect is userSelect and signInActivity, what Snapshot's user listing asks for first.
// signInActivity needs AuditLog.Read.All and Microsoft Entra ID P1 or P2, and pages of at most
// signInPageSize users (List users, Graph v1.0: "When signInActivity is selected or filtered on,
// the maximum page size is 500").
var signInSelect = append(slices.Clone(userSelect), "signInActivity")

const signInPageSize int32 = 500

// groupSelect is what Snapshot and Group read of a group: the licensing fields and the group's
// kind (which groups can carry licenses, whose members Graph can change). All are readable with
// GroupMember.Read.All; groupTypes, securityEnabled, mailEnabled, membershipRule,
// membershipRuleProcessingState and onPremisesSyncEnabled are default properties of a group
// (List groups, Graph v1.0), assignedLicenses and licenseProcessingState only with $select.
var groupSelect = []string{"id", "displayName", "assignedLicenses", "licenseProcessingState",
	"groupTypes", "securityEnabled", "mailEnabled", "membershipRule", "membershipRuleProcessingState", "onPremisesSyncEnabled"}

// pageSize is Graph's largest $top for users, groups and members.
const pageSize int32 = 999

// maxRestarts is how many times a listing starts again after Graph refused an expired page token.
const maxRestarts = 5

// Snapshot reads the tenant as tenant/v1: GET /subscribedSkus; GET /organization (the tenant id
// and default country, unless the options give them); every user (GET /users with $select and
// $top=999); every group (GET /groups with $select of the licensing fields and $top=999),
// keeping those with licenses (filtered here: Graph documents assignedLicenses/$count for users,
// not for groups, and Microsoft's own scripts list the groups and filter them locally); and each
// licensed group's direct user members (GET /groups/{id}/members/microsoft.graph.user). Every
// listing follows each @odata.nextLink; pages are converted as they arrive and dropped.
//
// A live tenant changes while it is read, and Graph is eventually consistent. Snapshot keeps going:
//   - each request is retried within RetryPolicy.ReadBudget (Retry-After waited out up to it);
//   - a listing whose page token expired (400 Directory_ExpiredPageToken) starts again from its
//     first page, up to 5 times; objects seen twice are kept once, as last read;
//   - a member that is not among the users listed, and a group that a user's assignment path
//     names and that is not among the licensed groups, is fetched by id (GET /users/{id},
//     GET /groups/{id} and its members) and kept; if Graph answers 404 it is recorded in
//     Snapshot.Gone, a gone user is dropped from the members, and a path naming a gone group is
//     kept as it is (a stuck path);
//   - GET /organization is retried like any read; only 403 (no Organization.Read.All) is
//     tolerated: the snapshot then says DefaultUsageLocationUnknown, and the logger warns.
//   - GET /directory/subscriptions (the tenant's companySubscriptions, Snapshot.Subscriptions;
//     Organization.Read.All too) is retried like any read; a 403 is tolerated: the snapshot
//     then has no subscriptions (nil: unknown), and the logger warns once.
//   - The user listing asks for signInActivity too (unless WithoutSignInActivity), 500 users a
//     page. When Graph refuses it with 403 (the app lacks AuditLog.Read.All, or the tenant
//     Microsoft Entra ID P1: "Neither tenant is B2C or tenant doesn't have premium license"),
//     on the first page or a later one, the listing starts again without it: the snapshot then
//     says SignInActivityUnknown, no user has signInActivity, and the logger warns once. When
//     Graph serves it, a user it returns without signInActivity (Graph leaves it out for a user
//     with no recorded sign-in) gets an empty one ({}: read, nothing recorded), and Graph's
//     placeholder time 0001-01-01T00:00:00Z is left out. A user fetched by id (below) is read
//     without signInActivity: unknown for that user.
//
// ReadAt is when the read began and ReadTimes when each part ("subscribedSkus", "organization",
// "subscriptions", "users", "groups", "members", "lookups") began. The tenant id comes from WithTenantID, the
// subscribedSku ids or /organization. WithProgress reports the read as it goes. The snapshot is
// as Graph reports it; call its Validate to check it.
func (t *Tenant) Snapshot(ctx context.Context) (*licensing.Snapshot, error) {
	start := t.now()
	var prog *progress
	if t.progress != nil {
		prog = &progress{fn: t.progress, now: t.now, start: start}
	}
	ctx = withProgress(ctx, prog)
	times := map[string]string{}
	begin := func(part string) {
		times[part] = t.now().UTC().Format(time.RFC3339)
		prog.part(part)
	}

	begin("subscribedSkus")
	skus, err := t.SubscribedSkus(ctx)
	if err != nil {
		return nil, err
	}
	s := &licensing.Snapshot{
		FormatVersion:        licensing.TenantFormatVersion,
		TenantID:             t.tenantID,
		DefaultUsageLocation: t.defaultUsageLocation,
		ReadAt:               start.UTC().Format(time.RFC3339),
		ReadTimes:            times,
		SubscribedSkus:       skus,
		Users:                []licensing.User{},
		Groups:               []licensing.Group{},
	}
	if s.TenantID == "" {
		s.TenantID = tenantFromSkus(skus)
	}
	if s.DefaultUsageLocation == "" || s.TenantID == "" {
		begin("organization")
		org, err := t.organization(ctx)
		if err != nil {
			return nil, err
		}
		if s.DefaultUsageLocation == "" {
			s.DefaultUsageLocation = org.country
			s.DefaultUsageLocationUnknown = org.denied
		}
		if s.TenantID == "" {
			s.TenantID = org.id
		}
	}

	begin("subscriptions")
	subs, err := t.CompanySubscriptions(ctx)
	if re := responseError(err); re != nil && re.StatusCode == http.StatusForbidden {
		t.log.WarnContext(ctx, "graph /directory/subscriptions refused (403): the snapshot has no subscriptions, so their renewal and trial dates are unknown; grant Organization.Read.All",
			"code", re.Code)
		subs, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.Subscriptions = subs

	r := &snapshotRead{t: t, s: s, users: map[string]int{}, groups: map[string]int{}, unlicensed: map[string]licensing.Group{},
		goneUsers: map[string]bool{}, goneGroups: map[string]bool{}, looked: map[string]bool{}}
	if prog != nil {
		if n, ok := t.userCount(ctx); ok {
			prog.update(func(q *Progress) { q.UsersTotal = n })
		}
	}
	begin("users")
	if err := r.readUsers(ctx); err != nil {
		return nil, err
	}
	begin("groups")
	if err := r.readGroups(ctx); err != nil {
		return nil, err
	}
	begin("members")
	if err := r.readMembers(ctx, 0); err != nil {
		return nil, err
	}
	if err := r.resolve(ctx, begin); err != nil {
		return nil, err
	}
	r.finish()
	prog.part("done")
	return s, nil
}

// snapshotRead is one Snapshot's state: the objects read so far, by id.
type snapshotRead struct {
	t          *Tenant
	s          *licensing.Snapshot
	users      map[string]int             // lower-case id → index in s.Users
	groups     map[string]int             // lower-case id → index in s.Groups
	unlicensed map[string]licensing.Group // groups listed without licenses, in case a path names one
	goneUsers  map[string]bool            // lower-case id → Graph said 404
	goneGroups map[string]bool
	looked     map[string]bool // "u:"/"g:" + lower-case id: fetched by id already
}

func key(id string) string { return strings.ToLower(id) }

// readUsers lists every user, with signInActivity unless WithoutSignInActivity or Graph refuses
// it (then again without it); a user listed twice (after a restart) is kept once, as last read.
func (r *snapshotRead) readUsers(ctx context.Context) error {
	restart := func() { progressFrom(ctx).update(func(q *Progress) { q.Users = 0 }) }
	add := func(u licensing.User) error {
		r.addUser(u)
		return nil
	}
	signIn := !r.t.noSignInActivity
	err := r.t.eachUser(ctx, signIn, restart, add)
	if re := responseError(err); signIn && re != nil && re.StatusCode == http.StatusForbidden {
		r.t.log.WarnContext(ctx, "graph refused the users' signInActivity (403): the snapshot has no sign-in activity (signInActivityUnknown), and nobody can be called inactive on it; reading it needs AuditLog.Read.All and Microsoft Entra ID P1 or P2",
			"code", re.Code)
		signIn = false
		clear(r.users)
		r.s.Users = r.s.Users[:0]
		restart()
		err = r.t.eachUser(ctx, false, restart, add)
	}
	if err != nil {
		return err
	}
	r.s.SignInActivityUnknown = !signIn
	if signIn {
		for i := range r.s.Users {
			if r.s.Users[i].SignInActivity == nil {
				r.s.Users[i].SignInActivity = &licensing.SignInActivity{} // read: nothing recorded
			}
		}
	}
	return nil
}

func (r *snapshotRead) addUser(u licensing.User) {
	k := key(u.ID)
	if i, ok := r.users[k]; ok {
		r.s.Users[i] = u
		return
	}
	r.users[k] = len(r.s.Users)
	r.s.Users = append(r.s.Users, u)
}

func (r *snapshotRead) addGroup(g licensing.Group) int {
	k := key(g.ID)
	if i, ok := r.groups[k]; ok {
		r.s.Groups[i] = g
		return i
	}
	r.groups[k] = len(r.s.Groups)
	r.s.Groups = append(r.s.Groups, g)
	return len(r.s.Groups) - 1
}

// readGroups lists every group and keeps those with licenses; the others are remembered in
// case an assignment path names one (its license was removed while the path remains).
func (r *snapshotRead) readGroups(ctx context.Context) error {
	return r.t.eachGroup(ctx, func() {}, func(g licensing.Group) error {
		if len(g.AssignedLicenses) == 0 {
			r.unlicensed[key(g.ID)] = g
			return nil
		}
		delete(r.unlicensed, key(g.ID))
		r.addGroup(g)
		progressFrom(ctx).update(func(q *Progress) { q.Groups = len(r.s.Groups) })
		return nil
	})
}

// readMembers reads the members of the groups from index from on, a few groups at a time. A
// group that Graph no longer has (404) is dropped and recorded as gone.
func (r *snapshotRead) readMembers(ctx context.Context, from int) error {
	gs := r.s.Groups[from:]
	missing := make([]bool, len(gs))
	err := parallel(ctx, r.t.memberConcurrency, len(gs), func(ctx context.Context, i int) error {
		members, err := r.t.GroupMembers(ctx, gs[i].ID)
		if isKind(err, licensing.UnknownGroup) {
			missing[i] = true
			err = nil
		}
		if err != nil {
			return err
		}
		gs[i].Members = members
		progressFrom(ctx).update(func(q *Progress) { q.GroupsRead++ })
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(gs) - 1; i >= 0; i-- {
		if missing[i] {
			r.t.log.InfoContext(ctx, "graph group deleted while the tenant was read", "group", gs[i].ID)
			r.goneGroups[key(gs[i].ID)] = true
			r.removeGroup(from + i)
		}
	}
	return nil
}

func (r *snapshotRead) removeGroup(i int) {
	r.s.Groups = append(r.s.Groups[:i], r.s.Groups[i+1:]...)
	clear(r.groups)
	for j, g := range r.s.Groups {
		r.groups[key(g.ID)] = j
	}
}

// resolve fetches by id what members and paths name and the listings did not return, until
// nothing is missing: a group found brings its members, a user found its paths.
func (r *snapshotRead) resolve(ctx context.Context, begin func(string)) error {
	started := false
	for {
		var groupIDs, userIDs []string
		for _, u := range r.s.Users {
			for _, st := range u.LicenseAssignmentStates {
				if st.Direct() {
					continue
				}
				id := *st.AssignedByGroup
				k := key(id)
				if _, ok := r.groups[k]; ok || r.goneGroups[k] || r.looked["g:"+k] {
					continue
				}
				r.looked["g:"+k] = true
				if g, ok := r.unlicensed[k]; ok {
					// Listed without licenses: no need to fetch it again, only its members.
					delete(r.unlicensed, k)
					g.Members = nil
					r.addGroup(g)
					continue
				}
				groupIDs = append(groupIDs, id)
			}
		}
		for _, g := range r.s.Groups {
			for _, m := range g.Members {
				k := key(m)
				if _, ok := r.users[k]; ok || r.goneUsers[k] || r.looked["u:"+k] {
					continue
				}
				r.looked["u:"+k] = true
				userIDs = append(userIDs, m)
			}
		}
		unread := 0
		for _, g := range r.s.Groups {
			if g.Members == nil {
				unread++
			}
		}
		if len(groupIDs) == 0 && len(userIDs) == 0 && unread == 0 {
			return nil
		}
		if !started {
			begin("lookups")
			started = true
		}
		if err := r.lookupGroups(ctx, groupIDs); err != nil {
			return err
		}
		if err := r.lookupUsers(ctx, userIDs); err != nil {
			return err
		}
		// Groups added since the members were read (Members nil): move them to the end, read theirs.
		var done, todo []licensing.Group
		for _, g := range r.s.Groups {
			if g.Members == nil {
				todo = append(todo, g)
			} else {
				done = append(done, g)
			}
		}
		if len(todo) > 0 {
			r.s.Groups = append(done, todo...)
			clear(r.groups)
			for j, g := range r.s.Groups {
				r.groups[key(g.ID)] = j
			}
			progressFrom(ctx).update(func(q *Progress) { q.Groups = len(r.s.Groups) })
			if err := r.readMembers(ctx, len(done)); err != nil {
				return err
			}
		}
	}
}

// lookupGroups fetches groups by id: kept if Graph has them, recorded as gone on 404.
func (r *snapshotRead) lookupGroups(ctx context.Context, ids []string) error {
	found := make([]*licensing.Group, len(ids))
	err := parallel(ctx, r.t.memberConcurrency, len(ids), func(ctx context.Context, i int) error {
		g, err := r.t.Group(ctx, ids[i])
		progressFrom(ctx).update(func(q *Progress) {
			q.Lookups++
			if isKind(err, licensing.UnknownGroup) {
				q.Gone++
			}
		})
		if isKind(err, licensing.UnknownGroup) {
			return nil
		}
		found[i] = g
		return err
	})
	if err != nil {
		return err
	}
	for i, g := range found {
		if g == nil {
			r.t.log.InfoContext(ctx, "graph group named by an assignment path does not exist (404); the path is kept as stuck", "group", ids[i])
			r.goneGroups[key(ids[i])] = true
			continue
		}
		g.Members = nil // read with the other groups added
		r.addGroup(*g)
	}
	return nil
}

// lookupUsers fetches users by id: kept if Graph has them, recorded as gone on 404.
func (r *snapshotRead) lookupUsers(ctx context.Context, ids []string) error {
	found := make([]*licensing.User, len(ids))
	err := parallel(ctx, r.t.memberConcurrency, len(ids), func(ctx context.Context, i int) error {
		u, err := r.t.User(ctx, ids[i])
		progressFrom(ctx).update(func(q *Progress) {
			q.Lookups++
			if isKind(err, licensing.UnknownUser) {
				q.Gone++
			}
		})
		if isKind(err, licensing.UnknownUser) {
			return nil
		}
		found[i] = u
		return err
	})
	if err != nil {
		return err
	}
	for i, u := range found {
		if u == nil {
			r.t.log.InfoContext(ctx, "graph user named as a group member does not exist (404); dropped from the members", "user", ids[i])
			r.goneUsers[key(ids[i])] = true
			continue
		}
		r.addUser(*u)
		progressFrom(ctx).update(func(q *Progress) { q.Users++ })
	}
	return nil
}

// finish drops gone users from the members and records what was gone.
func (r *snapshotRead) finish() {
	if len(r.goneUsers) == 0 && len(r.goneGroups) == 0 {
		return
	}
	for i := range r.s.Groups {
		ms := r.s.Groups[i].Members[:0]
		for _, m := range r.s.Groups[i].Members {
			if !r.goneUsers[key(m)] {
				ms = append(ms, m)
			}
		}
		r.s.Groups[i].Members = ms
	}
	gone := &licensing.GoneObjects{}
	for id := range r.goneUsers {
		gone.Users = append(gone.Users, id)
	}
	for id := range r.goneGroups {
		gone.Groups = append(gone.Groups, id)
	}
	slices.Sort(gone.Users)
	slices.Sort(gone.Groups)
	r.s.Gone = gone
}

// isKind reports whether err is a *licensing.Error of kind k.
func isKind(err error, k licensing.Kind) bool {
	var le *licensing.Error
	return errors.As(err, &le) && le.Kind == k
}

// parallel runs fn(i) for i in [0, n) on at most workers goroutines and returns the first error
// (the others are then not started).
func parallel(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// tenantFromSkus takes the tenant id from a subscribedSku id, which Graph forms as "tenantId_skuId".
func tenantFromSkus(skus []licensing.SubscribedSku) string {
	for _, k := range skus {
		if i := strings.IndexByte(k.ID, '_'); i > 0 {
			if _, err := licensing.ParseGUID(k.ID[:i]); err == nil {
				return k.ID[:i]
			}
		}
	}
	return ""
}

// org is what GET /organization says: the tenant id and country; denied when Graph answered 403.
type org struct {
	id, country string
	denied      bool
}

// organization reads the tenant id and default country (GET /organization, retried like any
// read). Only a 403 (the app lacks Organization.Read.All) is tolerated: the country is then
// unknown, and the logger warns. Any other failure fails the read.
func (t *Tenant) organization(ctx context.Context) (org, error) {
	c := call{method: "GET", path: "/organization"}
	ri, err := t.client.Organization().ToGetRequestInformation(ctx, &organization.OrganizationRequestBuilderGetRequestConfiguration{
		QueryParameters: &organization.OrganizationRequestBuilderGetQueryParameters{Select: []string{"id", "countryLetterCode"}},
	})
	if err != nil {
		return org{}, t.mapError(ctx, c, err)
	}
	var o org
	err = eachItem(ctx, t, c, ri, models.CreateOrganizationCollectionResponseFromDiscriminatorValue, func(m models.Organizationable) error {
		if o.id == "" && m.GetId() != nil {
			o.id = *m.GetId()
		}
		if o.country == "" && m.GetCountryLetterCode() != nil {
			o.country = strings.ToUpper(*m.GetCountryLetterCode())
		}
		return nil
	})
	var re *ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusForbidden {
		t.log.WarnContext(ctx, "graph /organization refused (403): the tenant's default usage location is unknown; grant Organization.Read.All or give WithDefaultUsageLocation",
			"code", re.Code)
		return org{denied: true}, nil
	}
	if err != nil {
		return org{}, err
	}
	return o, nil
}

// userCount is GET /users/$count (ConsistencyLevel: eventual), best effort, for the progress' ETA.
func (t *Tenant) userCount(ctx context.Context) (int, bool) {
	headers := abs.NewRequestHeaders()
	headers.Add("ConsistencyLevel", "eventual")
	ri, err := t.client.Users().Count().ToGetRequestInformation(ctx, &users.CountRequestBuilderGetRequestConfiguration{Headers: headers})
	if err != nil {
		return 0, false
	}
	var n any
	err = guard(func() error {
		var err error
		n, err = t.adapter.SendPrimitive(ctx, ri, "int32", errorMapping)
		return err
	})
	if err != nil {
		t.log.DebugContext(ctx, "graph /users/$count not available; no ETA", "error", t.mapError(ctx, call{method: "GET", path: "/users/$count"}, err).Error())
		return 0, false
	}
	if p, ok := n.(*int32); ok && p != nil && *p > 0 {
		return int(*p), true
	}
	return 0, false
}

// SubscribedSkus is GET /subscribedSkus: the tenant's SKUs with their seats and service plans.
func (t *Tenant) SubscribedSkus(ctx context.Context) ([]licensing.SubscribedSku, error) {
	c := call{method: "GET", path: "/subscribedSkus"}
	ri, err := t.client.SubscribedSkus().ToGetRequestInformation(ctx, &subscribedskus.SubscribedSkusRequestBuilderGetRequestConfiguration{})
	if err != nil {
		return nil, t.mapError(ctx, c, err)
	}
	out := []licensing.SubscribedSku{}
	err = eachItem(ctx, t, c, ri, models.CreateSubscribedSkuCollectionResponseFromDiscriminatorValue, func(m models.SubscribedSkuable) error {
		k, err := skuFromModel(m)
		if err != nil {
			return err
		}
		out = append(out, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CompanySubscriptions is GET /directory/subscriptions: the tenant's commercial subscriptions
// (Graph's companySubscription, https://learn.microsoft.com/graph/api/resources/companysubscription),
// never nil on success. It needs Organization.Read.All; without it Graph answers 403 (a
// *licensing.Error whose Err is a *ResponseError with StatusCode 403). A subscription without an
// id or a GUID skuId is left out, and the logger warns.
func (t *Tenant) CompanySubscriptions(ctx context.Context) ([]licensing.CompanySubscription, error) {
	c := call{method: "GET", path: "/directory/subscriptions"}
	ri, err := t.client.Directory().Subscriptions().ToGetRequestInformation(ctx, &directory.SubscriptionsRequestBuilderGetRequestConfiguration{})
	if err != nil {
		return nil, t.mapError(ctx, c, err)
	}
	out := []licensing.CompanySubscription{}
	err = eachItem(ctx, t, c, ri, models.CreateCompanySubscriptionCollectionResponseFromDiscriminatorValue, func(m models.CompanySubscriptionable) error {
		sub, ok := subscriptionFromModel(m)
		if !ok {
			t.log.WarnContext(ctx, "graph listed a companySubscription without an id or a skuId that is a GUID; left out", "id", sub.ID, "skuPartNumber", sub.SkuPartNumber)
			return nil
		}
		out = append(out, sub)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachUser calls fn with every user of the tenant, page by page (GET /users with $select and
// $top=999, following @odata.nextLink), without holding more than one page and the ids seen. When
// Graph refuses an expired page token, the listing starts again and the users already passed to
// fn are not passed again. It stops at fn's first error and returns it.
func (t *Tenant) EachUser(ctx context.Context, fn func(licensing.User) error) error {
	seen := map[[16]byte]struct{}{}
	other := map[string]struct{}{} // ids that are not GUIDs (never from Graph, but kept apart)
	return t.eachUser(ctx, false, func() {}, func(u licensing.User) error {
		if g, err := licensing.ParseGUID(u.ID); err == nil {
			if _, ok := seen[g]; ok {
				return nil
			}
			seen[g] = struct{}{}
		} else {
			if _, ok := other[u.ID]; ok {
				return nil
			}
			other[u.ID] = struct{}{}
		}
		return fn(u)
	})
}

// eachUser lists the users, with signInActivity when signIn is set; restart is called when the
// listing starts again from its first page.
func (t *Tenant) eachUser(ctx context.Context, signIn bool, restart func(), fn func(licensing.User) error) error {
	c := call{method: "GET", path: "/users", listing: "users"}
	top, sel := pageSize, userSelect
	if signIn {
		top, sel = signInPageSize, signInSelect
	}
	first := func() (*abs.RequestInformation, error) {
		return t.client.Users().ToGetRequestInformation(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: sel, Top: &top},
		})
	}
	return list(ctx, t, c, first, models.CreateUserCollectionResponseFromDiscriminatorValue, restart, func(m models.Userable) error {
		u, err := userFromModel(m)
		if err != nil {
			return err
		}
		return fn(u)
	})
}

// User is GET /users/{id} with the licensing properties. A missing user is UnknownUser.
func (t *Tenant) User(ctx context.Context, userID string) (*licensing.User, error) {
	c := call{method: "GET", path: "/users/" + userID, user: userID}
	if err := checkID("user", userID); err != nil {
		return nil, err
	}
	ri, err := t.client.Users().ByUserId(userID).ToGetRequestInformation(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: userSelect},
	})
	if err != nil {
		return nil, t.mapError(ctx, c, err)
	}
	res, err := t.send(ctx, c, ri, models.CreateUserFromDiscriminatorValue)
	if err != nil {
		return nil, err
	}
	m, ok := res.(models.Userable)
	if !ok {
		return nil, malformed(c, fmt.Errorf("got %T, want a user", res))
	}
	u, err := userFromModel(m)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// Group is GET /groups/{id} with assignedLicenses and licenseProcessingState. Members is nil:
// GroupMembers reads them. A missing group is UnknownGroup.
func (t *Tenant) Group(ctx context.Context, groupID string) (*licensing.Group, error) {
	c := call{method: "GET", path: "/groups/" + groupID, group: groupID}
	if err := checkID("group", groupID); err != nil {
		return nil, err
	}
	ri, err := t.client.Groups().ByGroupId(groupID).ToGetRequestInformation(ctx, &groups.GroupItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupItemRequestBuilderGetQueryParameters{Select: groupSelect},
	})
	if err != nil {
		return nil, t.mapError(ctx, c, err)
	}
	res, err := t.send(ctx, c, ri, models.CreateGroupFromDiscriminatorValue)
	if err != nil {
		return nil, err
	}
	m, ok := res.(models.Groupable)
	if !ok {
		return nil, malformed(c, fmt.Errorf("got %T, want a group", res))
	}
	g, err := groupFromModel(m)
	if err != nil {
		return nil, err
	}
	g.Members = nil
	return &g, nil
}

// GroupMembers lists the ids of a group's direct user members
// (GET /groups/{id}/members/microsoft.graph.user?$select=id&$top=999, all pages).
func (t *Tenant) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	c := call{method: "GET", path: "/groups/" + groupID + "/members/microsoft.graph.user", group: groupID}
	if err := checkID("group", groupID); err != nil {
		return nil, err
	}
	// The SDK's template says /members/graph.user; Graph documents (and the fake serves) the
	// full cast name, so the URL is given whole.
	raw := fmt.Sprintf("%s/groups/%s/members/microsoft.graph.user?$select=id&$top=%d", t.root, url.PathEscape(groupID), pageSize)
	first := func() (*abs.RequestInformation, error) {
		return groups.NewItemMembersGraphUserRequestBuilder(raw, t.adapter).ToGetRequestInformation(ctx, nil)
	}
	c.listing = "members"
	members := []string{}
	restart := func() { members = members[:0] }
	err := list(ctx, t, c, first, models.CreateUserCollectionResponseFromDiscriminatorValue, restart, func(m models.Userable) error {
		if id := m.GetId(); id != nil && *id != "" {
			members = append(members, *id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return members, nil
}

// eachGroup lists every group with the licensing fields (GET /groups?$select=…&$top=999). It uses
// no $filter: Graph documents assignedLicenses/$count for users only, and answers
// Request_UnsupportedQuery (400) to filters it does not support on groups; Microsoft's own scripts
// list the groups with AssignedLicenses and filter them locally, as Snapshot does.
func (t *Tenant) eachGroup(ctx context.Context, restart func(), fn func(licensing.Group) error) error {
	c := call{method: "GET", path: "/groups", listing: "groups"}
	top := pageSize
	first := func() (*abs.RequestInformation, error) {
		return t.client.Groups().ToGetRequestInformation(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
			QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{Select: groupSelect, Top: &top},
		})
	}
	return list(ctx, t, c, first, models.CreateGroupCollectionResponseFromDiscriminatorValue, restart, func(m models.Groupable) error {
		g, err := groupFromModel(m)
		if err != nil {
			return err
		}
		return fn(g)
	})
}

// list reads a listing from its first request (built by first) to its last page. When Graph
// refuses a next page because its token expired (Directory_ExpiredPageToken), the listing starts
// again from the first page, at most maxRestarts times; restart is called before, so that the
// caller can drop or de-duplicate what it has.
func list[T any](ctx context.Context, t *Tenant, c call, first func() (*abs.RequestInformation, error), factory absser.ParsableFactory, restart func(), fn func(T) error) error {
	for restarts := 0; ; restarts++ {
		ri, err := first()
		if err != nil {
			return t.mapError(ctx, c, err)
		}
		err = eachItem(ctx, t, c, ri, factory, fn)
		if err == nil || restarts >= maxRestarts || !expiredPageToken(err) {
			return err
		}
		t.log.WarnContext(ctx, "graph page token expired; listing again from the first page", "path", c.path, "restart", restarts+1)
		progressFrom(ctx).update(func(q *Progress) { q.Restarts++ })
		restart()
	}
}

func expiredPageToken(err error) bool {
	var le *licensing.Error
	if !errors.As(err, &le) {
		return false
	}
	if re := responseError(err); re != nil && strings.EqualFold(re.Code, codeExpiredPageToken) {
		return true
	}
	return strings.Contains(strings.ToLower(le.Message), "page token value has expired")
}

// collectionPage is what the SDK's collection responses have in common.
type collectionPage[T any] interface {
	GetValue() []T
	GetOdataNextLink() *string
}

// eachItem sends the first request, calls fn with every item of the reply, and follows
// @odata.nextLink until there is none. Every page carries the first request's headers (e.g.
// ConsistencyLevel), copied before the first send so that no token is copied with them. A nextLink
// to another host than the root's is refused.
func eachItem[T any](ctx context.Context, t *Tenant, c call, first *abs.RequestInformation, factory absser.ParsableFactory, fn func(T) error) error {
	headers := abs.NewRequestHeaders()
	headers.AddAll(first.Headers)
	ri := first
	for {
		res, err := t.send(ctx, c, ri, factory)
		if err != nil {
			return err
		}
		page, ok := res.(collectionPage[T])
		if !ok {
			return malformed(c, fmt.Errorf("got %T, want a collection", res))
		}
		items := page.GetValue()
		for _, item := range items {
			if err := fn(item); err != nil {
				return err
			}
		}
		if c.listing == "users" {
			progressFrom(ctx).page(len(items))
		} else if c.listing != "" {
			progressFrom(ctx).page(0)
		}
		next := page.GetOdataNextLink()
		if next == nil || *next == "" {
			return nil
		}
		u, err := t.nextLink(c, *next)
		if err != nil {
			return err
		}
		ri = abs.NewRequestInformation()
		ri.Method = abs.GET
		ri.SetUri(*u)
		ri.Headers.AddAll(headers)
		c.path = strings.TrimPrefix(u.Path, t.rootURL.Path)
	}
}

// nextLink checks an @odata.nextLink: absolute (or relative to the root), on the root's scheme and host.
func (t *Tenant) nextLink(c call, link string) (*url.URL, error) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, malformed(c, fmt.Errorf("@odata.nextLink %q is not a URL", link))
	}
	if !u.IsAbs() {
		// Graph sends absolute links; a relative one is taken as relative to the root.
		if u, err = url.Parse(t.root + "/" + strings.TrimPrefix(link, "/")); err != nil {
			return nil, malformed(c, fmt.Errorf("@odata.nextLink %q is not a URL", link))
		}
	}
	if !strings.EqualFold(u.Scheme, t.rootURL.Scheme) || !strings.EqualFold(u.Host, t.rootURL.Host) {
		return nil, &licensing.Error{Kind: licensing.Other, Message: fmt.Sprintf("Graph's reply to %s links its next page to %s://%s, not to the Graph root %s; refusing to follow it", c, u.Scheme, u.Host, t.root)}
	}
	return u, nil
}

// send is the one way a typed request goes out: through the SDK, guarded against its panics,
// with its error mapped once.
func (t *Tenant) send(ctx context.Context, c call, ri *abs.RequestInformation, factory absser.ParsableFactory) (absser.Parsable, error) {
	var res absser.Parsable
	err := guard(func() error {
		var err error
		res, err = t.adapter.Send(ctx, ri, factory, errorMapping)
		return err
	})
	if err != nil {
		return nil, t.mapError(ctx, c, err)
	}
	if res == nil {
		return nil, malformed(c, errNoResponse)
	}
	return res, nil
}

// sendNoContent sends a write whose reply body does not matter.
func (t *Tenant) sendNoContent(ctx context.Context, c call, ri *abs.RequestInformation) error {
	err := guard(func() error { return t.adapter.SendNoContent(ctx, ri, errorMapping) })
	return t.mapError(ctx, c, err)
}

func malformed(c call, err error) *licensing.Error {
	return &licensing.Error{Kind: licensing.Transient, Target: c.target(), Message: fmt.Sprintf("Microsoft Graph's reply to %s is not what Graph v1.0 sends", c), Err: err}
}

// checkID refuses ids that would change the request's path. A guest's userPrincipalName
// ("ann_fabrikam.com#EXT#@contoso.onmicrosoft.com") is taken: the SDK's URL templates escape "#"
// as %23, as Graph asks ("To query a B2B user using the userPrincipalName, encode the hash (#)
// character", Get user, Graph v1.0 docs).
func checkID(what, id string) error {
	if id == "" || strings.ContainsAny(id, "/?\\") {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("%s id %q is not an object id or userPrincipalName", what, id)}
	}
	return nil
}
