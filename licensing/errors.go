package licensing

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error or a predicted problem. The first kinds are Entra's own
// licenseAssignmentState error names; the rest are this library's. The list is
// append-only: a Kind's number and name never change once released.
type Kind uint8

// The kinds. Their String forms are the names used in plan/v1 "problems[].kind".
const (
	// None is no error (Entra's "None" or null on a path that is fine).
	None Kind = iota
	// Other is an error Entra reports without a specific reason ("Other" in licenseAssignmentStates).
	Other
	// CountViolation: not enough free seats of the SKU.
	CountViolation
	// MutuallyExclusiveViolation: two plans that may not be enabled together for one user.
	MutuallyExclusiveViolation
	// DependencyViolation: a plan is enabled without any of the plans it requires.
	DependencyViolation
	// ProhibitedInUsageLocationViolation: a plan is not offered in the user's usage location.
	ProhibitedInUsageLocationViolation
	// UniquenessViolation: a proxy address conflict in Exchange (never predicted; reported by Entra).
	UniquenessViolation
	// ServiceLoss: a change would disable a plan that is enabled for the user now.
	ServiceLoss
	// InheritedLicense: a license can only be removed from the user by the group that gives it.
	InheritedLicense
	// UnknownSku: no SKU in the catalog has that id, part number or name.
	UnknownSku
	// UnknownServicePlan: no service plan has that id or name (in the SKU, where one is given).
	UnknownServicePlan
	// UnknownUser: no user has that id or userPrincipalName.
	UnknownUser
	// UnknownGroup: no group has that id or displayName.
	UnknownGroup
	// SkuNotAssignable: the SKU does not apply to users or its capabilityStatus forbids new assignments.
	SkuNotAssignable
	// GroupPrerequisiteMissing: a group assignment enables an add-on without its prerequisite in the same group.
	GroupPrerequisiteMissing
	// InvalidDesiredState: the desired state contradicts itself or cannot be met.
	InvalidDesiredState
	// InvalidInput: a malformed value or document (GUID, CSV, JSON).
	InvalidInput
	// UsageLocationMissing: a direct assignment to a user without a usageLocation.
	UsageLocationMissing
	// Drift: the tenant no longer looks as a plan assumed.
	Drift
	// Throttled: the service asked the caller to slow down (HTTP 429).
	Throttled
	// Transient: a failure that may succeed when retried (HTTP 5xx, a reset connection).
	Transient
	// NotCovered: a direct assignment that a direct → group migration leaves alone because the
	// user's active group paths do not enable every plan it enables.
	NotCovered
	// SubscriptionExpiring: a SKU the plan assigns keeps fewer seats than the plan leaves
	// consumed once its company subscriptions reach their next lifecycle date (a warning).
	SubscriptionExpiring
	numKinds
)

var kindNames = [...]string{
	None:                               "None",
	Other:                              "Other",
	CountViolation:                     "CountViolation",
	MutuallyExclusiveViolation:         "MutuallyExclusiveViolation",
	DependencyViolation:                "DependencyViolation",
	ProhibitedInUsageLocationViolation: "ProhibitedInUsageLocationViolation",
	UniquenessViolation:                "UniquenessViolation",
	ServiceLoss:                        "ServiceLoss",
	InheritedLicense:                   "InheritedLicense",
	UnknownSku:                         "UnknownSku",
	UnknownServicePlan:                 "UnknownServicePlan",
	UnknownUser:                        "UnknownUser",
	UnknownGroup:                       "UnknownGroup",
	SkuNotAssignable:                   "SkuNotAssignable",
	GroupPrerequisiteMissing:           "GroupPrerequisiteMissing",
	InvalidDesiredState:                "InvalidDesiredState",
	InvalidInput:                       "InvalidInput",
	UsageLocationMissing:               "UsageLocationMissing",
	Drift:                              "Drift",
	Throttled:                          "Throttled",
	Transient:                          "Transient",
	NotCovered:                         "NotCovered",
	SubscriptionExpiring:               "SubscriptionExpiring",
}

// String returns the kind's stable name, e.g. "CountViolation".
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Error makes a Kind usable as an errors.Is target: errors.Is(err, licensing.CountViolation).
func (k Kind) Error() string { return k.String() }

// IsEntraError reports whether k is one of the error names Entra records on a license
// assignment path (licenseAssignmentState.error).
func (k Kind) IsEntraError() bool { return Other <= k && k <= UniquenessViolation }

// ParseKind maps a kind name (any case) back to its Kind; "" and Entra's "None" give None.
func ParseKind(s string) (Kind, bool) {
	if s == "" {
		return None, true
	}
	for k, n := range kindNames {
		if strings.EqualFold(n, s) {
			return Kind(k), true
		}
	}
	return 0, false
}

// MarshalText implements encoding.TextMarshaler with the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	v, ok := ParseKind(string(b))
	if !ok {
		return &Error{Kind: InvalidInput, Message: fmt.Sprintf("unknown problem kind %q", b)}
	}
	*k = v
	return nil
}

// TargetType says what an error or a change is about.
type TargetType string

// The target types.
const (
	TargetUser  TargetType = "user"
	TargetGroup TargetType = "group"
)

// Target names the user or group an error is about.
type Target struct {
	Type TargetType `json:"type"`
	ID   string     `json:"id"`
	Name string     `json:"name,omitempty"`
}

// String names the target for messages, e.g. "user alice@contoso.com (id)".
func (t Target) String() string {
	switch {
	case t.Type == "":
		return ""
	case t.Name != "" && t.Name != t.ID:
		return fmt.Sprintf("%s %s (%s)", t.Type, t.Name, t.ID)
	default:
		return fmt.Sprintf("%s %s", t.Type, t.ID)
	}
}

// Error is the library's one error type. Every foreign error (Graph, the fake server,
// a parser) is mapped to it once, at the boundary.
type Error struct {
	Kind    Kind
	Target  Target   // the user or group concerned, if any
	SkuID   SkuID    // the SKU concerned, if any
	Plans   []PlanID // the service plans involved (the conflicting or missing ones), if any
	Message string   // a sentence for people, naming the bad input and what would be valid
	Err     error    // the underlying error, if any
}

// Error implements error as "Kind: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.String())
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is matches a Kind target: errors.Is(err, licensing.DependencyViolation).
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && e.Kind == k
}

// KindOf returns the Kind of the first *Error in err's chain, or Other when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Other
}

func errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}
