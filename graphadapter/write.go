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
	w := Write{Op: OpAssignUserLicenses, UserID: userID, Add: add, Remove: remove}
	return t.write(ctx, w)
}

// AssignGroupLicenses is POST /groups/{id}/assignLicense. Graph accepts it (202) and processes the
// members in the background; their errors appear later on their licenseAssignmentStates.
func (t *Tenant) AssignGroupLicenses(ctx context.Context, groupID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	return t.write(ctx, Write{Op: OpAssignGroupLicenses, GroupID: groupID, Add: add, Remove: remove})
}

// SetUsageLocation is PATCH /users/{id} {"usageLocation": "NO"} (an ISO 3166 alpha-2 code).
func (t *Tenant) SetUsageLocation(ctx context.Context, userID, usageLocation string) error {
	return t.write(ctx, Write{Op: OpSetUsageLocation, UserID: userID, UsageLocation: usageLocation})
}

// AddGroupMember is POST /groups/{id}/members/$ref {"@odata.id": "<root>/directoryObjects/{userId}"}.
func (t *Tenant) AddGroupMember(ctx context.Context, groupID, userID string) error {
	return t.write(ctx, Write{Op: OpAddGroupMember, GroupID: groupID, UserID: userID})
}

// RemoveGroupMember is DELETE /groups/{id}/members/{userId}/$ref.
func (t *Tenant) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	return t.write(ctx, Write{Op: OpRemoveGroupMember, GroupID: groupID, UserID: userID})
}

// ReprocessUser is POST /users/{id}/reprocessLicenseAssignment: Entra re-evaluates the user's
// group-based assignments, e.g. after seats were freed.
func (t *Tenant) ReprocessUser(ctx context.Context, userID string) error {
	return t.write(ctx, Write{Op: OpReprocessUser, UserID: userID})
}

// write sends one write on its own.
func (t *Tenant) write(ctx context.Context, w Write) error {
	ri, c, err := t.writeRequest(ctx, w)
	if err != nil {
		return err
	}
	return t.sendNoContent(ctx, c, ri)
}

// writeRequest builds a write's request with the SDK's builders (so the body is the SDK's own
// serialization) and the call that names it in errors.
func (t *Tenant) writeRequest(ctx context.Context, w Write) (*abs.RequestInformation, call, error) {
	var (
		ri  *abs.RequestInformation
		err error
		c   call
	)
	switch w.Op {
	case OpAssignUserLicenses:
		c = call{method: "POST", path: "/users/" + w.UserID + "/assignLicense", user: w.UserID, add: skusOf(w.Add), remove: w.Remove}
		if err := checkID("user", w.UserID); err != nil {
			return nil, c, err
		}
		body := users.NewItemAssignLicensePostRequestBody()
		body.SetAddLicenses(licensesToModels(w.Add))
		body.SetRemoveLicenses(skusToUUIDs(w.Remove))
		ri, err = t.client.Users().ByUserId(w.UserID).AssignLicense().ToPostRequestInformation(ctx, body, nil)
	case OpAssignGroupLicenses:
		c = call{method: "POST", path: "/groups/" + w.GroupID + "/assignLicense", group: w.GroupID, add: skusOf(w.Add), remove: w.Remove}
		if err := checkID("group", w.GroupID); err != nil {
			return nil, c, err
		}
		body := groups.NewItemAssignLicensePostRequestBody()
		body.SetAddLicenses(licensesToModels(w.Add))
		body.SetRemoveLicenses(skusToUUIDs(w.Remove))
		ri, err = t.client.Groups().ByGroupId(w.GroupID).AssignLicense().ToPostRequestInformation(ctx, body, nil)
	case OpSetUsageLocation:
		c = call{method: "PATCH", path: "/users/" + w.UserID, user: w.UserID}
		if err := checkID("user", w.UserID); err != nil {
			return nil, c, err
		}
		if !licensing.IsCountryCode(strings.ToUpper(w.UsageLocation)) {
			return nil, c, &licensing.Error{Kind: licensing.InvalidInput, Target: c.target(), Message: fmt.Sprintf("usageLocation %q is not an ISO 3166 alpha-2 code such as \"NO\"", w.UsageLocation)}
		}
		loc := strings.ToUpper(w.UsageLocation)
		body := models.NewUser()
		body.SetUsageLocation(&loc)
		ri, err = t.client.Users().ByUserId(w.UserID).ToPatchRequestInformation(ctx, body, nil)
	case OpAddGroupMember:
		c = call{method: "POST", path: "/groups/" + w.GroupID + "/members/$ref", group: w.GroupID, user: w.UserID}
		if err := checkID("group", w.GroupID); err != nil {
			return nil, c, err
		}
		if err := checkID("user", w.UserID); err != nil {
			return nil, c, err
		}
		ref := t.root + "/directoryObjects/" + url.PathEscape(w.UserID)
		body := models.NewReferenceCreate()
		body.SetOdataId(&ref)
		ri, err = t.client.Groups().ByGroupId(w.GroupID).Members().Ref().ToPostRequestInformation(ctx, body, nil)
	case OpRemoveGroupMember:
		c = call{method: "DELETE", path: "/groups/" + w.GroupID + "/members/" + w.UserID + "/$ref", group: w.GroupID, user: w.UserID}
		if err := checkID("group", w.GroupID); err != nil {
			return nil, c, err
		}
		if err := checkID("user", w.UserID); err != nil {
			return nil, c, err
		}
		ri, err = t.client.Groups().ByGroupId(w.GroupID).Members().ByDirectoryObjectId(w.UserID).Ref().ToDeleteRequestInformation(ctx, nil)
	case OpReprocessUser:
		c = call{method: "POST", path: "/users/" + w.UserID + "/reprocessLicenseAssignment", user: w.UserID}
		if err := checkID("user", w.UserID); err != nil {
			return nil, c, err
		}
		ri, err = t.client.Users().ByUserId(w.UserID).ReprocessLicenseAssignment().ToPostRequestInformation(ctx, nil)
	default:
		return nil, c, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("graphadapter: unknown write operation %d", w.Op)}
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
