package graphadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/licenseplan/licenseplan/planner"
	"github.com/licenseplan/licenseplan/retry"
)

// Tenant is a planner.Tenant backed by Microsoft Graph v1.0. It is safe for concurrent use.
type Tenant struct {
	root                 string   // the Graph root without a trailing slash
	rootURL              *url.URL // root, parsed
	client               *msgraph.GraphServiceClient
	adapter              abs.RequestAdapter
	base                 http.RoundTripper // the transport below the retries
	log                  *slog.Logger
	retry                RetryPolicy
	tenantID             string
	defaultUsageLocation string
	memberConcurrency    int
	progress             func(Progress)
	noSignInActivity     bool
	now                  func() time.Time
	sleep                func(ctx context.Context, d time.Duration) error
}

var _ planner.Tenant = (*Tenant)(nil)

// errorMapping makes the SDK turn every 4xx/5xx reply into an *odataerrors.ODataError, which this
// package then maps to a *licensing.Error once.
var errorMapping = abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// New returns a Tenant that talks to Microsoft Graph. It does no I/O.
//
// A credential is required (WithCredential, WithDefaultCredential, WithClientSecret,
// WithClientCertificate, WithManagedIdentity, WithWorkloadIdentity) unless the root is a loopback
// http:// URL such as the fake server's; there no token is ever sent. Any other http:// root is refused.
func New(opts ...Option) (*Tenant, error) {
	c := config{root: DefaultRoot, memberConcurrency: 4, clock: retry.WallClock}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if !c.rootSet && c.cloudSet {
		c.root = c.cloud.GraphRoot()
	}
	if err := c.buildCredential(); err != nil {
		return nil, err
	}
	root := strings.TrimRight(c.root, "/")
	u, err := url.Parse(root)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("graphadapter: the Graph root %q is not an absolute http(s) URL such as %s", c.root, DefaultRoot)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("graphadapter: the Graph root %q must not carry user info, a query or a fragment", redactURL(u))
	}
	loopback := isLoopback(u.Hostname())
	if u.Scheme == "http" && !loopback {
		return nil, fmt.Errorf("graphadapter: the Graph root %s uses plain http on a non-loopback host; use https (plain http is only for a local fake server on 127.0.0.1, ::1 or localhost)", root)
	}

	var auth absauth.AuthenticationProvider
	switch {
	case c.credential != nil:
		scopes := c.scopes
		if len(scopes) == 0 {
			scopes = []string{u.Scheme + "://" + u.Host + "/.default"}
		}
		// Tokens go only to the root's host; the provider also refuses plain http except on loopback.
		p, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(c.credential, scopes, []string{u.Hostname()})
		if err != nil {
			return nil, fmt.Errorf("graphadapter: %s: %w", c.credentialName, err)
		}
		auth = p
	case loopback:
		auth = &absauth.AnonymousAuthenticationProvider{}
	default:
		return nil, fmt.Errorf("graphadapter: no credential for %s: pass WithDefaultCredential, WithClientSecret, WithClientCertificate, WithManagedIdentity, WithWorkloadIdentity or WithCredential (only a loopback http:// root such as the fake server's runs without one)", root)
	}

	t := &Tenant{
		root:                 root,
		rootURL:              u,
		log:                  c.logger,
		retry:                c.retry.WithDefaults(DefaultRetryPolicy),
		tenantID:             c.tenantID,
		defaultUsageLocation: c.defaultUsageLocation,
		memberConcurrency:    c.memberConcurrency,
		noSignInActivity:     c.noSignInActivity,
		progress:             c.progress,
		now:                  c.clock.Now,
		sleep:                c.clock.Sleep,
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}

	hc, base := t.httpClient(c.httpClient)
	t.base = base
	adapter, err := msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		return nil, fmt.Errorf("graphadapter: building the Graph request adapter: %w", err)
	}
	// The base URL must be set before the service client is built: the client copies it into
	// every request builder's path parameters.
	adapter.SetBaseUrl(root)
	t.adapter = adapter
	t.client = msgraph.NewGraphServiceClient(adapter)
	return t, nil
}

// httpClient builds the client the SDK sends through. The middleware list is fixed and
// deterministic: User-Agent "licenseplan/VERSION", Graph's telemetry headers, then the decoding
// of OData parameter names ($select rather than %24select); below it, this package's retryTransport, then the network. No compression
// middleware: a request body goes out exactly as serialized, on every try.
func (t *Tenant) httpClient(user *http.Client) (*http.Client, http.RoundTripper) {
	var hc http.Client
	var base http.RoundTripper
	if user != nil {
		hc = *user
		base = user.Transport
	}
	if base == nil {
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			base = dt.Clone()
		} else {
			base = http.DefaultTransport
		}
	}
	rt := &retryTransport{next: base, policy: t.retry, log: t.log, now: t.nowFunc, sleep: t.sleepFunc}
	options := msgraph.GetDefaultClientOptions()
	hc.Transport = khttp.NewCustomTransportWithParentTransport(rt,
		khttp.NewUserAgentHandlerWithOptions(&khttp.UserAgentHandlerOptions{Enabled: true, ProductName: "licenseplan", ProductVersion: Version()}),
		msgraphcore.NewGraphTelemetryHandler(&options),
		khttp.NewParametersNameDecodingHandler(),
	)
	return &hc, base
}

// CloseIdleConnections closes the connections the tenant keeps open for reuse (see
// http.Transport.CloseIdleConnections), e.g. before a test server shuts down.
func (t *Tenant) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// nowFunc and sleepFunc let tests replace the clock after construction.
func (t *Tenant) nowFunc() time.Time { return t.now() }

func (t *Tenant) sleepFunc(ctx context.Context, d time.Duration) error { return t.sleep(ctx, d) }

// Root returns the Graph root URL the tenant talks to.
func (t *Tenant) Root() string { return t.root }

// Client returns the SDK's service client, built over this package's request adapter (retries,
// no credential on loopback), for calls this package does not wrap. Its errors are not mapped.
func (t *Tenant) Client() *msgraph.GraphServiceClient { return t.client }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func redactURL(u *url.URL) string {
	v := *u
	v.User = nil
	v.RawQuery = ""
	v.Fragment = ""
	return v.String()
}

// errNoResponse is returned when the SDK reports neither a result nor an error.
var errNoResponse = errors.New("empty response from Microsoft Graph")
