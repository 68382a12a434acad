package main

// This file is the naive baseline that licensebench measures the library against. It is what a
// reasonable first script would do, written honestly and simply:
//
//   - load: json.Unmarshal of the tenant/v1 file into generic maps (map[string]any);
//   - effective state: a map-of-strings model, user id → SKU id → enabled plan names, built
//     from the snapshot with string keys (direct paths and group paths, no error states);
//   - planning: per user, string maps diffing the user's direct licenses against the targets of
//     the rules that match, plus the direct → group migration (remove a direct SKU when groups
//     the user is a member of give the same SKU with at least the same plans). No prediction:
//     it does not evaluate group paths in error, seats, conflicts or service loss.
//
// It supports what synth.DesiredJSON uses: rules (where on simple attributes, mode ensure or
// exact, disabledPlans) and migrateDirectToGroup with "all" or a list of users.

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// naiveLoad is the load baseline: the whole file into generic maps.
func naiveLoad(data []byte) (map[string]any, error) {
	var m map[string]any
	err := json.Unmarshal(data, &m)
	return m, err
}

// naiveModel is user id → SKU id → enabled plan names.
type naiveModel map[string]map[string][]string

// naiveCatalog indexes SKUs and plans by strings.
type naiveCatalog struct {
	skuByPart map[string]string            // skuPartNumber (lower case) → skuId
	planName  map[string]string            // planId → servicePlanName
	skuPlans  map[string][]string          // skuId → planIds
	planInSku map[string]map[string]string // skuId → servicePlanName (lower case) → planId
}

func newNaiveCatalog(snap *licensing.Snapshot) *naiveCatalog {
	c := &naiveCatalog{skuByPart: map[string]string{}, planName: map[string]string{}, skuPlans: map[string][]string{}, planInSku: map[string]map[string]string{}}
	for _, k := range snap.SubscribedSkus {
		id := k.SkuID.String()
		c.skuByPart[strings.ToLower(k.SkuPartNumber)] = id
		c.planInSku[id] = map[string]string{}
		for _, p := range k.ServicePlans {
			pid := p.ServicePlanID.String()
			c.planName[pid] = p.ServicePlanName
			c.skuPlans[id] = append(c.skuPlans[id], pid)
			c.planInSku[id][strings.ToLower(p.ServicePlanName)] = pid
		}
	}
	return c
}

// enabled returns the plan ids of sku not in disabled.
func (c *naiveCatalog) enabled(sku string, disabled map[string]bool) []string {
	var out []string
	for _, p := range c.skuPlans[sku] {
		if !disabled[p] {
			out = append(out, p)
		}
	}
	return out
}

func stringSet(ids []licensing.PlanID) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id.String()] = true
	}
	return m
}

// groupLic is one license a group gives: SKU id and disabled plan ids.
type groupLic struct {
	group    string
	sku      string
	disabled map[string]bool
}

// naiveGroupsOf maps user id → the licenses of the groups the user is a member of.
func naiveGroupsOf(snap *licensing.Snapshot) map[string][]groupLic {
	out := map[string][]groupLic{}
	for _, g := range snap.Groups {
		var ls []groupLic
		for _, l := range g.AssignedLicenses {
			ls = append(ls, groupLic{group: g.DisplayName, sku: l.SkuID.String(), disabled: stringSet(l.DisabledPlans)})
		}
		for _, m := range g.Members {
			out[m] = append(out[m], ls...)
		}
	}
	return out
}

// naiveDirect returns a user's direct licenses: SKU id → disabled plan ids.
func naiveDirect(u *licensing.User) map[string]map[string]bool {
	direct := map[string]map[string]bool{}
	if u.LicenseAssignmentStates != nil {
		for _, st := range u.LicenseAssignmentStates {
			if st.Direct() {
				direct[st.SkuID.String()] = stringSet(st.DisabledPlans)
			}
		}
		return direct
	}
	for _, l := range u.AssignedLicenses {
		direct[l.SkuID.String()] = stringSet(l.DisabledPlans)
	}
	return direct
}

// buildNaiveModel computes every user's effective plans as strings.
func buildNaiveModel(snap *licensing.Snapshot) naiveModel {
	cat := newNaiveCatalog(snap)
	groupsOf := naiveGroupsOf(snap)
	m := make(naiveModel, len(snap.Users))
	for i := range snap.Users {
		u := &snap.Users[i]
		on := map[string]map[string]bool{}
		add := func(sku string, disabled map[string]bool) {
			if on[sku] == nil {
				on[sku] = map[string]bool{}
			}
			for _, p := range cat.enabled(sku, disabled) {
				on[sku][p] = true
			}
		}
		for sku, dis := range naiveDirect(u) {
			add(sku, dis)
		}
		for _, gl := range groupsOf[u.ID] {
			add(gl.sku, gl.disabled)
		}
		bySku := make(map[string][]string, len(on))
		for sku, ps := range on {
			names := make([]string, 0, len(ps))
			for p := range ps {
				names = append(names, cat.planName[p])
			}
			sort.Strings(names)
			bySku[sku] = names
		}
		m[u.ID] = bySku
	}
	return m
}

