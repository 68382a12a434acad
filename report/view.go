package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// view holds the per-tenant lookups every report needs, built once per report (never per user):
// subscriptions by SKU, groups by id, and the display order of service plans.
type view struct {
	st       *licensing.State
	cat      *licensing.Catalog
	subs     []*licensing.Subscription
	subIdx   map[licensing.SkuID]int
	groupIdx map[string]int
	planRank []int // catalog plan index → position when sorted by name, then id
	// names caches the plan names of disabled-plan sets per SKU: the paths of one group (or of
	// one licensing script) share a handful of sets, so most rows find theirs here.
	names map[licensing.SkuID][]namedSet
}

type namedSet struct {
	set   licensing.PlanSet
	names []string
}

// maxNamedSets bounds the cache per SKU (a linear search).
const maxNamedSets = 16

// sharedPlanNames is planNames for a SKU's disabled plans, from the cache: the slice is
// shared and must not be modified.
func (v *view) sharedPlanNames(sku licensing.SkuID, s licensing.PlanSet) []string {
	if s.IsEmpty() {
		return []string{}
	}
	if v.names == nil {
		v.names = map[licensing.SkuID][]namedSet{}
	}
	sets := v.names[sku]
	for _, e := range sets {
		if e.set.Equal(s) {
			return e.names
		}
	}
	names := v.planNames(s)
	if len(sets) < maxNamedSets {
		v.names[sku] = append(sets, namedSet{set: s, names: names})
	}
	return names
}

func newView(st *licensing.State) *view {
	v := &view{st: st, cat: st.Catalog(), subs: st.Subscriptions()}
	v.subIdx = make(map[licensing.SkuID]int, len(v.subs))
	for i, s := range v.subs {
		v.subIdx[s.Sku.ID] = i
	}
	v.groupIdx = make(map[string]int, st.NumGroups())
	for i := range st.NumGroups() {
		v.groupIdx[st.Group(i).ID] = i
	}
	plans := v.cat.Plans()
	order := make([]int, len(plans))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if r := strings.Compare(planLabel(plans[a]), planLabel(plans[b])); r != 0 {
			return r
		}
		return plans[a].ID.Compare(plans[b].ID)
	})
	v.planRank = make([]int, len(plans))
	for r, i := range order {
		v.planRank[i] = r
	}
	return v
}

func planLabel(p *licensing.ServicePlan) string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID.String()
}

// sku returns the subscription of a SKU id and its position, or nil.
func (v *view) sku(id licensing.SkuID) (*licensing.Subscription, int) {
	i, ok := v.subIdx[id]
	if !ok {
		return nil, -1
	}
	return v.subs[i], i
}

func (v *view) skuName(id licensing.SkuID) string { return v.cat.SkuName(id) }

// skuPlans returns the SKU's plans as a set (empty when the SKU is unknown).
func (v *view) skuPlans(id licensing.SkuID) licensing.PlanSet {
	if s, ok := v.cat.Sku(id); ok {
		return s.PlanSet()
	}
	return licensing.PlanSet{}
}

// enabled returns the plans a path enables when it is active: the SKU's plans minus its disabled plans.
func (v *view) enabled(p licensing.Path) licensing.PlanSet {
	return v.skuPlans(p.Sku).Minus(p.Disabled)
}

// planIndexes returns the plans of s in display order (by name, then id).
func (v *view) planIndexes(s licensing.PlanSet) []int {
	idx := s.Indexes()
	if len(idx) > 1 {
		slices.SortFunc(idx, func(a, b int) int { return v.rank(a) - v.rank(b) })
	}
	return idx
}

func (v *view) rank(i int) int {
	if i < len(v.planRank) {
		return v.planRank[i]
	}
	return len(v.planRank) + i
}

// planNames returns the names of the plans of s in display order.
func (v *view) planNames(s licensing.PlanSet) []string {
	idx := v.planIndexes(s)
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = planLabel(v.cat.PlanAt(i))
	}
	return out
}

