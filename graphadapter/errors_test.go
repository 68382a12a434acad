package graphadapter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/retry"
)

// TestErrorMapping sends each Graph error reply through the SDK and checks the one mapping at
// this boundary: kind, target, Graph's code and message kept, SKU and plans taken from the text.
func TestErrorMapping(t *testing.T) {
	e3 := licensing.MustParseSkuID(skuE3)
	e1 := licensing.MustParseSkuID(skuE1)
	assignE3 := func(tn *Tenant) error {
		return tn.AssignUserLicenses(context.Background(), userA, []licensing.AssignedLicense{{SkuID: e3}}, nil)
	}
	removeE1 := func(tn *Tenant) error {
		return tn.AssignUserLicenses(context.Background(), userA, nil, []licensing.SkuID{e1})
	}
	assignGroup := func(tn *Tenant) error {
		return tn.AssignGroupLicenses(context.Background(), groupG, []licensing.AssignedLicense{{SkuID: e3}}, nil)
	}
	user := licensing.Target{Type: licensing.TargetUser, ID: userA}
	group := licensing.Target{Type: licensing.TargetGroup, ID: groupG}

	tests := []struct {
		name      string
		status    int
		code, msg string
		call      func(*Tenant) error
		kind      licensing.Kind
		target    licensing.Target
		sku       string
		plans     []string
	}{
		{name: "seats (Graph)", status: 400, code: "Request_BadRequest", msg: "Subscription with SKU " + skuE3 + " does not have any available licenses.",
			call: assignE3, kind: licensing.CountViolation, target: user, sku: skuE3},
		{name: "seats without SKU", status: 400, code: "Request_BadRequest", msg: "License assignment failed because subscription does not have any available licenses.",
			call: assignE3, kind: licensing.CountViolation, target: user, sku: skuE3},
		{name: "mutually exclusive (Graph)", status: 400, code: "Request_BadRequest", msg: "License assignment failed because service plans " + planSPO1 + "," + planSPO2 + " are mutually exclusive.",
			call: assignE3, kind: licensing.MutuallyExclusiveViolation, target: user, plans: []string{planSPO1, planSPO2}},
		{name: "dependency (Graph)", status: 400, code: "Request_BadRequest", msg: "License assignment failed because service plan " + planSPO2 + " depends on the service plan(s) " + planEXO + ".",
			call: removeE1, kind: licensing.DependencyViolation, target: user, plans: []string{planSPO2, planEXO}},
		{name: "dependency on a group is a missing prerequisite", status: 400, code: "Request_BadRequest", msg: "License assignment failed because service plan " + planSPO2 + " depends on the service plan(s) " + planEXO + ".",
			call: assignGroup, kind: licensing.GroupPrerequisiteMissing, target: group, plans: []string{planSPO2, planEXO}},
		{name: "prohibited in usage location (fake)", status: 400, code: "Request_BadRequest", msg: "License assignment failed because service plan(s) " + planEXO + " are not available in usage location CU.",
			call: assignE3, kind: licensing.ProhibitedInUsageLocationViolation, target: user, plans: []string{planEXO}},
		{name: "usage location missing (Graph)", status: 400, code: "Request_BadRequest", msg: "License assignment cannot be done for user with invalid usage location.",
			call: assignE3, kind: licensing.UsageLocationMissing, target: user},
		{name: "inherited (Graph)", status: 400, code: "Request_BadRequest", msg: "User license is inherited from a group membership and it cannot be removed directly from the user.",
			call: removeE1, kind: licensing.InheritedLicense, target: user, sku: skuE1},
		{name: "unknown sku (Graph)", status: 400, code: "Request_BadRequest", msg: "License " + skuE3 + " does not correspond to a valid company License.",
			call: assignE3, kind: licensing.UnknownSku, target: user, sku: skuE3},
		{name: "sku not assignable", status: 400, code: "Request_BadRequest", msg: "License " + skuE3 + " cannot be assigned to a user because its subscription is Suspended.",
			call: assignE3, kind: licensing.SkuNotAssignable, target: user, sku: skuE3},
		{name: "plan not in sku (fake)", status: 400, code: "Request_BadRequest", msg: "Service plan " + planSPO1 + " is not part of license " + skuE3 + ".",
			call: assignE3, kind: licensing.UnknownServicePlan, target: user, sku: skuE3, plans: []string{planSPO1}},
		{name: "uniqueness", status: 400, code: "Request_BadRequest", msg: "Proxy address is already being used.",
			call: assignE3, kind: licensing.UniquenessViolation, target: user},
		{name: "entra name in details", status: 400, code: "Request_BadRequest", msg: "License assignment failed.",
			call: assignE3, kind: licensing.MutuallyExclusiveViolation, target: user},
		{name: "license not held (Graph)", status: 400, code: "Request_BadRequest", msg: "User does not have a corresponding license.",
			call: removeE1, kind: licensing.InvalidInput, target: user},
		{name: "unknown user (Graph)", status: 404, code: "Request_ResourceNotFound", msg: "Resource '" + userA + "' does not exist or one of its queried reference-property objects are not present.",
			call: assignE3, kind: licensing.UnknownUser, target: user},
		{name: "unknown group on a membership call", status: 404, code: "Request_ResourceNotFound", msg: "Resource '" + groupG + "' does not exist or one of its queried reference-property objects are not present.",
			call: func(tn *Tenant) error { return tn.AddGroupMember(context.Background(), groupG, userA) }, kind: licensing.UnknownGroup, target: group},
		{name: "unknown user on a membership call", status: 404, code: "Request_ResourceNotFound", msg: "Resource '" + userA + "' does not exist or one of its queried reference-property objects are not present.",
			call: func(tn *Tenant) error { return tn.AddGroupMember(context.Background(), groupG, userA) }, kind: licensing.UnknownUser, target: user},
		{name: "already a member (Graph)", status: 400, code: "Request_BadRequest", msg: "One or more added object references already exist for the following modified properties: 'members'.",
			call: func(tn *Tenant) error { return tn.AddGroupMember(context.Background(), groupG, userA) }, kind: licensing.InvalidInput, target: user},
		{name: "not a member (Graph)", status: 404, code: "Request_ResourceNotFound", msg: "One or more removed object references do not exist for the following modified properties: 'members'.",
			call: func(tn *Tenant) error { return tn.RemoveGroupMember(context.Background(), groupG, userA) }, kind: licensing.InvalidInput, target: user},
		{name: "OData bad request", status: 400, code: "BadRequest", msg: "Unable to read JSON request payload.",
			call: assignE3, kind: licensing.InvalidInput, target: user},
		{name: "throttled", status: 429, code: "TooManyRequests", msg: "Please retry again later.",
			call: assignE3, kind: licensing.Throttled, target: user},
		{name: "server error", status: 500, code: "InternalServerError", msg: "Something went wrong.",
			call: assignE3, kind: licensing.Transient, target: user},
		{name: "bad gateway", status: 502, code: "BadGateway", msg: "Bad gateway.",
			call: assignE3, kind: licensing.Transient, target: user},
		{name: "unmapped keeps Graph's code", status: 403, code: "Authorization_RequestDenied", msg: "Insufficient privileges to complete the operation.",
			call: assignE3, kind: licensing.Other, target: user},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
				errObj := map[string]any{"code": tc.code, "message": tc.msg,
					"innerError": map[string]any{"request-id": "req-42", "date": "2026-11-23T09:00:00"}}
				if tc.name == "entra name in details" {
					errObj["details"] = []any{map[string]any{"code": "MutuallyExclusiveViolation", "message": "conflict"}}
				}
				if tc.status == 429 {
					w.Header().Set("Retry-After", "600")
				}
				writeJSON(w, tc.status, map[string]any{"error": errObj})
			}))
			tn, _ := newTenant(t, srv, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
			le := asError(t, tc.call(tn))
			assert.Equal(t, tc.kind, le.Kind, le.Error())
			assert.True(t, errors.Is(le, tc.kind), "errors.Is works with the kind")
			assert.Equal(t, tc.target, le.Target)
			assert.Equal(t, tc.msg, le.Message, "Graph's message is kept")
			var re *ResponseError
			require.True(t, errors.As(le, &re))
			assert.Equal(t, tc.status, re.StatusCode)
			assert.Equal(t, tc.code, re.Code, "Graph's code is kept, on the reply")
			assert.Equal(t, "req-42", re.RequestID)
			if tc.sku != "" {
				assert.Equal(t, licensing.MustParseSkuID(tc.sku), le.SkuID)
			}
			var plans []licensing.PlanID
			for _, p := range tc.plans {
				plans = append(plans, licensing.MustParsePlanID(p))
			}
			assert.Equal(t, plans, le.Plans)
			wait, ok := retry.After(le)
			if tc.kind == licensing.Throttled {
				assert.True(t, ok)
				assert.Equal(t, 10*time.Minute, wait, "Graph's Retry-After, found through retry.Hint")
				assert.Equal(t, 10*time.Minute, re.Wait)
			} else {
				assert.False(t, ok, "no Retry-After: %v", wait)
			}
		})
	}
}

