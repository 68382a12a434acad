// Package graphtest is a Microsoft Graph v1.0 test server that behaves like Graph does to a
// tenant read, not like the fake: it refuses the groups $filter on assignedLicenses/$count
// (400 Request_UnsupportedQuery), serves users that its user listing does not show yet (eventual
// consistency), lets page tokens expire (400 Directory_ExpiredPageToken), throttles with long
// Retry-After values, fails GET /organization before serving it (or refuses it, 403), and has
// users' assignment paths and groups' members that name deleted objects (404
// Request_ResourceNotFound). Error bodies are Graph's envelopes with Graph's codes and texts.
//
// It serves the reads a snapshot makes (subscribedSkus, organization, directory/subscriptions,
// users, users/{id}, users/$count, groups, groups/{id}, groups/{id}/members/microsoft.graph.user)
// on a loopback port; anything else is 400 Request_BadRequest. It is for tests: the examples' and
// the adapter's. A user's signInActivity is served on $select as Graph serves it (left out for a
// user without one, pages of at most 500 users), or refused as Graph refuses it without Entra ID
// P1 or without AuditLog.Read.All (Config.SignInActivityRefusal).
//
// Sources of the texts: Directory_ExpiredPageToken and its message, microsoftgraph/msgraph-sdk-dotnet#2254;
// Request_UnsupportedQuery "Unsupported or invalid query filter clause specified for property '…'
// of resource 'Group'.", microsoftgraph/msgraph-sdk-powershell#2967 and microsoft-graph-docs-contrib#9437;
// Request_ResourceNotFound "Resource '…' does not exist or one of its queried reference-property
// objects are not present.", microsoftgraph/msgraph-sdk-dotnet#1101; Authorization_RequestDenied
// "Insufficient privileges to complete the operation.", Microsoft's troubleshooting article on
// adding group members through Graph; the group list's shape, the List groups docs example;
// Authentication_RequestFromNonPremiumTenantOrB2CTenant "Neither tenant is B2C or tenant doesn't
// have premium license" (403), microsoftgraph/microsoft-graph-docs#12772 and #14120; the
// companySubscription's shape, https://learn.microsoft.com/graph/api/resources/companysubscription.
package graphtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
)

// Graph's codes and texts that the server answers with.
const (
	CodeExpiredPageToken = "Directory_ExpiredPageToken"
	MsgExpiredPageToken  = "The specified page token value has expired and can no longer be included in your request."
	CodeUnsupportedQuery = "Request_UnsupportedQuery"
	CodeNotFound         = "Request_ResourceNotFound"
	CodeDenied           = "Authorization_RequestDenied"
	MsgDenied            = "Insufficient privileges to complete the operation."
	CodeNonPremium       = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
	MsgNonPremium        = "Neither tenant is B2C or tenant doesn't have premium license"
)

// MsgUnsupportedFilter is Graph's refusal of a $filter on a property of a resource.
func MsgUnsupportedFilter(property, resource string) string {
	return fmt.Sprintf("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", property, resource)
}

// MsgNotFound is Graph's 404 for an object id.
func MsgNotFound(id string) string {
	return fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
}

// Config is the tenant the server holds and how it misbehaves. The zero value of every
// behaviour is Graph on a good day.
type Config struct {
	// Tenant is the tenant: its SKUs, users and licensed groups (with their members).
	Tenant *licensing.Snapshot
	// UnlicensedGroups are groups without licenses, listed by GET /groups like any other.
	UnlicensedGroups []licensing.Group
	// GroupFields adds properties to groups by id (e.g. "groupTypes", "membershipRule"), served
	// when $select asks for them.
	GroupFields map[string]map[string]any
	// PageSize caps every page (Graph's $top=999 is honoured up to it); 0 means 999.
	PageSize int
	// NotListedUsers and NotListedGroups are left out of GET /users and GET /groups but served
	// by id: objects created while the tenant is read, which the listings have not caught up with.
	NotListedUsers, NotListedGroups []string
	// ExpireTokens names listings ("users", "groups", "members") whose first next page is
	// refused once with 400 Directory_ExpiredPageToken.
	ExpireTokens []string
	// ThrottleUsersPage answers the request for the users page with this number (1 is the
	// first) once with 429 and Retry-After: RetryAfter (seconds).
	ThrottleUsersPage int
	RetryAfter        int
	// OrganizationFailures is how many times GET /organization answers 503 before it serves;
	// OrganizationForbidden makes it answer 403 every time.
	OrganizationFailures  int
	OrganizationForbidden bool
	// Country is the organization's countryLetterCode (default: the tenant's default usage location).
	Country string
	// SignInActivityRefusal makes GET /users and /users/{id} whose $select names signInActivity
	// answer 403 with this code: CodeNonPremium (a tenant without Entra ID P1) or CodeDenied (the
	// app lacks AuditLog.Read.All). SignInActivityRefusedFromPage refuses only the users pages
	// from that one on (1 is the first; 0 means every request), as Graph has been seen to.
	SignInActivityRefusal         string
	SignInActivityRefusedFromPage int
	// SubscriptionsForbidden makes GET /directory/subscriptions answer 403 (the app lacks
	// Organization.Read.All).
	SubscriptionsForbidden bool
}

