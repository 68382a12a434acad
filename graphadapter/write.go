package graphadapter

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/licenseplan/licenseplan/licensing"
)

// AssignUserLicenses is POST /users/{id}/assignLicense: every add and remove at once, atomically.
// The body always carries addLicenses, removeLicenses and each disabledPlans, empty or not.
func (t *Tenant) AssignUserLicenses(ctx context.Context, userID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	w := writeReq{op: opAssignUserLicenses, userID: userID, add: add, remove: remove}
	return t.write(ctx, w)
}

// AssignGroupLicenses is POST /groups/{id}/assignLicense. Graph accepts it (202) and processes the
// members in the background; their errors appear later on their licenseAssignmentStates.
func (t *Tenant) AssignGroupLicenses(ctx context.Context, groupID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	return t.write(ctx, writeReq{op: opAssignGroupLicenses, groupID: groupID, add: add, remove: remove})
}

// SetUsageLocation is PATCH /users/{id} {"usageLocation": "NO"} (an ISO 3166 alpha-2 code).
func (t *Tenant) SetUsageLocation(ctx context.Context, userID, usageLocation string) error {
	return t.write(ctx, writeReq{op: opSetUsageLocation, userID: userID, usageLocation: usageLocation})
}

// AddGroupMember is POST /groups/{id}/members/$ref {"@odata.id": "<root>/directoryObjects/{userId}"}.
func (t *Tenant) AddGroupMember(ctx context.Context, groupID, userID string) error {
	return t.write(ctx, writeReq{op: opAddGroupMember, groupID: groupID, userID: userID})
}

// RemoveGroupMember is DELETE /groups/{id}/members/{userId}/$ref.
func (t *Tenant) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	return t.write(ctx, writeReq{op: opRemoveGroupMember, groupID: groupID, userID: userID})
}

// ReprocessUser is POST /users/{id}/reprocessLicenseAssignment: Entra re-evaluates the user's
// group-based assignments, e.g. after seats were freed.
func (t *Tenant) ReprocessUser(ctx context.Context, userID string) error {
	return t.write(ctx, writeReq{op: opReprocessUser, userID: userID})
}

// writeOp names the write a writeReq makes.
type writeOp uint8

// The writes; each is the request of the Tenant method of the same name.
const (
	opAssignUserLicenses  writeOp = iota + 1 // POST /users/{id}/assignLicense
	opAssignGroupLicenses                    // POST /groups/{id}/assignLicense
	opSetUsageLocation                       // PATCH /users/{id}
	opAddGroupMember                         // POST /groups/{id}/members/$ref
	opRemoveGroupMember                      // DELETE /groups/{id}/members/{userId}/$ref
	opReprocessUser                          // POST /users/{id}/reprocessLicenseAssignment
)

// writeReq is one write. Which fields count depends on op: userID for the user writes; groupID
// for opAssignGroupLicenses; both for the membership writes; add and remove for the
// assignLicense writes; usageLocation for opSetUsageLocation.
type writeReq struct {
	op            writeOp
	userID        string
	groupID       string
	add           []licensing.AssignedLicense
	remove        []licensing.SkuID
	usageLocation string
}

// write sends one write.
func (t *Tenant) write(ctx context.Context, w writeReq) error {
	ri, c, err := t.writeRequest(ctx, w)
	if err != nil {
		return err
	}
	return t.sendNoContent(ctx, c, ri)
}

// writeRequest builds a write's request with the SDK's builders (so the body is the SDK's own
// serialization) and the call that names it in errors.
func (t *Tenant) writeRequest(ctx context.Context, w writeReq) (*abs.RequestInformation, call, error) {
	var (
		ri  *abs.RequestInformation
		err error
		c   call
	)
	switch w.op {
	case opAssignUserLicenses:
		c = call{method: "POST", path: "/users/" + w.userID + "/assignLicense", user: w.userID, add: skusOf(w.add), remove: w.remove}
		if err := checkID("user", w.userID); err != nil {
			return nil, c, err
		}
		body := users.NewItemAssignLicensePostRequestBody()
		body.SetAddLicenses(licensesToModels(w.add))
		body.SetRemoveLicenses(skusToUUIDs(w.remove))
		ri, err = t.client.Users().ByUserId(w.userID).AssignLicense().ToPostRequestInformation(ctx, body, nil)
	case opAssignGroupLicenses:
		c = call{method: "POST", path: "/groups/" + w.groupID + "/assignLicense", group: w.groupID, add: skusOf(w.add), remove: w.remove}
		if err := checkID("group", w.groupID); err != nil {
			return nil, c, err
		}
		body := groups.NewItemAssignLicensePostRequestBody()
		body.SetAddLicenses(licensesToModels(w.add))
		body.SetRemoveLicenses(skusToUUIDs(w.remove))
		ri, err = t.client.Groups().ByGroupId(w.groupID).AssignLicense().ToPostRequestInformation(ctx, body, nil)
	case opSetUsageLocation:
		c = call{method: "PATCH", path: "/users/" + w.userID, user: w.userID}
		if err := checkID("user", w.userID); err != nil {
			return nil, c, err
		}
		if !licensing.IsCountryCode(strings.ToUpper(w.usageLocation)) {
			return nil, c, &licensing.Error{Kind: licensing.InvalidInput, Target: c.target(), Message: fmt.Sprintf("usageLocation %q is not an ISO 3166 alpha-2 code such as \"NO\"", w.usageLocation)}
		}
		loc := strings.ToUpper(w.usageLocation)
		body := models.NewUser()
		body.SetUsageLocation(&loc)
		ri, err = t.client.Users().ByUserId(w.userID).ToPatchRequestInformation(ctx, body, nil)
	case opAddGroupMember:
		c = call{method: "POST", path: "/groups/" + w.groupID + "/members/$ref", group: w.groupID, user: w.userID}
		if err := checkID("group", w.groupID); err != nil {
			return nil, c, err
		}
		if err := checkID("user", w.userID); err != nil {
			return nil, c, err
		}
		ref := t.root + "/directoryObjects/" + url.PathEscape(w.userID)
		body := models.NewReferenceCreate()
		body.SetOdataId(&ref)
		ri, err = t.client.Groups().ByGroupId(w.groupID).Members().Ref().ToPostRequestInformation(ctx, body, nil)
	case opRemoveGroupMember:
		c = call{method: "DELETE", path: "/groups/" + w.groupID + "/members/" + w.userID + "/$ref", group: w.groupID, user: w.userID}
		if err := checkID("group", w.groupID); err != nil {
			return nil, c, err
		}
		if err := checkID("user", w.userID); err != nil {
			return nil, c, err
		}
		ri, err = t.client.Groups().ByGroupId(w.groupID).Members().ByDirectoryObjectId(w.userID).Ref().ToDeleteRequestInformation(ctx, nil)
	case opReprocessUser:
		c = call{method: "POST", path: "/users/" + w.userID + "/reprocessLicenseAssignment", user: w.userID}
		if err := checkID("user", w.userID); err != nil {
			return nil, c, err
		}
		ri, err = t.client.Users().ByUserId(w.userID).ReprocessLicenseAssignment().ToPostRequestInformation(ctx, nil)
	default:
		return nil, c, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("graphadapter: unknown write operation %d", w.op)}
	}
	if err != nil {
		return nil, c, t.mapError(ctx, c, err)
	}
	return ri, c, nil
}

func skusOf(ls []licensing.AssignedLicense) []licensing.SkuID {
	out := make([]licensing.SkuID, len(ls))
	for i, l := range ls {
		out[i] = l.SkuID
	}
	return out
}
