// Package tenantload reads a tenant/v1 document as a stream, for licensing.LoadState: one SKU,
// user and group at a time, without holding the document, and with the errors encoding/json
// would report for the whole document (ReadSnapshot's), byte for byte and at the same offsets.
//
// Why a reader of its own: a million-user tenant is over a gigabyte as a Snapshot, but only
// what the State keeps of it (about 470 MB) needs to be live; and users, most of the document,
// are read without encoding/json's reflection.
//
// # What lives where
//
// licensing owns the tenant/v1 types (Snapshot, SubscribedSku, User, Group) and what they mean;
// this package owns the reading, which is mechanics: it cannot import licensing (licensing imports
// it), so the two meet at the Sink interface, in plain types.
//
//   - load.go: Load walks the top-level object and its lists. It finds each value's end
//     itself (scan.go) and hands it on: a user or group to its own parser first, anything else
//     (header fields, SKUs, users and groups the parser does not vouch for, a document that is
//     not an object) to Sink.Decode, which decodes it with encoding/json into licensing's
//     types. Load works out from the errors what encoding/json would have reported for the
//     whole document: the first syntax error wins, then the first error of a value's own
//     decoder (a malformed GUID), then the first type error, each with its offset in the
//     document. After such an error the rest is still read: a syntax error anywhere in the
//     document is what encoding/json reports first.
//   - scan.go: the stream, a window that slides over the input, and the scanner that finds
//     where a JSON value ends as encoding/json's scanner would (linear in the input whatever
//     the size of the reads).
//   - parse.go: the reflection-free parser of users and groups. It stores exactly what
//     json.Unmarshal would into the User and Group records (records.go) or gives up, and then
//     the value goes to Sink.Decode, which also reports the error if there is one. Its values
//     that many users share are interned in the compiler's intern.Pool; ids and names are
//     packed into the Pool's arena.
//
// The Sink is licensing's compiler (licensing/load.go adapts it): it converts the records to
// licensing's types, compiles them, and holds users or groups that come before the SKUs they
// depend on. Which records are handed on, in what order, and when a list ends is the whole
// protocol: see Sink.
package tenantload