// naiveStep is one user's direct change.
type naiveStep struct {
	User   string                `json:"user"`
	Add    map[string]([]string) `json:"add"`    // SKU id → disabled plan ids
	Remove []string              `json:"remove"` // SKU ids
}

func naiveAttr(u *licensing.User, k string) string {
	switch strings.ToLower(k) {
	case "userprincipalname":
		return u.UserPrincipalName
	case "displayname":
		return u.DisplayName
	case "department":
		return u.Department
	case "jobtitle":
		return u.JobTitle
	case "usagelocation":
		return u.UsageLocation
	}
	if name, ok := strings.CutPrefix(strings.ToLower(k), "onpremisesextensionattributes."); ok {
		for ek, v := range u.OnPremisesExtensionAttributes {
			if strings.ToLower(ek) == name {
				return v
			}
		}
	}
	return ""
}

// naivePlan is the planning baseline.
func naivePlan(snap *licensing.Snapshot, d *planner.Desired) []naiveStep {
	cat := newNaiveCatalog(snap)
	groupsOf := naiveGroupsOf(snap)
	type ruleTarget struct {
		exact bool
		lic   map[string]map[string]bool // SKU id → disabled plan ids
		where map[string]string
	}
	var rules []ruleTarget
	for _, r := range d.Rules {
		rt := ruleTarget{exact: r.Mode == planner.ModeExact, lic: map[string]map[string]bool{}, where: r.Where}
		for _, l := range r.Licenses {
			sku := cat.skuByPart[strings.ToLower(l.Sku)]
			if sku == "" {
				sku = strings.ToLower(l.Sku) // a skuId
			}
			dis := map[string]bool{}
			for _, n := range l.DisabledPlans {
				dis[cat.planInSku[sku][strings.ToLower(n)]] = true
			}
			if len(l.EnabledPlans) > 0 {
				keep := map[string]bool{}
				for _, n := range l.EnabledPlans {
					keep[cat.planInSku[sku][strings.ToLower(n)]] = true
				}
				for _, p := range cat.skuPlans[sku] {
					if !keep[p] {
						dis[p] = true
					}
				}
			}
			rt.lic[sku] = dis
		}
		rules = append(rules, rt)
	}
	migrate := map[string]bool{}
	m := d.MigrateDirectToGroup
	if m != nil {
		for _, ref := range m.Users.Users {
			migrate[strings.ToLower(ref)] = true
		}
	}
	var steps []naiveStep
	for i := range snap.Users {
		u := &snap.Users[i]
		want := map[string]map[string]bool{}
		exact := false
		for _, r := range rules {
			match := true
			for k, v := range r.where {
				if !strings.EqualFold(naiveAttr(u, k), v) {
					match = false
					break
				}
			}
			if !match {
				continue
			}
			exact = exact || r.exact
			for sku, dis := range r.lic {
				if _, have := want[sku]; !have {
					want[sku] = dis
				}
			}
		}
		direct := naiveDirect(u)
		st := naiveStep{User: u.ID, Add: map[string][]string{}}
		for sku, dis := range want {
			if have, ok := direct[sku]; ok && sameSet(have, dis) {
				continue
			}
			st.Add[sku] = keys(dis)
		}
		for sku := range direct {
			if _, wanted := want[sku]; wanted {
				continue
			}
			if exact {
				st.Remove = append(st.Remove, sku)
				continue
			}
			if m == nil || !(m.Users.All || migrate[strings.ToLower(u.ID)] || migrate[strings.ToLower(u.UserPrincipalName)]) {
				continue
			}
			groupOn := map[string]bool{}
			covered := false
			for _, gl := range groupsOf[u.ID] {
				if gl.sku == sku {
					covered = true
					for _, p := range cat.enabled(sku, gl.disabled) {
						groupOn[p] = true
					}
				}
			}
			if !covered {
				continue
			}
			for _, p := range cat.enabled(sku, direct[sku]) {
				if !groupOn[p] {
					covered = false
				}
			}
			if covered {
				st.Remove = append(st.Remove, sku)
			}
		}
		if len(st.Add) > 0 || len(st.Remove) > 0 {
			sort.Strings(st.Remove)
			steps = append(steps, st)
		}
	}
	return steps
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
