package licensing

// MayConflict is Bulk.MayConflict for a RuleIndex of its own, for the tests of rules that have
// no State.
var MayConflict = (*RuleIndex).mayConflict

// SetParallelLinkUsers sets the number of users from which loading evaluates group members on
// every core, and returns a function that restores it.
func SetParallelLinkUsers(n int) (restore func()) {
	was := parallelLinkUsers
	parallelLinkUsers = n
	return func() { parallelLinkUsers = was }
}
