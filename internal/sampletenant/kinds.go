package sampletenant

import "github.com/licenseplan/licenseplan/licensing"

// Groups of every kind Graph distinguishes, as WithGroupKinds adds them.
const (
	GroupDynamic  = "a0000000-0000-4000-8000-0000000000c1" // dynamic security (SalesRule), licensed E3, carol
	GroupSynced   = "a0000000-0000-4000-8000-0000000000c2" // security, synced from on-premises, bob
	GroupMailSec  = "a0000000-0000-4000-8000-0000000000c3" // mail-enabled security, bob
	GroupM365     = "a0000000-0000-4000-8000-0000000000c4" // Microsoft 365, not security-enabled, bob
	GroupM365Sec  = "a0000000-0000-4000-8000-0000000000c5" // Microsoft 365 with securityEnabled, no members
	GroupDistList = "a0000000-0000-4000-8000-0000000000c6" // distribution list, bob
	SalesRule     = `(user.department -eq "Sales")`        // GroupDynamic's membershipRule
)

// WithGroupKinds returns the sample tenant with a group of every kind (the constants above)
// besides its own security groups: for tests of what Graph refuses by a group's kind.
func WithGroupKinds() *licensing.Snapshot {
	yes, no := new(bool), new(bool)
	*yes = true
	s := Snapshot()
	s.Groups = append(s.Groups,
		licensing.Group{ID: GroupDynamic, DisplayName: "Dynamic_Sales", Members: []string{Carol},
			AssignedLicenses: []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(E3), DisabledPlans: []licensing.PlanID{}}},
			GroupTypes:       []string{"DynamicMembership"}, SecurityEnabled: yes, MailEnabled: no,
			MembershipRule: SalesRule, MembershipRuleProcessingState: "On"},
		licensing.Group{ID: GroupSynced, DisplayName: "Synced_Staff", Members: []string{Bob},
			SecurityEnabled: yes, MailEnabled: no, OnPremisesSyncEnabled: yes},
		licensing.Group{ID: GroupMailSec, DisplayName: "MailSec_Finance", Members: []string{Bob},
			SecurityEnabled: yes, MailEnabled: yes},
		licensing.Group{ID: GroupM365, DisplayName: "M365_Project", Members: []string{Bob},
			GroupTypes: []string{"Unified"}, SecurityEnabled: no, MailEnabled: yes},
		licensing.Group{ID: GroupM365Sec, DisplayName: "M365_Secure", GroupTypes: []string{"Unified"}, SecurityEnabled: yes, MailEnabled: yes},
		licensing.Group{ID: GroupDistList, DisplayName: "DL_All", Members: []string{Bob},
			SecurityEnabled: no, MailEnabled: yes},
	)
	return s
}
