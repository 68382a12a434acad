//go:build !race

package licensing_test

const raceEnabled = false
