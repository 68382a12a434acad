package differential

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// cases is how many random scripts TestStateAgreesWithFake runs: a short budget by default,
// LICENSEPLAN_DIFF_CASES for more.
func cases() int {
	if n, err := strconv.Atoi(os.Getenv("LICENSEPLAN_DIFF_CASES")); err == nil && n > 0 {
		return n
	}
	return 150
}

const stepsPerScript = 40

func TestStateAgreesWithFake(t *testing.T) {
	clear(kindRefusals)
	for seed := range uint64(cases()) {
		if !agree(t, seed) {
			return // one script's story is enough to read
		}
	}
	// The scripts reach every refusal a group's kind brings, in both models.
	for _, k := range []string{"cannot carry licenses", "dynamic", "synced", "mail-enabled"} {
		if kindRefusals[k] == 0 {
			t.Errorf("no script was refused for a group's kind: %s (refusals seen: %v)", k, kindRefusals)
		}
	}
}

// kindRefusals counts the refusals for a group's kind the scripts met, by what refused them
// (under kindMu: the fuzzer may run scripts side by side).
var (
	kindMu       sync.Mutex
	kindRefusals = map[string]int{}
)

// countKindRefusal records a refusal of c for its group's kind (both models refused it).
func countKindRefusal(snap *licensing.Snapshot, c licensing.Change) {
	i := slices.IndexFunc(snap.Groups, func(g licensing.Group) bool { return g.ID == c.Group })
	if i < 0 {
		return
	}
	k := snap.Groups[i].Kind()
	kindMu.Lock()
	defer kindMu.Unlock()
	switch {
	case c.Kind == licensing.AssignGroupLicenses && !k.CanCarryLicenses():
		kindRefusals["cannot carry licenses"]++
	case c.Kind == licensing.AddGroupMember || c.Kind == licensing.RemoveGroupMember:
		switch k.Members() {
		case licensing.MembersByRule:
			kindRefusals["dynamic"]++
		case licensing.MembersOnPremises:
			kindRefusals["synced"]++
		case licensing.MembersInExchange:
			kindRefusals["mail-enabled"]++
		}
	}
}

func FuzzStateAgreesWithFake(f *testing.F) {
	for _, s := range []uint64{0, 1, 2, 3} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { agree(t, seed) })
}

// agree runs one random tenant and script through both models and reports whether they agreed
// throughout (failing t with the script so far when they did not).
func agree(t *testing.T, seed uint64) bool {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	snap := randomTenant(r)
	rules := testRules(t)
	state, err := licensing.NewState(snap, licensing.WithRules(rules))
	require.NoError(t, err, "seed %d", seed)
	ft, err := fake.New(snap, fake.WithRules(rules))
	require.NoError(t, err, "seed %d", seed)

	var script []string
	if d := diff(canonical(state.Snapshot()), canonical(ft.State())); d != "" {
		t.Errorf("seed %d: the models disagree on the loaded tenant:\n%s", seed, d)
		return false
	}
	ctx := context.Background()
	for range stepsPerScript {
		c := randomChange(r, snap)
		script = append(script, describe(c))
		o := state.Apply(c)
		ferr := applyToFake(ctx, ft, c)
		if o.Refused != (ferr != nil) {
			t.Errorf("seed %d: %s\nState refused: %v (%v); fake: %v\nscript:\n  %s", seed, describe(c), o.Refused, o.Err(), ferr, strings.Join(script, "\n  "))
			return false
		}
		if o.Refused {
			fk := licensing.KindOf(ferr)
			if !slices.ContainsFunc(o.Violations, func(v *licensing.Error) bool { return v.Kind == fk }) {
				t.Errorf("seed %d: %s\nState refused with %v; fake with %v (%v)\nscript:\n  %s", seed, describe(c), o.Err(), fk, ferr, strings.Join(script, "\n  "))
				return false
			}
			countKindRefusal(snap, c)
		}
		if d := diff(canonical(state.Snapshot()), canonical(ft.State())); d != "" {
			t.Errorf("seed %d: after %s the models disagree (- State, + fake):\n%s\nscript:\n  %s", seed, describe(c), d, strings.Join(script, "\n  "))
			return false
		}
	}
	return true
}

