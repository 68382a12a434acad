package fake

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/retry"
)

// Graph error codes the fake answers with. The texts are listed per kind in doc.go; where
// Microsoft Graph's own text is known the fake uses it word for word.
const (
	CodeBadRequest       = "Request_BadRequest"          // a refused license or membership change
	CodeNotFound         = "Request_ResourceNotFound"    // no such user, group or member reference
	CodeUnsupportedQuery = "Request_UnsupportedQuery"    // a $filter the fake (or Graph) does not support
	CodeODataBadRequest  = "BadRequest"                  // malformed URL, segment or JSON payload
	CodeTooManyRequests  = "TooManyRequests"             // throttled (HTTP 429)
	CodeUnavailable      = "serviceNotAvailable"         // injected HTTP 503
	CodeGatewayTimeout   = "UnknownError"                // injected HTTP 504
	CodeFailedDependency = "FailedDependency"            // a $batch request whose dependency failed (HTTP 424)
	CodeForbidden        = "Authorization_RequestDenied" // HTTP 403: e.g. a member change of a dynamic group
	// CodeNonPremium is Graph's 403 to $select=signInActivity in a tenant without Microsoft
	// Entra ID P1 or P2 (see doc.go).
	CodeNonPremium = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
)

// The messages Graph sends for license errors. Those marked "Graph's" are Graph's own texts;
// the others are the fake's, written in Graph's style (see doc.go).
const (
	msgInherited      = "User license is inherited from a group membership and it cannot be removed directly from the user." // Graph's
	msgUsageLocation  = "License assignment cannot be done for user with invalid usage location."                            // Graph's
	msgNotHeld        = "User does not have a corresponding license."                                                        // Graph's
	msgGroupNotHeld   = "Group does not have a corresponding license."
	msgMemberExists   = "One or more added object references already exist for the following modified properties: 'members'."  // Graph's
	msgMemberNotFound = "One or more removed object references do not exist for the following modified properties: 'members'." // Graph's
	msgMethod         = "Specified HTTP method is not allowed for the request target."                                         // Graph's
	msgBadJSON        = "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
	msgThrottled      = "Please retry again later."                                    // Graph's (throttling guidance sample)
	msgNonPremium     = "Neither tenant is B2C or tenant doesn't have premium license" // Graph's
	// Member changes Graph refuses for the group's kind (doc.go's error table has the sources).
	msgDynamicMembers    = "Insufficient privileges to complete the operation."                                                                                   // Graph's (403)
	msgSyncedMembers     = "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration." // Graph's
	msgMailEnabledMember = "Cannot Update a mail-enabled security groups and or distribution list."                                                               // Graph's
	// The fake's: Graph's text for assignLicense to a group that cannot carry licenses is not known.
	msgGroupCannotCarry = "License assignment failed because the group is not security enabled: only security groups and Microsoft 365 groups with securityEnabled can be assigned licenses."
	// Entra's text for deleting a group that carries licenses, as directory synchronization
	// reports it; Graph's status and code for it are the fake's choice (400 Request_BadRequest).
	msgLicensedGroup = "Unable to delete the group because there is a product license assigned to the group. To delete this group, remove any product licenses first."
)

// GraphError is the part of a fake refusal that is Graph's reply rather than Entra's verdict:
// the HTTP status and Graph's error code the fake server answers with, and the Retry-After it
// sends (throttling, some injected faults). Every error the fake returns through its Go API is a
// *licensing.Error (Kind, Message, Target, SkuID, Plans: what Entra objected to) whose Err is a
// *GraphError, except the injected network failures (a reset connection, a cut-short reply),
// which have no reply:
//
//	var ge *fake.GraphError
//	if errors.As(err, &ge) { fmt.Println(ge.StatusCode, ge.Code) } // 400 Request_BadRequest
//
// It implements retry.Hint, so planner.Apply waits out its Retry-After as it does graphadapter's.
type GraphError struct {
	StatusCode int           // the HTTP status the server answers with, e.g. 400
	Code       string        // Graph's error code, e.g. "Request_BadRequest" (CodeBadRequest)
	Wait       time.Duration // the Retry-After the server sends, 0 when none
}

