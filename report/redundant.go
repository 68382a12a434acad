package report

import (
	"io"
	"iter"

	"github.com/licenseplan/licenseplan/licensing"
)

// RedundantRow is a direct assignment that the user's active group paths of the same SKU
// already cover: every plan the direct path enables is enabled by those groups. Removing it
// changes none of the user's enabled plans and no seat count, so it is safe — the clean-up
// step of a move from direct to group-based licensing.
type RedundantRow struct {
	UserID              string          `json:"userId"`
	UserPrincipalName   string          `json:"userPrincipalName"`
	SkuID               licensing.SkuID `json:"skuId"`
	SkuPartNumber       string          `json:"skuPartNumber"`
	ProductName         string          `json:"productName"`         // the product name, or the part number when no catalog knows one
	DirectState         string          `json:"directState"`         // the direct path's state
	DirectDisabledPlans []string        `json:"directDisabledPlans"` // names of the plans the direct path disables
	// DirectDisabledPlanFriendlyNames are the friendly names of DirectDisabledPlans, in the
	// same order; a plan without one is given by its name.
	DirectDisabledPlanFriendlyNames []string `json:"directDisabledPlanFriendlyNames"`
	CoveredBy                       []Source `json:"coveredBy"` // the active group paths of the SKU
}

// Redundant returns the direct assignments that are safe to remove, users in snapshot order.
// A direct path whose plans the groups do not all enable (the groups disable a plan the direct
// path enables) is not redundant and is left out; stuck group paths (licensing.Path.Stuck)
// cover nothing, since they go once their dependency is resolved. It streams like Paths.
func Redundant(st *licensing.State) iter.Seq[RedundantRow] {
	return func(yield func(RedundantRow) bool) {
		v := newView(st, licensing.NamesBoth)
		for i := range st.NumUsers() {
			ps := st.Paths(i)
			for start := 0; start < len(ps); {
				end := start + 1
				for end < len(ps) && ps[end].Sku == ps[start].Sku {
					end++
				}
				if row, ok := redundantIn(v, st.User(i), ps[start:end]); ok && !yield(row) {
					return
				}
				start = end
			}
		}
	}
}

// redundantIn checks the paths of one SKU of one user.
func redundantIn(v *view, u *licensing.User, run []licensing.Path) (RedundantRow, bool) {
	if !run[0].Direct() || len(run) < 2 { // paths come direct first
		return RedundantRow{}, false
	}
	direct := run[0]
	var byGroups licensing.PlanSet
	var covered []Source
	for _, p := range run[1:] {
		if !p.Direct() && p.State.Enables() && !p.Stuck { // a stuck path goes once its dependency is resolved
			byGroups.UnionWith(v.enabled(p))
			covered = append(covered, v.source(p))
		}
	}
	if len(covered) == 0 || !v.enabled(direct).SubsetOf(byGroups) {
		return RedundantRow{}, false
	}
	sku, plans := v.skuRef(direct.Sku), v.planList(direct.Disabled)
	return RedundantRow{
		UserID: u.ID, UserPrincipalName: u.UserPrincipalName,
		SkuID: direct.Sku, SkuPartNumber: sku.SkuPartNumber, ProductName: sku.ProductName,
		DirectState: direct.State.String(), DirectDisabledPlans: plans.names, DirectDisabledPlanFriendlyNames: plans.friendly,
		CoveredBy: covered,
	}, true
}

