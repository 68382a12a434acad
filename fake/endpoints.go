package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// listOrganization is GET /organization: the one organization of the tenant, with its id and
// countryLetterCode (the tenant's default usage location). Other organization properties are
// not modelled; $select may name id and countryLetterCode, anything else is answered as null
// like a property the organization does not have set.
func (s *server) listOrganization(r *http.Request) response {
	if _, qerr := parseQuery(r); qerr != nil {
		return s.fail(r, qerr)
	}
	s.t.lock()
	id, country := s.t.tenantID, s.t.defaultLoc
	s.t.mu.Unlock()
	o := object{"id": id, "countryLetterCode": nil}
	if country != "" {
		o["countryLetterCode"] = country
	}
	return collection(r, "organization", []object{o}, nil, "")
}

// GET /subscribedSkus and /subscribedSkus/{id}
func (s *server) listSkus(r *http.Request, id string) response {
	q, qerr := parseQuery(r)
	if qerr != nil {
		return s.fail(r, qerr)
	}
	s.t.lock()
	defer s.t.mu.Unlock()
	var items []object
	for _, k := range s.t.skus {
		info := s.t.exportSku(k)
		if id != "" && !strings.EqualFold(info.ID, id) {
			continue
		}
		o, err := s.skus.render(info, q.selects)
		if err != nil {
			return s.fail(r, err)
		}
		items = append(items, o)
	}
	if id != "" {
		if len(items) == 0 {
			return s.fail(r, newError(licensing.UnknownSku, CodeNotFound, licensing.Target{}, resourceNotFound(id)))
		}
		return entity(r, "subscribedSkus", http.StatusOK, items[0])
	}
	if items == nil {
		items = []object{}
	}
	return collection(r, "subscribedSkus", items, nil, "")
}

// signInPageSize is Graph's largest page of users when $select names signInActivity.
const signInPageSize = 500

// signInRefusal is Graph's refusal of $select=signInActivity in a tenant without Entra ID P1
// (403 Authentication_RequestFromNonPremiumTenantOrB2CTenant), or nil: the fake takes a tenant
// whose snapshot has no sign-in activity for one that cannot give it (doc.go).
func (s *server) signInRefusal(q odataQuery) *licensing.Error {
	if s.t.noPremium && selected(q.selects, "signInActivity") {
		return newError(licensing.InvalidInput, CodeNonPremium, licensing.Target{}, msgNonPremium)
	}
	return nil
}

// GET /users
func (s *server) listUsers(r *http.Request) response {
	q, qerr := parseQuery(r)
	if qerr == nil {
		qerr = s.signInRefusal(q)
	}
	if qerr != nil {
		return s.fail(r, qerr)
	}
	if selected(q.selects, "signInActivity") {
		q.top = min(q.top, signInPageSize) // a larger $top gives pages of 500, as Graph's
	}
	s.t.lock()
	defer s.t.mu.Unlock()
	filter, err := s.t.userFilter(q)
	if err != nil {
		return s.fail(r, err)
	}
	var match func(string) bool
	if filter != nil {
		match = func(id string) bool { return filter(s.t.users[id]) }
	}
	ids, next, err := pageOf(s.t.userIDs, q, match)
	if err != nil {
		return s.fail(r, err)
	}
	items := make([]object, len(ids))
	for i, id := range ids {
		if items[i], err = s.users.render(userView{s.t, s.t.users[id]}, q.selects); err != nil {
			return s.fail(r, err)
		}
	}
	var count *int
	if q.count {
		n := countOf(s.t.userIDs, match)
		count = &n
	}
	return collection(r, "users", items, count, next)
}

// GET /users/{id | userPrincipalName}
func (s *server) getUser(r *http.Request, ref string) response {
	q, qerr := parseQuery(r)
	if qerr == nil {
		qerr = s.signInRefusal(q)
	}
	if qerr != nil {
		return s.fail(r, qerr)
	}
	s.t.lock()
	defer s.t.mu.Unlock()
	u, err := s.t.lookupUser(ref)
	if err != nil {
		return s.fail(r, asError(err))
	}
	o, rerr := s.users.render(userView{s.t, u}, q.selects)
	if rerr != nil {
		return s.fail(r, rerr)
	}
	return entity(r, "users", http.StatusOK, o)
}

// userResponse is the user object license actions answer with: Graph's default properties and assignedLicenses.
func (s *server) userResponse(r *http.Request, u *user) response {
	o, _ := s.users.render(userView{s.t, u}, nil)
	o["assignedLicenses"] = s.t.assignedLicenses(u.paths)
	return entity(r, "users", http.StatusOK, o)
}

