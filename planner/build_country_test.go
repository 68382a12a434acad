package planner_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func TestUnknownTenantCountryIsAWarningNotAGuess(t *testing.T) {
	// grace has no usage location. Joining Licensing_Teams licenses her in the tenant's
	// country. With the country known to be absent the group path fails (Other); with the
	// country unknown (GET /organization refused) the plan assumes it applies and warns.
	desired := `{"formatVersion":"desired/v1","users":[{"user":"grace@contoso.com","groups":["Licensing_Teams"]}]}`
	for _, unknown := range []bool{false, true} {
		snap := sampletenant.Snapshot()
		snap.DefaultUsageLocation, snap.DefaultUsageLocationUnknown = "", unknown
		st, err := licensing.NewState(snap)
		require.NoError(t, err)
		p := planner.Build(st, mustDesired(t, desired))
		warn := problemsOf(p, licensing.UsageLocationMissing)
		if unknown {
			require.Len(t, warn, 1, "%s", p)
			assert.Equal(t, planner.SeverityWarning, warn[0].Severity)
			assert.Contains(t, warn[0].Message, "could not read")
			assert.True(t, p.Applyable(), "%s", p)
			assert.NotEmpty(t, p.Steps[0].Gained, "the licenses are predicted to apply")
		} else {
			assert.Empty(t, warn)
			assert.False(t, p.Applyable(), "no usage location and no tenant country: Entra cannot license her (%s)", p)
		}
	}
}
