package licensing_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/licenseplan/licenseplan/licensing"
)

func TestCountryCodesAreISO3166Alpha2(t *testing.T) {
	codes := licensing.CountryCodes()
	assert.Len(t, codes, 249, "ISO 3166-1 has 249 officially assigned alpha-2 codes")
	assert.True(t, slices.IsSorted(codes))
	assert.Equal(t, len(codes), len(slices.Compact(slices.Clone(codes))), "no code twice")
	for _, c := range codes {
		assert.True(t, licensing.IsCountryCode(c), c)
	}
	for _, c := range []string{"NO", "US", "GB", "DE", "CN", "IN", "SS", "CW", "SX", "BQ", "AX", "TL", "RS", "ME"} {
		assert.Contains(t, codes, c)
	}
	// Reserved, user-assigned, withdrawn and mistaken codes are not usage locations.
	for _, c := range []string{"XX", "XK", "ZZ", "AA", "QM", "UK", "EU", "EL", "AN", "CS", "YU", "TP", "ZR", "SU", "DD", "UN"} {
		assert.False(t, licensing.IsCountryCode(c), c)
	}
}

func TestCountryCodeProblem(t *testing.T) {
	assert.Empty(t, licensing.CountryCodeProblem("NO"))
	assert.Contains(t, licensing.CountryCodeProblem("no"), `upper case: "NO"`)
	assert.Contains(t, licensing.CountryCodeProblem("UK"), `"GB"`)
	assert.Contains(t, licensing.CountryCodeProblem("XX"), `"XX" is not an ISO 3166-1 alpha-2 country code`)
	assert.Contains(t, licensing.CountryCodeProblem("usa"), `"usa"`)
}
