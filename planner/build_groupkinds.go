package planner

import (
	"fmt"
	"strconv"

	"github.com/licenseplan/licenseplan/licensing"
)

// Group kinds at plan time. Graph refuses some writes for what a group is, whatever its
// licenses (DESIGN.md §2, licensing.GroupKind): assignLicense to a group that cannot carry
// licenses (only security groups and Microsoft 365 groups with securityEnabled can), and adding
// or removing members of a group synced from on-premises, of a dynamic group (its
// membershipRule decides) and of a mail-enabled security group or distribution list. The
// snapshot says which groups those are, so the planner never plans such a step: it reports an
// error that names the group and says what to do instead, and plans the rest.

// refusedByKind reports whether Graph would refuse action on group g for the group's kind;
// when it would, it records the error problem. user is the member to add or remove (unused for
// AssignLicense); at is where the desired state asks for the change ("users[3]", "groups[0]",
// a rule).
func (b *builder) refusedByKind(action Action, g int, user licensing.Target, at string) bool {
	k, ok := b.w.GroupKind(g)
	if !ok {
		return false // an absent group: Predict refuses any change to it
	}
	gt := b.w.GroupTarget(g)
	prefix := ""
	if at != "" {
		prefix = at + ": "
	}
	switch action {
	case AssignLicense:
		if k.CanCarryLicenses() {
			return false
		}
		b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: gt, Message: fmt.Sprintf(
			"%s%s is a %s group, which cannot carry licenses (only security groups and Microsoft 365 groups with securityEnabled can): use a security group instead",
			prefix, gt, k)})
		return true
	case AddGroupMember, RemoveGroupMember:
		what := fmt.Sprintf("%s cannot join %s", user, gt)
		if action == RemoveGroupMember {
			what = fmt.Sprintf("%s cannot leave %s", user, gt)
		}
		var why string
		switch k.Members() {
		case licensing.MembersAssigned:
			return false
		case licensing.MembersByRule:
			rule := "(its rule was not read)"
			if r := b.w.Group(g).MembershipRule; r != "" {
				rule = strconv.Quote(r)
			}
			why = fmt.Sprintf("it is a dynamic group whose membershipRule %s decides its members, and Graph refuses to add or remove them by hand: edit the membership rule (or the user's attributes it reads) instead, or use an assigned group", rule)
		case licensing.MembersOnPremises:
			why = "it is synced from on-premises Active Directory, and Graph refuses to change its members: change the on-premises group (the next sync brings the change) instead, or use a cloud group"
		case licensing.MembersInExchange:
			why = fmt.Sprintf("it is a %s group, whose members Graph refuses to change: change them in Exchange Online instead, or use a security group", k)
		}
		b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: user, Message: fmt.Sprintf("%s%s: %s", prefix, what, why)})
		return true
	}
	return false
}

// leaveAdvice is how to take a user out of group g, as advice that ends a problem's message:
// by hand (a desired "groups" list with mode exact) for an assigned group, else where the
// group's membership is decided.
func (b *builder) leaveAdvice(g int) string {
	k, _ := b.w.GroupKind(g)
	switch k.Members() {
	case licensing.MembersByRule:
		return "change the group's membershipRule so that it no longer matches the user (the group is dynamic: its members cannot be removed by hand), or change the group"
	case licensing.MembersOnPremises:
		return "remove the user from the group in on-premises Active Directory (the group is synced from there), or change the group"
	case licensing.MembersInExchange:
		return fmt.Sprintf("remove the user from the group in Exchange Online (a %s group), or change the group", k)
	}
	return `remove the user from the group ("groups": [...] with mode exact) or change the group`
}
