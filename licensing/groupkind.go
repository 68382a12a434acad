package licensing

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The groupTypes values that change what a group is.
const (
	// GroupTypeUnified marks a Microsoft 365 group.
	GroupTypeUnified = "Unified"
	// GroupTypeDynamic marks a group whose members its membershipRule decides.
	GroupTypeDynamic = "DynamicMembership"
)

// GroupKind is what a group's kind fields (Graph's groupTypes, securityEnabled, mailEnabled,
// onPremisesSyncEnabled) say it is, and so what Graph lets a caller do with it (DESIGN.md §2):
//
//   - only security groups and Microsoft 365 groups with securityEnabled can carry licenses
//     (POST /groups/{id}/assignLicense is refused for any other group);
//   - the members of a dynamic group follow its membershipRule: they cannot be added or removed
//     by hand;
//   - the members of a group synced from on-premises Active Directory are changed there, and
//     those of a mail-enabled security group (or distribution list) in Exchange: Graph refuses
//     to change either.
//
// A field the snapshot does not have counts as a plain security group's value (securityEnabled
// true, mailEnabled false, no groupTypes, not synced), so snapshots without the kind fields
// behave as they always did. The zero GroupKind is such a plain, assigned security group.
type GroupKind struct {
	Microsoft365 bool // groupTypes contains "Unified"
	Dynamic      bool // groupTypes contains "DynamicMembership": members by membershipRule
	Synced       bool // onPremisesSyncEnabled is true
	// MailEnabledSecurity is a mail-enabled security group: mailEnabled and securityEnabled,
	// not a Microsoft 365 group.
	MailEnabledSecurity bool
	// Distribution is a distribution list: mailEnabled, not securityEnabled, not Microsoft 365.
	Distribution bool
	// NotSecurity is securityEnabled false (a Microsoft 365 group without security, or a
	// distribution list): such a group cannot carry licenses.
	NotSecurity bool
}

// Kind returns what the group's kind fields say it is (see GroupKind).
func (g *Group) Kind() GroupKind {
	unified := slices.Contains(g.GroupTypes, GroupTypeUnified)
	security := g.SecurityEnabled == nil || *g.SecurityEnabled
	if unified && g.SecurityEnabled == nil {
		// A Microsoft 365 group is securityEnabled only when Graph says so.
		security = false
	}
	mail := g.MailEnabled != nil && *g.MailEnabled
	return GroupKind{
		Microsoft365:        unified,
		Dynamic:             slices.Contains(g.GroupTypes, GroupTypeDynamic),
		Synced:              g.OnPremisesSyncEnabled != nil && *g.OnPremisesSyncEnabled,
		MailEnabledSecurity: mail && security && !unified,
		Distribution:        mail && !security && !unified,
		NotSecurity:         !security,
	}
}

// CanCarryLicenses reports whether a license can be assigned to the group: a security group, or
// a Microsoft 365 group with securityEnabled.
func (k GroupKind) CanCarryLicenses() bool { return !k.NotSecurity }

// MembershipSource says where a group's members are managed, and so whether Graph lets a
// caller add or remove them.
type MembershipSource uint8

// The membership sources, in the order Graph's refusal is decided (the first that applies).
const (
	// MembersAssigned: members are added and removed through Graph (or the portals).
	MembersAssigned MembershipSource = iota
	// MembersOnPremises: the group is synced from on-premises Active Directory; change its
	// members there.
	MembersOnPremises
	// MembersByRule: a dynamic group; its membershipRule decides its members.
	MembersByRule
	// MembersInExchange: a mail-enabled security group or a distribution list; its members are
	// changed in Exchange Online.
	MembersInExchange
)

var membershipSourceNames = [...]string{"assigned", "on-premises", "rule", "exchange"}

// String returns "assigned", "on-premises", "rule" or "exchange".
func (m MembershipSource) String() string {
	if int(m) < len(membershipSourceNames) {
		return membershipSourceNames[m]
	}
	return "MembershipSource(?)"
}

// Members returns where the group's members are managed. Only MembersAssigned lets Graph add
// or remove them. A synced group is MembersOnPremises whatever else it is; a dynamic group
// MembersByRule; a mail-enabled group that is not a Microsoft 365 group MembersInExchange.
func (k GroupKind) Members() MembershipSource {
	switch {
	case k.Synced:
		return MembersOnPremises
	case k.Dynamic:
		return MembersByRule
	case k.MailEnabledSecurity || k.Distribution:
		return MembersInExchange
	}
	return MembersAssigned
}

// String names the kind for people and reports: "security", "Microsoft 365", "Microsoft 365
// (security)", "mail-enabled security", "distribution", each preceded by "dynamic" and/or
// "synced" where they apply, e.g. "dynamic security", "synced mail-enabled security".
func (k GroupKind) String() string {
	var base string
	switch {
	case k.Microsoft365 && k.NotSecurity:
		base = "Microsoft 365"
	case k.Microsoft365:
		base = "Microsoft 365 (security)"
	case k.MailEnabledSecurity:
		base = "mail-enabled security"
	case k.Distribution:
		base = "distribution"
	case k.NotSecurity:
		base = "non-security"
	default:
		base = "security"
	}
	var b strings.Builder
	if k.Synced {
		b.WriteString("synced ")
	}
	if k.Dynamic {
		b.WriteString("dynamic ")
	}
	b.WriteString(base)
	return b.String()
}

// GroupKind returns group i's kind; ok is false for an absent group (see GroupAbsent), which
// has none.
func (s *State) GroupKind(i int) (k GroupKind, ok bool) {
	if s.groups[i].absent {
		return GroupKind{}, false
	}
	return s.groups[i].g.Kind(), true
}

// refuseByKind refuses a change that group g's kind does not allow (Graph refuses it whatever
// the licenses): assignLicense to a group that cannot carry licenses, and adding or removing a
// member where the members are managed elsewhere. It reports whether it refused.
func (t *txn) refuseByKind(g int32, kind ChangeKind) bool {
	s := t.s
	k := s.groups[g].g.Kind()
	gt := s.GroupTarget(int(g))
	var msg string
	switch kind {
	case AssignGroupLicenses:
		if k.CanCarryLicenses() {
			return false
		}
		msg = fmt.Sprintf("%s is a %s group: only security groups and Microsoft 365 groups with securityEnabled can be assigned licenses", gt, k)
	case AddGroupMember, RemoveGroupMember:
		verb := "added to"
		if kind == RemoveGroupMember {
			verb = "removed from"
		}
		switch k.Members() {
		case MembersAssigned:
			return false
		case MembersOnPremises:
			msg = fmt.Sprintf("%s is synced from on-premises Active Directory: members cannot be %s it through Graph (change the on-premises group)", gt, verb)
		case MembersByRule:
			msg = fmt.Sprintf("%s is a dynamic group: its membershipRule %s decides its members, who cannot be %s it by hand", gt, quoteRule(s.groups[g].g.MembershipRule), verb)
		case MembersInExchange:
			msg = fmt.Sprintf("%s is a %s group: members cannot be %s it through Graph (change it in Exchange Online)", gt, k, verb)
		}
	default:
		return false
	}
	t.refuse(&Error{Kind: InvalidInput, Target: gt, Message: msg})
	return true
}

// quoteRule quotes a membershipRule for a message ("(not read)" when the snapshot lacks it).
func quoteRule(rule string) string {
	if rule == "" {
		return "(not read)"
	}
	return strconv.Quote(rule)
}