// testRules are the default rules and a usage-location prohibition, so that every check of
// Entra's is exercised.
func testRules(t *testing.T) *licensing.Rules {
	custom, err := licensing.ReadRules(strings.NewReader(`{"formatVersion": "rules/v1",
	  "usageLocation": [{"name": "No Teams in CU", "source": "test", "date": "2026-12-07",
	    "plans": [{"id": "57ff2da0-773e-42df-b2af-ffb7a2317929", "name": "TEAMS1"}], "prohibitedIn": ["CU"]}]}`))
	require.NoError(t, err)
	return licensing.DefaultRules().Extend(custom)
}

var (
	locations     = []string{"US", "NO", "CU", ""}
	changeLocs    = []string{"US", "NO", "CU", "", "XX"}
	absentGroupID = "a0000000-0000-4000-8000-0000000000ee"
)

// randomTenant returns a small tenant over the sample tenant's SKUs, with few seats (so that
// seats run out), random direct licenses (conflicting or lacking prerequisites at times),
// groups with random licenses and members, and now and then a stuck path.
func randomTenant(r *rand.Rand) *licensing.Snapshot {
	base := sampletenant.Snapshot()
	s := &licensing.Snapshot{FormatVersion: licensing.TenantFormatVersion, TenantID: base.TenantID}
	if r.IntN(3) > 0 {
		s.DefaultUsageLocation = "US"
	}
	for _, k := range base.SubscribedSkus {
		k.ConsumedUnits = 0
		k.PrepaidUnits = licensing.PrepaidUnits{Enabled: r.IntN(6)}
		if r.IntN(4) == 0 {
			k.PrepaidUnits.Warning = 1 + r.IntN(2)
		}
		s.SubscribedSkus = append(s.SubscribedSkus, k)
	}
	nUsers := 4 + r.IntN(6)
	for i := range nUsers {
		u := licensing.User{ID: fmt.Sprintf("10000000-0000-4000-8000-%012d", 100-i*7%50), UserPrincipalName: fmt.Sprintf("u%d@contoso.com", i),
			UsageLocation: locations[r.IntN(len(locations))]}
		for range r.IntN(3) {
			if u.UsageLocation == "" {
				break
			}
			l := randomLicense(r, s)
			if !slices.ContainsFunc(u.AssignedLicenses, func(x licensing.AssignedLicense) bool { return x.SkuID == l.SkuID }) {
				u.AssignedLicenses = append(u.AssignedLicenses, l)
			}
		}
		s.Users = append(s.Users, u)
	}
	for g := range 3 {
		grp := licensing.Group{ID: fmt.Sprintf("a0000000-0000-4000-8000-0000000000%02d", 90-g*13), DisplayName: fmt.Sprintf("Group%d", g)}
		for range r.IntN(3) {
			l := randomLicense(r, s)
			if !slices.ContainsFunc(grp.AssignedLicenses, func(x licensing.AssignedLicense) bool { return x.SkuID == l.SkuID }) {
				grp.AssignedLicenses = append(grp.AssignedLicenses, l)
			}
		}
		for _, u := range s.Users {
			if r.IntN(3) == 0 {
				grp.Members = append(grp.Members, u.ID)
			}
		}
		if r.IntN(3) == 0 {
			setKind(&grp, groupKinds[r.IntN(len(groupKinds))])
			if !grp.Kind().CanCarryLicenses() && r.IntN(4) > 0 {
				grp.AssignedLicenses = nil // Graph never lets such a group have licenses; now and then it has some anyway
			}
		}
		s.Groups = append(s.Groups, grp)
	}
	// Reported paths, for some users: their direct licenses; now and then a stuck path (of a
	// deleted group, of a group the user left, of a SKU the group no longer carries); and now
	// and then the paths of a group the user is in, as Entra reported them (Active, or
	// ActiveWithError with the plans the user kept, or Error), all of them or some.
	states := []string{"Active", "ActiveWithError", "Error"}
	for i := range s.Users {
		if r.IntN(4) != 0 {
			continue
		}
		u := &s.Users[i]
		u.LicenseAssignmentStates = []licensing.LicenseAssignmentState{}
		for _, l := range u.AssignedLicenses {
			u.LicenseAssignmentStates = append(u.LicenseAssignmentStates, licensing.LicenseAssignmentState{SkuID: l.SkuID, DisabledPlans: l.DisabledPlans, State: "Active", Error: "None"})
		}
		has := func(id licensing.SkuID, gid string) bool {
			return slices.ContainsFunc(u.LicenseAssignmentStates, func(st licensing.LicenseAssignmentState) bool {
				return st.SkuID == id && st.AssignedByGroup != nil && *st.AssignedByGroup == gid
			})
		}
		if r.IntN(2) == 0 {
			gid := absentGroupID
			if k := r.IntN(len(s.Groups) + 1); k < len(s.Groups) {
				gid = s.Groups[k].ID
			}
			if l := randomLicense(r, s); !has(l.SkuID, gid) {
				u.LicenseAssignmentStates = append(u.LicenseAssignmentStates, licensing.LicenseAssignmentState{SkuID: l.SkuID, DisabledPlans: l.DisabledPlans,
					AssignedByGroup: &gid, State: "ActiveWithError", Error: "DependencyViolation"})
			}
		}
		for _, g := range s.Groups {
			if !slices.Contains(g.Members, u.ID) || r.IntN(2) == 0 {
				continue
			}
			for _, gl := range g.AssignedLicenses {
				if r.IntN(4) == 0 || has(gl.SkuID, g.ID) {
					continue // not reported: evaluated on load
				}
				st := licensing.LicenseAssignmentState{SkuID: gl.SkuID, DisabledPlans: gl.DisabledPlans, AssignedByGroup: &g.ID, State: states[r.IntN(len(states))], Error: "None"}
				switch st.State {
				case "ActiveWithError":
					st.Error, st.DisabledPlans = "Other", nil // the plans kept from before the group's change
					k := slices.IndexFunc(s.SubscribedSkus, func(k licensing.SubscribedSku) bool { return k.SkuID == gl.SkuID })
					for _, p := range s.SubscribedSkus[k].ServicePlans {
						if r.IntN(3) == 0 {
							st.DisabledPlans = append(st.DisabledPlans, p.ServicePlanID)
						}
					}
				case "Error":
					st.Error = "CountViolation"
				}
				u.LicenseAssignmentStates = append(u.LicenseAssignmentStates, st)
			}
		}
	}
	return s
}