// PATCH /users/{id}: usageLocation, and the plain properties displayName, department, jobTitle, accountEnabled.
func (s *server) patchUser(r *http.Request, ref string, body []byte) response {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return s.fail(r, errInvalidQuery(msgBadJSON))
	}
	type setter func(u *user)
	var sets []setter
	var loc *string
	for k, raw := range fields {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		var str *string
		switch k {
		case "usageLocation", "displayName", "department", "jobTitle":
			if err := json.Unmarshal(raw, &str); err != nil {
				return s.fail(r, errInvalid(licensing.Target{}, fmt.Sprintf("Invalid value specified for property '%s' of resource 'User'.", k)))
			}
		case "accountEnabled":
			var b *bool
			if err := json.Unmarshal(raw, &b); err != nil || b == nil {
				return s.fail(r, errInvalid(licensing.Target{}, "Invalid value specified for property 'accountEnabled' of resource 'User'."))
			}
			sets = append(sets, func(u *user) { u.data.AccountEnabled = b })
			continue
		default:
			return s.fail(r, errInvalid(licensing.Target{}, fmt.Sprintf("Property '%s' does not exist as a declared property or extension property.", k)))
		}
		v := ""
		if str != nil {
			v = *str
		}
		switch k {
		case "usageLocation":
			loc = &v
		case "displayName":
			sets = append(sets, func(u *user) { u.data.DisplayName = v })
		case "department":
			sets = append(sets, func(u *user) { u.data.Department = v })
		case "jobTitle":
			sets = append(sets, func(u *user) { u.data.JobTitle = v })
		}
	}
	s.t.lock()
	defer s.t.mu.Unlock()
	u, err := s.t.lookupUser(ref)
	if err != nil {
		return s.fail(r, asError(err))
	}
	if loc != nil {
		if err := s.t.setUsageLocation(u, *loc); err != nil {
			return s.fail(r, asError(err))
		}
	}
	for _, set := range sets {
		set(u)
	}
	return response{status: http.StatusNoContent}
}

// parseAssignLicense reads an assignLicense body. Both addLicenses and removeLicenses are
// required (even when empty), and each added license needs skuId and disabledPlans.
func parseAssignLicense(body []byte, resource string) ([]licensing.AssignedLicense, []licensing.SkuID, *licensing.Error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, nil, errInvalidQuery(msgBadJSON)
	}
	invalid := func(prop, of string) *licensing.Error {
		return errInvalid(licensing.Target{}, fmt.Sprintf("Invalid value specified for property '%s' of resource '%s'.", prop, of))
	}
	for _, k := range []string{"addLicenses", "removeLicenses"} {
		if v, ok := raw[k]; !ok || string(v) == "null" {
			return nil, nil, errInvalid(licensing.Target{}, fmt.Sprintf("Property '%s' of resource '%s' is required: send an empty collection when there is nothing to %s.", k, resource, strings.TrimSuffix(k, "Licenses")))
		}
	}
	var adds []struct {
		SkuID         *string   `json:"skuId"`
		DisabledPlans *[]string `json:"disabledPlans"`
	}
	if err := json.Unmarshal(raw["addLicenses"], &adds); err != nil {
		return nil, nil, invalid("addLicenses", resource)
	}
	var removes []string
	if err := json.Unmarshal(raw["removeLicenses"], &removes); err != nil {
		return nil, nil, invalid("removeLicenses", resource)
	}
	add := make([]licensing.AssignedLicense, 0, len(adds))
	for _, a := range adds {
		if a.SkuID == nil {
			return nil, nil, invalid("skuId", "AssignedLicense")
		}
		id, err := licensing.ParseSkuID(*a.SkuID)
		if err != nil {
			return nil, nil, invalid("skuId", "AssignedLicense")
		}
		if a.DisabledPlans == nil {
			return nil, nil, invalid("disabledPlans", "AssignedLicense")
		}
		l := licensing.AssignedLicense{SkuID: id, DisabledPlans: []licensing.PlanID{}}
		for _, p := range *a.DisabledPlans {
			pid, err := licensing.ParsePlanID(p)
			if err != nil {
				return nil, nil, invalid("disabledPlans", "AssignedLicense")
			}
			l.DisabledPlans = append(l.DisabledPlans, pid)
		}
		add = append(add, l)
	}
	remove := make([]licensing.SkuID, 0, len(removes))
	for _, rs := range removes {
		id, err := licensing.ParseSkuID(rs)
		if err != nil {
			return nil, nil, invalid("removeLicenses", resource)
		}
		remove = append(remove, id)
	}
	return add, remove, nil
}

