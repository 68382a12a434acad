package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/internal/parallel"
	"github.com/licenseplan/licenseplan/licensing"
)

// Rules that speak. A rule compiles to per-user direct targets, with this precedence:
//   - an explicit entry in users wins over every rule: the rule is not applied to that user,
//     and an info problem names the rule and the user;
//   - rules that match one user merge (their licenses add up; one SKU with different plans is
//     an error naming both), except that two exact rules must give the same licenses: an exact
//     rule removes what it does not list, so two that differ cannot both hold (an error naming
//     both rules and the users);
//   - a rule that matches no user is a warning naming the rule;
//   - every assignLicense step a rule drives names the rule in its reason.

// ruleAt is a rule's location in the desired file, as problems and reasons name it.
func ruleAt(i int, name string) string { return fmt.Sprintf("rules[%d] (%q)", i, name) }

// isRule reports whether a target's or license's from is a rule's location.
func isRule(from string) bool { return strings.HasPrefix(from, "rules[") }

// resolveRules compiles the rules into user targets. explicit maps each user an entry of users
// targets to that entry's location ("users[2]").
func (b *builder) resolveRules(explicit map[int]string) {
	st := b.before
	var exactOf map[string][]licTarget // an exact rule's location → its licenses
	type pair struct{ first, second string }
	var clashes map[pair][]int // exact rules that disagree → the users they disagree on
	var clashOrder []pair
	wheres := make([]where, len(b.d.Rules))
	for ri, r := range b.d.Rules {
		wheres[ri] = compileWhere(r.Where)
	}
	matches := matchUsers(st, wheres, parallel.Parts(st.NumUsers()))
	for ri, r := range b.d.Rules {
		at := ruleAt(ri, r.Name)
		lts := b.resolveSpecs(at, licensing.Target{}, r.Licenses)
		for i := range lts {
			lts[i].from = at
		}
		exact := r.Mode == ModeExact
		if exact {
			if exactOf == nil {
				exactOf = map[string][]licTarget{}
			}
			exactOf[at] = lts
		}
		// Users no earlier entry targets share one target per rule (a million users matched
		// by a rule hold one userTarget, not a million); a user a later entry also targets
		// gets a copy first.
		var shared *userTarget
		sharable := true
		for _, u32 := range matches[ri] {
			u := int(u32)
			if entry, ok := explicit[u]; ok {
				b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityInfo, Target: st.UserTarget(u),
					Message: fmt.Sprintf("%s matches user %s, whom %s targets explicitly: the explicit target wins, the rule is not applied to this user", at, st.User(u).UserPrincipalName, entry)})
				continue
			}
			if b.users[u] == nil && shared != nil {
				b.users[u] = shared
				continue
			}
			if b.users[u] != nil && b.users[u].shared {
				c := *b.users[u]
				c.lic, c.shared = slices.Clone(c.lic), false
				b.users[u] = &c
			}
			fresh := b.users[u] == nil
			problems := len(b.plan.Problems)
			t := b.target(u, at)
			if exact {
				if t.mode == ModeExact && isRule(t.from) && t.from != at {
					if !sameLicenses(exactOf[t.from], lts) {
						p := pair{t.from, at}
						if clashes == nil {
							clashes = map[pair][]int{}
						}
						if _, ok := clashes[p]; !ok {
							clashOrder = append(clashOrder, p)
						}
						clashes[p] = append(clashes[p], u)
						continue
					}
				} else {
					// from names the rule that made the target exact: its removals are that rule's.
					t.mode, t.from = ModeExact, at
				}
			}
			for _, lt := range lts {
				b.merge(u, t, lt)
			}
			if fresh && sharable {
				// A rule that conflicts with itself reports it for every user: no sharing.
				if sharable = len(b.plan.Problems) == problems; sharable {
					t.shared, shared = true, t
				}
			}
		}
		if len(matches[ri]) == 0 {
			b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityWarning,
				Message: fmt.Sprintf("%s matches no user: check its where (%s)", at, whereText(r.Where))})
		}
	}
	for _, p := range clashOrder {
		users := clashes[p]
		var names []string
		for i, u := range users {
			if i == 5 {
				names = append(names, fmt.Sprintf("and %d more", len(users)-5))
				break
			}
			names = append(names, st.User(u).UserPrincipalName)
		}
		b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: st.UserTarget(users[0]),
			Message: fmt.Sprintf("%s and %s are both exact and give different licenses to %d user(s) (%s): an exact rule removes what it does not list, so both cannot hold; make one of them ensure, list the same licenses, or make their where disjoint",
				p.first, p.second, len(users), strings.Join(names, ", "))})
	}
}

