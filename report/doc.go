// Package report answers the questions Microsoft 365 administrators ask of their licensing,
// each as a function over a *licensing.State that returns plain data rows, with renderers to
// text (aligned columns for people), CSV (a header row and RFC 4180 quoting, for spreadsheets)
// and JSON (an indented report/v1 document with stable field names). Output is deterministic:
// the same state gives the same bytes.
//
// A short tour, by question:
//
//   - "How does each user get each license?" — Paths: every user × SKU × assignment path
//     (direct, or a group by displayName and id) with its state, error and disabled plans, and
//     the user's UPN and usage location. The export an 80,000-user tenant cannot get from the
//     portal. Each group path names its group's kind (security, dynamic, synced, mail-enabled,
//     Microsoft 365: licensing.GroupKind) and a dynamic group's membershipRule.
//   - "Who is in a license error, why, and what do I do?" — Errors: paths in an error state
//     grouped by cause, each with the plans in conflict, the missing prerequisite or the
//     prohibited plan computed from the rules, and a concrete fix: buy or free N seats of a SKU
//     (N counted over every waiting user), disable a plan in a group or remove a direct SKU,
//     enable a prerequisite, set a usage location; then reprocess the user. Where Entra only says
//     "Other", the likely cause is looked for, or the license of the same group that failed is
//     named. Stuck paths — group paths that outlived their group's assignment (the group was
//     deleted, no longer assigns the SKU, or no longer has the user) and that Entra keeps while
//     another plan depends on them — are shown with the plan that depends on them and how to
//     resolve that dependency before the reprocess that removes them.
//   - "Who consumes our seats?" — Seats (per SKU: enabled, consumed, available, warning,
//     suspended, status, and consumers by path type: direct only, group only, both; available
//     counts grace-period seats, which are assignable, and SKUs living on them are flagged) and
//     Consumers (each user's seat and the paths that carry it).
//   - "Which direct licenses can go now that groups license everyone?" — Redundant: direct
//     assignments whose plans the user's active group paths of the same SKU all enable (safe to
//     remove), and DirectOnly: users with no group path at all.
//   - "Why does Carol have Teams but not Sway?" — Explain: every plan of every SKU of one user,
//     on or off, which paths turn it on and which disable it, the paths' states and errors with
//     their fixes, and any conflict, missing prerequisite or prohibited plan. A license from a
//     dynamic group says so, with the membershipRule that makes the user a member (and one from
//     a synced or mail-enabled group where its members are changed); fixes that take a user out
//     of a group say where that is done (the rule, on-premises AD, Exchange Online).
//
// Write renders a tabular report by name (paths, errors, seats, consumers, redundant,
// direct-only), as licensectl's report command does:
//
//	st, _ := licensing.NewState(snapshot)
//	report.Write(os.Stdout, st, "errors", report.Text)
//	report.WritePaths(file, st, report.CSV)
//	ex, _ := report.Explain(st, "alice@contoso.com")
//	ex.WriteText(os.Stdout)
//
// The reports make one pass over the users and keep no per-user maps, so they run on tenants
// of a million users; Paths, Consumers, Redundant and DirectOnly stream their rows (iter.Seq),
// and their CSV and JSON writers never hold the whole report. Text output aligns its columns
// in a first pass over the rows.
//
// # Names
//
// Reports name SKUs and service plans from the state's catalog (Microsoft's licensing CSV,
// embedded in package licensing, and any newer CSV given with licensing.WithCatalog). Text, and
// the sentences of every format (summaries, details, fixes), name them by product and part
// number by default: "Office 365 E3 (ENTERPRISEPACK)", "Microsoft Teams (TEAMS1)". Options
// chooses another style (licensing.NameStyle: part numbers only, or product names only), with a
// method for each writer and for Errors and Explain (the rows of Paths, Seats, … are the same
// in every style):
//
//	report.Options{Names: licensing.NamesPart}.Write(os.Stdout, st, "paths", report.Text)
//
// JSON and CSV keep ids, part numbers and plan names, and carry product and friendly names
// beside them whatever the style, as additions to report/v1: productName next to every
// skuPartNumber (productNames next to a list of part numbers), friendlyName next to every
// servicePlanName, and disabledPlanFriendlyNames next to disabledPlans (in the same order). A
// product or plan no catalog knows is given its part number or plan name there. CSV files add
// these columns after their existing ones. The seats report keeps displayName (the catalog's
// product name, "" when it has none) beside productName.
package report
