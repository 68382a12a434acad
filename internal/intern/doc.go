// Package intern gives equal values one copy, for the tables of a compiled tenant that hold
// the same few values a million times over.
//
// A Pool is what a tenant being loaded shares among its users (licensing.LoadState): strings
// that many users have (usage locations, departments, job titles, path states), their
// on-premises extension attributes as one map per distinct set, and an arena that keeps each
// user's id, userPrincipalName and displayName in one allocation. It is used by one goroutine:
// the loader (internal/tenantload's parser) and the compiler it feeds take turns.
//
// A Table is an append-only list of distinct values, each known by its index, that several
// goroutines may read and add to: licensing keeps the disabled plans of a State's paths in one,
// so that a path is a few integers without pointers and clones of a State share the sets.
//
// Both bound what unique values cost: a Pool stops remembering new values past MaxEntries per
// kind (they are still returned, just not shared), and a Table holds each distinct value once.
package intern
