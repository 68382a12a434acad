// Package differential holds the differential test of licenseplan's two models of Entra's
// licensing: licensing.State (what the planner predicts with) and fake.Tenant (what the tests
// apply plans to). They are written independently from the same spec (DESIGN.md §2); the test
// runs random tenants and random change scripts through both and requires the same outcome
// after every change: the same refusals with the same error kinds, the same paths per user
// (state, error, disabled plans), the same seats, memberships, group licenses and group kind
// fields. Groups come in every kind (security, dynamic, synced, mail-enabled security,
// distribution, Microsoft 365 with and without securityEnabled, or no kind fields at all), so
// the refusals a group's kind brings (assignLicense to a group that cannot carry licenses,
// member changes of dynamic, synced and mail-enabled groups) are exercised, and the test fails
// if a run of the default size meets one of them in no script. A difference is a bug in one of
// them.
//
// go test ./internal/differential runs a short budget; LICENSEPLAN_DIFF_CASES=N runs N
// scripts, and go test -fuzz FuzzStateAgreesWithFake ./internal/differential explores seeds.
package differential