// matchUsers returns, for each where, the users it matches, ascending, splitting the users
// into parts ranges matched on goroutines of their own (matching only reads the State).
func matchUsers(st *licensing.State, wheres []where, parts int) [][]int32 {
	found := make([][][]int32, parts) // found[part][rule]
	parallel.Ranges(st.NumUsers(), parts, func(part, lo, hi int) {
		out := make([][]int32, len(wheres))
		for u := lo; u < hi; u++ {
			usr, usage := st.User(u), st.UsageLocation(u)
			for ri, w := range wheres {
				if w.matches(usr, usage) {
					out[ri] = append(out[ri], int32(u))
				}
			}
		}
		found[part] = out
	})
	if parts == 1 {
		return found[0]
	}
	all := make([][]int32, len(wheres))
	for ri := range wheres {
		for _, f := range found {
			all[ri] = append(all[ri], f[ri]...)
		}
	}
	return all
}

// sameLicenses reports whether two rules' licenses are the same SKUs with the same plans off.
func sameLicenses(a, c []licTarget) bool {
	covers := func(x, y []licTarget) bool {
		for _, l := range x {
			if !slices.ContainsFunc(y, func(m licTarget) bool { return m.sub == l.sub && m.disabled.Equal(l.disabled) }) {
				return false
			}
		}
		return true
	}
	return covers(a, c) && covers(c, a)
}

// whereText writes a rule's where for messages, keys in order.
func whereText(w map[string]string) string {
	var parts []string
	for _, c := range compileWhere(w) {
		parts = append(parts, fmt.Sprintf("%s = %q", c.attr, c.value))
	}
	return strings.Join(parts, ", ")
}

// ruleKey is a reason with the rules that drive a step: the one rule, or the rules joined by NUL.
type ruleKey struct {
	why   *reason
	rules string
}

// ruleReasons names the rules that drive each user's assignLicense steps in the step's reason:
// the rule that gives an added SKU, and the exact rule behind a removal of a SKU the target does
// not list. The reasons are shared between steps with the same reason and rules.
func (b *builder) ruleReasons() {
	if len(b.d.Rules) == 0 {
		return
	}
	// On every core: each range of steps has its own memo (a reason two ranges need is made
	// twice, the same).
	parallel.Ranges(len(b.steps), parallel.Parts(len(b.steps)), func(_, lo, hi int) {
		b.ruleReasonsOf(b.steps[lo:hi], map[ruleKey]*reason{})
	})
}

func (b *builder) ruleReasonsOf(steps []*stepSlot, memo map[ruleKey]*reason) {
	var rules []string
	for _, s := range steps {
		if s.user < 0 || b.users[s.user] == nil { // not a user's assignLicense, or not targeted
			continue
		}
		t := b.users[s.user]
		rules = rules[:0]
		add := func(from string) {
			if isRule(from) && !slices.Contains(rules, from) {
				rules = append(rules, from)
			}
		}
		for _, a := range s.AddLicenses {
			if i := slices.IndexFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == a.SkuID }); i >= 0 {
				add(t.lic[i].from)
			}
		}
		if t.mode == ModeExact {
			for _, r := range s.RemoveLicenses {
				if !slices.ContainsFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == r }) {
					add(t.from)
				}
			}
		}
		if len(rules) == 0 {
			continue
		}
		k := ruleKey{s.why, rules[0]}
		if len(rules) > 1 {
			k.rules = strings.Join(rules, "\x00")
		}
		r, ok := memo[k]
		if !ok {
			c := *s.why
			c.rules, c.text = slices.Clone(rules), ""
			r = &c
			memo[k] = r
		}
		s.why = r
	}
}