// groupKinds are the kinds a random group may have (DESIGN.md §2 "Group kinds"): each sets
// the group's kind fields as Graph reports them. A group without a kind has none of the
// fields: a plain security group.
var groupKinds = []groupKindSpec{
	{name: "security (explicit)", types: []string{}, security: yes, mail: no},
	{name: "dynamic security", types: []string{"DynamicMembership"}, security: yes, mail: no, rule: `(user.department -eq "Sales")`, ruleProcessing: "On"},
	{name: "synced security", security: yes, mail: no, synced: yes},
	{name: "synced mail-enabled security", security: yes, mail: yes, synced: yes},
	{name: "mail-enabled security", security: yes, mail: yes},
	{name: "distribution", security: no, mail: yes},
	{name: "Microsoft 365", types: []string{"Unified"}, security: no, mail: yes},
	{name: "Microsoft 365 (security)", types: []string{"Unified"}, security: yes, mail: yes},
	{name: "dynamic Microsoft 365", types: []string{"Unified", "DynamicMembership"}, security: no, mail: yes, rule: `(user.jobTitle -contains "Engineer")`, ruleProcessing: "Paused"},
	{name: "cloud security, not synced", security: yes, mail: no, synced: no},
}

// groupKindSpec is one kind's fields.
type groupKindSpec struct {
	name                   string
	types                  []string
	security, mail, synced *bool
	rule, ruleProcessing   string
}

