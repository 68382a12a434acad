package graphadapter

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/organization"
	"github.com/microsoftgraph/msgraph-sdk-go/subscribedskus"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/licenseplan/licenseplan/licensing"
)

// userSelect is what Snapshot, EachUser and User read of a user. licenseDetails is deliberately
// not used: application permissions cannot read it; assignedLicenses and licenseAssignmentStates
// carry the same facts plus the assignment paths.
var userSelect = []string{
	"id", "userPrincipalName", "displayName", "accountEnabled", "usageLocation", "department", "jobTitle",
	"onPremisesExtensionAttributes", "assignedLicenses", "licenseAssignmentStates",
}

var groupSelect = []string{"id", "displayName", "assignedLicenses", "licenseProcessingState"}

// pageSize is Graph's largest $top for users and members.
const pageSize int32 = 999

// Snapshot reads the tenant as tenant/v1: GET /subscribedSkus; every user (GET /users with
// $select and $top=999, following each @odata.nextLink); the licensed groups (GET /groups with
// $filter=assignedLicenses/$count ne 0, $count=true and ConsistencyLevel: eventual); and each
// licensed group's direct user members (GET /groups/{id}/members/microsoft.graph.user, all pages).
//
// Pages are converted as they arrive and dropped, so memory holds the snapshot and one page.
// The tenant id comes from WithTenantID or the subscribedSku ids; the default usage location from
// WithDefaultUsageLocation or, best effort, GET /organization. The snapshot is as Graph reports it
// (eventually consistent); call its Validate to check it.
func (t *Tenant) Snapshot(ctx context.Context) (*licensing.Snapshot, error) {
	skus, err := t.SubscribedSkus(ctx)
	if err != nil {
		return nil, err
	}
	s := &licensing.Snapshot{
		FormatVersion:        licensing.TenantFormatVersion,
		TenantID:             t.tenantID,
		DefaultUsageLocation: t.defaultUsageLocation,
		SubscribedSkus:       skus,
		Users:                []licensing.User{},
		Groups:               []licensing.Group{},
	}
	if s.TenantID == "" {
		s.TenantID = tenantFromSkus(skus)
	}
	if s.DefaultUsageLocation == "" || s.TenantID == "" {
		id, country := t.organization(ctx)
		if s.DefaultUsageLocation == "" {
			s.DefaultUsageLocation = country
		}
		if s.TenantID == "" {
			s.TenantID = id
		}
	}
	if err := t.EachUser(ctx, func(u licensing.User) error {
		s.Users = append(s.Users, u)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := t.eachLicensedGroup(ctx, func(g licensing.Group) error {
		s.Groups = append(s.Groups, g)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := t.fillMembers(ctx, s.Groups); err != nil {
		return nil, err
	}
	return s, nil
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

// organization reads the tenant id and default country best effort: GET /organization needs
// Organization.Read.All, which a least-privilege app may lack, and the fake server may not serve it.
func (t *Tenant) organization(ctx context.Context) (id, country string) {
	c := call{method: "GET", path: "/organization"}
	ri, err := t.client.Organization().ToGetRequestInformation(ctx, &organization.OrganizationRequestBuilderGetRequestConfiguration{
		QueryParameters: &organization.OrganizationRequestBuilderGetQueryParameters{Select: []string{"id", "countryLetterCode"}},
	})
	if err != nil {
		return "", ""
	}
	err = eachItem(ctx, t, c, ri, models.CreateOrganizationCollectionResponseFromDiscriminatorValue, func(o models.Organizationable) error {
		if id == "" && o.GetId() != nil {
			id = *o.GetId()
		}
		if country == "" && o.GetCountryLetterCode() != nil {
			country = strings.ToUpper(*o.GetCountryLetterCode())
		}
		return nil
	})
	if err != nil {
		t.log.DebugContext(ctx, "graph organization not readable; snapshot has no defaultUsageLocation", "error", err.Error())
		return "", ""
	}
	return id, country
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

// EachUser calls fn with every user of the tenant, page by page (GET /users with $select and
// $top=999, following @odata.nextLink), without holding more than one page. It stops at fn's
// first error and returns it.
func (t *Tenant) EachUser(ctx context.Context, fn func(licensing.User) error) error {
	c := call{method: "GET", path: "/users"}
	top := pageSize
	ri, err := t.client.Users().ToGetRequestInformation(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: userSelect, Top: &top},
	})
	if err != nil {
		return t.mapError(ctx, c, err)
	}
	return eachItem(ctx, t, c, ri, models.CreateUserCollectionResponseFromDiscriminatorValue, func(m models.Userable) error {
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
	ri, err := groups.NewItemMembersGraphUserRequestBuilder(raw, t.adapter).ToGetRequestInformation(ctx, nil)
	if err != nil {
		return nil, t.mapError(ctx, c, err)
	}
	members := []string{}
	err = eachItem(ctx, t, c, ri, models.CreateUserCollectionResponseFromDiscriminatorValue, func(m models.Userable) error {
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

// eachLicensedGroup lists the groups with at least one license (an advanced query: $count=true
// and ConsistencyLevel: eventual on every page).
func (t *Tenant) eachLicensedGroup(ctx context.Context, fn func(licensing.Group) error) error {
	c := call{method: "GET", path: "/groups"}
	filter := "assignedLicenses/$count ne 0"
	count := true
	headers := abs.NewRequestHeaders()
	headers.Add("ConsistencyLevel", "eventual")
	ri, err := t.client.Groups().ToGetRequestInformation(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
		Headers:         headers,
		QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{Filter: &filter, Count: &count, Select: groupSelect},
	})
	if err != nil {
		return t.mapError(ctx, c, err)
	}
	return eachItem(ctx, t, c, ri, models.CreateGroupCollectionResponseFromDiscriminatorValue, func(m models.Groupable) error {
		g, err := groupFromModel(m)
		if err != nil {
			return err
		}
		return fn(g)
	})
}

// fillMembers reads the members of every group, a few groups at a time.
func (t *Tenant) fillMembers(ctx context.Context, gs []licensing.Group) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for w := 0; w < t.memberConcurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				members, err := t.GroupMembers(ctx, gs[i].ID)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				gs[i].Members = members
			}
		}()
	}
feed:
	for i := range gs {
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
		for _, item := range page.GetValue() {
			if err := fn(item); err != nil {
				return err
			}
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

// checkID refuses ids that would change the request's path.
func checkID(what, id string) error {
	if id == "" || strings.ContainsAny(id, "/?#") {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("%s id %q is not an object id or userPrincipalName", what, id)}
	}
	return nil
}
