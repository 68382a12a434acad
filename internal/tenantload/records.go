package tenantload

// The records the parser fills: licensing's User and Group in plain types, with Graph's field
// names. A GUID is its 16 bytes, as licensing.GUID holds them. Lists keep encoding/json's
// distinction between null (nil) and [] (empty, not nil), which licensing depends on (a user
// whose licenseAssignmentStates is [] has no direct paths from assignedLicenses).

// User is a user as the parser read it. Its strings may be kept (interned, or packed into the
// Pool's arena); its lists are reused for the next user.
type User struct {
	ID, UserPrincipalName, DisplayName  string
	AccountEnabled                      *bool // the Pool's shared true or false; nil for absent or null
	UserType                            string
	CreatedDateTime                     string // packed into the Pool's arena
	UsageLocation, Department, JobTitle string
	OnPremisesExtensionAttributes       map[string]string // shared by users with the same attributes: read-only
	AssignedLicenses                    []License
	LicenseAssignmentStates             []PathState

	// HasSignInActivity is true when signInActivity is an object (not absent or null); the
	// times are its own (packed into the Pool's arena), "" for absent or null.
	HasSignInActivity                                                                  bool
	LastSignInDateTime, LastNonInteractiveSignInDateTime, LastSuccessfulSignInDateTime string
}

// License is an assignedLicense.
type License struct {
	SkuID         [16]byte
	DisabledPlans [][16]byte
}

// PathState is a licenseAssignmentState.
type PathState struct {
	SkuID                             [16]byte
	DisabledPlans                     [][16]byte
	AssignedByGroup                   *string // nil for null; shared by the paths that name the same group (read-only)
	State, Error, LastUpdatedDateTime string
}

// Group is a group as the parser read it, without its members (Sink.Group has them apart). Its
// strings and GroupTypes may be kept; AssignedLicenses is reused for the next group.
type Group struct {
	ID, DisplayName  string
	AssignedLicenses []License
	// HasProcessingState is true when licenseProcessingState is an object (not absent or
	// null); ProcessingState is its state.
	HasProcessingState            bool
	ProcessingState               string
	GroupTypes                    []string
	SecurityEnabled, MailEnabled  *bool // the Pool's shared true or false; nil for absent or null
	MembershipRule                string
	MembershipRuleProcessingState string
	OnPremisesSyncEnabled         *bool
}
