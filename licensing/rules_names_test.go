package licensing_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/licenseplan/licenseplan/licensing"
)

func TestRuleNamesListEveryRuleOnce(t *testing.T) {
	names := licensing.DefaultRules().Names()
	assert.Contains(t, names, "SharePoint Online")
	assert.Contains(t, names, "Exchange Online concurrent licensing")
	assert.Contains(t, names, "Audio Conferencing needs Skype for Business Online or Teams")
	seen := map[string]bool{}
	for _, n := range names {
		assert.False(t, seen[n], "rule name %q is not unique, so disable would hit two rules", n)
		seen[n] = true
	}
}

func TestIsCountryCode(t *testing.T) {
	for c, want := range map[string]bool{"NO": true, "US": true, "GB": true, "SS": true, "AX": true, "no": false, "N": false, "NOR": false, "N1": false, "": false,
		"XX": false, "UK": false, "EU": false, "XK": false, "ZZ": false, "AA": false, "Gb": false, "\x00\x00": false} {
		assert.Equal(t, want, licensing.IsCountryCode(c), c)
	}
}
