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
	Path              string          `json:"path"`             // "direct" or "group"
	AssignedByGroup   string          `json:"assignedByGroup"`  // the group's id; "" for a direct path
	GroupDisplayName  string          `json:"groupDisplayName"` // the group's displayName (its id when it has none); "" for a direct path
	State             string          `json:"state"`            // Active, ActiveWithError, Disabled or Error
	Error             string          `json:"error"`            // None, CountViolation, …, Other
	DisabledPlans     []string        `json:"disabledPlans"`    // names of the plans the path disables, sorted
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
}

// Paths returns every assignment path of every user: users in snapshot order, and each
// user's paths by SKU (snapshot order), direct first, then groups in snapshot order.
// It streams: nothing is held per user, so it suits tenants of any size, and it may be
// ranged over again. Collect it with slices.Collect when a slice is wanted.
func Paths(st *licensing.State) iter.Seq[PathRow] { return paths(st, false) }

// paths streams the rows; with shared, DisabledPlans slices are shared between rows (for the
// writers, which only read them).
func paths(st *licensing.State, shared bool) iter.Seq[PathRow] {
	return func(yield func(PathRow) bool) {
		v := newView(st)
		for i := range st.NumUsers() {
			u := st.User(i)
			loc := st.UsageLocation(i)
			for _, p := range st.Paths(i) {
				row := PathRow{
					UserID:            u.ID,
					UserPrincipalName: u.UserPrincipalName,
					UsageLocation:     loc,
					SkuID:             p.Sku,
					SkuPartNumber:     v.skuName(p.Sku),
					Path:              SourceDirect,
					State:             p.State.String(),
					Error:             errorName(p.Error),
					DisabledPlans:     v.sharedPlanNames(p.Sku, p.Disabled),
				}
				if !shared && len(row.DisabledPlans) > 0 {
					row.DisabledPlans = slices.Clone(row.DisabledPlans)
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

// WritePaths writes the Paths report: text (USER, LOCATION, SKU, PATH, STATE, ERROR,
// DISABLED PLANS; PATH names a group's kind when it is not a plain security group, e.g.
// "group Sales (dynamic security)"), CSV with the JSON field names as header, or a report/v1
// JSON document with the rows under "paths". CSV and JSON are streamed.
func WritePaths(w io.Writer, st *licensing.State, f Format) error {
	t := table[PathRow]{
		name: ReportPaths, key: "paths",
		csvHead: []string{"userPrincipalName", "userId", "usageLocation", "skuPartNumber", "skuId", "path", "groupDisplayName", "assignedByGroup", "state", "error", "disabledPlans", "groupKind", "membershipRule"},
		txtHead: []string{"USER", "LOCATION", "SKU", "PATH", "STATE", "ERROR", "DISABLED PLANS"},
		csv: func(r *PathRow, c []string) {
			c[0], c[1], c[2], c[3], c[4] = r.UserPrincipalName, r.UserID, r.UsageLocation, r.SkuPartNumber, r.SkuID.String()
			c[5], c[6], c[7], c[8], c[9], c[10] = r.Path, safeCell(groupLabel(r.GroupDisplayName, r.GroupDeleted)), r.AssignedByGroup, r.State, r.Error, joinList(r.DisabledPlans)
			c[11], c[12] = r.GroupKind, safeCell(r.MembershipRule)
		},
		text: func(r *PathRow, c []string) {
			path, state := r.Path, r.State
			if r.Path == SourceGroup {
				path = "group " + groupLabel(r.GroupDisplayName, r.GroupDeleted) + kindNote(r.GroupKind)
			}
			if r.Stuck {
				state += " (stuck)"
			}
			c[0], c[1], c[2], c[3], c[4], c[5], c[6] = firstOf(r.UserPrincipalName, r.UserID), orDash(r.UsageLocation), r.SkuPartNumber, path, state, r.Error, orDash(joinList(r.DisabledPlans))
		},
		rows: paths(st, true),
	}
	return t.write(w, st, f)
}