// TestErrorRepliesWithoutGraphsEnvelope: an HTML page, an empty body or an envelope without a
// message still give the status's kind, and never a panic in the SDK.
func TestErrorRepliesWithoutGraphsEnvelope(t *testing.T) {
	tests := []struct {
		status      int
		contentType string
		body        string
		kind        licensing.Kind
		code        string
	}{
		{502, "text/html", "<html><body>Bad Gateway</body></html>", licensing.Transient, ""},
		{404, "text/plain", "404 page not found", licensing.UnknownUser, ""},
		{400, "application/json", "", licensing.Other, ""},
		{400, "application/json", `{"error": {"code": "Request_BadRequest"}}`, licensing.Other, "Request_BadRequest"},
		{400, "application/json", `{"error": {"message": "User license is inherited from a group membership and it cannot be removed directly from the user."}}`, licensing.InheritedLicense, ""},
		{400, "application/json", `{"error": "nope"}`, licensing.Other, ""},
		{409, "application/json", `{"error": {"code": "Conflict", "message": ""}}`, licensing.Other, "Conflict"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d %s %s", tc.status, tc.contentType, tc.body), func(t *testing.T) {
			srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			tn, _ := newTenant(t, srv, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
			le := asError(t, tn.ReprocessUser(context.Background(), userA))
			assert.Equal(t, tc.kind, le.Kind, le.Error())
			assert.Equal(t, tc.code, asResponse(t, le).Code)
			assert.Contains(t, le.Error(), fmt.Sprintf("HTTP %d", tc.status))
		})
	}
}