// Server is a running graphtest server.
type Server struct {
	srv *httptest.Server
	// URL is the Graph root, "http://127.0.0.1:PORT/v1.0".
	URL string

	mu        sync.Mutex
	cfg       Config
	users     map[string]licensing.User
	groups    map[string]licensing.Group
	expired   map[string]bool
	throttled bool
	orgFails  int
	requests  []Request
}

// Request is one request the server received.
type Request struct {
	Method, Path, Query string
	UserAgent           string
	Status              int
}

// Start serves cfg on a loopback port until Close.
func Start(cfg Config) *Server {
	s := &Server{cfg: cfg, users: map[string]licensing.User{}, groups: map[string]licensing.Group{}, expired: map[string]bool{}}
	if cfg.Tenant == nil {
		s.cfg.Tenant = &licensing.Snapshot{}
	}
	for _, u := range s.cfg.Tenant.Users {
		s.users[strings.ToLower(u.ID)] = u
	}
	for _, g := range s.cfg.Tenant.Groups {
		s.groups[strings.ToLower(g.ID)] = g
	}
	for _, g := range cfg.UnlicensedGroups {
		s.groups[strings.ToLower(g.ID)] = g
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/v1.0"
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

type reply struct {
	status int
	header http.Header
	body   any // JSON, or a string sent as text/plain
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rep := s.route(r)
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, UserAgent: r.Header.Get("User-Agent"), Status: rep.status})
	s.mu.Unlock()
	for k, vs := range rep.header {
		w.Header()[k] = vs
	}
	w.Header().Set("request-id", "00000000-0000-4000-8000-000000000001")
	if text, ok := rep.body.(string); ok {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(rep.status)
		fmt.Fprint(w, text)
		return
	}
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(rep.status)
	if rep.body != nil {
		json.NewEncoder(w).Encode(rep.body)
	}
}

func graphError(status int, code, message string) reply {
	return reply{status: status, body: map[string]any{"error": map[string]any{
		"code": code, "message": message,
		"innerError": map[string]any{"date": time.Now().UTC().Format("2006-01-02T15:04:05"), "request-id": "00000000-0000-4000-8000-000000000001", "client-request-id": "00000000-0000-4000-8000-000000000001"},
	}}}
}

func (s *Server) route(r *http.Request) reply {
	if r.Method != http.MethodGet {
		return graphError(http.StatusMethodNotAllowed, "Request_BadRequest", "The graphtest server only serves reads.")
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1.0/")
	if !ok {
		return graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid version.")
	}
	segs := strings.Split(rest, "/")
	q := r.URL.Query()
	switch {
	case rest == "subscribedSkus":
		return s.collection(r, "subscribedSkus", "", skus(s.cfg.Tenant.SubscribedSkus), q)
	case rest == "organization":
		return s.organization(r)
	case rest == "directory/subscriptions":
		if s.cfg.SubscriptionsForbidden {
			return graphError(http.StatusForbidden, CodeDenied, MsgDenied)
		}
		return s.collection(r, "subscriptions", "directory/subscriptions", subscriptions(s.cfg.Tenant.Subscriptions), q)
	case rest == "users":
		return s.listUsers(r, q)
	case rest == "users/$count":
		return reply{status: http.StatusOK, body: strconv.Itoa(len(s.cfg.Tenant.Users))}
	case len(segs) == 2 && segs[0] == "users":
		if rep, refused := s.signInRefused(q, 0); refused {
			return rep
		}
		u, ok := s.users[strings.ToLower(segs[1])]
		if !ok {
			return graphError(http.StatusNotFound, CodeNotFound, MsgNotFound(segs[1]))
		}
		return reply{status: http.StatusOK, body: userJSON(u, selects(q))}
	case rest == "groups":
		return s.listGroups(r, q)
	case len(segs) == 2 && segs[0] == "groups":
		g, ok := s.groups[strings.ToLower(segs[1])]
		if !ok {
			return graphError(http.StatusNotFound, CodeNotFound, MsgNotFound(segs[1]))
		}
		return reply{status: http.StatusOK, body: s.groupJSON(g, selects(q))}
	case len(segs) == 4 && segs[0] == "groups" && segs[2] == "members" && segs[3] == "microsoft.graph.user":
		g, ok := s.groups[strings.ToLower(segs[1])]
		if !ok {
			return graphError(http.StatusNotFound, CodeNotFound, MsgNotFound(segs[1]))
		}
		items := make([]any, 0, len(g.Members))
		for _, m := range g.Members {
			items = append(items, map[string]any{"@odata.type": "#microsoft.graph.user", "id": m})
		}
		return s.collection(r, "members", "directoryObjects", items, q)
	}
	return graphError(http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segs[len(segs)-1]))
}

