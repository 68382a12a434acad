// Package graphadapter is planner.Tenant over Microsoft Graph v1.0, built on msgraph-sdk-go
// and azidentity. It reads a tenant as tenant/v1, makes the license writes a plan needs, one
// request each, retries one request as Graph asks (the executor, planner.Apply, owns retrying a
// step), and maps every Graph error once, here, to a *licensing.Error whose Kind the planner and
// executor understand, with Graph's reply as its *ResponseError.
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
//	wait, ok := retry.After(err)                                          // Graph's Retry-After, if any
//
// Credentials: WithDefaultCredential, WithClientSecret, WithClientCertificate,
// WithManagedIdentity (the host's managed identity: IMDS, App Service, …), WithWorkloadIdentity
// (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE), or any azcore.TokenCredential
// with WithCredential.
// Tokens are requested for the root's host ("https://graph.microsoft.com/.default") and sent to
// that host only. A loopback http:// root (127.0.0.0/8, ::1, localhost), such as the fake
// server's, needs no credential and never gets a token; New refuses any other root without one,
// and any other plain-http root outright. Secrets and tokens never appear in logs or errors.
//
// # Reading
//
// Snapshot reads GET /subscribedSkus; GET /organization (tenant id, countryLetterCode);
// GET /directory/subscriptions (the companySubscriptions: seats, trials, renewal dates); every
// user with $select=id, userPrincipalName, displayName, accountEnabled, userType,
// createdDateTime, usageLocation, department, jobTitle, onPremisesExtensionAttributes,
// assignedLicenses, licenseAssignmentStates, signInActivity and $top=500 (Graph's largest page
// with signInActivity; 999 without it); every group with $select=id, displayName, assignedLicenses, licenseProcessingState,
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
// Snapshot.DefaultUsageLocationUnknown set and a warning logged; /directory/subscriptions
// likewise, a 403 leaving Snapshot.Subscriptions nil (unknown) and a warning logged. Graph
// refusing signInActivity (403: no AuditLog.Read.All, or no Microsoft Entra ID P1 or P2,
// "Neither tenant is B2C or tenant doesn't have premium license") reads the users again without
// it and sets Snapshot.SignInActivityUnknown, with one warning; WithoutSignInActivity never asks.
// A user Graph lists without signInActivity (no sign-in recorded) gets an empty one; Graph's
// placeholder time 0001-01-01T00:00:00Z is dropped. Snapshot.ReadAt and ReadTimes say
// when the read and each part began. WithProgress reports users read, pages, retries, restarts,
// lookups and an ETA. Least privilege: LicenseAssignment.Read.All, User.Read.All,
// GroupMember.Read.All (the group kind fields need nothing more), Organization.Read.All for
// the default usage location and the subscriptions, and AuditLog.Read.All (with Entra ID P1) for
// the users' sign-in activity.
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
// User.ReadWrite.All (usage location, reprocess), GroupMember.ReadWrite.All. Every write is one
// request: the executor checks each step's precondition just before its call and reads the
// target back after it, so writes are not batched ($batch would add a third layer of retries,
// per item, and per-item outcomes to reconcile with the journal).
//
// # Retries
//
// The adapter owns the HTTP-level retries of one request; the executor (planner.Apply) owns
// re-reading and re-deciding a step (its precondition, drift, a long Retry-After it schedules for
// every worker, an outcome the adapter could not know). A request is retried when Graph answers
// 429 or 503, and a read also on 504, a reset connection, a reply cut short or a try that outlasts
// RetryPolicy.AttemptTimeout (100s); a write only when its connection was never made: a write whose
// reply was lost (504, reset after sending, timeout) may have been carried out, and is handed up
// as Transient for the executor to re-read the target. The wait is Graph's Retry-After (seconds
// or an HTTP date) or an exponential backoff from 1s to 30s with jitter, never past the context,
// on the clock WithClock gives (retry.Clock, the executor's too).
//
// A read (GET) is bounded by time, RetryPolicy.ReadBudget (15 minutes by default, per request: one
// page, one object): a Retry-After is waited out however long, up to what is left of it. A write
// is bounded by RetryPolicy.MaxAttempts tries (5 by default), and a Retry-After longer than
// RetryPolicy.MaxRetryAfter (2 minutes) is not waited out: the call returns Throttled at once, its
// *ResponseError carrying the wait (retry.After), for the executor to schedule.
//
// The bound: the executor attempts a step up to planner.DefaultRetryPolicy.MaxAttempts (5) times,
// one call per attempt, and the adapter tries each call's request up to its MaxAttempts (5), so a
// step makes at most 5 × 5 = 25 write requests under persistent 429 or 503 (5 when every
// Retry-After is longer than MaxRetryAfter, or every reply is a 504); each read the executor makes
// is tried by it up to 5 times, each within ReadBudget: at most 75 minutes per read.
// internal/reliability's TestStepRequestsAreBounded and TestStepReadsAreBoundedByTime count them.
//
// The retried request carries the same bytes: the middleware list is fixed (User-Agent, Graph
// telemetry, OData parameter-name decoding, then this package's retries) and has no compression.
//
// # Errors
//
// Graph's error replies are mapped by status, then by Entra's error names in the code, details
// or innerError, then by the message's text (case-insensitive). The licensing.Error keeps
// Graph's message (Message) and names the user or group (Target), the SKU (SkuID) and plans
// (Plans) Graph's text names; its Err is a *ResponseError with the transport's side: the method,
// path, status, Graph's code, the request-id and the Retry-After (Wait; RetryAfter, a retry.Hint). An error reply that is not Graph's JSON envelope (a
// gateway's HTML page, an empty body, an envelope without a message) keeps its status.
//
//	Graph's reply                                                               kind
//	429                                                                         Throttled (Retry-After on the *ResponseError)
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
