// Package fake is an in-memory Microsoft Entra ID tenant with Entra's licensing semantics,
// and a Microsoft Graph v1.0 server in front of it, so that licenseplan (or any Graph client)
// can be tested without a tenant. It is to Graph what pstest is to Pub/Sub: the client under
// test talks to a real HTTP server, and errors come back with Graph's codes and texts.
//
// # Tour
//
// A Tenant is built from a tenant/v1 snapshot (New, Load, or a Builder) and implements
// planner.Tenant directly:
//
//	t, _ := fake.New(snapshot, fake.WithClock(clock), fake.WithProcessingDelay(10*time.Second))
//	err := t.AssignUserLicenses(ctx, userID, add, remove) // *licensing.Error on refusal
//	errors.Is(err, licensing.CountViolation)
//	t.State()   // the tenant now, as tenant/v1
//	t.History() // every change of a user's enabled plans, in order, with its cause
//
// NewServer serves it as Graph v1.0; StartServer runs that on 127.0.0.1:0 for tests and
// fakegraph (./cmd/fakegraph) runs it as a program:
//
//	srv, _ := fake.StartServer(t, fake.WithThrottle(fake.GraphThrottle()))
//	defer srv.Close()
//	client := newGraphClient(srv.URL) // "http://127.0.0.1:PORT/v1.0"
//
// The engine is written from Entra's documented behaviour. It shares the catalog and rule
// data with package licensing (Catalog, Rules and RuleIndex's Conflicts, MissingPrerequisites
// and Prohibited checks, the Snapshot types, the error kinds) but none of the planner's
// algorithms, so tests of the planner against the fake check it against an independent model.
//
// # What the tenant enforces
//
//   - Seats: a user takes one seat of a SKU however many paths (direct and groups) carry it; a
//     path in Error takes none. A SKU has prepaidUnits.enabled seats; consumedUnits is counted.
//   - Effective plans: the union of the plans enabled by the active paths (each path enables
//     its SKU's plans minus its disabledPlans). assignedLicenses lists each SKU with an active
//     path and disables the plans no active path of that SKU enables.
//   - Direct assignment (AssignUserLicenses, POST /users/{id}/assignLicense) is atomic. Its
//     checks, in order (the first failure is the answer): the user exists; every SKU is
//     subscribed, applies to users and is Enabled or Warning, and its disabled plans belong to
//     it; no SKU is added twice or both added and removed; every removed SKU is held directly
//     (InheritedLicense when only a group gives it); a user receiving licenses has a usage
//     location; the result enables no newly conflicting plans of different SKUs (Exchange
//     Online plans stack); no enabled plan newly lacks its prerequisite (this covers adding an
//     add-on without its base and removing or disabling a plan an add-on needs); no newly
//     enabled plan is prohibited in the user's usage location; every added SKU the user does
//     not hold yet has a free seat. Re-adding a SKU held directly replaces its disabledPlans.
//   - Group assignment (AssignGroupLicenses, POST /groups/{id}/assignLicense) checks the SKUs
//     as above and that every add-on's prerequisite is in the same group's assignment
//     (GroupPrerequisiteMissing), then queues the members for processing.
//   - Group processing applies a group's licenses to each member, members in ascending id
//     order: all of the group's SKUs apply, or every path from the group is in Error with the
//     reason: Other (no usage location and no tenant default), ProhibitedInUsageLocationViolation,
//     MutuallyExclusiveViolation (with the user's other active paths), CountViolation (no free
//     seat), checked in that order. A user without a usage location gets the tenant's
//     defaultUsageLocation. With a processing delay d (WithProcessingDelay, on the injected
//     Clock) a group is QueuedForProcessing for d/2, ProcessingInProgress until d, and its
//     queued members are processed when d has passed since it was first queued; with no delay
//     processing happens inside the call. ProcessGroups runs queued work at once.
//   - Membership (AddGroupMember, RemoveGroupMember) changes at once and queues the member for
//     the group's processing. Reprocessing a user (ReprocessUser) evaluates at once the user's
//     groups whose paths are in Error or missing, e.g. after seats were freed.
//   - Loading: a user's direct licenses are its licenseAssignmentStates with assignedByGroup
//     null (its assignedLicenses when it has no licenseAssignmentStates). Group paths and
//     consumedUnits are recomputed by processing every licensed group in snapshot order; every
//     group ends ProcessingComplete. Loading records no history.
//
// # Choices where Entra's behaviour is undocumented
//
//   - Conversion to direct. Entra documents that deleting a licensed group converts a member's
//     path to a direct assignment where another of the member's licenses depends on it (Audio
//     Conferencing keeping Skype for Business). The fake applies the same rule whenever a
//     group path goes away or enables fewer plans: group deletion, member removal, a SKU
//     removed from the group, and plans disabled in the group's assignment. The direct path
//     gets the group path's old disabledPlans (an existing direct path of that SKU is widened
//     instead). Entra may instead record DependencyViolation on the member.
//   - A group whose members fail processing loses the service those paths gave: every path
//     from the group goes to Error, including SKUs that were active before.
//   - Setting a usage location evaluates again the user's group paths in Error (cause
//     usageLocation). It is refused (ProhibitedInUsageLocationViolation) when an enabled plan
//     is not offered in the new country, and (UsageLocationMissing) when it would clear the
//     location of a user with direct licenses.
//   - Removing from a group a SKU it does not hold, or from a user a SKU held by no path, is
//     InvalidInput.
//   - Work queued on a group while it is already queued is done when the first work is due.
//   - Direct paths are always Active; the fake never records ActiveWithError or Disabled.
//   - DELETE /groups/{id} works on licensed groups (the Entra portal asks to remove the
//     licenses first).
//
// # Where the fake differs from Entra and Graph
//
//   - No authentication: any bearer token (or none) is accepted, and every caller is one
//     application for throttling.
//   - Users and groups cannot be created or deleted through Graph (except DELETE /groups/{id});
//     nested groups do not exist, so transitiveMembers equals members.
//   - Only the properties licensing needs are modelled; others read as null. $filter supports
//     assignedLicenses/any(x:x/skuId eq GUID) and userPrincipalName eq '…' on users,
//     assignedLicenses/$count ne 0 (an advanced query: ConsistencyLevel: eventual and
//     $count=true) and hasMembersWithLicenseErrors eq true on groups; anything else is
//     Request_UnsupportedQuery. $expand, $orderby and $search are refused.
//   - Proxy-address uniqueness (UniquenessViolation) and LicenseAssignmentAttributeConcurrencyException
//     never happen.
//   - Paging: $top defaults to 100 (at most 999); @odata.nextLink is an absolute URL whose
//     $skiptoken carries the last id returned, so a listing visits every object exactly once in
//     ascending id order even while licenses change between pages.
//   - Throttling (WithThrottle) is a token bucket per limit on the tenant's clock: Graph's
//     3,000 writes per 150 s and 8,000 resource units per 10 s (GET users 2, subscribedSkus 3,
//     members 3, transitiveMembers 5, licenseDetails 2, anything else 1; −1 with $select, −1
//     with $top under 20, never below 1), or N requests per duration. A throttled request is
//     429 with Retry-After (whole seconds), x-ms-throttle-scope and x-ms-throttle-information
//     (WriteLimitExceeded, ResourceUnitLimitExceeded or RequestLimitExceeded); every answered
//     request carries x-ms-resource-unit. Each request of a $batch is throttled on its own.
//
// # Endpoints (under /v1.0)
//
//	GET    /organization              the tenant's id and countryLetterCode (its default usage location)
//	GET    /subscribedSkus, /subscribedSkus/{id}
//	GET    /users                     $select $top $count $filter, @odata.nextLink
//	GET    /users/{id | userPrincipalName}          PATCH (usageLocation, displayName, department, jobTitle, accountEnabled): 204
//	POST   /users/{id}/assignLicense                200 + user, or 400
//	POST   /users/{id}/reprocessLicenseAssignment   200 + user
//	GET    /users/{id}/licenseDetails
//	GET    /groups, /groups/{id}      DELETE /groups/{id}: 204
//	POST   /groups/{id}/assignLicense               202 + Location + group, or 400
//	GET    /groups/{id}/members, /transitiveMembers (each also /microsoft.graph.user or /graph.user), /membersWithLicenseErrors
//	POST   /groups/{id}/members/$ref  {"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}: 204
//	DELETE /groups/{id}/members/{userId}/$ref: 204
//	POST   /$batch                    up to 20 requests, dependsOn (424 when a dependency failed)
//
// Properties Graph returns only on $select are returned only on $select here too: a user's
// assignedLicenses, licenseAssignmentStates and usageLocation, a group's assignedLicenses and
// licenseProcessingState. Request bodies may be gzip-compressed (Content-Encoding: gzip).
// Outside /v1.0, GET /_fake/state answers the tenant as tenant/v1 and GET /_fake/history
// answers {"value": [{"time", "userId", "cause", "enabledPlansBefore", "enabledPlansAfter"}]}.
//
// # Errors
//
// Errors are *licensing.Error through the Go API and Graph's envelope over HTTP, always with
// a message: {"error": {"code": "…", "message": "…", "innerError": {"date", "request-id",
// "client-request-id"}}}. The Go error's Message is the HTTP message and its Code the HTTP
// code. Texts marked (Graph) are Microsoft Graph's own; the others are the fake's.
//
//	kind                                status code                      message
//	CountViolation                      400 Request_BadRequest           Subscription with SKU {skuId} does not have any available licenses. (Graph)
//	MutuallyExclusiveViolation          400 Request_BadRequest           License assignment failed because service plans {planId},{planId} are mutually exclusive. (Graph)
//	DependencyViolation                 400 Request_BadRequest           License assignment failed because service plan {planId} depends on the service plan(s) {planId},…. (Graph)
//	GroupPrerequisiteMissing            400 Request_BadRequest           the same text as DependencyViolation, from POST /groups/{id}/assignLicense (Graph)
//	ProhibitedInUsageLocationViolation  400 Request_BadRequest           License assignment failed because service plan(s) {planId},… are not available in usage location {CC}.
//	UsageLocationMissing                400 Request_BadRequest           License assignment cannot be done for user with invalid usage location. (Graph)
//	                                                                     A usage location is required for a user who has licenses assigned directly: it cannot be removed.
//	InheritedLicense                    400 Request_BadRequest           User license is inherited from a group membership and it cannot be removed directly from the user. (Graph)
//	UnknownSku                          400 Request_BadRequest           License {skuId} does not correspond to a valid company License. (Graph)
//	SkuNotAssignable                    400 Request_BadRequest           License {skuId} cannot be assigned to a user. (Graph) / … to a user because its subscription is {capabilityStatus}.
//	UnknownServicePlan                  400 Request_BadRequest           Service plan {planId} is not part of license {skuId}.
//	UnknownUser, UnknownGroup           404 Request_ResourceNotFound     Resource '{id}' does not exist or one of its queried reference-property objects are not present. (Graph)
//	InvalidInput                        400 Request_BadRequest           User does not have a corresponding license. (Graph) / Group does not have a corresponding license.
//	                                    400 Request_BadRequest           One or more added object references already exist for the following modified properties: 'members'. (Graph)
//	                                    404 Request_ResourceNotFound     One or more removed object references do not exist for the following modified properties: 'members'. (Graph)
//	                                    400 Request_BadRequest           Invalid value specified for property '{p}' of resource '{User|AssignedLicense}'.
//	                                    400 Request_BadRequest           Property 'addLicenses|removeLicenses' of resource 'User|Group' is required: …
//	                                    400 Request_BadRequest           $count is not currently supported.  (without ConsistencyLevel: eventual)
//	                                    400 Request_UnsupportedQuery     Unsupported Query.
//	                                    400 BadRequest                   Resource not found for the segment '{segment}'. / Invalid version: {v} / Unable to read JSON request payload. …
//	                                    405 Request_BadRequest           Specified HTTP method is not allowed for the request target. (Graph)
//	Throttled                           429 TooManyRequests              Please retry again later.  (with Retry-After)
//	Transient (injected)                503 serviceNotAvailable / 504 UnknownError
//	(in $batch)                         424 FailedDependency             The request was not run because request '{id}', which it depends on, failed.
//
// # Fault injection
//
// Faults is an optional layer: WithFaults on the server (matched by HTTP method and path,
// request by request inside a $batch) or NewFaultyTenant around any planner.Tenant (matched
// by method name). It fails a seeded random share of requests with 503, 504, 429, a lost
// reply (the request is carried out, then 504), a reset connection or a malformed JSON body
// (the request is carried out, its reply cut short), and can add latency.
package fake
