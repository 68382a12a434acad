package graphadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/retry"
)

// ResponseError is Graph's error reply behind a *licensing.Error that this package returns (its
// Err): the transport's side of the error, where the licensing.Error says what Entra objected to.
// It carries Graph's code and the Retry-After Graph sent, and implements retry.Hint, so that the
// executor (planner.Apply) finds the wait with retry.After:
//
//	var re *graphadapter.ResponseError
//	if errors.As(err, &re) { log.Print(re.StatusCode, re.Code, re.RequestID) }
//	wait, ok := retry.After(err) // Graph's Retry-After of a Throttled or Transient error
type ResponseError struct {
	Method     string // e.g. "POST"
	Path       string // relative to the Graph root, e.g. "/users/{id}/assignLicense" with the id
	StatusCode int    // HTTP status, e.g. 400
	Code       string // Graph's error code, e.g. "Request_BadRequest"
	RequestID  string // Graph's request-id header, for Microsoft support
	// Wait is the Retry-After Graph sent with a reply worth retrying (429, 5xx), as a duration;
	// 0 when it sent none. When the adapter hands such a reply up, its own retries are spent or
	// the wait is longer than RetryPolicy.MaxRetryAfter: the caller schedules it.
	Wait time.Duration
}

// RetryAfter returns Wait (retry.Hint).
func (e *ResponseError) RetryAfter() time.Duration { return e.Wait }

var _ retry.Hint = (*ResponseError)(nil)

// responseError returns the *ResponseError in err's chain, or nil.
func responseError(err error) *ResponseError {
	var re *ResponseError
	if errors.As(err, &re) {
		return re
	}
	return nil
}

