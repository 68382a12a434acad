package report

import (
	"io"
	"iter"
	"slices"

	"github.com/licenseplan/licenseplan/licensing"
)

// PathRow is one assignment path of a SKU to a user: "how does this user get this license?"
// for every user, as the Entra portal shows one user at a time.
type PathRow struct {
	UserID            string          `json:"userId"`
	UserPrincipalName string          `json:"userPrincipalName"`
	UsageLocation     string          `json:"usageLocation"` // the user's own; "" when not set
	SkuID             licensing.SkuID `json:"skuId"`
	SkuPartNumber     string          `json:"skuPartNumber"`
	// ProductName is the SKU's product name ("Office 365 E3"), or its part number when no
	// catalog knows one.
	ProductName      string   `json:"productName"`
	Path             string   `json:"path"`             // "direct" or "group"
	AssignedByGroup  string   `json:"assignedByGroup"`  // the group's id; "" for a direct path
	GroupDisplayName string   `json:"groupDisplayName"` // the group's displayName (its id when it has none); "" for a direct path
	State            string   `json:"state"`            // Active, ActiveWithError, Disabled or Error
	Error            string   `json:"error"`            // None, CountViolation, …, Other
	DisabledPlans    []string `json:"disabledPlans"`    // names of the plans the path disables, sorted
	// DisabledPlanFriendlyNames are the friendly names of DisabledPlans ("Microsoft Teams" for
	// TEAMS1), in the same order; a plan without one is given by its name.
	DisabledPlanFriendlyNames []string `json:"disabledPlanFriendlyNames"`
	// GroupDeleted is true when the assigning group is no longer in the tenant (its
	// GroupDisplayName is then its id).
	GroupDeleted bool `json:"groupDeleted,omitempty"`
	// Stuck is true for a group path that outlived its group's assignment (the group was
	// deleted, no longer assigns the SKU, or no longer has the user as a member): Entra keeps
	// it while another enabled plan depends on it. The errors report says how to clear it.
	Stuck bool `json:"stuck,omitempty"`
	// GroupKind is the assigning group's kind (see Source.GroupKind: "security", "dynamic
	// security", …); "" for a direct path or a deleted group.
	GroupKind string `json:"groupKind,omitempty"`
	// MembershipRule is the assigning group's membershipRule when it is dynamic: why the user
	// has the license.
	MembershipRule string `json:"membershipRule,omitempty"`

	disabled *planList // the writers' shared list of DisabledPlans, with its text
}

// Paths returns every assignment path of every user: users in snapshot order, and each
// user's paths by SKU (snapshot order), direct first, then groups in snapshot order.
// It streams: nothing is held per user, so it suits tenants of any size, and it may be
// ranged over again. Collect it with slices.Collect when a slice is wanted.
func Paths(st *licensing.State) iter.Seq[PathRow] {
	return func(yield func(PathRow) bool) {
		paths(newView(st, licensing.NamesBoth), false)(yield)
	}
}

// paths streams the rows; with shared (for the writers, which only read them), the plan lists
// are shared between rows and each row keeps its list (with its text, made once per list).
func paths(v *view, shared bool) iter.Seq[PathRow] {
	st := v.st
	return func(yield func(PathRow) bool) {
		for i := range st.NumUsers() {
			u := st.User(i)
			loc := st.UsageLocation(i)
			for _, p := range st.Paths(i) {
				sku := v.skuRef(p.Sku)
				list := v.sharedList(p.Sku, p.Disabled)
				row := PathRow{
					UserID:                    u.ID,
					UserPrincipalName:         u.UserPrincipalName,
					UsageLocation:             loc,
					SkuID:                     p.Sku,
					SkuPartNumber:             sku.SkuPartNumber,
					ProductName:               sku.ProductName,
					Path:                      SourceDirect,
					State:                     p.State.String(),
					Error:                     errorName(p.Error),
					DisabledPlans:             list.names,
					DisabledPlanFriendlyNames: list.friendly,
				}
				if shared {
					row.disabled = list
				} else if len(list.names) > 0 {
					row.DisabledPlans, row.DisabledPlanFriendlyNames = slices.Clone(list.names), slices.Clone(list.friendly)
				} else {
					row.DisabledPlans, row.DisabledPlanFriendlyNames = []string{}, []string{}
				}
				if !p.Direct() {
					row.Path = SourceGroup
					row.AssignedByGroup = p.Group
					var g int
					g, row.GroupDisplayName, row.GroupDeleted = v.group(p.Group)
					row.Stuck = p.Stuck
					if g >= 0 {
						row.GroupKind, row.MembershipRule, _ = v.groupKind(g)
					}
				}
				if !yield(row) {
					return
				}
			}
		}
	}
}

// WritePaths is WritePaths naming SKUs and plans in o.Names.
func (o Options) WritePaths(w io.Writer, st *licensing.State, f Format) error {
	v := newView(st, o.Names)
	t := table[PathRow]{
		name: ReportPaths, key: "paths",
		csvHead: []string{"userPrincipalName", "userId", "usageLocation", "skuPartNumber", "skuId", "path", "groupDisplayName", "assignedByGroup", "state", "error", "disabledPlans", "groupKind", "membershipRule",
			"productName", "disabledPlanFriendlyNames"},
		txtHead: []string{"USER", "LOCATION", "SKU", "PATH", "STATE", "ERROR", "DISABLED PLANS"},
		csv: func(r *PathRow, c []string) {
			c[0], c[1], c[2], c[3], c[4] = r.UserPrincipalName, r.UserID, r.UsageLocation, r.SkuPartNumber, r.SkuID.String()
			c[5], c[6], c[7], c[8], c[9] = r.Path, safeCell(groupLabel(r.GroupDisplayName, r.GroupDeleted)), r.AssignedByGroup, r.State, r.Error
			if r.disabled != nil {
				c[10], c[14] = r.disabled.csvCells()
			} else {
				c[10], c[14] = joinList(r.DisabledPlans), safeCell(joinNames(r.DisabledPlanFriendlyNames))
			}
			c[11], c[12], c[13] = r.GroupKind, safeCell(r.MembershipRule), safeCell(r.ProductName)
		},
		text: func(r *PathRow, c []string) {
			path, state := r.Path, r.State
			if r.Path == SourceGroup {
				path = "group " + groupLabel(r.GroupDisplayName, r.GroupDeleted) + kindNote(r.GroupKind)
			}
			if r.Stuck {
				state += " (stuck)"
			}
			disabled := ""
			if r.disabled != nil {
				disabled = v.listText(r.disabled)
			} else {
				disabled = plansText(v.names, r.DisabledPlans, r.DisabledPlanFriendlyNames)
			}
			c[0], c[1], c[2], c[3], c[4], c[5], c[6] = firstOf(r.UserPrincipalName, r.UserID), orDash(r.UsageLocation), v.skuText(r.SkuID), path, state, r.Error, orDash(disabled)
		},
		rows: paths(v, true),
	}
	return t.write(w, st, f)
}
