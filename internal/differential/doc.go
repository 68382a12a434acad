// Package differential holds the differential test of licenseplan's two models of Entra's
// licensing: licensing.State (what the planner predicts with) and fake.Tenant (what the tests
// apply plans to). They are written independently from the same spec (DESIGN.md §2); the test
// runs random tenants and random change scripts through both and requires the same outcome
// after every change: the same refusals with the same error kinds, the same paths per user
// (state, error, disabled plans), the same seats, memberships and group licenses. A
// difference is a bug in one of them.
//
// go test ./internal/differential runs a short budget; LICENSEPLAN_DIFF_CASES=N runs N
// scripts, and go test -fuzz FuzzStateAgreesWithFake ./internal/differential explores seeds.
package differential
