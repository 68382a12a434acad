package report

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"

	"github.com/licenseplan/licenseplan/licensing"
)

// SeatRow is one subscribed SKU's seats and who consumes them. A user consumes one seat of a
// SKU however many paths carry it, through any path not in Error; DirectOnly + GroupOnly +
// DirectAndGroup = ConsumedUnits.
type SeatRow struct {
	SkuID         licensing.SkuID `json:"skuId"`
	SkuPartNumber string          `json:"skuPartNumber"`
	// ProductName is the product name ("Office 365 E3"), or the part number when no catalog
	// knows one: what every report/v1 row has next to skuPartNumber.
	ProductName string `json:"productName"`
	// DisplayName is the product name as the catalog has it, "" when it has none: the field
	// the seats report had before productName, kept for the documents' readers.
	DisplayName      string `json:"displayName"`
	AppliesTo        string `json:"appliesTo"`
	CapabilityStatus string `json:"capabilityStatus"` // Enabled, Warning, Suspended, Deleted, LockedOut
	Enabled          int    `json:"enabled"`          // prepaidUnits.enabled
	ConsumedUnits    int    `json:"consumedUnits"`
	// Available is the free assignable seats: enabled + warning − consumed, never negative
	// (seats in their grace period are "available for normal use and assignment").
	Available      int `json:"available"`
	Warning        int `json:"warning"`   // prepaidUnits.warning: seats in their grace period
	Suspended      int `json:"suspended"` // prepaidUnits.suspended
	LockedOut      int `json:"lockedOut"` // prepaidUnits.lockedOut
	DirectOnly     int `json:"directOnly"`
	GroupOnly      int `json:"groupOnly"`
	DirectAndGroup int `json:"directAndGroup"`
	// Waiting counts users who hold the SKU only through paths in Error (no seat): members
	// a group could not license, typically for want of seats (CountViolation) or a conflict.
	Waiting int `json:"waiting"`
	// GracePeriod is true when some of the assignable seats are grace-period seats
	// (prepaidUnits.warning > 0): they lapse when the grace period ends.
	GracePeriod bool `json:"gracePeriod"`
}

// graceLapse is how many users hold the SKU beyond the seats that stay when the grace period
// ends (prepaidUnits.enabled).
func (r *SeatRow) graceLapse() int { return max(0, r.ConsumedUnits-r.Enabled) }

// Seats returns every subscribed SKU (snapshot order) with its seats and the number of users
// consuming them by path type. It makes one pass over the users.
func Seats(st *licensing.State) []SeatRow {
	v := newView(st, licensing.NamesBoth)
	rows := make([]SeatRow, len(v.subs))
	for i, s := range v.subs {
		rows[i] = SeatRow{
			SkuID: s.Sku.ID, SkuPartNumber: s.Sku.Label(), ProductName: s.Sku.ProductName(), DisplayName: s.Sku.DisplayName,
			AppliesTo: s.AppliesTo, CapabilityStatus: s.CapabilityStatus,
			Enabled: s.Prepaid.Enabled, ConsumedUnits: s.Consumed, Available: s.Available(),
			Warning: s.Prepaid.Warning, Suspended: s.Prepaid.Suspended, LockedOut: s.Prepaid.LockedOut,
			GracePeriod: s.OnGracePeriod(),
		}
	}
	for i := range st.NumUsers() {
		eachSeat(v, st.Paths(i), func(sub int, direct, group bool, _ []licensing.Path) {
			r := &rows[sub]
			switch {
			case direct && group:
				r.DirectAndGroup++
			case direct:
				r.DirectOnly++
			case group:
				r.GroupOnly++
			default:
				r.Waiting++
			}
		})
	}
	return rows
}

// eachSeat calls fn for every SKU of a user's paths (which come sorted by SKU) with whether a
// direct and whether a group path not in Error carries it, and the SKU's paths.
func eachSeat(v *view, ps []licensing.Path, fn func(sub int, direct, group bool, run []licensing.Path)) {
	for start := 0; start < len(ps); {
		end := start + 1
		for end < len(ps) && ps[end].Sku == ps[start].Sku {
			end++
		}
		_, sub := v.sku(ps[start].Sku)
		if sub >= 0 {
			direct, group := false, false
			for _, p := range ps[start:end] {
				if p.State == licensing.PathError {
					continue
				}
				if p.Direct() {
					direct = true
				} else {
					group = true
				}
			}
			fn(sub, direct, group, ps[start:end])
		}
		start = end
	}
}

