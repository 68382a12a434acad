package planner

import (
	"time"

	"github.com/licenseplan/licenseplan/licensing"
)

// LoadCase exposes loadCase (testdata/<case>/tenant.json or the sample tenant, and
// desired.json) to the external tests.
var LoadCase = loadCase

// ReclaimReasons exposes reclaimReason to the external tests: why each user a reclaim of
// disabled users and of users inactive for days days before now selects is selected, by user id.
func ReclaimReasons(st *licensing.State, now time.Time, disabled bool, days int) map[string]string {
	out := map[string]string{}
	for u := range st.NumUsers() {
		if why := reclaimReason(st, u, now, disabled, days); why != "" {
			out[st.User(u).ID] = why
		}
	}
	return out
}
