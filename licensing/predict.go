package licensing

import (
	"fmt"
	"strings"
)

// ChangeKind is what a Change asks Entra to do.
type ChangeKind uint8

// The changes Entra accepts that affect licensing.
const (
	// AssignUserLicenses is POST /users/{id}/assignLicense: AddLicenses and RemoveLicenses at once, atomically.
	AssignUserLicenses ChangeKind = iota + 1
	// AssignGroupLicenses is POST /groups/{id}/assignLicense, then the group's processing of every member.
	AssignGroupLicenses
	// AddGroupMember is POST /groups/{id}/members/$ref, then processing of the new member.
	AddGroupMember
	// RemoveGroupMember is DELETE /groups/{id}/members/{userId}/$ref.
	RemoveGroupMember
	// SetUsageLocation is PATCH /users/{id} with usageLocation.
	SetUsageLocation
	// ReprocessUser is POST /users/{id}/reprocessLicenseAssignment: the user's group paths in error are evaluated again.
	ReprocessUser
)

var changeKindNames = [...]string{"", "assignUserLicenses", "assignGroupLicenses", "addGroupMember", "removeGroupMember", "setUsageLocation", "reprocessUser"}

// String returns the change kind's name, e.g. "assignUserLicenses".
func (k ChangeKind) String() string {
	if int(k) < len(changeKindNames) {
		return changeKindNames[k]
	}
	return fmt.Sprintf("ChangeKind(%d)", uint8(k))
}

// Change is one call to Entra. User is a user id or userPrincipalName; Group a group id or displayName.
type Change struct {
	Kind           ChangeKind
	User           string
	Group          string
	AddLicenses    []AssignedLicense
	RemoveLicenses []SkuID
	UsageLocation  string
}

// Outcome is what Entra would do with a Change.
type Outcome struct {
	// Refused is true when Entra would reject the call as a whole (HTTP 4xx); nothing changes.
	Refused bool
	// Violations are the reasons for a refusal or, for an accepted change, the errors recorded
	// on members' paths (each with the member as Target): a member whose group licenses failed,
	// or a group path left stuck in DependencyViolation because another plan depends on it.
	Violations []*Error
	// Users are the users whose paths change, by index, with their enabled plans before and after.
	Users []UserEffect
	// Seats are the SKUs whose consumed seats change.
	Seats []SeatEffect

	txn *txn
}

// UserEffect is how a change affects one user.
type UserEffect struct {
	User   int
	Before PlanSet
	After  PlanSet
}

// Lost returns the plans enabled before and not after.
func (e UserEffect) Lost() PlanSet { return e.Before.Minus(e.After) }

// Gained returns the plans enabled after and not before.
func (e UserEffect) Gained() PlanSet { return e.After.Minus(e.Before) }

// SeatEffect is a change of consumed seats of one SKU.
type SeatEffect struct {
	Sku    SkuID
	Before int
	After  int
}

// Err returns the outcome's violations as one error (the first, with the others in its message), or nil.
func (o *Outcome) Err() error {
	if len(o.Violations) == 0 {
		return nil
	}
	if len(o.Violations) == 1 {
		return o.Violations[0]
	}
	e := *o.Violations[0]
	var more []string
	for _, v := range o.Violations[1:] {
		more = append(more, v.Error())
	}
	e.Message += fmt.Sprintf(" (and %d more: %s)", len(more), strings.Join(more, "; "))
	return &e
}

// Predict returns what Entra would do with the change, without changing s.
func (s *State) Predict(c Change) *Outcome {
	t := s.newTxn()
	switch c.Kind {
	case AssignUserLicenses:
		t.assignUser(c)
	case AssignGroupLicenses:
		t.assignGroup(c)
	case AddGroupMember, RemoveGroupMember:
		t.membership(c)
	case SetUsageLocation:
		t.setUsageLocation(c)
	case ReprocessUser:
		if u, ok := t.user(c.User); ok {
			t.reprocess(u)
		}
	default:
		t.refuse(&Error{Kind: InvalidInput, Message: fmt.Sprintf("unknown change kind %d", c.Kind)})
	}
	return t.outcome()
}

// Apply predicts the change and, unless Entra would refuse it, makes it in s.
func (s *State) Apply(c Change) *Outcome {
	o := s.Predict(c)
	if !o.Refused {
		o.txn.commit()
	}
	o.txn = nil
	return o
}
