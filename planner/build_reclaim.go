package planner

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
)

// Reclaim (desired/v1 "reclaim"): policy as desired state. A reclaim selects users who are
// disabled or inactive, by report.Reclaim's rules (reclaimReason; a test runs both on one
// tenant), and for each of them not excluded plans:
//
//   - the removal of their direct licenses of the reclaimed SKUs (every SKU when skus is
//     absent), in the user's one assignLicense;
//   - leaving the licensed groups whose paths give them those SKUs. A group whose members Graph
//     cannot change (dynamic, synced from on-premises, mail-enabled) is not left: a warning
//     names the group, the user and where to change the membership instead.
//
// It works through the user's target (as if the desired state gave an exact entry for the
// user that keeps everything else), so that the phases plan it like any other change: one
// assignLicense per user, leaves after it, ServiceLoss checks. Consent to lose service is
// implied for exactly those users and those SKUs' plans (the target's allowLoss); anything
// else a step takes away is still a ServiceLoss error.
//
// A user an explicit entry of users (or a rule) also targets: the entry wins where they meet —
// a SKU the entry lists is not reclaimed, nor a group its groups list names (an info problem
// says so) — and reclaim adds its removals, leaves and consent to the rest: an ensure entry
// becomes exact for the user's other direct licenses and groups only in that they are kept as
// they are, and the entry's own allowServiceLoss still counts.
//
// Once the steps are made, each step that carries a reclaim says so in its reason
// ("…; reclaim: account disabled"), the reclaimed users are put in waves (as
// migrateDirectToGroup's), and a user left without any Exchange Online mailbox plan gets a
// warning: Microsoft Learn, "Unassign Microsoft 365 licenses from users" (What happens to a
// user's data when you remove their license?): "When a license is removed from a user,
// Exchange Online data that is associated with that account is held for 30 days. After the
// 30-day grace period, the data is deleted and can't be recovered"
// (https://learn.microsoft.com/microsoft-365/admin/manage/remove-licenses-from-users); an
// inactive mailbox (a hold) or a shared mailbox keeps it.

// mailboxWarning is the warning for a reclaimed user left without a mailbox plan.
const mailboxWarning = "the mailbox is deleted 30 days after the license goes, unless it is converted to a shared mailbox or on hold"

// reclaimed is one user a reclaim takes licenses from.
type reclaimed struct {
	u        int
	why      string            // "account disabled", "no sign-in since 2025-09-01", …
	from     string            // "reclaim: " + why: where the user's target says its changes come from
	skus     []licensing.SkuID // the SKUs reclaimed (direct removals and those of groups left), sorted
	groups   []string          // the ids of the groups the user leaves
	explicit bool              // the user's target had its own allowServiceLoss
}

// reclaimReason says why user u of st is selected by a reclaim of disabled users (disabled)
// and of users without a sign-in for days days (0: none) before now, or "" when u is not
// selected. The rules are report.Reclaim's: a disabled account (accountEnabled false) is
// selected whatever its activity; a user whose activity is unknown (no signInActivity, or a
// snapshot with signInActivityUnknown) is never inactive, nor one created within the window;
// otherwise no sign-in recorded, or the latest recorded before the window, is inactive.
func reclaimReason(st *licensing.State, u int, now time.Time, disabled bool, days int) string {
	usr := st.User(u)
	if disabled && usr.AccountEnabled != nil && !*usr.AccountEnabled {
		return "account disabled"
	}
	if days <= 0 || st.SignInActivityUnknown() || usr.SignInActivity == nil {
		return ""
	}
	cutoff := now.AddDate(0, 0, -days)
	if created, ok := licensing.ParseDateTime(usr.CreatedDateTime); ok && created.After(cutoff) {
		return ""
	}
	last, ok := usr.SignInActivity.Latest()
	switch {
	case !ok:
		return "no sign-in recorded"
	case last.Before(cutoff):
		return "no sign-in since " + last.UTC().Format(time.DateOnly)
	}
	return ""
}

