package main

import (
	"sort"

	"github.com/licenseplan/licenseplan/planner"
)

// directUsers returns the ids of the users a plan changes direct licenses of, sorted.
func directUsers(p *planner.Plan) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range p.Steps {
		if s.Action == planner.AssignLicense && s.Target.Type == "user" && !seen[s.Target.ID] {
			seen[s.Target.ID] = true
			out = append(out, s.Target.ID)
		}
	}
	sort.Strings(out)
	return out
}