func TestClassifyTexts(t *testing.T) {
	c := call{method: "POST", path: "/users/u/assignLicense", user: "u"}
	for text, want := range map[string]licensing.Kind{
		"Subscription with SKU cbdc14ab does not have any available licenses.":                                                                 licensing.CountViolation,
		"LicenseQuotaExceededException : Subscription with Account x and SKU y does not have any available licenses.":                          licensing.CountViolation,
		"License assignment failed because service plans are mutually exclusive":                                                               licensing.MutuallyExclusiveViolation,
		"License assignment failed because service plan a conflicts with service plan b.":                                                      licensing.MutuallyExclusiveViolation,
		"License assignment failed because service plan x depends on the service plan(s) y":                                                    licensing.DependencyViolation,
		"User license is inherited from a group membership and it cannot be removed directly from the user.":                                   licensing.InheritedLicense,
		"License assignment cannot be done for user with invalid usage location.":                                                              licensing.UsageLocationMissing,
		"License x does not correspond to a valid company License.":                                                                            licensing.UnknownSku,
		"License x cannot be assigned to a user.":                                                                                              licensing.SkuNotAssignable,
		"Cannot Update a mail-enabled security groups and or distribution list.":                                                               licensing.InvalidInput,
		"Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.": licensing.InvalidInput,
		"Something else entirely.": licensing.Other,
	} {
		assert.Equal(t, want, classify(c, failure{status: 400, code: "Request_BadRequest", message: text}), text)
	}
	for _, name := range []string{"CountViolation", "MutuallyExclusiveViolation", "DependencyViolation", "ProhibitedInUsageLocationViolation", "UniquenessViolation"} {
		k, _ := licensing.ParseKind(name)
		assert.Equal(t, k, classify(c, failure{status: 400, code: name, message: "x"}), name)
		assert.Equal(t, k, classify(c, failure{status: 400, code: "Request_BadRequest", message: "x", more: []string{name}}), name)
	}
}
