package licensing

import (
	"fmt"
	"strings"
)

// iso3166Alpha2 lists the officially assigned ISO 3166-1 alpha-2 codes (249 of them), the
// values Entra accepts as a user's usageLocation. Source: ISO 3166 Maintenance Agency, ISO
// Online Browsing Platform (www.iso.org/obp), officially assigned codes; unchanged since "SS"
// (South Sudan, 2011); checked 2026-12-07. User-assigned codes ("XX", "XK", "ZZ"), exceptionally
// and transitionally reserved ones ("UK", "EU", "AN") are not in it.
const iso3166Alpha2 = "" +
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ " +
	"EC EE EG EH ER ES ET " +
	"FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
	"HK HM HN HR HT HU " +
	"ID IE IL IM IN IO IQ IR IS IT " +
	"JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ " +
	"LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ " +
	"OM " +
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
	"QA " +
	"RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ " +
	"VA VC VE VG VI VN VU " +
	"WF WS " +
	"YE YT " +
	"ZA ZM ZW"

// countryTable[(a-'A')*26+(b-'A')] is true for every assigned code "ab".
var countryTable = func() (t [26 * 26]bool) {
	for _, c := range strings.Fields(iso3166Alpha2) {
		t[int(c[0]-'A')*26+int(c[1]-'A')] = true
	}
	return t
}()

// IsCountryCode reports whether c is an officially assigned ISO 3166-1 alpha-2 code, upper
// case, such as "NO": the form Entra's usageLocation takes. "XX" (user-assigned) and "no" are not.
func IsCountryCode(c string) bool {
	return len(c) == 2 && 'A' <= c[0] && c[0] <= 'Z' && 'A' <= c[1] && c[1] <= 'Z' &&
		countryTable[int(c[0]-'A')*26+int(c[1]-'A')]
}

// CountryCodes returns the officially assigned ISO 3166-1 alpha-2 codes, sorted.
func CountryCodes() []string { return strings.Fields(iso3166Alpha2) }

// countryHint returns a short hint for an invalid country code c (with a leading space and
// parentheses), or "" when it has none: the upper-case form of a valid lower-case code, or the
// code meant by a common mistake.
func countryHint(c string) string {
	if u := strings.ToUpper(c); u != c && IsCountryCode(u) {
		return fmt.Sprintf(" (write it in upper case: %q)", u)
	}
	switch strings.ToUpper(c) {
	case "UK":
		return ` (the United Kingdom is "GB")`
	case "EL":
		return ` (Greece is "GR")`
	case "XK":
		return ` ("XK" is not an assigned ISO 3166-1 code)`
	}
	return ""
}

// CountryCodeProblem describes why c is not a usable usageLocation, or returns "" when it is:
// for error messages outside this package ("usa" → not a code; "gb" → write "GB").
func CountryCodeProblem(c string) string {
	if IsCountryCode(c) {
		return ""
	}
	return fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 country code such as \"US\"%s", c, countryHint(c))
}
