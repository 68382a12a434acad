package licensing

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"runtime"

	"github.com/licenseplan/licenseplan/internal/jsonout"
)

// TenantFormatVersion is the formatVersion of a tenant snapshot.
const TenantFormatVersion = "tenant/v1"

// Snapshot is a tenant as the tenant/v1 file holds it: Graph's subscribedSkus, users and
// licensed groups with Graph's field names, so that a real export loads unchanged.
type Snapshot struct {
	FormatVersion        string `json:"formatVersion"`
	TenantID             string `json:"tenantId"`
	DefaultUsageLocation string `json:"defaultUsageLocation,omitempty"`
	// DefaultUsageLocationUnknown is true when the tenant's country could not be read (GET
	// /organization refused for lack of permission): group licensing's fallback for users
	// without a usageLocation is unknown, and plans warn where a prediction depends on it.
	DefaultUsageLocationUnknown bool `json:"defaultUsageLocationUnknown,omitempty"`
	// ReadAt is when the snapshot was read (RFC 3339); "days ago" is measured from it.
	ReadAt string `json:"readAt,omitempty"`
	// ReadTimes is when each part was read (RFC 3339), by part ("subscribedSkus", "users",
	// "groups", "organization", …): a live tenant changes while it is read.
	ReadTimes map[string]string `json:"readTimes,omitempty"`
	// Gone lists objects that groups' members or users' paths named and that Graph answered 404
	// for when they were fetched by id: deleted while the tenant was read.
	Gone           *GoneObjects    `json:"gone,omitempty"`
	SubscribedSkus []SubscribedSku `json:"subscribedSkus"`
	Users          []User          `json:"users"`
	Groups         []Group         `json:"groups"`
}

