package licensing

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/licenseplan/licenseplan/internal/jsonout"
	"github.com/licenseplan/licenseplan/internal/nonnil"
	"github.com/licenseplan/licenseplan/internal/tenantload"
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
	Gone *GoneObjects `json:"gone,omitempty"`
	// SignInActivityUnknown is true when the snapshot could not read the users' sign-in activity
	// (Graph refused $select=signInActivity: it needs AuditLog.Read.All and a Microsoft Entra ID
	// P1 or P2 license). Users then carry no signInActivity, which is unknown, not "never signed
	// in": nobody may be called inactive on it. See User.SignInActivity.
	SignInActivityUnknown bool            `json:"signInActivityUnknown,omitempty"`
	SubscribedSkus        []SubscribedSku `json:"subscribedSkus"`
	// Subscriptions are the tenant's commercial subscriptions as GET /directory/subscriptions
	// lists them (Graph's companySubscription): each with its seats, trial flag and the date it
	// moves to its next lifecycle state. nil (absent from the file) when they were not read (Graph
	// answered 403: the app lacks Organization.Read.All) or the file predates them; an empty
	// list when Graph listed none. A subscription of a SKU that subscribedSkus does not list is
	// kept, not an error (a deleted subscription can outlive its SKU's seats).
	Subscriptions []CompanySubscription `json:"subscriptions"`
	Users         []User                `json:"users"`
	Groups        []Group               `json:"groups"`
}

// GoneObjects are object ids a snapshot found deleted while it was read.
type GoneObjects struct {
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// header is a tenant/v1 document's top-level fields other than its lists of SKUs, users and
// groups (the subscriptions, a short list, are one of them).
type header struct {
	formatVersion, tenantID, defaultLoc string
	defaultLocUnknown                   bool
	readAt                              string
	readTimes                           map[string]string
	gone                                *GoneObjects
	signInUnknown                       bool
	subscriptions                       []CompanySubscription
}

func (s *Snapshot) header() header {
	return header{formatVersion: s.FormatVersion, tenantID: s.TenantID, defaultLoc: s.DefaultUsageLocation,
		defaultLocUnknown: s.DefaultUsageLocationUnknown, readAt: s.ReadAt, readTimes: s.ReadTimes, gone: s.Gone,
		signInUnknown: s.SignInActivityUnknown, subscriptions: s.Subscriptions}
}

// snapshot is a Snapshot with the header's fields and no lists (State.Snapshot fills them).
func (h *header) snapshot() *Snapshot {
	return &Snapshot{FormatVersion: TenantFormatVersion, TenantID: h.tenantID, DefaultUsageLocation: h.defaultLoc,
		DefaultUsageLocationUnknown: h.defaultLocUnknown, ReadAt: h.readAt, ReadTimes: h.readTimes, Gone: h.gone,
		SignInActivityUnknown: h.signInUnknown, Subscriptions: slices.Clone(h.subscriptions)}
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

// User is Graph's user with the licensing properties and the lifecycle facts that say whether a
// license is used: accountEnabled, userType, createdDateTime and signInActivity.
type User struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	DisplayName       string `json:"displayName,omitempty"`
	AccountEnabled    *bool  `json:"accountEnabled,omitempty"`
	// UserType is Graph's userType: "Member" or "Guest" (UserTypeMember, UserTypeGuest); ""
	// when not read.
	UserType string `json:"userType,omitempty"`
	// CreatedDateTime is when the user was created (RFC 3339); "" when not read.
	CreatedDateTime string `json:"createdDateTime,omitempty"`
	// SignInActivity is Graph's signInActivity: nil when it was not read, which means unknown,
	// never "did not sign in" (Graph needs AuditLog.Read.All and Entra ID P1 for it; see
	// Snapshot.SignInActivityUnknown). Present, it is what Graph recorded; a time it lacks is
	// one Graph has no record of (see SignInActivity).
	SignInActivity                *SignInActivity          `json:"signInActivity,omitempty"`
	UsageLocation                 string                   `json:"usageLocation,omitempty"`
	Department                    string                   `json:"department,omitempty"`
	JobTitle                      string                   `json:"jobTitle,omitempty"`
	OnPremisesExtensionAttributes map[string]string        `json:"onPremisesExtensionAttributes,omitempty"`
	AssignedLicenses              []AssignedLicense        `json:"assignedLicenses"`
	LicenseAssignmentStates       []LicenseAssignmentState `json:"licenseAssignmentStates,omitempty"`
}

// The user types Graph knows.
const (
	UserTypeMember = "Member"
	UserTypeGuest  = "Guest"
)

// SignInActivity is Graph's signInActivity of a user (the request ids Graph adds are not kept):
// the last sign-in times Entra ID recorded, each RFC 3339 and each optional
// (https://learn.microsoft.com/graph/api/resources/signinactivity). An absent time is one Graph
// has no record of, which is not proof that it never happened: Entra ID keeps interactive
// sign-ins since April 2020, non-interactive ones since May 2020, and successful ones
// (lastSuccessfulSignInDateTime) only since December 2023, not backfilled. Graph leaves
// signInActivity out for a user without any recorded sign-in; a snapshot then has an empty
// signInActivity ({}): read, and nothing recorded.
type SignInActivity struct {
	// LastSignInDateTime is the last interactive sign-in attempt, successful or not.
	LastSignInDateTime string `json:"lastSignInDateTime,omitempty"`
	// LastNonInteractiveSignInDateTime is the last sign-in attempt a client made on the user's
	// behalf, successful or not.
	LastNonInteractiveSignInDateTime string `json:"lastNonInteractiveSignInDateTime,omitempty"`
	// LastSuccessfulSignInDateTime is the last successful sign-in, interactive or not.
	LastSuccessfulSignInDateTime string `json:"lastSuccessfulSignInDateTime,omitempty"`
}

// Latest returns the latest of the times a recorded, and false when it records none (Graph's
// placeholder 0001-01-01T00:00:00Z counts as none). Times that do not parse are skipped;
// Snapshot.Validate refuses them.
func (a *SignInActivity) Latest() (time.Time, bool) {
	if a == nil {
		return time.Time{}, false
	}
	var last time.Time
	for _, s := range [...]string{a.LastSignInDateTime, a.LastNonInteractiveSignInDateTime, a.LastSuccessfulSignInDateTime} {
		if t, ok := ParseDateTime(s); ok && t.After(last) {
			last = t
		}
	}
	return last, !last.IsZero()
}

// ParseDateTime parses one of tenant/v1's RFC 3339 times (readAt, createdDateTime, the sign-in
// and subscription times). "" and Graph's placeholder for "none", 0001-01-01T00:00:00Z, give
// false.
func ParseDateTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}, false
	}
	return t, true
}