// planIDNames returns the names of plan ids, in the order given.
func (v *view) planIDNames(ids []licensing.PlanID) []string {
	out := make([]string, len(ids))
	for k, id := range ids {
		out[k] = v.cat.PlanName(id)
	}
	return out
}

// planName returns the name of plan index i.
func (v *view) planName(i int) string { return planLabel(v.cat.PlanAt(i)) }

// group returns the group's index (or -1), its display name (the id when it has none) and
// whether it is absent from the tenant (deleted: only users' stuck paths name it; see
// licensing.State.GroupAbsent).
func (v *view) group(id string) (int, string, bool) {
	i, ok := v.groupIdx[id]
	if !ok {
		return -1, id, true
	}
	if n := v.st.Group(i).DisplayName; n != "" {
		return i, n, v.st.GroupAbsent(i)
	}
	return i, id, v.st.GroupAbsent(i)
}

// Source is where a path comes from: a direct assignment, or a licensed group.
type Source struct {
	// Type is "direct" or "group".
	Type string `json:"type"`
	// GroupID is the assigning group's id (Graph's assignedByGroup); "" for a direct assignment.
	GroupID string `json:"groupId,omitempty"`
	// GroupDisplayName is the group's displayName (its id when it has none).
	GroupDisplayName string `json:"groupDisplayName,omitempty"`
	// GroupDeleted is true when the group is not in the tenant (deleted): only stuck paths
	// still name it, and it has no displayName (GroupDisplayName is its id).
	GroupDeleted bool `json:"groupDeleted,omitempty"`
	// GroupKind is the group's kind (licensing.GroupKind's name: "security", "dynamic
	// security", "synced security", "mail-enabled security", "Microsoft 365 (security)", …);
	// "" for a direct source or a deleted group.
	GroupKind string `json:"groupKind,omitempty"`
	// MembershipRule is a dynamic group's membershipRule: why the user is a member.
	MembershipRule string `json:"membershipRule,omitempty"`

	members licensing.MembershipSource // where the group's members are changed
}

// The Source types.
const (
	SourceDirect = "direct"
	SourceGroup  = "group"
)

// String returns "direct", "group <displayName>", or "group <id> (deleted)".
func (s Source) String() string {
	if s.Type == SourceDirect {
		return SourceDirect
	}
	return "group " + s.Label()
}

// Label names the group for people: its displayName, or "<id> (deleted)" for a group that is
// no longer in the tenant; "" for a direct source.
func (s Source) Label() string { return groupLabel(s.GroupDisplayName, s.GroupDeleted) }

// groupLabel is a group's name for people: "<name>", or "<name> (deleted)" when it is absent
// (its name is then its id).
func groupLabel(name string, deleted bool) string {
	if deleted && name != "" {
		return name + " (deleted)"
	}
	return name
}

// Direct reports whether the source is a direct assignment.
func (s Source) Direct() bool { return s.Type == SourceDirect }

func (v *view) source(p licensing.Path) Source {
	if p.Direct() {
		return Source{Type: SourceDirect}
	}
	g, name, deleted := v.group(p.Group)
	src := Source{Type: SourceGroup, GroupID: p.Group, GroupDisplayName: name, GroupDeleted: deleted}
	if g >= 0 {
		src.GroupKind, src.MembershipRule, src.members = v.groupKind(g)
	}
	return src
}

// groupKind returns group g's kind name, its membershipRule when it is dynamic, and where its
// members are changed; "" for an absent group.
func (v *view) groupKind(g int) (string, string, licensing.MembershipSource) {
	k, ok := v.st.GroupKind(g)
	if !ok {
		return "", "", licensing.MembersAssigned
	}
	rule := ""
	if k.Dynamic {
		rule = v.st.Group(g).MembershipRule
	}
	return k.String(), rule, k.Members()
}