// Error describes the reply, e.g. "HTTP 429 TooManyRequests, Retry-After 1s".
func (e *GraphError) Error() string {
	s := fmt.Sprintf("HTTP %d %s", e.StatusCode, e.Code)
	if e.Wait > 0 {
		s += fmt.Sprintf(", Retry-After %s", e.Wait)
	}
	return s
}

// RetryAfter returns Wait (retry.Hint).
func (e *GraphError) RetryAfter() time.Duration { return e.Wait }

var _ retry.Hint = (*GraphError)(nil)

// graphError returns the *GraphError in err's chain, or nil.
func graphError(err error) *GraphError {
	var ge *GraphError
	if errors.As(err, &ge) {
		return ge
	}
	return nil
}

// newError is a refusal with Graph's code; the status follows from the code and the kind.
func newError(kind licensing.Kind, code string, target licensing.Target, msg string) *licensing.Error {
	return &licensing.Error{Kind: kind, Target: target, Message: msg, Err: &GraphError{StatusCode: codeStatus(kind, code), Code: code}}
}

// replyError is an error the server answers with (or a fault it injects): Graph's status, code
// and Retry-After, set as they are.
func replyError(kind licensing.Kind, status int, code, msg string, wait time.Duration) *licensing.Error {
	return &licensing.Error{Kind: kind, Message: msg, Err: &GraphError{StatusCode: status, Code: code, Wait: wait}}
}

func errUnknownUser(id string) *licensing.Error {
	return newError(licensing.UnknownUser, CodeNotFound, licensing.Target{Type: licensing.TargetUser, ID: id}, resourceNotFound(id))
}

func errUnknownGroup(id string) *licensing.Error {
	return newError(licensing.UnknownGroup, CodeNotFound, licensing.Target{Type: licensing.TargetGroup, ID: id}, resourceNotFound(id))
}

// resourceNotFound is Graph's text for an object id that does not exist.
func resourceNotFound(id string) string {
	return fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
}

func errUnknownSku(target licensing.Target, sku licensing.SkuID) *licensing.Error {
	e := newError(licensing.UnknownSku, CodeBadRequest, target, fmt.Sprintf("License %s does not correspond to a valid company License.", sku))
	e.SkuID = sku
	return e
}

func errSkuNotAssignable(target licensing.Target, sku licensing.SkuID, status string) *licensing.Error {
	msg := fmt.Sprintf("License %s cannot be assigned to a user.", sku)
	if status != "" {
		msg = fmt.Sprintf("License %s cannot be assigned to a user because its subscription is %s.", sku, status)
	}
	e := newError(licensing.SkuNotAssignable, CodeBadRequest, target, msg)
	e.SkuID = sku
	return e
}

func errPlanNotInSku(target licensing.Target, sku licensing.SkuID, plan licensing.PlanID) *licensing.Error {
	e := newError(licensing.UnknownServicePlan, CodeBadRequest, target, fmt.Sprintf("Service plan %s is not part of license %s.", plan, sku))
	e.SkuID, e.Plans = sku, []licensing.PlanID{plan}
	return e
}

func errInvalid(target licensing.Target, msg string) *licensing.Error {
	return newError(licensing.InvalidInput, CodeBadRequest, target, msg)
}

func errNotHeld(target licensing.Target, sku licensing.SkuID) *licensing.Error {
	msg := msgNotHeld
	if target.Type == licensing.TargetGroup {
		msg = msgGroupNotHeld
	}
	e := errInvalid(target, msg)
	e.SkuID = sku
	return e
}

func errInherited(target licensing.Target, sku licensing.SkuID) *licensing.Error {
	e := newError(licensing.InheritedLicense, CodeBadRequest, target, msgInherited)
	e.SkuID = sku
	return e
}

