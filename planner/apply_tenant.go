package planner

import (
	"context"

	"github.com/licenseplan/licenseplan/licensing"
)

// Tenant is what the planner and the executor need from an Entra tenant. Implementations:
// fake.Tenant (in memory, Entra's semantics) and graphadapter.Tenant (Microsoft Graph).
//
// Every method returns errors as *licensing.Error with a Kind that says what Entra objected to
// (CountViolation, MutuallyExclusiveViolation, InheritedLicense, UnknownUser, …), or Throttled
// and Transient for failures worth retrying. When the service said how long to wait, the error's
// chain carries a retry.Hint (graphadapter's *ResponseError, fake's *GraphError, or retry.Wait
// in the licensing.Error's Err), which Apply finds with retry.After and waits out. A Tenant may
// retry one request by itself (graphadapter does); Apply retries the step around it, so the two
// bounds multiply (see RetryPolicy). User and group arguments are object ids.
type Tenant interface {
	// Snapshot reads the whole tenant: subscribed SKUs, users with their licenses and
	// licenseAssignmentStates, and licensed groups with their members.
	Snapshot(ctx context.Context) (*licensing.Snapshot, error)
	// SubscribedSkus reads the tenant's SKUs with their seats (GET /subscribedSkus).
	SubscribedSkus(ctx context.Context) ([]licensing.SubscribedSku, error)
	// User reads one user with usageLocation, assignedLicenses and licenseAssignmentStates.
	User(ctx context.Context, userID string) (*licensing.User, error)
	// Group reads one group with assignedLicenses and licenseProcessingState; Members may be nil.
	Group(ctx context.Context, groupID string) (*licensing.Group, error)
	// AssignUserLicenses is POST /users/{id}/assignLicense: adds and removes at once, atomically.
	AssignUserLicenses(ctx context.Context, userID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error
	// AssignGroupLicenses is POST /groups/{id}/assignLicense; members are processed in the background.
	AssignGroupLicenses(ctx context.Context, groupID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error
	// SetUsageLocation is PATCH /users/{id} {"usageLocation": …}.
	SetUsageLocation(ctx context.Context, userID, usageLocation string) error
	// AddGroupMember is POST /groups/{id}/members/$ref.
	AddGroupMember(ctx context.Context, groupID, userID string) error
	// RemoveGroupMember is DELETE /groups/{id}/members/{userId}/$ref.
	RemoveGroupMember(ctx context.Context, groupID, userID string) error
	// ReprocessUser is POST /users/{id}/reprocessLicenseAssignment.
	ReprocessUser(ctx context.Context, userID string) error
}
