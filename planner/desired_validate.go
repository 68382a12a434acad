package planner

import (
	"errors"

	"github.com/licenseplan/licenseplan/licensing"
)

// refused returns the plan Build returns when it cannot plan at all: no state, no desired state,
// or a desired state that Desired.Validate refuses (the checks ReadDesired makes on a file, for
// one built in Go). The plan has no steps and one InvalidDesiredState error naming what is
// wrong, so it is not applyable. It returns nil when Build can plan.
func refused(st *licensing.State, d *Desired) *Plan {
	var msg string
	switch {
	case st == nil && d == nil:
		msg = "no tenant state and no desired state: Build needs a *licensing.State (licensing.NewState or LoadState) and a *Desired (ReadDesired, or one built in Go)"
	case st == nil:
		msg = "no tenant state: Build needs a *licensing.State (licensing.NewState or LoadState)"
	case d == nil:
		msg = "no desired state: Build needs a *Desired (ReadDesired, or one built in Go)"
	default:
		err := d.Validate()
		if err == nil {
			return nil
		}
		msg = err.Error()
		var le *licensing.Error
		if errors.As(err, &le) {
			msg = le.Message
		}
	}
	p := &Plan{Problems: []Problem{{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Message: msg}}}
	if st != nil {
		p.TenantID, p.cat = st.TenantID(), st.Catalog()
	}
	return p
}