// POST /users/{id}/assignLicense: 200 and the user, or 400 and nothing changed.
func (s *server) assignUser(r *http.Request, ref string, body []byte) response {
	add, remove, perr := parseAssignLicense(body, "User")
	if perr != nil {
		return s.fail(r, perr)
	}
	s.t.lock()
	defer s.t.mu.Unlock()
	u, err := s.t.assignUser(ref, add, remove)
	if err != nil {
		return s.fail(r, asError(err))
	}
	return s.userResponse(r, u)
}

// POST /users/{id}/reprocessLicenseAssignment: 200 and the user.
func (s *server) reprocess(r *http.Request, ref string) response {
	s.t.lock()
	defer s.t.mu.Unlock()
	u, err := s.t.reprocess(ref)
	if err != nil {
		return s.fail(r, asError(err))
	}
	return s.userResponse(r, u)
}

// GET /users/{id}/licenseDetails
func (s *server) licenseDetails(r *http.Request, ref string) response {
	s.t.lock()
	defer s.t.mu.Unlock()
	u, err := s.t.lookupUser(ref)
	if err != nil {
		return s.fail(r, asError(err))
	}
	return collection(r, fmt.Sprintf("users('%s')/licenseDetails", u.data.ID), s.t.licenseDetails(u), nil, "")
}

// GET /groups
func (s *server) listGroups(r *http.Request) response {
	q, qerr := parseQuery(r)
	if qerr != nil {
		return s.fail(r, qerr)
	}
	s.t.lock()
	defer s.t.mu.Unlock()
	filter, err := s.t.groupFilter(q)
	if err != nil {
		return s.fail(r, err)
	}
	var match func(string) bool
	if filter != nil {
		match = func(id string) bool { return filter(s.t.groups[id]) }
	}
	ids, next, err := pageOf(s.t.groupIDs, q, match)
	if err != nil {
		return s.fail(r, err)
	}
	items := make([]object, len(ids))
	for i, id := range ids {
		if items[i], err = s.groups.render(groupView{s.t, s.t.groups[id]}, q.selects); err != nil {
			return s.fail(r, err)
		}
	}
	var count *int
	if q.count {
		n := countOf(s.t.groupIDs, match)
		count = &n
	}
	return collection(r, "groups", items, count, next)
}

// GET /groups/{id}
func (s *server) getGroup(r *http.Request, id string) response {
	q, qerr := parseQuery(r)
	if qerr != nil {
		return s.fail(r, qerr)
	}
	s.t.lock()
	defer s.t.mu.Unlock()
	g, err := s.t.lookupGroup(id)
	if err != nil {
		return s.fail(r, asError(err))
	}
	o, rerr := s.groups.render(groupView{s.t, g}, q.selects)
	if rerr != nil {
		return s.fail(r, rerr)
	}
	return entity(r, "groups", http.StatusOK, o)
}

// DELETE /groups/{id}: 204.
func (s *server) deleteGroup(r *http.Request, id string) response {
	s.t.lock()
	defer s.t.mu.Unlock()
	if err := s.t.deleteGroup(id); err != nil {
		return s.fail(r, asError(err))
	}
	return response{status: http.StatusNoContent}
}

// POST /groups/{id}/assignLicense: 202 Accepted with a Location header and the group;
// members are processed in the background.
func (s *server) assignGroup(r *http.Request, id string, body []byte) response {
	add, remove, perr := parseAssignLicense(body, "Group")
	if perr != nil {
		return s.fail(r, perr)
	}
	s.t.lock()
	defer s.t.mu.Unlock()
	g, err := s.t.assignGroup(id, add, remove)
	if err != nil {
		return s.fail(r, asError(err))
	}
	o, _ := s.groups.render(groupView{s.t, g}, nil)
	resp := entity(r, "groups", http.StatusAccepted, o)
	resp.header = http.Header{}
	resp.header.Set("Location", fmt.Sprintf("%s/v2/%s/directoryObjects/%s/Microsoft.DirectoryServices.Group", baseURL(r), s.t.tenantID, g.data.ID))
	return resp
}