// checkDateTime is Validate's check of an optional RFC 3339 time: where (called only for an error)
// and field name it in the error.
func checkDateTime(where func() string, field, s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return errorf(InvalidInput, "%s: %s %q is not an RFC 3339 time such as \"2026-12-07T09:00:00Z\"", where(), field, s)
	}
	return nil
}

// checkUserLifecycle checks a user's userType, createdDateTime and signInActivity (w names the
// user in errors).
func checkUserLifecycle(w who, u *User) error {
	switch u.UserType {
	case "", UserTypeMember, UserTypeGuest:
	default:
		return errorf(InvalidInput, "%s: userType %q is not %s or %s", w, u.UserType, UserTypeMember, UserTypeGuest)
	}
	where := w.String // named only in an error: a million users make no string
	if err := checkDateTime(where, "createdDateTime", u.CreatedDateTime); err != nil {
		return err
	}
	if a := u.SignInActivity; a != nil {
		for _, f := range [...]struct{ name, v string }{
			{"signInActivity.lastSignInDateTime", a.LastSignInDateTime},
			{"signInActivity.lastNonInteractiveSignInDateTime", a.LastNonInteractiveSignInDateTime},
			{"signInActivity.lastSuccessfulSignInDateTime", a.LastSuccessfulSignInDateTime},
		} {
			if err := checkDateTime(where, f.name, f.v); err != nil {
				return err
			}
		}
	}
	return nil
}

