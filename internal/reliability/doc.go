// Package reliability holds the project's reliability tests (DESIGN.md §7): the planner's
// executor run through the real graphadapter client against the fake Graph server while the
// server fails requests (throttling, 503, 504, reset connections, slow and malformed replies,
// lost replies); the bound on the requests one step makes when Graph keeps failing it (the
// adapter's retries of a request × the executor's attempts of a step); a crash — the applying
// process killed with SIGKILL — at every step boundary of a multi-wave plan, resumed from the
// journal; drift between plan and apply made through Graph; and a check that credentials never
// reach logs, plans, journals or errors.
//
// The package has no code of its own: everything is in its tests. RELIABILITY.md at the
// repository root says what was tried, how many cases ran, and how to reproduce each run:
//
//	go test ./internal/reliability                                   # the quick matrix
//	LICENSEPLAN_RELIABILITY_FULL=1 go test ./internal/reliability    # every rate, seed and crash point
package reliability