var (
	yes = func() *bool { b := true; return &b }()
	no  = func() *bool { b := false; return &b }()
)

func setKind(g *licensing.Group, k groupKindSpec) {
	g.GroupTypes, g.SecurityEnabled, g.MailEnabled, g.OnPremisesSyncEnabled = slices.Clone(k.types), k.security, k.mail, k.synced
	g.MembershipRule, g.MembershipRuleProcessingState = k.rule, k.ruleProcessing
}

// randomLicense is one of the tenant's SKUs with some of its plans disabled at times.
func randomLicense(r *rand.Rand, s *licensing.Snapshot) licensing.AssignedLicense {
	k := s.SubscribedSkus[r.IntN(len(s.SubscribedSkus))]
	l := licensing.AssignedLicense{SkuID: k.SkuID, DisabledPlans: []licensing.PlanID{}}
	if r.IntN(3) == 0 {
		for _, p := range k.ServicePlans {
			if r.IntN(3) == 0 {
				l.DisabledPlans = append(l.DisabledPlans, p.ServicePlanID)
			}
		}
	}
	return l
}

func randomChange(r *rand.Rand, s *licensing.Snapshot) licensing.Change {
	user := s.Users[r.IntN(len(s.Users))].ID
	group := s.Groups[r.IntN(len(s.Groups))].ID
	sku := func() licensing.SkuID { return s.SubscribedSkus[r.IntN(len(s.SubscribedSkus))].SkuID }
	body := func() ([]licensing.AssignedLicense, []licensing.SkuID) {
		var add []licensing.AssignedLicense
		var remove []licensing.SkuID
		for range r.IntN(3) {
			l := randomLicense(r, s)
			if !slices.ContainsFunc(add, func(x licensing.AssignedLicense) bool { return x.SkuID == l.SkuID }) {
				add = append(add, l)
			}
		}
		if r.IntN(2) == 0 {
			if id := sku(); !slices.ContainsFunc(add, func(x licensing.AssignedLicense) bool { return x.SkuID == id }) {
				remove = append(remove, id)
			}
		}
		return add, remove
	}
	switch k := r.IntN(10); {
	case k < 3:
		add, remove := body()
		return licensing.Change{Kind: licensing.AssignUserLicenses, User: user, AddLicenses: add, RemoveLicenses: remove}
	case k < 5:
		add, remove := body()
		return licensing.Change{Kind: licensing.AssignGroupLicenses, Group: group, AddLicenses: add, RemoveLicenses: remove}
	case k < 7:
		return licensing.Change{Kind: licensing.AddGroupMember, User: user, Group: group}
	case k < 8:
		return licensing.Change{Kind: licensing.RemoveGroupMember, User: user, Group: group}
	case k < 9:
		return licensing.Change{Kind: licensing.SetUsageLocation, User: user, UsageLocation: changeLocs[r.IntN(len(changeLocs))]}
	default:
		return licensing.Change{Kind: licensing.ReprocessUser, User: user}
	}
}

func applyToFake(ctx context.Context, t *fake.Tenant, c licensing.Change) error {
	switch c.Kind {
	case licensing.AssignUserLicenses:
		return t.AssignUserLicenses(ctx, c.User, c.AddLicenses, c.RemoveLicenses)
	case licensing.AssignGroupLicenses:
		return t.AssignGroupLicenses(ctx, c.Group, c.AddLicenses, c.RemoveLicenses)
	case licensing.AddGroupMember:
		return t.AddGroupMember(ctx, c.Group, c.User)
	case licensing.RemoveGroupMember:
		return t.RemoveGroupMember(ctx, c.Group, c.User)
	case licensing.SetUsageLocation:
		return t.SetUsageLocation(ctx, c.User, c.UsageLocation)
	case licensing.ReprocessUser:
		return t.ReprocessUser(ctx, c.User)
	}
	panic("unknown change " + c.Kind.String())
}

