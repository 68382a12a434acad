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
//	t.FailNextProcessing(groupID) // test hook: the group's next processing ends ProcessingFailed
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
//     path in Error takes none, a path in any other state (ActiveWithError and stuck paths
//     included) takes one. A SKU has prepaidUnits.enabled + prepaidUnits.warning assignable
//     seats (warning: a subscription in its grace period, whose seats Graph documents as
//     "available for normal use and assignment"); consumedUnits is counted. A license that
//     needs a seat fails with CountViolation when consumed + 1 > enabled + warning, for direct
//     assignment and group processing alike.
//   - Effective plans: the union of the plans enabled by the Active and ActiveWithError paths
//     (each path enables its SKU's plans minus its disabledPlans). assignedLicenses lists each
//     SKU with such a path and disables the plans no such path of that SKU enables.
//   - Direct assignment (AssignUserLicenses, POST /users/{id}/assignLicense) is atomic. Its
//     checks, in order (the first failure is the answer): the user exists; every SKU is
//     subscribed, applies to users and is Enabled or Warning, and its disabled plans belong to
//     it; no SKU is added twice or both added and removed; every removed SKU is held directly
//     (InheritedLicense when only a group gives it); a user receiving licenses has a usage
//     location; the result enables no newly conflicting plans of different SKUs (only the
//     rules' refused exclusions count); no enabled plan newly lacks its prerequisite (this
//     covers adding an add-on without its base and removing or disabling a plan an add-on
//     needs); no newly enabled plan is prohibited in the user's usage location; every added
//     SKU the user does not hold yet has a free seat. Re-adding a SKU held directly replaces
//     its disabledPlans. Direct paths are always Active.
//   - Group assignment (AssignGroupLicenses, POST /groups/{id}/assignLicense) checks the SKUs
//     as above and that every add-on's prerequisite is in the same group's assignment
//     (GroupPrerequisiteMissing), then queues the members for processing.
//   - Group processing evaluates a group for each queued user in ascending object id order
//     (byte-wise string order), so members beyond the free seats are those with the highest
//     ids. Processing group g for user u:
//     1. If u is a direct member of g, g's licenses are evaluated for u. u's "other paths" are
//     its paths not from g. The checks come in this order and the first failing one decides:
//     (a) u has no usage location and the tenant no default: every license of g fails with
//     Other; (b) g's SKUs that enable (after g's disabled plans) a plan prohibited in u's usage
//     location get ProhibitedInUsageLocationViolation; (c) g's SKUs having a plan in a new
//     conflict (a conflict among u's other enabling paths plus g's paths that is not among the
//     other paths alone) get MutuallyExclusiveViolation; (d) g's SKUs for which u holds no seat
//     through another path and no seat is free get CountViolation (a seat u holds now through
//     g's own path of that SKU is u's to keep); (e) when applying g's paths as they now are
//     (with g's paths being removed in step 2 still counted) leaves a plan u had enabled newly
//     without its prerequisite, the first such prerequisite (rule order) decides: g's SKUs
//     whose current path enabled a plan it accepts get DependencyViolation. When a check fails,
//     g's other licenses get Other ("typically the result of an error with another license
//     assigned by the same group"). On failure, a license whose path from g was Active or
//     ActiveWithError stays ActiveWithError with the error and its previous disabledPlans
//     (Entra does not take a working license away; it keeps its seat); any other is Error with
//     the error (it enables nothing and holds no seat). On success every path from g is Active,
//     error None, with g's current disabled plans.
//     2. Then u's paths from g that g does not carry for u (every path from g when u is not a
//     member; stuck paths from earlier changes included) are removed, in SKU order: each goes
//     unless its removal leaves one of u's enabled plans newly without its prerequisite. While
//     a prerequisite is newly missing (relative to u's paths after step 1), the first one in
//     rule order that a path being removed can give keeps the first such path (in SKU order):
//     it stays, ActiveWithError with DependencyViolation and its disabledPlans unchanged
//     ("stuck"). No path is ever converted to a direct assignment.
//   - Stuck paths: a group path whose group is absent, no longer carries its SKU, or no longer
//     lists the user as a member. It holds a seat unless in Error, enables its plans while
//     Active or ActiveWithError, and is exported in licenseAssignmentStates with
//     assignedByGroup = that group's id. Only a reprocess of the user (or the group's
//     processing of that user, when the group is queued again for them) tries to remove it.
//   - Processing states: with a processing delay d (WithProcessingDelay, on the injected Clock)
//     a group is QueuedForProcessing for d/2, ProcessingInProgress until d, and its queued users
//     are processed when d has passed since it was first queued; with no delay processing
//     happens inside the call. ProcessGroups runs queued work at once. FailNextProcessing (a
//     test hook of the fake, also POST /_fake/groups/{id}/failNextProcessing) makes the group's
//     next processing end in ProcessingFailed: the queued users are not evaluated, the work is
//     dropped, and the group reports ProcessingFailed until it is queued again.
//   - Membership (AddGroupMember, RemoveGroupMember) changes at once and queues the member for
//     the group's processing (a removed member only when it has paths from the group).
//   - Group kinds (the snapshot's groupTypes, securityEnabled, mailEnabled, membershipRule,
//     membershipRuleProcessingState and onPremisesSyncEnabled, kept and served as loaded;
//     licensing.Group.Kind reads them, a missing field counting as a plain security group's).
//     Only security groups and Microsoft 365 groups with securityEnabled can carry licenses:
//     AssignGroupLicenses to any other group (securityEnabled false: a distribution list, a
//     Microsoft 365 group without security) is refused, before its SKUs are checked. Members
//     cannot be added or removed (after the group and the user are found, before membership is
//     checked) when the group is synced from on-premises (onPremisesSyncEnabled true), dynamic
//     (groupTypes contains DynamicMembership: the membershipRule decides), or mail-enabled and
//     not a Microsoft 365 group (a mail-enabled security group or a distribution list); when
//     several apply, synced wins, then dynamic. The fake never evaluates a membershipRule:
//     a dynamic group's members are those loaded. Each refusal is InvalidInput through the Go
//     API, with Graph's status and text (see Errors).
//   - Reprocessing a user (ReprocessUser, POST /users/{id}/reprocessLicenseAssignment) processes
//     at once, in ascending group id order, every group from which the user has a path in Error
//     or ActiveWithError or a stuck path, and every licensed group the user is a member of whose
//     paths it lacks: as in group processing, a group the user is a member of is evaluated
//     (step 1) and its paths of SKUs it does not carry are removed (step 2); for any other group
//     (absent, or the user not a member) its paths are removed (step 2).
//   - Deleting a group (DeleteGroup, DELETE /groups/{id}) is refused while the group has
//     assignedLicenses (remove its licenses first). Work queued on an unlicensed group is done
//     before it is deleted; paths that still name it (stuck ones) stay until a reprocess.
//   - Usage location (SetUsageLocation, PATCH /users/{id}): a value licensing.IsCountryCode
//     rejects (not ISO 3166-1 alpha-2, e.g. "XX") is refused with 400 Request_BadRequest.
//   - Loading: a user's direct licenses are its licenseAssignmentStates with assignedByGroup
//     null (its assignedLicenses when it has no licenseAssignmentStates). Reported group paths
//     are kept as reported: state ("" is Active) and error (an unknown name is Other); a stuck
//     one (group absent, group without that SKU, or user not a member) and an ActiveWithError
//     one keep their reported disabledPlans, the others take the group's. Loading never fails on
//     a stuck path. A member whose paths from a licensed group are not all reported is
//     evaluated (step 1) for that group, groups in snapshot order, members in ascending id
//     order; loading removes nothing (no step 2). consumedUnits are counted from the paths.
//     Every group ends ProcessingComplete. Loading records no history. (licensing.NewState
//     loads the same way.)
//
// # Choices where Entra's behaviour is undocumented
//
//   - Within one processing of a group for a user, the group's SKUs are evaluated first and its
//     paths of SKUs it no longer carries removed afterwards, so a swap inside a group (E1 → E3
//     in one assignLicense call) is not blocked by the old SKU: conflicts and seats are checked
//     against the user's paths from other sources only, while the dependency check counts the
//     paths about to be removed as still there. A path removed in step 2 may thus stay stuck
//     next to the group's new paths even where their plans conflict.
//   - The dependency check of group processing (e) considers only plans the user had enabled
//     before; a plan the group newly enables relies on the group's own prerequisite check.
//     When no license of the group enabled the missing prerequisite, the check still fails,
//     and every license of the group gets Other.
//   - Setting a usage location evaluates again (step 1, nothing removed) the user's licensed
//     groups it is a member of where a path of a SKU the group carries is in Error or missing
//     (cause usageLocation); ActiveWithError and stuck paths wait for a reprocess. Setting a
//     location is refused (ProhibitedInUsageLocationViolation) when an enabled plan is not
//     offered in the new country, and (UsageLocationMissing) when it would clear the location
//     of a user with direct licenses.
//   - A group's processing of a user removes all of the user's paths from the group of SKUs it
//     does not carry, stuck ones left by earlier changes included (they go if nothing depends
//     on them any more).
//   - membersWithLicenseErrors (and hasMembersWithLicenseErrors) lists the members with a path
//     from the group in Error or ActiveWithError; former members with stuck paths are not members.
//   - Removing from a group a SKU it does not hold, or from a user a SKU held by no path, is
//     InvalidInput.
//   - Work queued on a group while it is already queued is done when the first work is due.
//   - Direct paths are always Active; the fake records ActiveWithError only on group paths and
//     Disabled never (a loaded stuck path keeps the state it was reported with).
//   - Graph's status and code for deleting a licensed group are not documented: the fake
//     answers 400 Request_BadRequest with Entra's text for it (as directory synchronization
//     reports it).
//
// # Where the fake differs from Entra and Graph
//
//   - No authentication: any bearer token (or none) is accepted, and every caller is one
//     application for throttling.
//   - Users and groups cannot be created or deleted through Graph (except DELETE /groups/{id}
//     of an unlicensed group); nested groups do not exist, so transitiveMembers equals members.
//   - Only the properties licensing needs (and a user's lifecycle properties) are modelled;
//     others read as null. $filter supports
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
//	GET    /groups, /groups/{id}      DELETE /groups/{id}: 204, or 400 while the group has licenses
//	                                  (groupTypes, securityEnabled, mailEnabled, membershipRule,
//	                                  membershipRuleProcessingState, onPremisesSyncEnabled by default and on $select)
//	POST   /groups/{id}/assignLicense               202 + Location + group, or 400
//	GET    /groups/{id}/members, /transitiveMembers (each also /microsoft.graph.user or /graph.user), /membersWithLicenseErrors
//	POST   /groups/{id}/members/$ref  {"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}: 204
//	DELETE /groups/{id}/members/{userId}/$ref: 204
//	POST   /$batch                    up to 20 requests, dependsOn (424 when a dependency failed)
//	GET    /directory/subscriptions, /directory/subscriptions/{id},
//	       /directory/subscriptions(commerceSubscriptionId='{id}')   companySubscription, $select
//
// Properties Graph returns only on $select are returned only on $select here too: a user's
// assignedLicenses, licenseAssignmentStates, usageLocation, userType, createdDateTime and
// signInActivity (signInActivity not even for $select=*), a group's assignedLicenses and
// licenseProcessingState. Request bodies may be gzip-compressed (Content-Encoding: gzip).
//
// A user's userType, createdDateTime and signInActivity are the snapshot's (null where it has
// none). signInActivity, with its three times (null where the snapshot has none; the fake
// keeps no request ids: null), is left out for a user the snapshot has none for, as Graph leaves
// it out for a user without a recorded sign-in; with signInActivity selected a page holds at
// most 500 users (List users: "When signInActivity is selected or filtered on, the maximum page
// size is 500"). Reading it needs AuditLog.Read.All and Microsoft Entra ID P1 or P2: the fake
// takes a snapshot that says signInActivityUnknown, or whose users have no signInActivity at all
// (every file older than the field), for a tenant without P1, and answers any request whose
// $select names signInActivity (GET /users, /users/{id}, group members; in $batch too) as Graph
// does: 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant "Neither tenant is B2C or
// tenant doesn't have premium license" (github.com/microsoftgraph/microsoft-graph-docs/issues/12772,
// /issues/14120). It does not model the app lacking AuditLog.Read.All (Graph's 403
// Authorization_RequestDenied; graphadapter/graphtest does), $filter on signInActivity, or the
// 400 Graph answers to $select=signInActivity on a user addressed by userPrincipalName.
//
// GET /directory/subscriptions lists the snapshot's subscriptions (Graph's companySubscription,
// https://learn.microsoft.com/graph/api/resources/companysubscription) in one page: its
// properties as loaded, serviceStatus the service plans of the SKU when the tenant subscribes to
// it (else []), ownerId, ownerTenantId and ownerType null. A snapshot without subscriptions
// gives an empty collection (the fake does not make them up from subscribedSkus); the app lacking
// Organization.Read.All (403) is not modelled.
// Outside /v1.0 are the fake's test hooks: GET /_fake/state answers the tenant as tenant/v1,
// GET /_fake/history answers {"value": [{"time", "userId", "cause", "enabledPlansBefore",
// "enabledPlansAfter"}]}, GET /_fake/writes answers every write request the server answered
// ({"value": [WriteRecord]}: time, method, path, body, status, and whether it was carried out
// — a lost reply's request was, a throttled one was not), and POST
// /_fake/groups/{id}/failNextProcessing (204) makes the group's next processing end in
// ProcessingFailed (see FailNextProcessing).
//
// # Errors
//
// Errors are *licensing.Error through the Go API and Graph's envelope over HTTP, always with
// a message: {"error": {"code": "…", "message": "…", "innerError": {"date", "request-id",
// "client-request-id"}}}. The Go error's Message is the HTTP message; its Err is a *GraphError
// with the HTTP status, Graph's code and the Retry-After, if any (a retry.Hint, as graphadapter's
// *ResponseError is). Texts marked (Graph) are Microsoft Graph's own; the others are the fake's.
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
//	                                                                     (also a usageLocation that is not an ISO 3166-1 alpha-2 code, e.g. "XX")
//	                                    400 Request_BadRequest           Unable to delete the group because there is a product license assigned to the group. To delete this group, remove any product licenses first.
//	                                                                     (Entra's text, from directory synchronization's export error; status and code are the fake's)
//	                                    403 Authorization_RequestDenied  Insufficient privileges to complete the operation. (Graph; member change of a dynamic group) [1]
//	                                    400 Request_BadRequest           Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.
//	                                                                     (Graph's text for writes to synced objects [2]; that it is the answer for a synced group's members is the fake's assumption)
//	                                    400 Request_BadRequest           Cannot Update a mail-enabled security groups and or distribution list. (Graph) [3]
//	                                    400 Request_BadRequest           License assignment failed because the group is not security enabled: only security groups and
//	                                                                     Microsoft 365 groups with securityEnabled can be assigned licenses.
//	                                                                     (the fake's: Graph's text for assignLicense to such a group is not known)
//	                                    400 Request_BadRequest           Property 'addLicenses|removeLicenses' of resource 'User|Group' is required: …
//	                                    400 Request_BadRequest           $count is not currently supported.  (without ConsistencyLevel: eventual)
//	                                    400 Request_UnsupportedQuery     Unsupported Query.
//	                                    400 BadRequest                   Resource not found for the segment '{segment}'. / Invalid version: {v} / Unable to read JSON request payload. …
//	                                    405 Request_BadRequest           Specified HTTP method is not allowed for the request target. (Graph)
//	Throttled                           429 TooManyRequests              Please retry again later.  (with Retry-After)
//	Transient (injected)                503 serviceNotAvailable / 504 UnknownError
//	(in $batch)                         424 FailedDependency             The request was not run because request '{id}', which it depends on, failed.
//
// Sources of the group-kind texts:
// [1] Microsoft's support article "Troubleshoot 403 error when adding a user to a group by using
// Microsoft Graph API" (SupportArticles-docs, authorization-requestdenied-403-error-add-user-group.md,
// 2025; also blogs.aaddevsup.xyz, 2024-05): POST /groups/{id}/members/$ref answers 403
// Authorization_RequestDenied "Insufficient privileges to complete the operation." when the group
// cannot be managed through Graph — "You cannot use Microsoft Graph to manage Dynamic group
// (groupTypes has value "DynamicMembership") membership"; github.com/KelvinTegelaar/CIPP/issues/468
// shows the same text for adding a user to a dynamic "All Users" group. Removing is answered alike
// (the fake's assumption).
// [2] github.com/microsoftgraph/microsoft-graph-docs/issues/7301 and /issues/18038 (writes to users
// synced from on-premises AD).
// [3] github.com/microsoftgraph/microsoft-graph-docs/issues/14827: POST /groups/{id}/members/$ref on
// a mail-enabled security group, 400 Request_BadRequest (also seen for distribution lists,
// github.com/KelvinTegelaar/CIPP/issues/1607).
//
// # Fault injection
//
// Faults is an optional layer: WithFaults on the server (matched by HTTP method and path,
// request by request inside a $batch) or NewFaultyTenant around any planner.Tenant (matched
// by method name). It fails a seeded random share of requests with 503, 504, 429, a lost
// reply (the request is carried out, then 504), a reset connection or a malformed JSON body
// (the request is carried out, its reply cut short), and can add latency.
package fake
