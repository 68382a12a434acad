package fake

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// Paging limits of Graph's directory collections.
const (
	defaultPageSize = 100
	maxPageSize     = 999
)

// odataQuery is the OData system query options of one request.
type odataQuery struct {
	selects   []string // as given; nil when $select is absent
	top       int
	count     bool
	filter    string
	skipToken string
	eventual  bool // ConsistencyLevel: eventual (an advanced query)
}

func parseQuery(r *http.Request) (odataQuery, *licensing.Error) {
	q := odataQuery{top: defaultPageSize, eventual: strings.EqualFold(r.Header.Get("ConsistencyLevel"), "eventual")}
	vals := r.URL.Query()
	for k := range vals {
		switch k {
		case "$select", "$top", "$count", "$filter", "$skiptoken", "$skipToken":
		default:
			if strings.HasPrefix(k, "$") {
				return q, errInvalidQuery(fmt.Sprintf("Query option '%s' is not supported by this fake.", k))
			}
		}
	}
	if v := vals.Get("$select"); v != "" {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				q.selects = append(q.selects, f)
			}
		}
	}
	if v := vals.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return q, errInvalid(licensing.Target{}, fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", v, maxPageSize))
		}
		q.top = n
	}
	switch v := strings.ToLower(vals.Get("$count")); v {
	case "", "false":
	case "true":
		q.count = true
	default:
		return q, errInvalidQuery(fmt.Sprintf("The value '%s' of $count is not valid: use true or false.", v))
	}
	q.filter = strings.TrimSpace(vals.Get("$filter"))
	q.skipToken = vals.Get("$skiptoken")
	if q.skipToken == "" {
		q.skipToken = vals.Get("$skipToken")
	}
	if q.count && !q.eventual {
		return q, errInvalid(licensing.Target{}, "$count is not currently supported.")
	}
	return q, nil
}

func errInvalidQuery(msg string) *licensing.Error {
	return newError(licensing.InvalidInput, CodeODataBadRequest, licensing.Target{}, msg)
}

func errUnsupportedFilter() *licensing.Error {
	return newError(licensing.InvalidInput, CodeUnsupportedQuery, licensing.Target{}, "Unsupported Query.")
}

var (
	reAnySku    = regexp.MustCompile(`^assignedLicenses/any\(\s*(\w+)\s*:\s*(\w+)/skuId\s+eq\s+'?([0-9A-Fa-f-]{36})'?\s*\)$`)
	reCountNe0  = regexp.MustCompile(`^assignedLicenses/\$count\s+ne\s+0$`)
	reErrorsEq  = regexp.MustCompile(`^hasMembersWithLicenseErrors\s+eq\s+true$`)
	reUPNEquals = regexp.MustCompile(`^userPrincipalName\s+eq\s+'([^']*)'$`)
)

// userFilter compiles the $filter expressions the fake supports on users.
func (t *Tenant) userFilter(q odataQuery) (func(*user) bool, *licensing.Error) {
	switch f := q.filter; {
	case f == "":
		return nil, nil
	case reAnySku.MatchString(f):
		m := reAnySku.FindStringSubmatch(f)
		if m[1] != m[2] {
			return nil, errUnsupportedFilter()
		}
		id, err := licensing.ParseSkuID(m[3])
		if err != nil {
			return nil, errUnsupportedFilter()
		}
		s, ok := t.skuByID[id]
		return func(u *user) bool { return ok && hasActive(u.paths, s) }, nil
	case reCountNe0.MatchString(f):
		if !q.eventual || !q.count {
			return nil, errUnsupportedFilter()
		}
		return func(u *user) bool { return len(t.assignedLicenses(u.paths)) > 0 }, nil
	case reUPNEquals.MatchString(f):
		upn := strings.ToLower(reUPNEquals.FindStringSubmatch(f)[1])
		return func(u *user) bool { return strings.ToLower(u.data.UserPrincipalName) == upn }, nil
	}
	return nil, errUnsupportedFilter()
}

// groupFilter compiles the $filter expressions the fake supports on groups.
func (t *Tenant) groupFilter(q odataQuery) (func(*group) bool, *licensing.Error) {
	switch f := q.filter; {
	case f == "":
		return nil, nil
	case reCountNe0.MatchString(f):
		if !q.eventual || !q.count {
			return nil, errUnsupportedFilter()
		}
		return func(g *group) bool { return len(g.licenses) > 0 }, nil
	case reErrorsEq.MatchString(f):
		return func(g *group) bool { return t.hasMemberErrors(g) }, nil
	}
	return nil, errUnsupportedFilter()
}

func hasActive(ps []path, s int) bool {
	for _, p := range ps {
		if p.sku == s && p.enables() {
			return true
		}
	}
	return false
}

func (t *Tenant) hasMemberErrors(g *group) bool {
	for _, m := range g.members {
		if t.memberHasError(g, t.users[m]) {
			return true
		}
	}
	return false
}

func (t *Tenant) memberHasError(g *group, u *user) bool {
	for _, p := range u.paths {
		if p.group == g.data.ID && (p.state == licensing.StateError || p.state == licensing.StateActiveWithError) {
			return true
		}
	}
	return false
}

// pageOf returns one page of ids (sorted ascending) that match, after the skip token, and the
// skip token of the next page ("" when this is the last). Paging by the last id seen means a
// listing visits every object exactly once even while licenses change between pages.
func pageOf(ids []string, q odataQuery, match func(string) bool) (page []string, next string, err *licensing.Error) {
	start := 0
	if q.skipToken != "" {
		after, ok := decodeSkipToken(q.skipToken)
		if !ok {
			return nil, "", errInvalid(licensing.Target{}, "Invalid skip token '"+q.skipToken+"'.")
		}
		start, _ = slices.BinarySearch(ids, after)
		if start < len(ids) && ids[start] == after {
			start++
		}
	}
	for i := start; i < len(ids); i++ {
		if match != nil && !match(ids[i]) {
			continue
		}
		if len(page) == q.top {
			return page, encodeSkipToken(page[len(page)-1]), nil
		}
		page = append(page, ids[i])
	}
	return page, "", nil
}

func countOf(ids []string, match func(string) bool) int {
	if match == nil {
		return len(ids)
	}
	n := 0
	for _, id := range ids {
		if match(id) {
			n++
		}
	}
	return n
}

const skipTokenPrefix = "fake1:"

func encodeSkipToken(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(skipTokenPrefix + lastID))
}

func decodeSkipToken(tok string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), skipTokenPrefix) {
		return "", false
	}
	return strings.TrimPrefix(string(b), skipTokenPrefix), true
}

// nextLink is the absolute URL of the next page: the request's URL with the skip token
// replaced, keeping Graph's unescaped "$" in option names.
func nextLink(r *http.Request, token string) string {
	var parts []string
	for _, kv := range strings.Split(r.URL.RawQuery, "&") {
		if kv == "" {
			continue
		}
		k, _, _ := strings.Cut(kv, "=")
		if dk, err := url.QueryUnescape(k); err == nil && strings.EqualFold(dk, "$skiptoken") {
			continue
		}
		parts = append(parts, kv)
	}
	parts = append(parts, "$skiptoken="+token)
	return baseURL(r) + r.URL.Path + "?" + strings.Join(parts, "&")
}

// baseURL is scheme://host of the request.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
