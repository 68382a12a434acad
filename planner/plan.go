package planner

import (
	"fmt"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// Action is what a step does: one call to Entra (or a wait).
type Action uint8

// The actions of plan/v1.
const (
	AssignLicense Action = iota + 1
	SetUsageLocation
	AddGroupMember
	RemoveGroupMember
	WaitForGroupProcessing
	ReprocessLicenseAssignment
)

var actionNames = [...]string{"", "assignLicense", "setUsageLocation", "addGroupMember", "removeGroupMember", "waitForGroupProcessing", "reprocessLicenseAssignment"}

// String returns the plan/v1 name of the action, e.g. "assignLicense".
func (a Action) String() string {
	if int(a) < len(actionNames) && a > 0 {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", uint8(a))
}

// ParseAction maps a plan/v1 action name to its Action.
func ParseAction(s string) (Action, bool) {
	for i, n := range actionNames {
		if i > 0 && n == s {
			return Action(i), true
		}
	}
	return 0, false
}

// Severity of a problem: errors make a plan not applyable.
type Severity string

// The severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Plan is an ordered, explainable set of steps that takes a tenant to a desired state, with
// every problem Entra would raise predicted before anything is applied. A Plan is a value:
// printable (String, WriteText, WriteMarkdown), serialisable (WriteJSON / ReadPlan, plan/v1)
// and deterministic — the same tenant and desired state give a byte-identical plan.
type Plan struct {
	TenantID string
	Steps    []*Step
	Seats    []SeatChange
	Problems []Problem

	cat   *licensing.Catalog  // for names when rendering; nil for a plan read from JSON
	known *nameTable          // the names a plan read from JSON carries; nil for a built plan
	names licensing.NameStyle // how rendering names SKUs and plans (WithNames); NamesBoth by default

	prices   Prices // monthly prices for the seat tables' cost columns (WithPrices); nil: none
	currency string
}

// Applyable reports whether no problem has severity error.
func (p *Plan) Applyable() bool {
	for _, pr := range p.Problems {
		if pr.Severity == SeverityError {
			return false
		}
	}
	return true
}

// Step returns the step with the id.
func (p *Plan) Step(id string) (*Step, bool) {
	for _, s := range p.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return nil, false
}

// Waves returns the number of waves (1 + the highest wave of any step; 0 for an empty plan).
func (p *Plan) Waves() int {
	n := 0
	for _, s := range p.Steps {
		n = max(n, s.Wave+1)
	}
	return n
}

// Step is one call to Entra. Steps of one plan share equal slices (license bodies, plan and
// group lists) to stay small at a million users: read them, do not modify them in place.
type Step struct {
	ID     string
	Action Action
	// Target is the user or group the call is made on. For membership steps it is the user.
	Target licensing.Target
	// Group is the group of a membership or waitForGroupProcessing step.
	Group *licensing.Target
	// AddLicenses and RemoveLicenses are the assignLicense body.
	AddLicenses    []licensing.AssignedLicense
	RemoveLicenses []licensing.SkuID
	// UsageLocation is the value setUsageLocation sets.
	UsageLocation string
	// DependsOn are steps that must have succeeded (and been verified) first.
	DependsOn []string
	// Wave orders the steps in stages: a migration wave, or the wave after every other step
	// for reprocesses waiting on many freed seats. A wave starts only when every step of the
	// previous one is done.
	Wave int
	// Reason explains the step to people; the executor never branches on it.
	Reason string
	// Gained and Lost are the target user's enabled plans the step turns on and off.
	Gained []licensing.PlanID
	Lost   []licensing.PlanID
	// Members is the predicted effect of a group step on each member whose plans change.
	Members []MemberImpact
	// Expect is how the target must look before the step (else it is refused as drift);
	// Result is how it must look after (checked by verification). Steps share equal
	// expectations; nil reads as the zero Expectation.
	Expect *Expectation
	Result *Expectation

	// why is what Reason says, as data (Build's steps), rendered in the plan's name style when
	// Reason is still its text; nil for a step read from plan/v1 or made in Go.
	why *reason
}

// expect returns *s.Expect, or the zero Expectation when it is nil.
func (s *Step) expect() Expectation { return orZero(s.Expect) }

// result returns *s.Result, or the zero Expectation when it is nil.
func (s *Step) result() Expectation { return orZero(s.Result) }

func orZero(e *Expectation) Expectation {
	if e == nil {
		return Expectation{}
	}
	return *e
}

// MemberImpact is how a group step changes one member.
type MemberImpact struct {
	User   licensing.Target
	Gained []licensing.PlanID
	Lost   []licensing.PlanID
	Error  licensing.Kind // the error the member's path from the group would be in, or None
}

// Expectation is the part of a target's state a step depends on or produces. Which fields
// apply depends on the action: DirectLicenses for a user's assignLicense, UsageLocation for
// setUsageLocation, GroupLicenses for a group's assignLicense, Member for membership steps.
type Expectation struct {
	DirectLicenses []licensing.AssignedLicense
	// Groups are the ids of the groups a user's license paths come from (sorted), checked with
	// DirectLicenses: a user who joined or left a licensed group since planning is drift.
	// Nil in plans that do not record it.
	Groups        []string
	UsageLocation string
	GroupLicenses []licensing.AssignedLicense
	Member        bool
}

// Symbol is the step's one-character summary: + adds, - removes, ~ changes, … waits, ↻ reprocesses.
func (s *Step) Symbol() string {
	switch s.Action {
	case AssignLicense:
		switch {
		case len(s.RemoveLicenses) == 0:
			return "+"
		case len(s.AddLicenses) == 0:
			return "-"
		}
		return "~"
	case SetUsageLocation:
		return "~"
	case AddGroupMember:
		return "+"
	case RemoveGroupMember:
		return "-"
	case WaitForGroupProcessing:
		return "…"
	case ReprocessLicenseAssignment:
		return "↻"
	}
	return "?"
}

// Problem is something Entra would object to, or that would hurt a user, found while planning.
type Problem struct {
	Kind         licensing.Kind
	Severity     Severity
	Target       licensing.Target
	SkuID        licensing.SkuID
	ServicePlans []licensing.PlanID
	Message      string
	Step         string // the step the problem is about, if any
}

// SeatChange is a SKU's seats before and after the plan.
type SeatChange struct {
	SkuID          licensing.SkuID
	SkuPartNumber  string
	Available      int // assignable seats: prepaidUnits.enabled + prepaidUnits.warning (grace period)
	ConsumedBefore int
	ConsumedAfter  int
}

// String renders the plan as text (see WriteText).
func (p *Plan) String() string {
	var b strings.Builder
	_ = p.WriteText(&b)
	return b.String()
}