// GET /groups/{id}/members, /transitiveMembers and /membersWithLicenseErrors, optionally cast
// to users (/microsoft.graph.user). Members are users only: nested groups pass no licenses.
func (s *server) members(r *http.Request, id, kind string, cast bool) response {
	q, qerr := parseQuery(r)
	if qerr != nil {
		return s.fail(r, qerr)
	}
	if q.filter != "" {
		return s.fail(r, errUnsupportedFilter())
	}
	if err := s.signInRefusal(q); err != nil {
		return s.fail(r, err)
	}
	s.t.lock()
	defer s.t.mu.Unlock()
	g, err := s.t.lookupGroup(id)
	if err != nil {
		return s.fail(r, asError(err))
	}
	var match func(string) bool
	if kind == "membersWithLicenseErrors" {
		match = func(uid string) bool { return s.t.memberHasError(g, s.t.users[uid]) }
	}
	ids, next, perr := pageOf(g.members, q, match)
	if perr != nil {
		return s.fail(r, perr)
	}
	items := make([]object, len(ids))
	for i, uid := range ids {
		o, rerr := s.users.render(userView{s.t, s.t.users[uid]}, q.selects)
		if rerr != nil {
			return s.fail(r, rerr)
		}
		o["@odata.type"] = "#microsoft.graph.user"
		items[i] = o
	}
	var count *int
	if q.count {
		n := countOf(g.members, match)
		count = &n
	}
	set := "directoryObjects"
	if cast {
		set = "users"
	}
	return collection(r, set, items, count, next)
}

// POST /groups/{id}/members/$ref {"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}: 204.
func (s *server) addMember(r *http.Request, gid string, body []byte) response {
	var ref map[string]any
	if err := json.Unmarshal(body, &ref); err != nil || ref == nil {
		return s.fail(r, errInvalidQuery(msgBadJSON))
	}
	odataID, _ := ref["@odata.id"].(string)
	uid := objectIDOf(odataID)
	if uid == "" {
		return s.fail(r, errInvalid(licensing.Target{}, fmt.Sprintf("Invalid object identifier '%s'.", odataID)))
	}
	s.t.lock()
	defer s.t.mu.Unlock()
	if err := s.t.addMember(gid, uid); err != nil {
		return s.fail(r, asError(err))
	}
	return response{status: http.StatusNoContent}
}

// objectIDOf takes the object id out of an @odata.id reference: the last path segment of
// .../directoryObjects/{id} or .../users/{id}, or the key of directoryObjects('{id}').
func objectIDOf(ref string) string {
	ref = strings.TrimRight(strings.TrimSpace(ref), "/")
	if i := strings.LastIndex(ref, "('"); i >= 0 && strings.HasSuffix(ref, "')") {
		return ref[i+2 : len(ref)-2]
	}
	if i := strings.LastIndex(ref, "/"); i >= 0 && i < len(ref)-1 {
		seg := ref[i+1:]
		if seg == "$ref" {
			return ""
		}
		return seg
	}
	return ""
}

// DELETE /groups/{id}/members/{userId}/$ref: 204.
func (s *server) removeMember(r *http.Request, gid, uid string) response {
	s.t.lock()
	defer s.t.mu.Unlock()
	if err := s.t.removeMember(gid, uid); err != nil {
		return s.fail(r, asError(err))
	}
	return response{status: http.StatusNoContent}
}

// asError returns err as the *licensing.Error the engine made it.
func asError(err error) *licensing.Error {
	if e, ok := err.(*licensing.Error); ok {
		return e
	}
	return &licensing.Error{Kind: licensing.Other, Message: err.Error(), Err: err} // answered 400 UnknownError
}

// GET /directory/subscriptions, /directory/subscriptions/{id} and
// /directory/subscriptions(commerceSubscriptionId='{id}'): the snapshot's companySubscriptions
// (none when it has none), all in one page; $select picks properties, $filter is refused. seg
// is the path segment after /directory, id the one after it ("" for none).
func (s *server) listSubscriptions(r *http.Request, seg, id string) response {
	q, qerr := parseQuery(r)
	if qerr != nil {
		return s.fail(r, qerr)
	}
	if q.filter != "" {
		return s.fail(r, errUnsupportedFilter())
	}
	var commerceID string
	if k, ok := strings.CutPrefix(seg, "subscriptions(commerceSubscriptionId='"); ok {
		if commerceID, ok = strings.CutSuffix(k, "')"); !ok || commerceID == "" || id != "" {
			return s.fail(r, errSegment(seg))
		}
	}
	s.t.lock()
	defer s.t.mu.Unlock()
	items := []object{}
	for _, c := range s.t.subscriptions {
		if id != "" && !strings.EqualFold(c.ID, id) || commerceID != "" && !strings.EqualFold(c.CommerceSubscriptionID, commerceID) {
			continue
		}
		o, err := s.subscriptions.render(subscriptionView{s.t, c}, q.selects)
		if err != nil {
			return s.fail(r, err)
		}
		items = append(items, o)
	}
	if id != "" || commerceID != "" {
		if len(items) == 0 {
			return s.fail(r, newError(licensing.InvalidInput, CodeNotFound, licensing.Target{}, resourceNotFound(id+commerceID)))
		}
		return entity(r, "directory/subscriptions", http.StatusOK, items[0])
	}
	return collection(r, "directory/subscriptions", items, nil, "")
}