// reclaim turns desired.reclaim into user targets; Build calls it once the explicit entries
// and rules are resolved. It returns what is left to do once the plan's steps are made and
// ordered (reasons, waves, mailbox warnings): Build defers it.
func (b *builder) reclaim() (finish func()) {
	r := b.d.Reclaim
	if r == nil {
		return func() {}
	}
	st := b.before
	days := r.InactiveDays
	var now time.Time
	if days > 0 {
		t, ok := licensing.ParseDateTime(st.ReadAt())
		if !ok {
			b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Message: fmt.Sprintf(
				"reclaim.inactiveDays: the snapshot has no readAt (or %q is not RFC 3339), so days without a sign-in cannot be counted: take a new snapshot", st.ReadAt())})
			days = 0
		}
		now = t
	}
	excluded := make([]bool, st.NumUsers())
	for i, ref := range r.Exclude.Users {
		u, err := st.LookupUser(ref)
		if err != nil {
			b.problemFromErr(fmt.Sprintf("reclaim.exclude.users[%d]", i), err, SeverityError, nil)
			continue
		}
		excluded[u] = true
	}
	for i, ref := range r.Exclude.Groups {
		g, err := st.LookupGroup(ref)
		if err != nil {
			b.problemFromErr(fmt.Sprintf("reclaim.exclude.groups[%d]", i), err, SeverityError, nil)
			continue
		}
		for _, u := range st.GroupMembers(g) {
			excluded[u] = true
		}
	}
	var only []licensing.SkuID // the SKUs to reclaim; every SKU when r.Skus is empty
	for i, ref := range r.Skus {
		sub, err := st.LookupSku(ref)
		if err != nil {
			b.problemFromErr(fmt.Sprintf("reclaim.skus[%d]", i), err, SeverityError, nil)
			continue
		}
		if !slices.Contains(only, sub.Sku.ID) {
			only = append(only, sub.Sku.ID)
		}
	}
	if len(r.Skus) > 0 && len(only) == 0 {
		return func() {} // no SKU resolved: reclaim nothing rather than everything
	}
	var users []reclaimed
	for u := range st.NumUsers() {
		if excluded[u] {
			continue
		}
		why := reclaimReason(st, u, now, r.Disabled, days)
		if why == "" {
			continue
		}
		if rc, ok := b.reclaimUser(u, why, only); ok {
			users = append(users, rc)
		}
	}
	return func() { b.reclaimFinish(users) }
}

