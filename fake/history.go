package fake

import (
	"slices"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
)

// Cause says what changed a user's enabled plans.
type Cause string

// The causes of history entries.
const (
	CauseAssignLicense   Cause = "assignLicense"   // POST /users/{id}/assignLicense
	CauseGroupProcessing Cause = "groupProcessing" // a group's licenses changed and its members were processed
	CauseMembership      Cause = "membership"      // the user joined or left a licensed group
	CauseReprocess       Cause = "reprocess"       // POST /users/{id}/reprocessLicenseAssignment
	CauseUsageLocation   Cause = "usageLocation"   // the user's usageLocation changed and its error paths were evaluated again
)

// HistoryEntry is one change of a user's effective enabled plans.
type HistoryEntry struct {
	Time               time.Time          `json:"time"`
	UserID             string             `json:"userId"`
	Cause              Cause              `json:"cause"`
	EnabledPlansBefore []licensing.PlanID `json:"enabledPlansBefore"` // ascending plan ids
	EnabledPlansAfter  []licensing.PlanID `json:"enabledPlansAfter"`  // ascending plan ids
}

// Lost returns the plans enabled before and not after: a service loss when not empty.
func (e HistoryEntry) Lost() []licensing.PlanID {
	var out []licensing.PlanID
	for _, p := range e.EnabledPlansBefore {
		if !slices.Contains(e.EnabledPlansAfter, p) {
			out = append(out, p)
		}
	}
	return out
}

// Gained returns the plans enabled after and not before.
func (e HistoryEntry) Gained() []licensing.PlanID {
	var out []licensing.PlanID
	for _, p := range e.EnabledPlansAfter {
		if !slices.Contains(e.EnabledPlansBefore, p) {
			out = append(out, p)
		}
	}
	return out
}

// History returns every change of a user's effective enabled plans since the tenant was
// created, in the order they happened (a copy). Loading the snapshot records nothing.
func (t *Tenant) History() []HistoryEntry {
	t.lock()
	defer t.mu.Unlock()
	out := make([]HistoryEntry, len(t.history))
	for i, e := range t.history {
		e.EnabledPlansBefore = slices.Clone(e.EnabledPlansBefore)
		e.EnabledPlansAfter = slices.Clone(e.EnabledPlansAfter)
		out[i] = e
	}
	return out
}
