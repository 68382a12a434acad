package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// view holds the per-tenant lookups every report needs, built once per report (never per user):
// subscriptions by SKU, groups by id, the display order of service plans, and how SKUs and
// plans are named for people (names).
type view struct {
	st       *licensing.State
	cat      *licensing.Catalog
	names    licensing.NameStyle // how text and sentences name SKUs and plans
	subs     []*licensing.Subscription
	subIdx   map[licensing.SkuID]int
	groupIdx map[string]int
	planRank []int // catalog plan index → position when sorted by name, then id
	// lists caches the plan lists of disabled-plan sets per SKU: the paths of one group (or of
	// one licensing script) share a handful of sets, so most rows find theirs here.
	lists map[licensing.SkuID][]*planList
	// skuTexts caches the SKUs' names for people (text tables name a SKU on every row).
	skuTexts map[licensing.SkuID]string
}

// planList is a set of service plans as the reports show it: the plans' names and friendly
// names in data order (by name, then id), and, once text asks for it, the plans named for
// people in the view's style, sorted as shown and joined.
type planList struct {
	set      licensing.PlanSet
	names    []string
	friendly []string
	text     string
	hasText  bool
	cells    [2]string // names and friendly names joined for a CSV cell
	hasCells bool
}

// csvCells are the list's names joined with ", " and its friendly names joined with "; ", for
// CSV cells.
func (l *planList) csvCells() (string, string) {
	if !l.hasCells {
		l.cells, l.hasCells = [2]string{joinList(l.names), safeCell(joinNames(l.friendly))}, true
	}
	return l.cells[0], l.cells[1]
}

// maxLists bounds the cache per SKU (a linear search).
const maxLists = 16

// sharedList is the plan list of a SKU's disabled plans s, from the cache: it is shared and
// must not be modified.
func (v *view) sharedList(sku licensing.SkuID, s licensing.PlanSet) *planList {
	if s.IsEmpty() {
		return &emptyList
	}
	if v.lists == nil {
		v.lists = map[licensing.SkuID][]*planList{}
	}
	lists := v.lists[sku]
	for _, l := range lists {
		if l.set.Equal(s) {
			return l
		}
	}
	l := v.planList(s)
	if len(lists) < maxLists {
		v.lists[sku] = append(lists, l)
	}
	return l
}

// emptyList is the list of no plans (text "").
var emptyList = planList{names: []string{}, friendly: []string{}, hasText: true, hasCells: true}

// planList returns the list of the plans of s.
func (v *view) planList(s licensing.PlanSet) *planList {
	idx := v.planIndexes(s)
	l := &planList{set: s, names: make([]string, len(idx)), friendly: make([]string, len(idx))}
	for k, i := range idx {
		p := v.cat.PlanAt(i)
		l.names[k], l.friendly[k] = planNameOf(p), p.FriendlyName()
	}
	return l
}

// listText is the list's plans named for people in the view's style, sorted as shown, joined
// with ", " ("" for none).
func (v *view) listText(l *planList) string {
	if l == nil {
		return ""
	}
	if !l.hasText {
		l.text, l.hasText = plansText(v.names, l.names, l.friendly), true
	}
	return l.text
}

func newView(st *licensing.State, names licensing.NameStyle) *view {
	v := &view{st: st, cat: st.Catalog(), names: names, subs: st.Subscriptions()}
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
		if r := strings.Compare(planNameOf(plans[a]), planNameOf(plans[b])); r != 0 {
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

// Naming. Data (JSON fields, CSV columns) carries a SKU's part number and product name and a
// plan's name and friendly name, from the catalog through the licensing API (Sku.Label,
// Sku.ProductName, ServicePlan.FriendlyName; Catalog.SkuName and PlanName for ids it does not
// know). Text and sentences name them in the view's style (licensing.NameStyle) through
// Sku.Named and ServicePlan.Named, or, from a row's data, through SkuRef.Named and
// PlanRef.Named, which do the same.

// planNameOf is a plan's name in data: its servicePlanName, or its id when it has none.
func planNameOf(p *licensing.ServicePlan) string { return p.Named(licensing.NamesPart) }

// skuRef names a SKU in data.
func (v *view) skuRef(id licensing.SkuID) SkuRef {
	if s, ok := v.cat.Sku(id); ok {
		return SkuRef{SkuID: id, SkuPartNumber: s.Label(), ProductName: s.ProductName()}
	}
	n := v.cat.SkuName(id)
	return SkuRef{SkuID: id, SkuPartNumber: n, ProductName: n}
}

// skuText names a SKU for people, in the view's style.
func (v *view) skuText(id licensing.SkuID) string {
	if t, ok := v.skuTexts[id]; ok {
		return t
	}
	if v.skuTexts == nil {
		v.skuTexts = map[licensing.SkuID]string{}
	}
	t := v.cat.SkuNamed(id, v.names)
	v.skuTexts[id] = t
	return t
}

// planRef names a plan in data.
func (v *view) planRef(id licensing.PlanID) PlanRef {
	if p, ok := v.cat.Plan(id); ok {
		return PlanRef{ServicePlanID: id, ServicePlanName: planNameOf(p), FriendlyName: p.FriendlyName()}
	}
	n := v.cat.PlanName(id)
	return PlanRef{ServicePlanID: id, ServicePlanName: n, FriendlyName: n}
}

func (v *view) planRefs(ids []licensing.PlanID) []PlanRef {
	out := make([]PlanRef, len(ids))
	for i, id := range ids {
		out[i] = v.planRef(id)
	}
	return out
}

// planText names a plan for people, in the view's style.
func (v *view) planText(r PlanRef) string { return r.Named(v.names) }

// skuNamed names a SKU given by its data (id, part number, product name) in a style, as
// licensing.Sku.Named does.
func skuNamed(style licensing.NameStyle, id licensing.SkuID, part, product string) string {
	return (&licensing.Sku{ID: id, PartNumber: part, DisplayName: product}).Named(style)
}

// planNamed names a plan given by its data (name, friendly name) in a style, as
// licensing.ServicePlan.Named does.
func planNamed(style licensing.NameStyle, name, friendly string) string {
	return (&licensing.ServicePlan{Name: name, DisplayName: friendly}).Named(style)
}

// skusText names SKUs given by their part numbers and product names (parallel; product names
// may be missing, from a document written before they were) for people, joined with ", ".
func skusText(style licensing.NameStyle, parts, products []string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = skuNamed(style, licensing.SkuID{}, p, at(products, i))
	}
	return joinList(out)
}

// plansText names plans given by their names and friendly names (parallel; friendly names may
// be missing) for people, sorted as shown (by the name shown, so that a list of friendly names
// reads in order), joined with ", ".
func plansText(style licensing.NameStyle, names, friendly []string) string {
	if len(names) == 0 {
		return ""
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = planNamed(style, n, at(friendly, i))
	}
	if style != licensing.NamesPart { // by name already in the part style
		slices.SortFunc(out, compareNames)
	}
	return joinList(out)
}

// compareNames orders names for people: ignoring case, then by bytes.
func compareNames(a, b string) int {
	if r := strings.Compare(strings.ToLower(a), strings.ToLower(b)); r != 0 {
		return r
	}
	return strings.Compare(a, b)
}

// at is s[i], or "" when s is shorter.
func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// sku returns the subscription of a SKU id and its position, or nil.
func (v *view) sku(id licensing.SkuID) (*licensing.Subscription, int) {
	i, ok := v.subIdx[id]
	if !ok {
		return nil, -1
	}
	return v.subs[i], i
}

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

// planIndexes returns the plans of s in data order (by name, then id).
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
