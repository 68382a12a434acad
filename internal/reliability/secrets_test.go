package reliability_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/planner"
)

// The credential's token and the secret it stands for: neither may appear anywhere.
const (
	secretToken  = "eyJTESTTOKEN.do-not-log-me.Zm9vYmFy"
	secretClient = "s3cr3t~ClientSecret~do-not-log"
)

// tokenCredential is an azcore.TokenCredential that hands out secretToken, as a client secret
// credential would after trading secretClient for it.
type tokenCredential struct {
	secret string
	calls  atomic.Int32
}

func (c *tokenCredential) GetToken(ctx context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls.Add(1)
	return azcore.AccessToken{Token: secretToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// syncBuffer is a bytes.Buffer the logger, the journal and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecretsNeverLeak runs graphadapter with a credential over TLS (a non-loopback-like
// https root, so the bearer token is really sent) against the fake, which fails a share of
// requests and refuses some writes for good, and applies a plan with a journal and debug
// logging from both the adapter and the planner. The token and the secret appear in no log
// line, no plan, no journal and no error message — while the server did receive the token.
func TestSecretsNeverLeak(t *testing.T) {
	ft, err := fake.New(sampletenant.Snapshot())
	require.NoError(t, err)
	faults := fake.Faults{Rate: 0.3, Seed: 5, Kinds: []fake.FaultKind{fake.FaultUnavailable, fake.FaultTooManyRequests, fake.FaultReset, fake.FaultMalformed}}
	inner := fake.NewServer(ft, fake.WithFaults(faults))
	var authorized, unauthorized atomic.Int32
	var denyMu sync.Mutex
	deny := map[string]bool{"/v1.0/users/" + sampletenant.Grace: true} // PATCH usageLocation: 403 for good
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secretToken {
			unauthorized.Add(1)
			http.Error(w, `{"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty."}}`, http.StatusUnauthorized)
			return
		}
		authorized.Add(1)
		denyMu.Lock()
		denied := deny[r.URL.Path] && r.Method == http.MethodPatch
		denyMu.Unlock()
		if denied {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}`))
			return
		}
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	require.True(t, strings.HasPrefix(srv.URL, "https://"))

	logs := &syncBuffer{}
	logger := slogJSON(logs)
	cred := &tokenCredential{secret: secretClient}
	root := srv.URL + "/v1.0"
	ga, err := graphadapter.New(
		graphadapter.WithRoot(root),
		graphadapter.WithCredential(cred),
		graphadapter.WithScopes("https://graph.microsoft.com/.default"),
		graphadapter.WithHTTPClient(srv.Client()),
		graphadapter.WithLogger(logger),
		graphadapter.WithRetryPolicy(graphadapter.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxRetryAfter: time.Millisecond}),
	)
	require.NoError(t, err)
	defer ga.CloseIdleConnections()

	var errs []string
	var snapErr error
	snap, snapErr := ga.Snapshot(context.Background())
	for i := 0; snapErr != nil && i < 20; i++ {
		errs = append(errs, snapErr.Error())
		snap, snapErr = ga.Snapshot(context.Background())
	}
	require.NoError(t, snapErr)
	d := readDesired(t, stories[0])
	p, _ := plan(t, snap, d)
	var planJSON, planText bytes.Buffer
	require.NoError(t, p.WriteJSON(&planJSON))
	planText.WriteString(p.String())

	journal := &syncBuffer{}
	journalFile := filepath.Join(t.TempDir(), "apply.journal")
	res, err := planner.Apply(context.Background(), ga, p, applyOptions(
		planner.WithJournal(journal), planner.WithJournalFile(journalFile), planner.WithLogger(logger),
		planner.WithRetryPolicy(planner.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}))...)
	require.Error(t, err, "grace's usage location is refused for good")
	errs = append(errs, err.Error(), res.Summary())
	for _, s := range res.Steps {
		if s.Err != nil {
			errs = append(errs, s.Err.Error())
		}
	}
	// A request without the token fails too, and says so without a token in sight.
	bare, err := graphadapter.New(graphadapter.WithRoot(root), graphadapter.WithCredential(&tokenCredential{}), graphadapter.WithHTTPClient(&http.Client{}))
	require.NoError(t, err)
	_, err = bare.Snapshot(context.Background())
	require.Error(t, err, "the test server's certificate is not trusted by a plain client")
	errs = append(errs, err.Error())

	fileJournal, err := os.ReadFile(journalFile)
	require.NoError(t, err)
	require.Positive(t, authorized.Load(), "the server received the token")
	require.Positive(t, cred.calls.Load())
	require.NotEmpty(t, logs.String())
	require.NotEmpty(t, journal.String())
	for name, text := range map[string]string{
		"logs": logs.String(), "plan/v1": planJSON.String(), "plan text": planText.String(),
		"journal": journal.String(), "journal file": string(fileJournal), "errors": strings.Join(errs, "\n"),
	} {
		for _, secret := range []string{secretToken, secretClient, "Bearer ", "do-not-log"} {
			assert.NotContains(t, text, secret, "%s leaks %q", name, secret)
		}
	}
	assert.Contains(t, logs.String(), "retry", "the adapter logged its retries (the check looked at real log lines)")
	t.Logf("%d authorized requests, %d log bytes, %d journal bytes, %d error messages checked", authorized.Load(), len(logs.String()), len(journal.String()), len(errs))
}

// TestFakegraphBindsLoopbackByDefault builds the fakegraph command and starts it without flags:
// its first line names a 127.0.0.1 address, so the fake (which takes any token) is not reachable
// from the network unless asked. That licensectl apply refuses a plan/v1 of another format
// version or another tenant is tested in examples/licensectl/main_test.go.
func TestFakegraphBindsLoopbackByDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "fakegraph")
	build := exec.Command("go", "build", "-o", bin, "github.com/licenseplan/licenseplan/fake/cmd/fakegraph")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	cmd := exec.Command(bin)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	assert.Regexp(t, `^listening on http://127\.0\.0\.1:\d+/v1\.0\n$`, line)
}
