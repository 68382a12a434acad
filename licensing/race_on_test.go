//go:build race

package licensing_test

// raceEnabled: the race detector slows tests about tenfold; big inputs shrink under it.
const raceEnabled = true