func errLicensedGroup(target licensing.Target) *licensing.Error {
	return errInvalid(target, msgLicensedGroup)
}

func errUsageLocation(target licensing.Target) *licensing.Error {
	return newError(licensing.UsageLocationMissing, CodeBadRequest, target, msgUsageLocation)
}

func errConflict(target licensing.Target, c licensing.Conflict) *licensing.Error {
	e := newError(licensing.MutuallyExclusiveViolation, CodeBadRequest, target,
		fmt.Sprintf("License assignment failed because service plans %s,%s are mutually exclusive.", c.Plans[0], c.Plans[1]))
	e.SkuID, e.Plans = c.Skus[0], []licensing.PlanID{c.Plans[0], c.Plans[1]}
	return e
}

// errDependency is Graph's text for a plan left (or put) without its prerequisite. Graph sends
// the same text for a group assignment that lacks an add-on's prerequisite; the kind is then
// GroupPrerequisiteMissing.
func errDependency(kind licensing.Kind, target licensing.Target, m licensing.MissingPrerequisite) *licensing.Error {
	e := newError(kind, CodeBadRequest, target,
		fmt.Sprintf("License assignment failed because service plan %s depends on the service plan(s) %s.", m.Plan, joinPlans(m.AnyOf)))
	e.Plans = append([]licensing.PlanID{m.Plan}, m.AnyOf...)
	return e
}

func errProhibited(target licensing.Target, plans []licensing.PlanID, country string) *licensing.Error {
	e := newError(licensing.ProhibitedInUsageLocationViolation, CodeBadRequest, target,
		fmt.Sprintf("License assignment failed because service plan(s) %s are not available in usage location %s.", joinPlans(plans), country))
	e.Plans = plans
	return e
}

func errCount(target licensing.Target, sku licensing.SkuID) *licensing.Error {
	e := newError(licensing.CountViolation, CodeBadRequest, target, fmt.Sprintf("Subscription with SKU %s does not have any available licenses.", sku))
	e.SkuID = sku
	return e
}

func joinPlans(ps []licensing.PlanID) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// httpStatus is the status code Graph answers an error with: its GraphError's, else by its kind.
func httpStatus(e *licensing.Error) int {
	if ge := graphError(e); ge != nil && ge.StatusCode != 0 {
		return ge.StatusCode
	}
	return codeStatus(e.Kind, "")
}

// codeStatus is the status code Graph answers an error of that kind and code with.
func codeStatus(kind licensing.Kind, code string) int {
	switch code {
	case CodeNotFound:
		return http.StatusNotFound
	case CodeTooManyRequests:
		return http.StatusTooManyRequests
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeGatewayTimeout:
		return http.StatusGatewayTimeout
	case CodeFailedDependency:
		return http.StatusFailedDependency
	case CodeForbidden, CodeNonPremium:
		return http.StatusForbidden
	}
	switch kind {
	case licensing.Throttled:
		return http.StatusTooManyRequests
	case licensing.Transient:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// errGroupKind is Graph's refusal of a change the group's kind does not allow, or nil: an
// assignLicense (members false) to a group that cannot carry licenses, or a member change
// (members true) of a group whose members are managed elsewhere. A synced group is refused as
// synced whatever else it is, then a dynamic group, then a mail-enabled one (doc.go).
func errGroupKind(g *group, members bool) *licensing.Error {
	k := g.data.Kind()
	target := g.target()
	if !members {
		if k.NotSecurity {
			return errInvalid(target, msgGroupCannotCarry)
		}
		return nil
	}
	switch {
	case k.Synced:
		return errInvalid(target, msgSyncedMembers)
	case k.Dynamic:
		return newError(licensing.InvalidInput, CodeForbidden, target, msgDynamicMembers)
	case k.MailEnabledSecurity || k.Distribution:
		return errInvalid(target, msgMailEnabledMember)
	}
	return nil
}