// compactLifecycle copies u's lifecycle fields into cu, a compact copy (compiler.compactUser):
// userType interned, the times packed into the pool's arena. A parsed user's are so already.
func (c *compiler) compactLifecycle(cu, u *User, parsed bool) {
	if parsed {
		cu.UserType, cu.CreatedDateTime, cu.SignInActivity = u.UserType, u.CreatedDateTime, u.SignInActivity
		return
	}
	cu.UserType = c.pool.String(u.UserType)
	if u.CreatedDateTime != "" {
		cu.CreatedDateTime, _, _ = c.pool.Pack(u.CreatedDateTime, "", "")
	}
	if a := u.SignInActivity; a != nil {
		ca := c.newSignInActivity()
		ca.LastSignInDateTime, ca.LastNonInteractiveSignInDateTime, ca.LastSuccessfulSignInDateTime =
			c.pool.Pack(a.LastSignInDateTime, a.LastNonInteractiveSignInDateTime, a.LastSuccessfulSignInDateTime)
		cu.SignInActivity = ca
	}
}

// newSignInActivity returns a zero SignInActivity from a block shared with other users' (one
// allocation for many, as compactUser's users).
func (c *compiler) newSignInActivity() *SignInActivity {
	if len(c.signSlab) == 0 {
		c.signSlab = make([]SignInActivity, 256)
	}
	a := &c.signSlab[0]
	c.signSlab = c.signSlab[1:]
	return a
}

// signInActivity converts the parser's signInActivity of r (its times packed already).
func (k *loadSink) signInActivity(r *tenantload.User) *SignInActivity {
	if !r.HasSignInActivity {
		return nil
	}
	a := k.c.newSignInActivity()
	a.LastSignInDateTime, a.LastNonInteractiveSignInDateTime, a.LastSuccessfulSignInDateTime = r.LastSignInDateTime, r.LastNonInteractiveSignInDateTime, r.LastSuccessfulSignInDateTime
	return a
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
// groups, assignments of subscribed SKUs, disabled plans that belong to their SKU, usage
// locations that are ISO 3166 alpha-2 codes, RFC 3339 times (readAt, readTimes, users'
// createdDateTime and signInActivity, subscriptions' createdDateTime and nextLifecycleDateTime),
// userType Member or Guest, and subscriptions with a unique id, a skuId and totalLicenses ≥ 0.
func (s *Snapshot) Validate() error {
	_, err := newCompiler(stateConfig{}, false, false, len(s.Users), len(s.Groups)).snapshot(s)
	return err
}

// WriteJSON writes the snapshot as tenant/v1: top-level fields one per line and each SKU,
// subscription, user and group as one compact line, so that large files stay diffable. Nil lists
// are written as [], except Subscriptions, which nil leaves out (not read: unknown). Reading what
// was written gives an equal Snapshot.
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
	if s.SignInActivityUnknown {
		jw.Value("signInActivityUnknown", true)
	}
	jw.List("subscribedSkus", len(s.SubscribedSkus), func(i int) any { return normSku(s.SubscribedSkus[i]) })
	if s.Subscriptions != nil {
		jw.List("subscriptions", len(s.Subscriptions), func(i int) any { return s.Subscriptions[i] })
	}
	jw.List("users", len(s.Users), func(i int) any { return normUser(s.Users[i]) })
	jw.List("groups", len(s.Groups), func(i int) any { return normGroup(s.Groups[i]) })
	return jw.Close()
}

func normLicenses(ls []AssignedLicense) []AssignedLicense {
	out := make([]AssignedLicense, len(ls))
	for i, l := range ls {
		out[i] = AssignedLicense{SkuID: l.SkuID, DisabledPlans: nonnil.Slice(l.DisabledPlans)}
	}
	return out
}

func normSku(k SubscribedSku) SubscribedSku {
	k.ServicePlans = nonnil.Slice(k.ServicePlans)
	return k
}

func normUser(u User) User {
	u.AssignedLicenses = normLicenses(u.AssignedLicenses)
	if u.LicenseAssignmentStates != nil {
		st := make([]LicenseAssignmentState, len(u.LicenseAssignmentStates))
		for i, s := range u.LicenseAssignmentStates {
			s.DisabledPlans = nonnil.Slice(s.DisabledPlans)
			st[i] = s
		}
		u.LicenseAssignmentStates = st
	}
	return u
}

func normGroup(g Group) Group {
	g.Members = nonnil.Slice(g.Members)
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
