package licensing

// MayConflict is Bulk.MayConflict for a RuleIndex of its own, for the tests of rules that have
// no State.
var MayConflict = (*RuleIndex).mayConflict
