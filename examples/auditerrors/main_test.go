package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

func TestReportOnTheSampleTenant(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), nil, strings.NewReader(""), &out))
	s := out.String()
	assert.Contains(t, s, "License errors: 2 users")
	assert.Contains(t, s, "buy 1 more seat of Enterprise Mobility + Security E3 (EMS)")
	assert.Contains(t, s, "remove erin@contoso.com from group Licensing_E3_Base")
	assert.NotContains(t, s, "the cause is gone") // without --fix nothing is reprocessed
}

// On the sample tenant every error's cause is still there: --fix reprocesses nobody.
func TestFixNothingToReprocess(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"--fix"}, strings.NewReader(""), &out))
	assert.Contains(t, out.String(), "No error's cause is gone yet")
}

// Once erin's conflicting direct E1 is gone, --fix reprocesses her and her E3 group path applies.
func TestFixReprocessesWhereTheCauseIsGone(t *testing.T) {
	ctx := context.Background()
	fk, err := fake.New(sampletenant.Snapshot())
	require.NoError(t, err)
	require.NoError(t, fk.AssignUserLicenses(ctx, sampletenant.Erin, nil, []licensing.SkuID{licensing.MustParseSkuID(sampletenant.E1)}))
	srv, err := fake.StartServer(fk)
	require.NoError(t, err)
	defer srv.Close()

	var out bytes.Buffer
	err = run(ctx, []string{"--graph-endpoint", srv.URL, "--fix"}, strings.NewReader("no\n"), &out)
	assert.ErrorContains(t, err, "confirmation declined")
	assert.Contains(t, out.String(), "reprocess erin@contoso.com: the cause is gone; gains ")

	out.Reset()
	require.NoError(t, run(ctx, []string{"--graph-endpoint", srv.URL, "--fix", "--yes"}, strings.NewReader(""), &out))
	assert.Contains(t, out.String(), "Reprocessed 1 users; 1 users still in error.") // mobile4 waits for an EMS seat
	u, err := fk.User(ctx, sampletenant.Erin)
	require.NoError(t, err)
	require.Len(t, u.AssignedLicenses, 1)
	assert.Equal(t, sampletenant.E3, u.AssignedLicenses[0].SkuID.String())
}
