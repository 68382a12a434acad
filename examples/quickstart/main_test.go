package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuickstart runs the quickstart as a user would and checks the outcomes it promises.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	s := out.String()
	// What the naive request would have done, and licenseplan refused.
	assert.Contains(t, s, "ServiceLoss: user erin@contoso.com")
	assert.Contains(t, s, "UsageLocationMissing: user grace@contoso.com")
	assert.Contains(t, s, "MutuallyExclusiveViolation: user carol@contoso.com")
	// The safe plan ran in full and converged.
	assert.Contains(t, s, "19 steps: 19 succeeded")
	assert.Contains(t, s, "Planning the same desired state again: 0 steps")
	assert.Regexp(t, `alice@contoso.com +NO +13 plans on +Office 365 E3 \(ENTERPRISEPACK\) \(direct\)`, s)
	assert.Regexp(t, `mobile4@contoso.com +US +6 plans on +Enterprise Mobility \+ Security E3 \(EMS\) \(via Licensing_EMS\)`, s)
	assert.Contains(t, s, "0 lost a service without consent")
}