// WriteSeats is WriteSeats naming SKUs in o.Names.
func (o Options) WriteSeats(w io.Writer, st *licensing.State, f Format) error {
	itoa := strconv.Itoa
	rows := Seats(st)
	name := func(r *SeatRow) string { return skuNamed(o.Names, r.SkuID, r.SkuPartNumber, r.ProductName) }
	t := table[SeatRow]{
		name: ReportSeats, key: "seats",
		csvHead: []string{"skuPartNumber", "skuId", "displayName", "appliesTo", "capabilityStatus", "enabled", "consumedUnits", "available", "warning", "suspended", "lockedOut", "directOnly", "groupOnly", "directAndGroup", "waiting", "gracePeriod",
			"productName"},
		txtHead: []string{"SKU", "STATUS", "ENABLED", "CONSUMED", "AVAILABLE", "WARNING", "SUSPENDED", "LOCKED OUT", "DIRECT ONLY", "GROUP ONLY", "BOTH", "WAITING"},
		csv: func(r *SeatRow, c []string) {
			c[0], c[1], c[2], c[3], c[4] = r.SkuPartNumber, r.SkuID.String(), r.DisplayName, r.AppliesTo, r.CapabilityStatus
			c[5], c[6], c[7], c[8], c[9], c[10] = itoa(r.Enabled), itoa(r.ConsumedUnits), itoa(r.Available), itoa(r.Warning), itoa(r.Suspended), itoa(r.LockedOut)
			c[11], c[12], c[13], c[14], c[15] = itoa(r.DirectOnly), itoa(r.GroupOnly), itoa(r.DirectAndGroup), itoa(r.Waiting), strconv.FormatBool(r.GracePeriod)
			c[16] = safeCell(r.ProductName)
		},
		text: func(r *SeatRow, c []string) {
			c[0], c[1] = name(r), r.CapabilityStatus
			c[2], c[3], c[4], c[5], c[6], c[7] = itoa(r.Enabled), itoa(r.ConsumedUnits), itoa(r.Available), itoa(r.Warning), itoa(r.Suspended), itoa(r.LockedOut)
			c[8], c[9], c[10], c[11] = itoa(r.DirectOnly), itoa(r.GroupOnly), itoa(r.DirectAndGroup), itoa(r.Waiting)
		},
		rows: slices.Values(rows),
	}
	if f != Text {
		return t.write(w, st, f)
	}
	if err := t.writeText(w); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	first := true
	for i := range rows {
		r := &rows[i]
		if !r.GracePeriod {
			continue
		}
		if first {
			bw.WriteString("\nOn grace-period seats (prepaidUnits.warning: assignable now, lapsing when the grace period ends):\n")
			first = false
		}
		fmt.Fprintf(bw, "  %s: %d of its %d assignable seats are in the grace period; %d in use", name(r), r.Warning, r.Enabled+r.Warning, r.ConsumedUnits)
		if n := r.graceLapse(); n > 0 {
			fmt.Fprintf(bw, ", %d more than the %s left when it ends: renew the subscription or free %d", n, plural(r.Enabled, "seat"), n)
		} else {
			fmt.Fprintf(bw, ", within the %s left when it ends", plural(r.Enabled, "seat"))
		}
		bw.WriteString("\n")
	}
	return bw.Flush()
}

// ConsumerRow is one user consuming a seat of one SKU, and through which paths.
type ConsumerRow struct {
	UserID            string          `json:"userId"`
	UserPrincipalName string          `json:"userPrincipalName"`
	SkuID             licensing.SkuID `json:"skuId"`
	SkuPartNumber     string          `json:"skuPartNumber"`
	ProductName       string          `json:"productName"` // the product name, or the part number when no catalog knows one
	Via               string          `json:"via"`         // "direct", "group" or "both"
	Groups            []Source        `json:"groups"`      // the groups whose paths (not in Error) carry the SKU
}

// The values of ConsumerRow.Via.
const (
	ViaDirect = "direct"
	ViaGroup  = "group"
	ViaBoth   = "both"
)

// Consumers returns, for every user (snapshot order) and every SKU they consume a seat of
// (snapshot order), how they get it: "who consumes our E3 seats, and through what?". It streams
// like Paths.
func Consumers(st *licensing.State) iter.Seq[ConsumerRow] {
	return func(yield func(ConsumerRow) bool) {
		v := newView(st, licensing.NamesBoth)
		for i := range st.NumUsers() {
			u := st.User(i)
			ok := true
			eachSeat(v, st.Paths(i), func(sub int, direct, group bool, run []licensing.Path) {
				if !ok || (!direct && !group) {
					return
				}
				s := v.subs[sub].Sku
				r := ConsumerRow{UserID: u.ID, UserPrincipalName: u.UserPrincipalName, SkuID: s.ID, SkuPartNumber: s.Label(), ProductName: s.ProductName(), Groups: []Source{}}
				switch {
				case direct && group:
					r.Via = ViaBoth
				case direct:
					r.Via = ViaDirect
				default:
					r.Via = ViaGroup
				}
				for _, p := range run {
					if !p.Direct() && p.State != licensing.PathError {
						r.Groups = append(r.Groups, v.source(p))
					}
				}
				ok = yield(r)
			})
			if !ok {
				return
			}
		}
	}
}

// WriteConsumers is WriteConsumers naming SKUs in o.Names.
func (o Options) WriteConsumers(w io.Writer, st *licensing.State, f Format) error {
	t := table[ConsumerRow]{
		name: ReportConsumers, key: "consumers",
		csvHead: []string{"userPrincipalName", "userId", "skuPartNumber", "skuId", "via", "groups", "groupIds", "productName"},
		txtHead: []string{"USER", "SKU", "VIA", "GROUPS"},
		csv: func(r *ConsumerRow, c []string) {
			names, ids := sourceLists(r.Groups)
			c[0], c[1], c[2], c[3], c[4], c[5], c[6] = r.UserPrincipalName, r.UserID, r.SkuPartNumber, r.SkuID.String(), r.Via, safeCell(names), ids
			c[7] = safeCell(r.ProductName)
		},
		text: func(r *ConsumerRow, c []string) {
			names, _ := sourceLists(r.Groups)
			c[0], c[1], c[2], c[3] = firstOf(r.UserPrincipalName, r.UserID), skuNamed(o.Names, r.SkuID, r.SkuPartNumber, r.ProductName), r.Via, orDash(names)
		},
		rows: Consumers(st),
	}
	return t.write(w, st, f)
}

// sourceLists joins the display names and the ids of group sources for one cell each.
func sourceLists(gs []Source) (names, ids string) {
	n := make([]string, len(gs))
	d := make([]string, len(gs))
	for i, g := range gs {
		n[i], d[i] = g.Label(), g.GroupID
	}
	return joinList(n), joinList(d)
}

// firstOf returns the first non-empty string.
func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
