package report

import "github.com/licenseplan/licenseplan/licensing"

// LowSeats returns the SKUs (snapshot order) with fewer than minFree free seats (SeatRow.
// Available: enabled + warning − consumed), for alerting. SKUs without paid seats are left out
// unless includeFree: those with no prepaidUnits.enabled (free SKUs, and ones whose seats are
// all in grace or suspended) and those whose every company subscription is a trial
// (self-service trials), when the snapshot has subscriptions.
func LowSeats(st *licensing.State, minFree int, includeFree bool) []SeatRow {
	trialOnly := map[licensing.SkuID]bool{}
	if subs, ok := st.CompanySubscriptions(); ok {
		for _, s := range subs {
			if only, seen := trialOnly[s.SkuID]; !seen || only {
				trialOnly[s.SkuID] = s.IsTrial
			}
		}
	}
	var out []SeatRow
	for _, r := range Seats(st) {
		if !includeFree && (r.Enabled == 0 || trialOnly[r.SkuID]) {
			continue
		}
		if r.Available < minFree {
			out = append(out, r)
		}
	}
	return out
}
