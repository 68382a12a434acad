// Package planner turns a desired licensing state into an ordered, explainable, deterministic
// plan of Entra calls, predicts every error Entra would raise before a call is made, and applies
// plans to a Tenant with preconditions, a journal to resume from, rate limiting and verification.
package planner
