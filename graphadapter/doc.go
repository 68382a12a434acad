// Package graphadapter is planner.Tenant over Microsoft Graph v1.0, built on msgraph-sdk-go
// and azidentity. It reads a tenant as tenant/v1, makes the license writes a plan needs, alone
// or through $batch, retries what Graph asks to retry, and maps every Graph error once, here, to
// a *licensing.Error whose Kind the planner and executor understand.
//
// This is the only package (with the examples) that imports the Graph SDK, which is slow to
// compile; licensing, planner and fake never do.
//
// # Tour
//
//	tn, err := graphadapter.New(graphadapter.WithDefaultCredential())   // https://graph.microsoft.com/v1.0
//	tn, err := graphadapter.New(graphadapter.WithRoot(srv.URL))           // the fake server: no credential
//	snap, err := tn.Snapshot(ctx)                                          // tenant/v1, all pages
//	err = tn.AssignUserLicenses(ctx, userID, add, remove)                 // one atomic assignLicense
//	errors.Is(err, licensing.CountViolation)                              // Graph's refusal, mapped
//	errs := tn.WriteBatch(ctx, writes)                                    // many writes, 20 per $batch
//
// Credentials: WithDefaultCredential, WithClientSecret, WithClientCertificate,
// WithManagedIdentity, WithWorkloadIdentity, or any azcore.TokenCredential with WithCredential.
// Tokens are requested for the root's host ("https://graph.microsoft.com/.default") and sent to
// that host only. A loopback http:// root (127.0.0.0/8, ::1, localhost), such as the fake
// server's, needs no credential and never gets a token; New refuses any other root without one,
// and any other plain-http root outright. Secrets and tokens never appear in logs or errors.
//
// # Reading
//
// Snapshot reads GET /subscribedSkus; GET /organization (tenant id, countryLetterCode); every user
// with $select=id, userPrincipalName, displayName, accountEnabled, usageLocation, department,
// jobTitle, onPremisesExtensionAttributes, assignedLicenses, licenseAssignmentStates and
// $top=999; every group with $select=id, displayName, assignedLicenses, licenseProcessingState,
// groupTypes, securityEnabled, mailEnabled, membershipRule, membershipRuleProcessingState,
// onPremisesSyncEnabled and $top=999, keeping those with licenses (no $filter: Graph documents
// assignedLicenses/$count for users only and answers 400 Request_UnsupportedQuery to filters it
// does not support; Microsoft's licensing scripts list the groups and filter locally); and each
// licensed group's members (GET /groups/{id}/members/microsoft.graph.user?$select=id&$top=999).
// Every @odata.nextLink is followed (to the root's host only) and each page is converted and
// dropped before the next is read; EachUser streams users without building a snapshot.
// licenseDetails is not used: application permissions cannot read it. subscribedSku.id is
// "tenantId_skuId", never a skuId: the tenant id is taken from it (or WithTenantID).
//
// A live tenant changes during a read that takes minutes, and Graph is eventually consistent.
// A page token that expired (400 Directory_ExpiredPageToken) restarts that listing, de-duplicated;
// a member or assignment path that names a user or group the listings did not return is fetched
// by id and kept, or recorded in Snapshot.Gone when Graph answers 404 (a path to a deleted group
// stays, as a stuck path); /organization fails the read unless Graph answers 403, which leaves
// Snapshot.DefaultUsageLocationUnknown set and a warning logged. Snapshot.ReadAt and ReadTimes say
// when the read and each part began. WithProgress reports users read, pages, retries, restarts,
// lookups and an ETA. Least privilege: LicenseAssignment.Read.All, User.Read.All,
// GroupMember.Read.All (the group kind fields need nothing more), and Organization.Read.All for
// the default usage location.
//
// Clouds: WithCloud(Public, USGov, USGovDoD or China) sets the Graph root
// (graph.microsoft.com, graph.microsoft.us, dod-graph.microsoft.us,
// microsoftgraph.chinacloudapi.cn) and the authority the azidentity options sign in at
// (login.microsoftonline.com, login.microsoftonline.us, login.chinacloudapi.cn). Every request
// carries User-Agent "licenseplan/VERSION". A guest's userPrincipalName (…#EXT#@…) is taken
// wherever a user id is: "#" goes out as %23.
//
// # Writing
//
// AssignUserLicenses and AssignGroupLicenses always send addLicenses, removeLicenses and every
// disabledPlans, empty or not (the SDK drops nil lists and Graph answers 400). SetUsageLocation
// is PATCH /users/{id}; AddGroupMember and RemoveGroupMember use members/$ref; ReprocessUser is
// POST /users/{id}/reprocessLicenseAssignment. Least privilege: LicenseAssignment.ReadWrite.All,
// User.ReadWrite.All (usage location, reprocess), GroupMember.ReadWrite.All.
//
// WriteBatch (and AssignUserLicensesBatch) sends independent writes through POST /$batch, up to
// 20 per request. Each inner request that Graph answers 429 or 5xx is sent again on its own after
// its Retry-After; writes that change the same user (or the same group's licenses) are never in
// flight together, so their order holds. It returns one error per write.
//
// # Retries
//
// Every request is retried when Graph answers 429, 503 or 504, when the connection is reset or
// the reply is cut short, and when a try outlasts RetryPolicy.AttemptTimeout: after Retry-After
// (seconds or an HTTP date) or an exponential backoff with jitter, never past the context. A read
// (GET) is bounded by time, RetryPolicy.ReadBudget (15 minutes by default, per request: one page,
// one object): a Retry-After is waited out however long, up to what is left of it. A write is
// bounded by RetryPolicy.MaxAttempts tries, and a Retry-After longer than
// RetryPolicy.MaxRetryAfter is not waited out: the call returns Throttled with RetryAfter for the
// caller to schedule. The retried request carries the same bytes: the middleware list is fixed
// (User-Agent, Graph telemetry, OData parameter-name decoding, then this package's retries) and
// has no compression. Note that a write whose reply was lost (reset, 504) may have been carried
// out: its retry can then be refused (e.g. "already exist" for a member), which the executor's
// verification sorts out.
//
// # Errors
//
// Graph's error replies are mapped by status, then by Entra's error names in the code, details
// or innerError, then by the message's text (case-insensitive). The licensing.Error keeps
// Graph's code (Code) and message (Message), names the user or group (Target), the SKU (SkuID)
// and plans (Plans) Graph's text names, and RetryAfter; its Err is a *ResponseError with the
// method, path, status and request-id. An error reply that is not Graph's JSON envelope (a
// gateway's HTML page, an empty body, an envelope without a message) keeps its status.
//
//	Graph's reply                                                               kind
//	429                                                                         Throttled (RetryAfter from Retry-After)
//	5xx, a reset or cut-short connection, a reply that is not valid JSON         Transient
//	400 Directory_ExpiredPageToken "The specified page token value has expired
//	  and can no longer be included in your request."                           Transient (Snapshot restarts the listing)
//	LicenseAssignmentAttributeConcurrencyException in the code, message or
//	  details (Entra's name for colliding assignments to one user)             Transient
//	"Subscription with SKU {sku} does not have any available licenses."         CountViolation
//	"License assignment failed because service plans {p},{p} are mutually
//	  exclusive." / "… conflicts with service plan …"                          MutuallyExclusiveViolation
//	"License assignment failed because service plan {p} depends on the
//	  service plan(s) {p}…" (user)                                              DependencyViolation
//	  the same from POST /groups/{id}/assignLicense                             GroupPrerequisiteMissing
//	"… service plan(s) {p} are not available in usage location {CC}." (fake)    ProhibitedInUsageLocationViolation
//	"License assignment cannot be done for user with invalid usage location."
//	  / "A usage location is required …"                                        UsageLocationMissing
//	"User license is inherited from a group membership and it cannot be
//	  removed directly from the user."                                          InheritedLicense
//	"License {sku} does not correspond to a valid company License."             UnknownSku
//	"License {sku} cannot be assigned to a user[ because its subscription is …]." SkuNotAssignable
//	"Service plan {p} is not part of license {sku}." (fake)                     UnknownServicePlan
//	"Proxy address is already being used."                                      UniquenessViolation
//	404 / Request_ResourceNotFound "Resource '{id}' does not exist …"           UnknownUser or UnknownGroup (by the id named)
//	"One or more added object references already exist …", "One or more
//	  removed object references do not exist …", "User does not have a
//	  corresponding license.", "Invalid object identifier …", OData's BadRequest
//	  and Request_UnsupportedQuery, 405                                         InvalidInput
//	a code equal to an Entra error name (CountViolation, …) in code or details  that kind
//	anything else (e.g. 403 Authorization_RequestDenied)                        Other, with Graph's code and message
package graphadapter