// reclaimUser works out what a reclaim takes from user u (selected for why) and changes the
// user's target to take it. It reports false when there is nothing to take.
func (b *builder) reclaimUser(u int, why string, only []licensing.SkuID) (reclaimed, bool) {
	st := b.before
	from := "reclaim: " + why
	user := st.UserTarget(u)
	t := b.users[u]
	// listed: what the user's own entry (or a rule) asks for, which a reclaim leaves alone.
	listed := func(sku licensing.SkuID) bool {
		return t != nil && slices.ContainsFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == sku })
	}
	rc := reclaimed{u: u, why: why, from: from}
	var removes []licensing.SkuID
	var leave []int
	var kept []licensing.SkuID
	paths := st.Paths(u)
	seat := false // the user holds a seat the reclaim frees (what report.Reclaim lists)
	for _, p := range paths {
		// A group path in error holds no seat, but leaving its group keeps it from becoming
		// active once the reclaim removes what it conflicts with (E3 from a group waiting for
		// a direct E1 to go). A stuck path is no membership to end.
		if p.Stuck || (p.State == licensing.PathError && p.Direct()) {
			continue
		}
		if len(only) > 0 && !slices.Contains(only, p.Sku) {
			continue
		}
		if _, ok := st.Subscription(p.Sku); !ok {
			continue // no seat to reclaim (report.Reclaim does not list it either)
		}
		if listed(p.Sku) {
			if slices.Contains(kept, p.Sku) {
				continue
			}
			kept = append(kept, p.Sku)
			b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityInfo, Target: user, SkuID: p.Sku, Message: fmt.Sprintf(
				"%s: %s keeps %s: %s lists it for the user, and an explicit target wins over reclaim", from, user, b.cat.SkuNamed(p.Sku, licensing.NamesBoth), t.from)})
			continue
		}
		if p.Direct() {
			removes = append(removes, p.Sku)
			rc.skus = append(rc.skus, p.Sku)
			seat = true
			continue
		}
		g, err := st.LookupGroup(p.Group)
		if err != nil || slices.Contains(leave, g) {
			continue
		}
		gt := st.GroupTarget(g)
		if t != nil && t.groupsSet && slices.Contains(t.groups, g) {
			b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityInfo, Target: user, SkuID: p.Sku, Message: fmt.Sprintf(
				"%s: %s stays in %s: %s lists the group for the user, and an explicit target wins over reclaim", from, user, gt, t.from)})
			continue
		}
		if k, ok := st.GroupKind(g); !ok || k.Members() != licensing.MembersAssigned {
			b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityWarning, Target: user, SkuID: p.Sku, Message: fmt.Sprintf(
				"%s: %s keeps %s from %s, a %s group Graph cannot remove members from: %s", from, user, b.cat.SkuNamed(p.Sku, licensing.NamesBoth), gt, k, b.leaveAdvice(g))})
			continue
		}
		leave = append(leave, g)
		rc.groups = append(rc.groups, gt.ID)
		if !slices.Contains(rc.skus, p.Sku) {
			rc.skus = append(rc.skus, p.Sku)
		}
		seat = seat || p.State != licensing.PathError
	}
	if !seat {
		return rc, false
	}
	// The group's other licenses go too when the user leaves it: consent covers only the
	// reclaimed SKUs, so losing anything else stays a ServiceLoss error.
	var consent licensing.PlanSet
	for _, s := range rc.skus {
		if sku, ok := b.cat.Sku(s); ok {
			consent = consent.Union(sku.PlanSet())
		}
	}
	slices.SortFunc(rc.skus, func(a, c licensing.SkuID) int { return a.Compare(c) })
	switch {
	case t == nil:
		t = &userTarget{mode: ModeEnsure, from: from}
		b.users[u] = t
	case t.shared: // a rule's target, shared by the users it matches: the user gets a copy
		c := *t
		c.lic, c.groups, c.shared = slices.Clone(c.lic), slices.Clone(c.groups), false
		t = &c
		b.users[u] = t
	}
	rc.explicit = !t.allowLoss.IsEmpty()
	t.allowLoss = t.allowLoss.Union(consent) // Union: a copied target may share the set's memory
	cur := st.UserGroups(u)
	if t.mode != ModeExact {
		// Exact for the reclaim only: every other direct license and group stays as it is.
		for _, p := range paths {
			if !p.Direct() || slices.Contains(removes, p.Sku) || listed(p.Sku) {
				continue
			}
			sub, ok := st.Subscription(p.Sku)
			if !ok {
				sku, _ := b.cat.Sku(p.Sku)
				sub = &licensing.Subscription{Sku: sku} // only its SKU is read: the license is kept as it is
			}
			t.lic = append(t.lic, licTarget{sub: sub, disabled: p.Disabled, from: from})
		}
		slices.SortFunc(t.lic, func(a, c licTarget) int { return a.sub.Sku.ID.Compare(c.sub.Sku.ID) })
		if isRule(t.from) {
			t.from = from // the rule only adds: the removals are the reclaim's, not the rule's (ruleReasons)
		}
		if t.groupsSet {
			for _, g := range cur {
				if !slices.Contains(leave, g) && !slices.Contains(t.groups, g) {
					t.groups = append(t.groups, g)
				}
			}
			slices.Sort(t.groups)
		}
		t.mode = ModeExact
	}
	if !t.groupsSet {
		t.groupsSet = true
		t.groups = slices.DeleteFunc(cur, func(g int) bool { return slices.Contains(leave, g) })
	}
	return rc, true
}

// reclaimFinish names the reclaim in the reasons of the steps that carry it (and in the
// ServiceLoss problems it accepts), puts the reclaimed users in waves, and warns about every
// reclaimed user left without an Exchange Online mailbox plan. It runs on the finished plan.
func (b *builder) reclaimFinish(users []reclaimed) {
	if len(users) == 0 {
		return
	}
	byID := make(map[string]int, len(users))
	for i, rc := range users {
		byID[b.before.User(rc.u).ID] = i
	}
	stepsOf := make([][]*stepSlot, len(users)) // each user's steps that carry the reclaim, in plan order
	var memo map[reclaimKey]*reason
	for _, s := range b.steps {
		if s.Target.Type != licensing.TargetUser {
			continue
		}
		i, ok := byID[s.Target.ID]
		if !ok {
			continue
		}
		rc := &users[i]
		carries := false
		switch s.Action {
		case AssignLicense:
			carries = slices.ContainsFunc(s.RemoveLicenses, func(id licensing.SkuID) bool { return slices.Contains(rc.skus, id) })
		case RemoveGroupMember:
			carries = s.Group != nil && slices.Contains(rc.groups, s.Group.ID)
		}
		if !carries {
			continue
		}
		if s.why.from != rc.from { // a leave the reclaim asks for names it already
			k := reclaimKey{s.why, rc.why}
			r, ok := memo[k]
			if !ok {
				c := *s.why
				c.reclaim, c.text = rc.why, ""
				r = &c
				if memo == nil {
					memo = map[reclaimKey]*reason{}
				}
				memo[k] = r
			}
			s.why = r
		}
		stepsOf[i] = append(stepsOf[i], s)
	}
	// The ServiceLoss problems reclaim's consent accepts say so.
	steps := map[int32]int{} // a step's position + 1 → its user's index in users
	for i := range users {
		for _, s := range stepsOf[i] {
			steps[s.n+1] = i
		}
	}
	for k, at := range b.probAt {
		p := &b.plan.Problems[k]
		i, ok := steps[at]
		if !ok || p.Kind != licensing.ServiceLoss || p.Severity != SeverityInfo {
			continue
		}
		by := "reclaim: " + users[i].why
		if users[i].explicit {
			by += ", and the user's allowServiceLoss"
		}
		if m, ok := strings.CutSuffix(p.Message, " (accepted by the user's allowServiceLoss)"); ok {
			p.Message = m + " (accepted by " + by + ")"
		}
	}
	b.mailboxWarnings(users, stepsOf)
	if waves := b.d.Reclaim.Waves; len(waves) > 1 {
		var movers []int
		for i := range users {
			if len(stepsOf[i]) > 0 {
				movers = append(movers, i)
			}
		}
		n, w, moved := len(movers), 0, false
		for k, i := range movers {
			for w < len(waves)-1 && k >= int(math.Ceil(waves[w]*float64(n))) {
				w++
			}
			for _, s := range stepsOf[i] {
				if s.Wave < w {
					s.Wave, moved = w, true
				}
			}
		}
		if moved {
			b.orderByWave() // again: the steps after the reclaim's follow them into their waves
		}
	}
}