// GoneObjects are object ids a snapshot found deleted while it was read.
type GoneObjects struct {
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// header is a tenant/v1 document's top-level fields other than its lists.
type header struct {
	formatVersion, tenantID, defaultLoc string
	defaultLocUnknown                   bool
	readAt                              string
	readTimes                           map[string]string
	gone                                *GoneObjects
}

func (s *Snapshot) header() header {
	return header{formatVersion: s.FormatVersion, tenantID: s.TenantID, defaultLoc: s.DefaultUsageLocation,
		defaultLocUnknown: s.DefaultUsageLocationUnknown, readAt: s.ReadAt, readTimes: s.ReadTimes, gone: s.Gone}
}

// SubscribedSku is Graph's subscribedSku.
type SubscribedSku struct {
	ID               string            `json:"id,omitempty"` // Graph's "tenantId_skuId"; never a skuId
	AccountID        string            `json:"accountId,omitempty"`
	AccountName      string            `json:"accountName,omitempty"`
	SkuID            SkuID             `json:"skuId"`
	SkuPartNumber    string            `json:"skuPartNumber"`
	AppliesTo        string            `json:"appliesTo"`        // "User" or "Company"
	CapabilityStatus string            `json:"capabilityStatus"` // Enabled, Warning, Suspended, Deleted, LockedOut
	ConsumedUnits    int               `json:"consumedUnits"`
	PrepaidUnits     PrepaidUnits      `json:"prepaidUnits"`
	ServicePlans     []ServicePlanInfo `json:"servicePlans"`
	SubscriptionIDs  []string          `json:"subscriptionIds,omitempty"`
}

// PrepaidUnits is Graph's licenseUnitsDetail.
type PrepaidUnits struct {
	Enabled   int `json:"enabled"`
	Suspended int `json:"suspended"`
	Warning   int `json:"warning"`
	LockedOut int `json:"lockedOut"`
}

// ServicePlanInfo is Graph's servicePlanInfo.
type ServicePlanInfo struct {
	ServicePlanID      PlanID `json:"servicePlanId"`
	ServicePlanName    string `json:"servicePlanName"`
	AppliesTo          string `json:"appliesTo,omitempty"`
	ProvisioningStatus string `json:"provisioningStatus,omitempty"`
}

// User is Graph's user with the licensing properties.
type User struct {
	ID                            string                   `json:"id"`
	UserPrincipalName             string                   `json:"userPrincipalName,omitempty"`
	DisplayName                   string                   `json:"displayName,omitempty"`
	AccountEnabled                *bool                    `json:"accountEnabled,omitempty"`
	UsageLocation                 string                   `json:"usageLocation,omitempty"`
	Department                    string                   `json:"department,omitempty"`
	JobTitle                      string                   `json:"jobTitle,omitempty"`
	OnPremisesExtensionAttributes map[string]string        `json:"onPremisesExtensionAttributes,omitempty"`
	AssignedLicenses              []AssignedLicense        `json:"assignedLicenses"`
	LicenseAssignmentStates       []LicenseAssignmentState `json:"licenseAssignmentStates,omitempty"`
}

// AssignedLicense is Graph's assignedLicense: a SKU with the plans turned off.
type AssignedLicense struct {
	SkuID         SkuID    `json:"skuId"`
	DisabledPlans []PlanID `json:"disabledPlans"`
}

// LicenseAssignmentState is Graph's licenseAssignmentState: one assignment path of a SKU to a user.
type LicenseAssignmentState struct {
	SkuID               SkuID    `json:"skuId"`
	DisabledPlans       []PlanID `json:"disabledPlans"`
	AssignedByGroup     *string  `json:"assignedByGroup"` // null for a direct assignment
	State               string   `json:"state"`           // Active, ActiveWithError, Disabled, Error
	Error               string   `json:"error"`           // None (or null), CountViolation, …, Other
	LastUpdatedDateTime string   `json:"lastUpdatedDateTime,omitempty"`
}

// Direct reports whether the path is a direct assignment.
func (s LicenseAssignmentState) Direct() bool {
	return s.AssignedByGroup == nil || *s.AssignedByGroup == ""
}

// Group is a licensed group with its direct members (nested groups do not pass licenses).
//
// The kind fields (GroupTypes through OnPremisesSyncEnabled) are Graph's group properties of the
// same names; all are optional. A group without them is taken for a plain, assigned security
// group (what tenant/v1 documents without them always meant). See GroupKind for what they decide.
type Group struct {
	ID                     string                  `json:"id"`
	DisplayName            string                  `json:"displayName,omitempty"`
	Members                []string                `json:"members"`
	AssignedLicenses       []AssignedLicense       `json:"assignedLicenses"`
	LicenseProcessingState *LicenseProcessingState `json:"licenseProcessingState,omitempty"`
	// GroupTypes is Graph's groupTypes: "Unified" for a Microsoft 365 group, "DynamicMembership"
	// for a group whose members a membershipRule decides.
	GroupTypes []string `json:"groupTypes,omitempty"`
	// SecurityEnabled is Graph's securityEnabled (nil: not read).
	SecurityEnabled *bool `json:"securityEnabled,omitempty"`
	// MailEnabled is Graph's mailEnabled (nil: not read).
	MailEnabled *bool `json:"mailEnabled,omitempty"`
	// MembershipRule is a dynamic group's rule, e.g. (user.department -eq "Sales").
	MembershipRule string `json:"membershipRule,omitempty"`
	// MembershipRuleProcessingState is "On" or "Paused" for a dynamic group.
	MembershipRuleProcessingState string `json:"membershipRuleProcessingState,omitempty"`
	// OnPremisesSyncEnabled is true for a group synced from on-premises Active Directory (its
	// members are changed there, never through Graph); nil or false for a cloud group.
	OnPremisesSyncEnabled *bool `json:"onPremisesSyncEnabled,omitempty"`
}

// LicenseProcessingState is Graph's licenseProcessingState of a group.
type LicenseProcessingState struct {
	State string `json:"state"` // QueuedForProcessing, ProcessingInProgress, ProcessingComplete, ProcessingFailed
}

// The path states and the processing states Entra reports.
const (
	StateActive          = "Active"
	StateActiveWithError = "ActiveWithError"
	StateDisabled        = "Disabled"
	StateError           = "Error"

	ProcessingQueued     = "QueuedForProcessing"
	ProcessingInProgress = "ProcessingInProgress"
	ProcessingComplete   = "ProcessingComplete"
	// ProcessingFailed is a terminal state: Entra stopped processing the group's members. It is
	// reported, never waited out; reprocess the group (or its members) once the cause is fixed.
	ProcessingFailed = "ProcessingFailed"
)

// ReadSnapshot reads and validates a tenant/v1 document. Unknown fields (such as
// "@odata.context" in a Graph export) are ignored. Errors name the user, group or field at fault.
func ReadSnapshot(r io.Reader) (*Snapshot, error) {
	var s Snapshot
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<16))
	if err := dec.Decode(&s); err != nil {
		return nil, &Error{Kind: InvalidInput, Message: "tenant file is not valid tenant/v1 JSON", Err: describeJSONError(err)}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func describeJSONError(err error) error {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Errorf("field %q at offset %d: got JSON %s, want %s", te.Field, te.Offset, te.Value, te.Type)
	}
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Errorf("syntax error at offset %d: %v", se.Offset, se)
	}
	return err
}

