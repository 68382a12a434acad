// Package nonnil has the one helper the JSON writers share: a list that is never nil, because
// Graph's and licenseplan's formats write an empty list as [] (encoding/json writes a nil slice
// as null).
package nonnil

// Slice returns s, or an empty slice when s is nil.
func Slice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