// reclaimKey is a step's reason and why a reclaim selected its user: the steps of users
// selected for the same reason share their reason with the reclaim's.
type reclaimKey struct {
	why     *reason
	reclaim string
}

// mailboxPlans returns the Exchange Online mailbox plans: the EXCHANGE_ plans of the rules'
// service families that hold an EXCHANGE_S_ plan (Exchange Online Kiosk, Essentials, Plan 1,
// Plan 2; not EXCHANGE_S_FOUNDATION, which is no mailbox and in no family).
func (b *builder) mailboxPlans() licensing.PlanSet {
	var out licensing.PlanSet
	rules := b.rules.Rules()
	if rules == nil {
		return out
	}
	for _, f := range rules.Services {
		levels := f.AllLevels()
		if !slices.ContainsFunc(levels, func(l []licensing.PlanRef) bool {
			return slices.ContainsFunc(l, func(p licensing.PlanRef) bool { return strings.HasPrefix(b.refName(p), "EXCHANGE_S_") })
		}) {
			continue
		}
		for _, l := range levels {
			for _, p := range l {
				if i, ok := b.cat.PlanIndex(p.ID); ok && strings.HasPrefix(b.refName(p), "EXCHANGE_") {
					out.Add(i)
				}
			}
		}
	}
	return out
}

// refName is a rule's plan's name: the rule's, or the catalog's.
func (b *builder) refName(p licensing.PlanRef) string {
	if p.Name != "" {
		return p.Name
	}
	return b.cat.PlanName(p.ID)
}

// mailboxWarnings warns about every reclaimed user who holds an Exchange Online mailbox plan
// before the plan and none after it, at the user's last reclaim step that takes one away.
func (b *builder) mailboxWarnings(users []reclaimed, stepsOf [][]*stepSlot) {
	mailbox := b.mailboxPlans()
	if mailbox.IsEmpty() {
		return
	}
	for i, rc := range users {
		had := b.before.EnabledPlans(rc.u).Intersect(mailbox)
		if len(stepsOf[i]) == 0 || had.IsEmpty() || b.w.EnabledPlans(rc.u).Intersects(mailbox) {
			continue
		}
		at := stepsOf[i][len(stepsOf[i])-1]
		for _, s := range slices.Backward(stepsOf[i]) {
			if slices.ContainsFunc(s.Lost, func(id licensing.PlanID) bool {
				k, ok := b.cat.PlanIndex(id)
				return ok && mailbox.Has(k)
			}) {
				at = s
				break
			}
		}
		user := b.before.UserTarget(rc.u)
		b.stepProblem(at, Problem{Kind: licensing.ServiceLoss, Severity: SeverityWarning, Target: user, ServicePlans: b.in.planIDs(had),
			Message: fmt.Sprintf("reclaim: %s: %s loses the Exchange Online mailbox (%s): %s", rc.why, user, strings.Join(b.planTitles(had), ", "), mailboxWarning)})
	}
}
