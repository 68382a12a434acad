package source

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func parse(t *testing.T, args ...string) *Flags {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	f := Register(fs)
	require.NoError(t, fs.Parse(args))
	return f
}

func TestOpenFakeByDefault(t *testing.T) {
	f := parse(t)
	assert.False(t, f.Real())
	tn, err := f.Open()
	require.NoError(t, err)
	assert.IsType(t, &fake.Tenant{}, tn)
	snap, err := tn.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, sampletenant.TenantID, snap.TenantID)
	// On the fake nothing is asked.
	var out bytes.Buffer
	assert.True(t, f.Confirm(strings.NewReader(""), &out, 3))
	assert.Empty(t, out.String())
}

func TestOpenGraphEndpoint(t *testing.T) {
	fk, err := fake.New(sampletenant.Snapshot())
	require.NoError(t, err)
	srv, err := fake.StartServer(fk)
	require.NoError(t, err)
	defer srv.Close()

	f := parse(t, "--graph-endpoint", srv.URL)
	require.True(t, f.Real())
	tn, err := f.Open()
	require.NoError(t, err)
	u, err := tn.User(context.Background(), sampletenant.Alice)
	require.NoError(t, err)
	assert.Equal(t, "alice@contoso.com", u.UserPrincipalName)

	var out bytes.Buffer
	assert.False(t, f.Confirm(strings.NewReader("no\n"), &out, 2))
	assert.Contains(t, out.String(), "Apply 2 steps")
	assert.True(t, f.Confirm(strings.NewReader("YES\n"), &out, 2))
	assert.True(t, parse(t, "--graph-endpoint", srv.URL, "--yes").Confirm(strings.NewReader(""), &out, 2))
}

func TestLoopbackHTTP(t *testing.T) {
	assert.True(t, loopbackHTTP("http://127.0.0.1:8080/v1.0"))
	assert.True(t, loopbackHTTP("http://localhost/v1.0"))
	assert.True(t, loopbackHTTP("http://[::1]:1/v1.0"))
	assert.False(t, loopbackHTTP("https://graph.microsoft.com/v1.0"))
	assert.False(t, loopbackHTTP("http://10.0.0.1/v1.0"))
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	f := parse(t)
	tn, err := f.Open()
	require.NoError(t, err)
	snap, err := tn.Snapshot(ctx)
	require.NoError(t, err)
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	build := func(doc string) *planner.Plan {
		d, err := planner.ReadDesired(strings.NewReader(doc))
		require.NoError(t, err)
		return planner.Build(st, d)
	}
	var out bytes.Buffer
	// Not applyable: grace has no usage location.
	bad := build(`{"formatVersion":"desired/v1","users":[{"user":"grace@contoso.com","licenses":[{"sku":"STANDARDPACK"}]}]}`)
	assert.ErrorContains(t, f.Apply(ctx, tn, bad, strings.NewReader(""), &out), "nothing was applied")
	good := build(`{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`)
	require.NoError(t, f.Apply(ctx, tn, good, strings.NewReader(""), &out))
	assert.Contains(t, out.String(), "1 steps: 1 succeeded")
	none := build(`{"formatVersion":"desired/v1"}`)
	require.NoError(t, f.Apply(ctx, tn, none, strings.NewReader(""), &out))
	assert.Contains(t, out.String(), "Nothing to do.")
}

func TestOpenStateReadsTheTenant(t *testing.T) {
	_, st, err := parse(t).OpenState(context.Background())
	require.NoError(t, err)
	u, err := st.LookupUser("carol@contoso.com")
	require.NoError(t, err)
	assert.Equal(t, 10, st.EnabledPlans(u).Len(), "carol's 10 of 13 E3 plans from two groups")
}

func TestNoArgsRefusesStrayArguments(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	Register(fs)
	require.NoError(t, fs.Parse([]string{"--yes", "alice@contoso.com"}))
	err := NoArgs(fs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unexpected argument "alice@contoso.com"`)
	require.NoError(t, fs.Parse([]string{"--yes"}))
	assert.NoError(t, NoArgs(fs))
}

// The example programs exit as licensectl does: 2 for bad usage or input, 1 for a failed
// operation, 0 for success and -help.
func TestExitCodes(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Register(fs)
	assert.Equal(t, 2, ExitCode(Parse(fs, []string{"--bogus"})), "an unknown flag")
	fs = flag.NewFlagSet("test", flag.ContinueOnError)
	Register(fs)
	assert.Equal(t, 2, ExitCode(Parse(fs, []string{"stray"})), "a stray argument")
	fs = flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	assert.Equal(t, 0, ExitCode(Parse(fs, []string{"-help"})), "-help")
	assert.Equal(t, 0, ExitCode(nil))

	_, st, err := (&Flags{}).OpenState(context.Background())
	require.NoError(t, err)
	_, err = st.LookupUser("nobody@contoso.com")
	assert.Equal(t, 2, ExitCode(err), "a name that does not resolve")
	_, err = st.LookupSku("Office 365 E4")
	assert.Equal(t, 2, ExitCode(err), "a product the tenant lacks")
	assert.Equal(t, 1, ExitCode(errors.New("1 steps: 1 failed")), "a failed operation")
	assert.Equal(t, 2, ExitCode(fmt.Errorf("wrapped: %w", Usage(errors.New("--waves: bad")))))
}