// Validate checks the document's internal consistency: the format version, unique SKU, user and
// group ids, unique userPrincipalNames, members and assignedByGroup that name known users and
// groups, assignments of subscribed SKUs, disabled plans that belong to their SKU, and usage
// locations that are ISO 3166 alpha-2 codes.
func (s *Snapshot) Validate() error {
	_, err := newCompiler(stateConfig{}, false, false, len(s.Users), len(s.Groups)).snapshot(s)
	return err
}

// WriteJSON writes the snapshot as tenant/v1: top-level fields one per line and each SKU, user
// and group as one compact line, so that large files stay diffable. Nil lists are written as [].
// Reading what was written gives an equal Snapshot.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	jw := jsonout.New(w, nil).Concurrent(runtime.GOMAXPROCS(0))
	jw.Value("formatVersion", TenantFormatVersion)
	jw.Value("tenantId", s.TenantID)
	if s.DefaultUsageLocation != "" {
		jw.Value("defaultUsageLocation", s.DefaultUsageLocation)
	}
	if s.DefaultUsageLocationUnknown {
		jw.Value("defaultUsageLocationUnknown", true)
	}
	if s.ReadAt != "" {
		jw.Value("readAt", s.ReadAt)
	}
	if len(s.ReadTimes) > 0 {
		jw.Value("readTimes", s.ReadTimes)
	}
	if s.Gone != nil {
		jw.Value("gone", s.Gone)
	}
	jw.List("subscribedSkus", len(s.SubscribedSkus), func(i int) any { return normSku(s.SubscribedSkus[i]) })
	jw.List("users", len(s.Users), func(i int) any { return normUser(s.Users[i]) })
	jw.List("groups", len(s.Groups), func(i int) any { return normGroup(s.Groups[i]) })
	return jw.Close()
}

func normLicenses(ls []AssignedLicense) []AssignedLicense {
	out := make([]AssignedLicense, len(ls))
	for i, l := range ls {
		out[i] = AssignedLicense{SkuID: l.SkuID, DisabledPlans: nonNil(l.DisabledPlans)}
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func normSku(k SubscribedSku) SubscribedSku {
	k.ServicePlans = nonNil(k.ServicePlans)
	return k
}

func normUser(u User) User {
	u.AssignedLicenses = normLicenses(u.AssignedLicenses)
	if u.LicenseAssignmentStates != nil {
		st := make([]LicenseAssignmentState, len(u.LicenseAssignmentStates))
		for i, s := range u.LicenseAssignmentStates {
			s.DisabledPlans = nonNil(s.DisabledPlans)
			st[i] = s
		}
		u.LicenseAssignmentStates = st
	}
	return u
}

func normGroup(g Group) Group {
	g.Members = nonNil(g.Members)
	g.AssignedLicenses = normLicenses(g.AssignedLicenses)
	return g
}

// Catalog builds a catalog from the snapshot's subscribed SKUs and their service plans.
func (s *Snapshot) Catalog() *Catalog {
	c := NewCatalog()
	s.AddToCatalog(c)
	return c
}

// AddToCatalog adds the snapshot's subscribed SKUs and their plans to c.
func (s *Snapshot) AddToCatalog(c *Catalog) {
	for i := range s.SubscribedSkus {
		addSkuToCatalog(c, &s.SubscribedSkus[i])
	}
}
