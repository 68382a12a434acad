// Package licensing is the domain of licenseplan: Microsoft 365 / Entra ID SKUs and service
// plans, the rules Entra enforces when it assigns them, a tenant's assignment paths and the
// licensing they add up to, and a prediction of what Entra would do with a change.
//
// The package is pure and deterministic: no network, no clock, no context, no I/O beyond the
// io.Reader and io.Writer it is given. The same input gives the same output, byte for byte.
//
// # A short tour
//
// Identifiers. [SkuID] and [PlanID] are 16-byte GUIDs. [ParseSkuID] and [ParsePlanID] accept
// only the canonical 8-4-4-4-12 form (any case) and print it lower-case; they read and write
// JSON as strings.
//
// Catalog. A [Catalog] resolves SKUs and service plans by id or by name:
// [Catalog.LookupSku] takes a skuId, a skuPartNumber ("ENTERPRISEPACK") or a product name
// ("Office 365 E3"); [Catalog.LookupPlan] a servicePlanId, a servicePlanName or a friendly name.
// An unknown name is an [UnknownSku] or [UnknownServicePlan] error that suggests the closest
// names ("ENTERPRISEPAK" → did you mean "ENTERPRISEPACK"?). [ReadCatalogCSV] reads Microsoft's
// "Product names and service plan identifiers for licensing" CSV with its quirks (byte-order
// mark, CRLF, non-breaking spaces inside GUIDs, duplicate rows, one plan id under two names).
// A tenant's own catalog comes from its subscribedSkus ([Snapshot.Catalog]);
// [Catalog.Enrich] adds Microsoft's names to it without changing what the tenant's SKUs contain.
//
// Rules. [Rules] (the rules/v1 format) are data with a source, a date and a strength —
// refused (Entra refuses: documented, or quoted from a real Graph error) or discouraged
// (Microsoft: "not recommended"; a warning): service plans that may not be enabled together
// from different SKUs (Microsoft's table), plans that may stack anyway (Exchange Online since
// January 2023; Skype for Business Online with Teams EEA / Teams Enterprise), add-on
// prerequisites with every alternative Microsoft's own SKUs carry (Workplace Analytics and
// Defender for Office 365 P2 need Exchange Online, Audio Conferencing and Teams Phone need Skype
// for Business Online or Teams, Office for the web needs SharePoint or OneDrive, Project Online
// needs SharePoint Plan 2), usage-location limits, and services offered at ordered levels
// (Exchange Kiosk < Plan 1 < Plan 2, SharePoint Plan 1 < Plan 2, Office mobile < Microsoft 365
// Apps, …: an upgrade keeps the service, a downgrade loses it). [DefaultRules] returns the
// embedded set, tested against Microsoft's whole catalog (every SKU sold standalone passes
// alone; every add-on fails naming its base). [ReadRules] reads a file that extends it
// ([Rules.Extend], with Disable) or replaces it (replaceDefaults). [Rules.Compile] turns rules
// into a [RuleIndex] over a catalog, whose [RuleIndex.ServiceLoss] says which plans a change
// would really take away. [RuleFromEntraMessage] turns Entra's own refusal text into the
// rules/v1 entry that would have predicted it. Usage locations are ISO 3166-1 alpha-2 codes
// ([IsCountryCode]).
//
// Snapshot. A [Snapshot] is a tenant in the tenant/v1 format: Graph's subscribedSkus, users
// (assignedLicenses, licenseAssignmentStates, usageLocation) and licensed groups with their
// members and their kind (groupTypes, securityEnabled, mailEnabled, membershipRule,
// membershipRuleProcessingState, onPremisesSyncEnabled: [Group.Kind] says whether a group can
// carry licenses and whether Graph lets a caller change its members; a snapshot without them
// has plain security groups), under Graph's own field names so that an export loads unchanged. [ReadSnapshot]
// validates it, naming the user, group or field at fault; [Snapshot.WriteJSON] writes one line
// per SKU, user and group, byte-stable.
//
// State. [NewState] compiles a snapshot into a [State]: each user's assignment paths
// ([State.Paths]: direct, or one per licensed group, each Active, ActiveWithError or in Error
// with Entra's reason), their effective licensing ([State.Effective]: the union of the plans
// enabled by the active paths, and assignedLicenses' disabledPlans as the plans disabled on
// every active path), and seats ([State.Subscriptions]: one seat per user per SKU, however many
// paths; prepaidUnits.enabled + warning are assignable). Group paths the snapshot does not
// report are evaluated as Entra's group processing would. A reported path whose group is gone,
// no longer carries the SKU or no longer has the user is kept as a stuck path ([Path.Stuck]):
// Entra keeps such a license in DependencyViolation until the dependency is resolved.
// [LoadState] does the same straight from a tenant/v1 stream without keeping the document
// (the way to load a million-user tenant: about 470 MB live instead of 1.2 GB); loops over
// many users use the index-based [State.ApplyUserLicenses] and [State.AppendPaths].
//
// Predict and Apply. A [Change] is one Entra call: assignLicense for a user (atomic: every add
// and remove, or nothing) or a group (processed per member in ascending object id: all of the
// group's SKUs apply, or the failing license gets its reason, the group's others Other, and
// licenses the member already had keep working, ActiveWithError), adding or removing a member
// (a path another plan depends on stays, in DependencyViolation), setting a usage location, or
// reprocessing a user. groupprocessing.go has the model, which package fake implements
// independently; a differential test keeps the two in agreement. [State.Predict] returns the
// [Outcome] without changing the state: whether Entra would refuse the call (Refused, with
// Violations), the errors recorded on members' paths, the users whose plans change (before and
// after), and seats before and after. [State.Apply] makes the change when Entra would
// accept it; a refused change leaves the state exactly as it was. [State.Clone] gives an
// independent copy to explore alternatives on.
//
// Errors. There is one error type, [*Error], with a [Kind]. The first kinds are Entra's own
// error names ([CountViolation], [MutuallyExclusiveViolation], [DependencyViolation],
// [ProhibitedInUsageLocationViolation], [UniquenessViolation], [Other]); the rest are this
// library's ([ServiceLoss], [InheritedLicense], [UnknownSku], [InvalidInput], …). A Kind is
// itself an error target:
//
//	if errors.Is(outcome.Err(), licensing.CountViolation) {
//		// buy seats, or free some and reprocess
//	}
//
// Kinds print as the names plan/v1 uses ("CountViolation") and never change once released.
package licensing