func (s *Server) organization(r *http.Request) reply {
	switch {
	case s.cfg.OrganizationForbidden:
		return graphError(http.StatusForbidden, CodeDenied, MsgDenied)
	case s.orgFails < s.cfg.OrganizationFailures:
		s.orgFails++
		return graphError(http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable.")
	}
	country := s.cfg.Country
	if country == "" {
		country = s.cfg.Tenant.DefaultUsageLocation
	}
	var c any
	if country != "" {
		c = country
	}
	return reply{status: http.StatusOK, body: map[string]any{
		"@odata.context": s.URL + "/$metadata#organization(id,countryLetterCode)",
		"value":          []any{map[string]any{"id": s.cfg.Tenant.TenantID, "countryLetterCode": c}},
	}}
}

func (s *Server) listUsers(r *http.Request, q url.Values) reply {
	if p := s.cfg.ThrottleUsersPage; p > 0 && !s.throttled && pageNumber(q, s.pageSize(q)) == p {
		s.throttled = true
		rep := graphError(http.StatusTooManyRequests, "TooManyRequests", "Please retry again later.")
		rep.header = http.Header{"Retry-After": {strconv.Itoa(s.cfg.RetryAfter)}}
		return rep
	}
	if rep, refused := s.signInRefused(q, pageNumber(q, s.pageSize(q))); refused {
		return rep
	}
	sel := selects(q)
	items := []any{}
	for _, u := range s.cfg.Tenant.Users {
		if !contains(s.cfg.NotListedUsers, u.ID) {
			items = append(items, userJSON(u, sel))
		}
	}
	return s.collection(r, "users", "", items, q)
}

// signInRefused is the refusal of a $select naming signInActivity (Config.SignInActivityRefusal)
// on users page page (0: not a listing).
func (s *Server) signInRefused(q url.Values, page int) (reply, bool) {
	code := s.cfg.SignInActivityRefusal
	if code == "" || !slices.ContainsFunc(selects(q), func(k string) bool { return strings.EqualFold(k, "signInActivity") }) {
		return reply{}, false
	}
	if from := s.cfg.SignInActivityRefusedFromPage; from > 0 && page > 0 && page < from {
		return reply{}, false
	}
	msg := MsgNonPremium
	if code == CodeDenied {
		msg = MsgDenied
	}
	return graphError(http.StatusForbidden, code, msg), true
}

func (s *Server) listGroups(r *http.Request, q url.Values) reply {
	if f := q.Get("$filter"); strings.Contains(f, "assignedLicenses") {
		// Graph documents assignedLicenses/$count for users; groups refuse it.
		return graphError(http.StatusBadRequest, CodeUnsupportedQuery, MsgUnsupportedFilter("assignedLicenses", "Group"))
	} else if f != "" {
		return graphError(http.StatusBadRequest, CodeUnsupportedQuery, "Unsupported Query.")
	}
	sel := selects(q)
	items := []any{}
	for _, g := range append(slices.Clone(s.cfg.Tenant.Groups), s.cfg.UnlicensedGroups...) {
		if !contains(s.cfg.NotListedGroups, g.ID) {
			items = append(items, s.groupJSON(g, sel))
		}
	}
	return s.collection(r, "groups", "", items, q)
}

func (s *Server) pageSize(q url.Values) int {
	n := 100 // Graph's default page of users and groups
	if top, err := strconv.Atoi(q.Get("$top")); err == nil && top > 0 {
		n = min(top, 999)
	}
	if slices.ContainsFunc(selects(q), func(k string) bool { return strings.EqualFold(k, "signInActivity") }) {
		n = min(n, 500) // Graph's largest page of users with signInActivity
	}
	if s.cfg.PageSize > 0 {
		n = min(n, s.cfg.PageSize)
	}
	return n
}

// pageNumber is the page (from 1) a request asks for.
func pageNumber(q url.Values, size int) int {
	off := offset(q)
	return off/size + 1
}

// offset reads $skiptoken, "<listing>.<offset>" here (opaque to clients, as Graph's).
func offset(q url.Values) int {
	tok := q.Get("$skiptoken")
	if i := strings.LastIndexByte(tok, '.'); i >= 0 {
		n, _ := strconv.Atoi(tok[i+1:])
		return n
	}
	return 0
}

// collection serves one page of items, with an @odata.nextLink while there are more. The first
// next page of a listing in Config.ExpireTokens is refused once as an expired page token.
func (s *Server) collection(r *http.Request, listing, context string, items []any, q url.Values) reply {
	if context == "" {
		context = listing
	}
	size := s.pageSize(q)
	off := offset(q)
	if q.Get("$skiptoken") != "" && contains(s.cfg.ExpireTokens, listing) && !s.expired[listing] {
		s.expired[listing] = true
		return graphError(http.StatusBadRequest, CodeExpiredPageToken, MsgExpiredPageToken)
	}
	if off > len(items) {
		off = len(items)
	}
	end := min(off+size, len(items))
	body := map[string]any{"@odata.context": s.URL + "/$metadata#" + context, "value": items[off:end]}
	if end < len(items) {
		next := *r.URL
		next.Scheme, next.Host = "http", r.Host
		nq := next.Query()
		nq.Set("$skiptoken", listing+"."+strconv.Itoa(end))
		next.RawQuery = strings.ReplaceAll(nq.Encode(), "%24", "$")
		body["@odata.nextLink"] = next.String()
	}
	return reply{status: http.StatusOK, body: body}
}

func selects(q url.Values) []string {
	v := q.Get("$select")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func contains(ids []string, id string) bool {
	return slices.ContainsFunc(ids, func(x string) bool { return strings.EqualFold(x, id) })
}

// pick keeps the selected properties (all when sel is empty), with null for those without a value.
func pick(all map[string]any, sel []string) map[string]any {
	if len(sel) == 0 {
		return all
	}
	out := map[string]any{}
	for _, k := range sel {
		if k == "signInActivity" && all[k] == nil {
			continue // Graph leaves it out for a user without a recorded sign-in
		}
		out[k] = all[k] // absent → null, as Graph answers a selected property that is not set
	}
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func licenses(ls []licensing.AssignedLicense) []any {
	out := []any{}
	for _, l := range ls {
		plans := []any{}
		for _, p := range l.DisabledPlans {
			plans = append(plans, p.String())
		}
		out = append(out, map[string]any{"skuId": l.SkuID.String(), "disabledPlans": plans})
	}
	return out
}

func userJSON(u licensing.User, sel []string) map[string]any {
	ext := map[string]any{}
	for i := 1; i <= 15; i++ {
		k := "extensionAttribute" + strconv.Itoa(i)
		ext[k] = nullable(u.OnPremisesExtensionAttributes[k])
	}
	states := []any{}
	for _, st := range u.LicenseAssignmentStates {
		plans := []any{}
		for _, p := range st.DisabledPlans {
			plans = append(plans, p.String())
		}
		var by any
		if st.AssignedByGroup != nil {
			by = *st.AssignedByGroup
		}
		m := map[string]any{"skuId": st.SkuID.String(), "disabledPlans": plans, "assignedByGroup": by, "state": st.State, "error": st.Error}
		if st.LastUpdatedDateTime != "" {
			m["lastUpdatedDateTime"] = st.LastUpdatedDateTime
		}
		states = append(states, m)
	}
	var enabled any
	if u.AccountEnabled != nil {
		enabled = *u.AccountEnabled
	}
	var signIn any
	if a := u.SignInActivity; a != nil {
		signIn = map[string]any{
			"lastSignInDateTime": nullable(a.LastSignInDateTime), "lastSignInRequestId": nil,
			"lastNonInteractiveSignInDateTime": nullable(a.LastNonInteractiveSignInDateTime), "lastNonInteractiveSignInRequestId": nil,
			"lastSuccessfulSignInDateTime": nullable(a.LastSuccessfulSignInDateTime), "lastSuccessfulSignInRequestId": nil,
		}
	}
	return pick(map[string]any{
		"id": u.ID, "userPrincipalName": u.UserPrincipalName, "displayName": nullable(u.DisplayName),
		"userType": nullable(u.UserType), "createdDateTime": nullable(u.CreatedDateTime), "signInActivity": signIn,
		"accountEnabled": enabled, "usageLocation": nullable(u.UsageLocation), "department": nullable(u.Department),
		"jobTitle": nullable(u.JobTitle), "onPremisesExtensionAttributes": ext,
		"assignedLicenses": licenses(u.AssignedLicenses), "licenseAssignmentStates": states,
	}, sel)
}

func (s *Server) groupJSON(g licensing.Group, sel []string) map[string]any {
	var lps any
	if g.LicenseProcessingState != nil {
		lps = map[string]any{"state": g.LicenseProcessingState.State}
	}
	types := []any{}
	for _, t := range g.GroupTypes {
		types = append(types, t)
	}
	// The group's kind as the tenant says (null where it says nothing, as the List groups
	// example shows properties that are not set).
	var security, mail, synced any
	if g.SecurityEnabled != nil {
		security = *g.SecurityEnabled
	}
	if g.MailEnabled != nil {
		mail = *g.MailEnabled
	}
	if g.OnPremisesSyncEnabled != nil {
		synced = *g.OnPremisesSyncEnabled
	}
	all := map[string]any{
		"id": g.ID, "displayName": nullable(g.DisplayName), "assignedLicenses": licenses(g.AssignedLicenses),
		"licenseProcessingState": lps,
		"groupTypes":             types, "securityEnabled": security, "mailEnabled": mail,
		"membershipRule": nullable(g.MembershipRule), "membershipRuleProcessingState": nullable(g.MembershipRuleProcessingState),
		"onPremisesSyncEnabled": synced,
	}
	for k, v := range s.cfg.GroupFields[g.ID] {
		all[k] = v
	}
	return pick(all, sel)
}

func skus(ks []licensing.SubscribedSku) []any {
	out := []any{}
	for _, k := range ks {
		plans := []any{}
		for _, p := range k.ServicePlans {
			plans = append(plans, map[string]any{"servicePlanId": p.ServicePlanID.String(), "servicePlanName": p.ServicePlanName, "provisioningStatus": p.ProvisioningStatus, "appliesTo": p.AppliesTo})
		}
		subs := []any{}
		for _, id := range k.SubscriptionIDs {
			subs = append(subs, id)
		}
		out = append(out, map[string]any{
			"accountName": k.AccountName, "accountId": k.AccountID, "appliesTo": k.AppliesTo, "capabilityStatus": k.CapabilityStatus,
			"consumedUnits": k.ConsumedUnits, "id": k.ID, "skuId": k.SkuID.String(), "skuPartNumber": k.SkuPartNumber,
			"prepaidUnits":    map[string]any{"enabled": k.PrepaidUnits.Enabled, "lockedOut": k.PrepaidUnits.LockedOut, "suspended": k.PrepaidUnits.Suspended, "warning": k.PrepaidUnits.Warning},
			"servicePlans":    plans,
			"subscriptionIds": subs,
		})
	}
	return out
}

// subscriptions are companySubscriptions in Graph's shape (serviceStatus, owner fields empty).
func subscriptions(cs []licensing.CompanySubscription) []any {
	out := []any{}
	for _, c := range cs {
		out = append(out, map[string]any{
			"id": c.ID, "commerceSubscriptionId": nullable(c.CommerceSubscriptionID), "skuId": c.SkuID.String(), "skuPartNumber": nullable(c.SkuPartNumber),
			"status": nullable(c.Status), "totalLicenses": c.TotalLicenses, "isTrial": c.IsTrial,
			"createdDateTime": nullable(c.CreatedDateTime), "nextLifecycleDateTime": nullable(c.NextLifecycleDateTime),
			"ownerId": nil, "ownerTenantId": nil, "ownerType": nil, "serviceStatus": []any{},
		})
	}
	return out
}