// WriteRedundant is WriteRedundant naming SKUs and plans in o.Names.
func (o Options) WriteRedundant(w io.Writer, st *licensing.State, f Format) error {
	t := table[RedundantRow]{
		name: ReportRedundant, key: "redundant",
		csvHead: []string{"userPrincipalName", "userId", "skuPartNumber", "skuId", "directState", "directDisabledPlans", "coveredBy", "coveredByIds",
			"productName", "directDisabledPlanFriendlyNames"},
		txtHead: []string{"USER", "SKU", "DIRECT STATE", "DIRECT DISABLED PLANS", "COVERED BY"},
		csv: func(r *RedundantRow, c []string) {
			names, ids := sourceLists(r.CoveredBy)
			c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7] = r.UserPrincipalName, r.UserID, r.SkuPartNumber, r.SkuID.String(), r.DirectState, joinList(r.DirectDisabledPlans), safeCell(names), ids
			c[8], c[9] = safeCell(r.ProductName), safeCell(joinNames(r.DirectDisabledPlanFriendlyNames))
		},
		text: func(r *RedundantRow, c []string) {
			names, _ := sourceLists(r.CoveredBy)
			c[0], c[1], c[2] = firstOf(r.UserPrincipalName, r.UserID), skuNamed(o.Names, r.SkuID, r.SkuPartNumber, r.ProductName), r.DirectState
			c[3], c[4] = orDash(plansText(o.Names, r.DirectDisabledPlans, r.DirectDisabledPlanFriendlyNames)), names
		},
		rows: Redundant(st),
	}
	return t.write(w, st, f)
}

// DirectOnlyRow is a user licensed only directly: at least one direct path and no group path
// at all — the users left to move when a tenant adopts group-based licensing.
type DirectOnlyRow struct {
	UserID            string            `json:"userId"`
	UserPrincipalName string            `json:"userPrincipalName"`
	UsageLocation     string            `json:"usageLocation"`
	SkuIDs            []licensing.SkuID `json:"skuIds"`         // the SKUs held directly, snapshot order
	SkuPartNumbers    []string          `json:"skuPartNumbers"` // their part numbers
	// ProductNames are their product names, in the same order (a part number where no catalog
	// knows the product's name).
	ProductNames []string `json:"productNames"`
}

// DirectOnly returns the users licensed only directly, in snapshot order. It streams like Paths.
func DirectOnly(st *licensing.State) iter.Seq[DirectOnlyRow] {
	return func(yield func(DirectOnlyRow) bool) {
		v := newView(st, licensing.NamesBoth)
		for i := range st.NumUsers() {
			ps := st.Paths(i)
			if len(ps) == 0 {
				continue
			}
			direct := true
			for _, p := range ps {
				if !p.Direct() {
					direct = false
					break
				}
			}
			if !direct {
				continue
			}
			u := st.User(i)
			row := DirectOnlyRow{UserID: u.ID, UserPrincipalName: u.UserPrincipalName, UsageLocation: st.UsageLocation(i),
				SkuIDs: make([]licensing.SkuID, 0, len(ps)), SkuPartNumbers: make([]string, 0, len(ps)), ProductNames: make([]string, 0, len(ps))}
			for _, p := range ps {
				sku := v.skuRef(p.Sku)
				row.SkuIDs = append(row.SkuIDs, p.Sku)
				row.SkuPartNumbers = append(row.SkuPartNumbers, sku.SkuPartNumber)
				row.ProductNames = append(row.ProductNames, sku.ProductName)
			}
			if !yield(row) {
				return
			}
		}
	}
}

// WriteDirectOnly is WriteDirectOnly naming SKUs in o.Names.
func (o Options) WriteDirectOnly(w io.Writer, st *licensing.State, f Format) error {
	t := table[DirectOnlyRow]{
		name: ReportDirectOnly, key: "directOnly",
		csvHead: []string{"userPrincipalName", "userId", "usageLocation", "skuPartNumbers", "skuIds", "productNames"},
		txtHead: []string{"USER", "LOCATION", "SKUS"},
		csv: func(r *DirectOnlyRow, c []string) {
			ids := make([]string, len(r.SkuIDs))
			for k, id := range r.SkuIDs {
				ids[k] = id.String()
			}
			c[0], c[1], c[2], c[3], c[4] = r.UserPrincipalName, r.UserID, r.UsageLocation, joinList(r.SkuPartNumbers), joinList(ids)
			c[5] = safeCell(joinNames(r.ProductNames))
		},
		text: func(r *DirectOnlyRow, c []string) {
			c[0], c[1], c[2] = firstOf(r.UserPrincipalName, r.UserID), orDash(r.UsageLocation), skusText(o.Names, r.SkuPartNumbers, r.ProductNames)
		},
		rows: DirectOnly(st),
	}
	return t.write(w, st, f)
}