// Error describes the reply: method, path, HTTP status, Graph's error code and the request id.
func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.RequestID != "" {
		b.WriteString(" (request-id ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// call describes the Graph call an error came from, so that the error is mapped with its target.
type call struct {
	method string
	path   string // relative to the root, with ids
	user   string // the user concerned, if any
	group  string // the group concerned, if any
	// listing names the listing a GET of a collection belongs to ("users", "groups", "members",
	// …), for the progress report.
	listing string
	add     []licensing.SkuID
	remove  []licensing.SkuID
}

// target is the user the call is about, else the group (membership calls are about the user).
func (c call) target() licensing.Target {
	switch {
	case c.user != "":
		return licensing.Target{Type: licensing.TargetUser, ID: c.user}
	case c.group != "":
		return licensing.Target{Type: licensing.TargetGroup, ID: c.group}
	}
	return licensing.Target{}
}

// isGroupAssign reports whether the call is POST /groups/{id}/assignLicense.
func (c call) isGroupAssign() bool {
	return c.user == "" && c.group != "" && strings.HasSuffix(c.path, "/assignLicense")
}

func (c call) String() string { return c.method + " " + c.path }

// failure is one Graph error reply, as the SDK's ODataError (or ApiError) carries it.
type failure struct {
	status     int
	code       string
	message    string
	more       []string // codes and messages of details[] and innerError, to classify on
	retryAfter time.Duration
	hasRetry   bool
	requestID  string
}

// rule maps Graph's error texts to a kind: it matches when any of its alternatives matches, an
// alternative being substrings that must all occur (case-insensitively) in the error's code,
// message, details or innerError.
type rule struct {
	kind licensing.Kind
	any  [][]string
}

// rules are tried in order after the status-based ones (429 → Throttled, 5xx → Transient,
// 404 → UnknownUser/UnknownGroup). Sources: Graph's replies as quoted in public issues and scripts
// ("Subscription with SKU … does not have any available licenses.", "License assignment failed
// because service plans … are mutually exclusive.", "License assignment failed because service
// plan … depends on the service plan(s) …", "User license is inherited from a group membership
// and it cannot be removed directly from the user.", "License assignment cannot be done for user
// with invalid usage location.", "License … does not correspond to a valid company License."),
// Entra's licenseAssignmentState error names, and the fake server's texts.
var rules = []rule{
	{licensing.UsageLocationMissing, [][]string{
		{"usagelocationmissing"},
		{"invalid usage location"},
		{"usage location", "required"},
		{"usagelocation", "required"},
		{"without a usage location"},
		{"no usage location"},
		{"usage location is not set"},
		{"usage location", "missing"},
	}},
	{licensing.ProhibitedInUsageLocationViolation, [][]string{
		{"prohibitedinusagelocation"},
		{"usage location", "not available"},
		{"usage location", "not allowed"},
		{"usage location", "prohibited"},
		{"usage location", "not supported"},
		{"not available in", "country"},
	}},
	{licensing.InheritedLicense, [][]string{
		{"inheritedlicense"},
		{"inherited from a group"},
		{"inherited from group"},
		{"assigned through a group", "cannot be removed"},
		{"assigned by a group", "cannot be removed"},
	}},
	{licensing.CountViolation, [][]string{
		{"countviolation"},
		{"does not have any available licenses"},
		{"no available licenses"},
		{"not enough licenses"},
		{"insufficient licenses"},
		{"licensequotaexceeded"},
		{"out of licenses"},
		{"no free seats"},
		{"not enough", "seats"},
	}},
	{licensing.MutuallyExclusiveViolation, [][]string{
		{"mutuallyexclusiveviolation"},
		{"mutually exclusive"},
		{"conflicts with service plan"},
		{"conflicting service plan"},
	}},
	{licensing.DependencyViolation, [][]string{
		{"dependencyviolation"},
		{"depends on the service plan"},
		{"depends on service plan"},
		{"dependent service plan"},
		{"service plan", "depends on"},
		{"service plan", "required by"},
	}},
	{licensing.UniquenessViolation, [][]string{
		{"uniquenessviolation"},
		{"proxy address", "already"},
	}},
	{licensing.UnknownServicePlan, [][]string{
		{"unknownserviceplan"},
		{"service plan", "does not belong"},
		{"service plan", "not part of"},
		{"service plan", "not found"},
		{"serviceplan", "invalid"},
		{"disabledplans", "invalid"},
	}},
	{licensing.SkuNotAssignable, [][]string{
		{"skunotassignable"},
		{"cannot be assigned to a user"},
		{"cannot be assigned to users"},
		{"cannot be assigned to a group"},
		{"not assignable"},
		{"subscription", "suspended"},
		{"subscription", "locked out"},
		{"subscription", "lockedout"},
		{"subscription", "deleted"},
		{"subscription", "expired"},
	}},
	{licensing.UnknownSku, [][]string{
		{"unknownsku"},
		{"does not correspond to a valid company license"},
		{"not a valid company license"},
		{"license", "not found"},
		{"sku", "not found"},
		{"skuid", "invalid"},
		{"sku", "does not exist"},
		{"subscription", "does not exist"},
	}},
	{licensing.UnknownUser, [][]string{{"unknownuser"}}},
	{licensing.UnknownGroup, [][]string{{"unknowngroup"}}},
}

func (r rule) match(text string) bool {
	for _, alt := range r.any {
		all := true
		for _, s := range alt {
			if !strings.Contains(text, s) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// entraNames are Entra's own error names, matched exactly on a code before any text rule.
var entraNames = map[string]licensing.Kind{
	"countviolation":                     licensing.CountViolation,
	"mutuallyexclusiveviolation":         licensing.MutuallyExclusiveViolation,
	"dependencyviolation":                licensing.DependencyViolation,
	"prohibitedinusagelocationviolation": licensing.ProhibitedInUsageLocationViolation,
	"uniquenessviolation":                licensing.UniquenessViolation,
	"usagelocationmissing":               licensing.UsageLocationMissing,
	"inheritedlicense":                   licensing.InheritedLicense,
	"unknownsku":                         licensing.UnknownSku,
	"unknownserviceplan":                 licensing.UnknownServicePlan,
	"skunotassignable":                   licensing.SkuNotAssignable,
	"unknownuser":                        licensing.UnknownUser,
	"unknowngroup":                       licensing.UnknownGroup,
	"groupprerequisitemissing":           licensing.GroupPrerequisiteMissing,
}

var resourceRE = regexp.MustCompile(`(?i)(?:resource|object identifier|object|user|group)\s+'([^']+)'`)

// classify returns the kind of a Graph error reply for call c.
func classify(c call, f failure) licensing.Kind {
	switch {
	case f.status == http.StatusTooManyRequests:
		return licensing.Throttled
	case f.status >= 500:
		return licensing.Transient
	case isExpiredPageToken(f), isConcurrencyFailure(f):
		return licensing.Transient
	}
	codes := append([]string{f.code}, f.more...)
	for _, code := range codes {
		if k, ok := entraNames[strings.ToLower(strings.TrimSpace(code))]; ok {
			return groupKind(c, k)
		}
	}
	text := strings.ToLower(f.code + "\n" + f.message + "\n" + strings.Join(f.more, "\n"))
	if invalidRequest.match(text) {
		return licensing.InvalidInput
	}
	if f.status == http.StatusNotFound || strings.Contains(strings.ToLower(f.code), "resourcenotfound") ||
		strings.Contains(text, "does not exist or one of its queried reference-property objects are not present") {
		return notFoundKind(c, f)
	}
	for _, r := range rules {
		if r.match(text) {
			return groupKind(c, r.kind)
		}
	}
	switch strings.ToLower(f.code) {
	case "badrequest", "request_unsupportedquery", "invalidrequest":
		// OData's own refusals of a malformed URL, query or payload.
		return licensing.InvalidInput
	}
	if f.status == http.StatusMethodNotAllowed {
		return licensing.InvalidInput
	}
	return licensing.Other
}

// codeExpiredPageToken is Graph's refusal of an @odata.nextLink whose page token expired:
// HTTP 400 {"code": "Directory_ExpiredPageToken", "message": "The specified page token value has
// expired and can no longer be included in your request."} (as quoted in
// microsoftgraph/msgraph-sdk-dotnet#2254). The listing must start again from its first page.
const codeExpiredPageToken = "Directory_ExpiredPageToken"

func isExpiredPageToken(f failure) bool {
	return strings.EqualFold(strings.TrimSpace(f.code), codeExpiredPageToken) ||
		strings.Contains(strings.ToLower(f.message), "page token value has expired")
}

// isConcurrencyFailure matches LicenseAssignmentAttributeConcurrencyException, Entra's name for a
// license assignment that collided with another one on the same user (Microsoft Entra docs,
// "Identify and resolve license assignment problems for a group": Entra processes the user again;
// no action is needed). Microsoft documents the name, not an HTTP reply: it is matched in the
// code, the message, the details or innerError, whatever the status, and is worth another try.
func isConcurrencyFailure(f failure) bool {
	text := strings.ToLower(f.code + "\n" + f.message + "\n" + strings.Join(f.more, "\n"))
	return strings.Contains(text, "licenseassignmentattributeconcurrencyexception")
}

// groupKind: Graph answers a group assignment that lacks an add-on's prerequisite with the
// dependency text; for a group that is GroupPrerequisiteMissing (the prerequisite must be in the
// same group's assignment).
func groupKind(c call, k licensing.Kind) licensing.Kind {
	if k == licensing.DependencyViolation && c.isGroupAssign() {
		return licensing.GroupPrerequisiteMissing
	}
	return k
}

// invalidRequest matches refusals of a request that cannot succeed as sent: a membership that is
// already there or not there, a license the object does not hold, an id that is not one.
var invalidRequest = rule{licensing.InvalidInput, [][]string{
	{"added object references already exist"},
	{"removed object references do not exist"},
	{"does not have a corresponding license"},
	{"invalid object identifier"},
	{"invalid value specified for property"},
	{"property '", "is required"},
	{"is not currently supported"},
	{"resource not found for the segment"},
	// Member changes Graph refuses by the group's kind (fake/doc.go has the sources):
	// mail-enabled security groups and distribution lists are managed in Exchange Online,
	// groups synced from on-premises in Active Directory.
	{"cannot update a mail-enabled security group"},
	{"on-premises mastered directory sync objects"},
}}

// notFoundKind tells a missing user from a missing group: by the id Graph names in the message
// ("Resource '<id>' does not exist or …"), else by the object the path starts with.
func notFoundKind(c call, f failure) licensing.Kind {
	if m := resourceRE.FindStringSubmatch(f.message); m != nil {
		switch {
		case c.group != "" && strings.EqualFold(m[1], c.group):
			return licensing.UnknownGroup
		case c.user != "" && strings.EqualFold(m[1], c.user):
			return licensing.UnknownUser
		}
	}
	switch {
	case strings.HasPrefix(c.path, "/groups/"):
		return licensing.UnknownGroup
	case strings.HasPrefix(c.path, "/users/"):
		return licensing.UnknownUser
	}
	return licensing.Other
}

var guidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// mapFailure turns one Graph error reply into the library's error, with the kind, the target, the
// SKU and plans Graph named, and the reply (Graph's code, Retry-After) as its *ResponseError.
func mapFailure(c call, f failure) *licensing.Error {
	kind := classify(c, f)
	msg := strings.TrimSpace(f.message)
	if msg == "" {
		msg = fmt.Sprintf("Graph answered %s with HTTP %d %s and no message", c, f.status, http.StatusText(f.status))
	}
	re := &ResponseError{Method: c.method, Path: c.path, StatusCode: f.status, Code: f.code, RequestID: f.requestID}
	if f.hasRetry && (kind == licensing.Throttled || kind == licensing.Transient) {
		re.Wait = f.retryAfter
	}
	e := &licensing.Error{
		Kind:    kind,
		Target:  c.target(),
		Message: msg,
		Err:     re,
	}
	switch kind {
	case licensing.UnknownUser:
		e.Target = licensing.Target{Type: licensing.TargetUser, ID: c.user}
		if c.user == "" {
			e.Target = licensing.Target{}
		}
	case licensing.UnknownGroup:
		e.Target = licensing.Target{Type: licensing.TargetGroup, ID: c.group}
	}
	guids := guidRE.FindAllString(f.message, -1)
	switch kind {
	case licensing.MutuallyExclusiveViolation, licensing.DependencyViolation, licensing.GroupPrerequisiteMissing,
		licensing.ProhibitedInUsageLocationViolation, licensing.UnknownServicePlan:
		for _, g := range guids {
			id, err := licensing.ParsePlanID(g)
			switch {
			case err != nil || isCallObject(c, g):
			case isCallSku(c, id):
				// "Service plan P is not part of license S": S is the call's SKU.
				e.SkuID = licensing.SkuID(id)
			default:
				e.Plans = append(e.Plans, id)
			}
		}
	case licensing.CountViolation, licensing.UnknownSku, licensing.SkuNotAssignable, licensing.InheritedLicense:
		for _, g := range guids {
			if id, err := licensing.ParseSkuID(g); err == nil && !isCallObject(c, g) {
				e.SkuID = id
				break
			}
		}
		if e.SkuID.IsZero() {
			// Graph often names no SKU; when the call touched exactly one, it is the one.
			touched := c.add
			if kind == licensing.InheritedLicense {
				touched = c.remove
			}
			if len(touched) == 1 {
				e.SkuID = touched[0]
			}
		}
	}
	return e
}

func isCallObject(c call, id string) bool {
	return strings.EqualFold(id, c.user) || strings.EqualFold(id, c.group)
}

func isCallSku(c call, p licensing.PlanID) bool {
	for _, s := range c.add {
		if licensing.GUID(s) == licensing.GUID(p) {
			return true
		}
	}
	for _, s := range c.remove {
		if licensing.GUID(s) == licensing.GUID(p) {
			return true
		}
	}
	return false
}

// mapError maps whatever an SDK call returned to a *licensing.Error, once. It never calls Error()
// on the SDK's ODataError, which panics when Graph sent no message.
func (t *Tenant) mapError(ctx context.Context, c call, err error) error {
	if err == nil {
		return nil
	}
	var le *licensing.Error
	if errors.As(err, &le) {
		return err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return &licensing.Error{Kind: licensing.Other, Target: c.target(), Message: fmt.Sprintf("%s was abandoned", c), Err: ctxErr}
	}
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		e := mapFailure(c, failureFromOData(oe, t.now()))
		t.logFailure(ctx, c, e)
		return e
	}
	var ae *abs.ApiError
	if errors.As(err, &ae) {
		// The SDK's own message ("no error factory is registered…") is not Graph's; leave it out.
		f := failure{status: ae.ResponseStatusCode}
		if ae.ResponseHeaders != nil {
			f.retryAfter, f.hasRetry = headerRetryAfter(ae.ResponseHeaders, t.now())
			f.requestID = firstHeader(ae.ResponseHeaders, "request-id")
		}
		if f.status == 0 {
			return &licensing.Error{Kind: licensing.Other, Target: c.target(), Message: fmt.Sprintf("%s failed: %s", c, ae.Message)}
		}
		e := mapFailure(c, f)
		t.logFailure(ctx, c, e)
		return e
	}
	var pe *sdkPanic
	if errors.As(err, &pe) {
		return &licensing.Error{Kind: licensing.Other, Target: c.target(), Message: fmt.Sprintf("the Graph SDK failed on the reply to %s", c), Err: err}
	}
	var authErr *azidentity.AuthenticationFailedError
	if errors.As(err, &authErr) || isCredentialUnavailable(err) {
		return &licensing.Error{Kind: licensing.Other, Target: c.target(), Message: fmt.Sprintf("could not get an access token for Microsoft Graph to call %s", c), Err: err}
	}
	if isMalformed(err) {
		return &licensing.Error{Kind: licensing.Transient, Target: c.target(), Message: fmt.Sprintf("Microsoft Graph's reply to %s is not valid JSON", c), Err: err}
	}
	if isNetwork(err) {
		e := &licensing.Error{Kind: licensing.Transient, Target: c.target(), Message: fmt.Sprintf("%s failed on the network after %d tries", c, t.retry.MaxAttempts), Err: err}
		t.logFailure(ctx, c, e)
		return e
	}
	return &licensing.Error{Kind: licensing.Other, Target: c.target(), Message: fmt.Sprintf("%s failed", c), Err: err}
}

func (t *Tenant) logFailure(ctx context.Context, c call, e *licensing.Error) {
	re := responseError(e)
	if re != nil && strings.EqualFold(re.Code, codeExpiredPageToken) {
		return // not given up: the listing starts again, and says so
	}
	if e.Kind == licensing.Throttled || e.Kind == licensing.Transient {
		wait, _ := retry.After(e)
		t.log.WarnContext(ctx, "graph request gave up", "method", c.method, "path", c.path, "kind", e.Kind.String(), "retryAfter", wait)
	}
}

// isCredentialUnavailable matches azidentity's errors for a credential that cannot work here
// (e.g. no managed identity endpoint): azcore marks them NonRetriable.
func isCredentialUnavailable(err error) bool {
	var u interface{ NonRetriable() }
	return errors.As(err, &u)
}

func isMalformed(err error) bool {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "invalid character") || strings.Contains(s, "invalid json") ||
		strings.Contains(s, "unexpected end of JSON") || strings.Contains(s, "looking for beginning of value")
}

func isNetwork(err error) bool {
	var ne net.Error
	var ue *url.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &ue) || errors.As(err, &oe) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "connection reset")
}

// failureFromOData reads an ODataError without calling its Error method.
func failureFromOData(oe *odataerrors.ODataError, now time.Time) (f failure) {
	defer func() {
		// The SDK's getters panic on a broken backing store; keep what was read.
		_ = recover()
	}()
	f.status = oe.ResponseStatusCode
	if oe.ResponseHeaders != nil {
		f.retryAfter, f.hasRetry = headerRetryAfter(oe.ResponseHeaders, now)
		f.requestID = firstHeader(oe.ResponseHeaders, "request-id")
	}
	me := oe.GetErrorEscaped()
	if me == nil {
		return f
	}
	if s := me.GetCode(); s != nil && *s != fallbackCode(f.status) {
		f.code = *s
	}
	if s := me.GetMessage(); s != nil {
		f.message = *s
	}
	for _, d := range me.GetDetails() {
		if d == nil {
			continue
		}
		if s := d.GetCode(); s != nil {
			f.more = append(f.more, *s)
		}
		if s := d.GetMessage(); s != nil {
			f.more = append(f.more, *s)
		}
	}
	if in := me.GetInnerError(); in != nil {
		if f.requestID == "" {
			if s := in.GetRequestId(); s != nil {
				f.requestID = *s
			}
		}
		for k, v := range in.GetAdditionalData() {
			if s, ok := v.(*string); ok && s != nil && (k == "code" || k == "message") {
				f.more = append(f.more, *s)
			}
		}
	}
	return f
}

func firstHeader(h *abs.ResponseHeaders, key string) string {
	if v := h.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func headerRetryAfter(h *abs.ResponseHeaders, now time.Time) (time.Duration, bool) {
	for _, v := range h.Get("Retry-After") {
		if d, ok := parseRetryAfter(v, now); ok {
			return d, true
		}
	}
	return 0, false
}

// sdkPanic is a panic of the SDK turned into an error.
type sdkPanic struct{ value any }

func (p *sdkPanic) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// guard runs an SDK call and turns its panics into errors.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &sdkPanic{value: r}
		}
	}()
	return f()
}