func describe(c licensing.Change) string {
	lic := func(ls []licensing.AssignedLicense) string {
		var out []string
		for _, l := range ls {
			out = append(out, fmt.Sprintf("%s(-%d)", short(l.SkuID.String()), len(l.DisabledPlans)))
		}
		return strings.Join(out, ",")
	}
	var rem []string
	for _, id := range c.RemoveLicenses {
		rem = append(rem, short(id.String()))
	}
	switch c.Kind {
	case licensing.AssignUserLicenses:
		return fmt.Sprintf("assignUser %s +[%s] -[%s]", short(c.User), lic(c.AddLicenses), strings.Join(rem, ","))
	case licensing.AssignGroupLicenses:
		return fmt.Sprintf("assignGroup %s +[%s] -[%s]", short(c.Group), lic(c.AddLicenses), strings.Join(rem, ","))
	case licensing.SetUsageLocation:
		return fmt.Sprintf("setUsageLocation %s %q", short(c.User), c.UsageLocation)
	}
	return fmt.Sprintf("%s %s %s", c.Kind, short(c.User), short(c.Group))
}

// short is the last 4 characters of an id, enough to tell the test's objects apart.
func short(id string) string {
	if len(id) > 4 {
		return id[len(id)-4:]
	}
	return id
}

// canonical renders what both models must agree on, one line per fact, in a fixed order.
func canonical(s *licensing.Snapshot) []string {
	var out []string
	for _, k := range s.SubscribedSkus {
		out = append(out, fmt.Sprintf("sku %s consumed %d", short(k.SkuID.String()), k.ConsumedUnits))
	}
	users := slices.Clone(s.Users)
	slices.SortFunc(users, func(a, b licensing.User) int { return strings.Compare(a.ID, b.ID) })
	for _, u := range users {
		out = append(out, fmt.Sprintf("user %s location %q", short(u.ID), u.UsageLocation))
		var ps []string
		for _, st := range u.LicenseAssignmentStates {
			g := "direct"
			if !st.Direct() {
				g = short(*st.AssignedByGroup)
			}
			dis := planList(st.DisabledPlans)
			errText := st.Error
			if errText == "" {
				errText = "None"
			}
			ps = append(ps, fmt.Sprintf("  path %s %s %s/%s off[%s]", short(st.SkuID.String()), g, st.State, errText, dis))
		}
		slices.Sort(ps)
		out = append(out, ps...)
	}
	groups := slices.Clone(s.Groups)
	slices.SortFunc(groups, func(a, b licensing.Group) int { return strings.Compare(a.ID, b.ID) })
	for _, g := range groups {
		m := slices.Clone(g.Members)
		for i := range m {
			m[i] = short(m[i])
		}
		slices.Sort(m)
		var ls []string
		for _, l := range g.AssignedLicenses {
			ls = append(ls, short(l.SkuID.String())+" off["+planList(l.DisabledPlans)+"]")
		}
		slices.Sort(ls)
		out = append(out, fmt.Sprintf("group %s members %v licenses %v", short(g.ID), m, ls))
		out = append(out, fmt.Sprintf("group %s kind %s types %v security %s mail %s synced %s rule %q %q", short(g.ID), g.Kind(), g.GroupTypes,
			boolText(g.SecurityEnabled), boolText(g.MailEnabled), boolText(g.OnPremisesSyncEnabled), g.MembershipRule, g.MembershipRuleProcessingState))
	}
	return out
}

func boolText(b *bool) string {
	if b == nil {
		return "null"
	}
	return strconv.FormatBool(*b)
}

func planList(ids []licensing.PlanID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = short(id.String())
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

// diff returns the lines only one side has, or "".
func diff(a, b []string) string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, "- "+x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, "+ "+x)
		}
	}
	return strings.Join(out, "\n")
}