// plainKind is the kind of a plain security group, which texts do not mention.
const plainKind = "security"

// kindNote is " (<kind>)" for a group that is not a plain security group, else "".
func kindNote(kind string) string {
	if kind == "" || kind == plainKind {
		return ""
	}
	return " (" + kind + ")"
}

// leaveText is the fix that takes user u out of group src: by hand through Graph, or where the
// group's membership is decided.
func leaveText(u string, src Source) string {
	switch src.members {
	case licensing.MembersByRule:
		return fmt.Sprintf("change the membershipRule of dynamic group %s so that it no longer matches %s (or the user attributes it reads)", src.Label(), u)
	case licensing.MembersOnPremises:
		return fmt.Sprintf("remove %s from group %s in on-premises Active Directory (the group is synced from there)", u, src.Label())
	case licensing.MembersInExchange:
		return fmt.Sprintf("remove %s from %s group %s in Exchange Online", u, src.GroupKind, src.Label())
	}
	return fmt.Sprintf("remove %s from group %s", u, src.Label())
}

// membershipNote says why a user is a member of group src where the group's members are not
// changed by hand through Graph; "" for an assigned group.
func membershipNote(src Source) string {
	switch src.members {
	case licensing.MembersByRule:
		rule := "its membershipRule"
		if src.MembershipRule != "" {
			rule = "its membershipRule " + src.MembershipRule
		}
		return fmt.Sprintf("dynamic group: the user is a member because it matches %s; the license follows the rule — change the rule or the user's attributes, not the membership", rule)
	case licensing.MembersOnPremises:
		return "group synced from on-premises Active Directory: its members are changed there, not through Graph"
	case licensing.MembersInExchange:
		return src.GroupKind + " group: its members are changed in Exchange Online, not through Graph"
	}
	return ""
}

// userRef names a user in sentences: the userPrincipalName, or the id.
func userRef(u *licensing.User) string {
	if u.UserPrincipalName != "" {
		return u.UserPrincipalName
	}
	return u.ID
}

// errorName is Entra's name of a path's error ("None" when there is none).
func errorName(k licensing.Kind) string { return k.String() }

// inError reports whether a path is in an error state: Error, ActiveWithError, an error
// recorded, or stuck (a group path that outlived its group's assignment, which Entra keeps in
// an error state while another plan depends on it).
func inError(p licensing.Path) bool {
	return p.State == licensing.PathError || p.State == licensing.PathActiveWithError || p.Error != licensing.None || p.Stuck
}

// Why a group path outlived its group's assignment (ErrorEntry.StuckCause, PathExplanation.StuckCause).
const (
	StuckGroupDeleted   = "groupDeleted"        // the group is not in the tenant any more
	StuckSkuRemoved     = "groupNoLongerHasSku" // the group no longer assigns the SKU
	StuckNoLongerMember = "noLongerMember"      // the user is no longer a direct member of the group
)

// stuckCause says why stuck path p of user i outlived its group's assignment ("" when p is not stuck).
func (v *view) stuckCause(i int, p licensing.Path) string {
	if !p.Stuck || p.Direct() {
		return ""
	}
	g, _, deleted := v.group(p.Group)
	if deleted || g < 0 {
		return StuckGroupDeleted
	}
	for _, l := range v.st.GroupLicenses(g) {
		if l.SkuID == p.Sku {
			return StuckNoLongerMember
		}
	}
	return StuckSkuRemoved
}

// stuckText says a stuck cause in words, about source src and the SKU.
func stuckText(cause string, src Source, sku string) string {
	switch cause {
	case StuckGroupDeleted:
		return fmt.Sprintf("group %s was deleted", src.GroupID)
	case StuckSkuRemoved:
		return fmt.Sprintf("group %s no longer assigns %s", src.Label(), sku)
	case StuckNoLongerMember:
		return fmt.Sprintf("the user is no longer a member of group %s", src.Label())
	}
	return ""
}
