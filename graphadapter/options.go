package graphadapter

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/licenseplan/licenseplan/retry"
)

// DefaultRoot is the Microsoft Graph v1.0 root that New uses unless WithRoot says otherwise.
const DefaultRoot = "https://graph.microsoft.com/v1.0"

// An Option configures New. Options that build a credential report their errors through New.
type Option func(*config) error

type config struct {
	root                 string
	rootSet              bool // WithRoot was given: it wins over the cloud's Graph root
	cloud                Cloud
	cloudSet             bool // WithCloud was given; otherwise azidentity's default (AZURE_AUTHORITY_HOST, else public)
	credential           azcore.TokenCredential
	newCredential        func(azcore.ClientOptions) (azcore.TokenCredential, error) // built in New, once the cloud is known
	credentialName       string                                                     // for error messages: which option made the credential
	scopes               []string
	httpClient           *http.Client
	logger               *slog.Logger
	retry                RetryPolicy
	clock                retry.Clock
	tenantID             string
	defaultUsageLocation string
	memberConcurrency    int
	progress             func(Progress)
	noSignInActivity     bool
}

// Cloud is a Microsoft cloud: it sets the Graph root and the Microsoft Entra authority that
// credentials authenticate against (learn.microsoft.com/graph/deployments).
type Cloud uint8

// The clouds WithCloud takes.
const (
	// Public is the global service: https://graph.microsoft.com, https://login.microsoftonline.com.
	Public Cloud = iota
	// USGov is Microsoft Cloud for US Government L4 (GCC High): https://graph.microsoft.us,
	// https://login.microsoftonline.us.
	USGov
	// USGovDoD is US Government L5 (DOD): https://dod-graph.microsoft.us, https://login.microsoftonline.us.
	USGovDoD
	// China is Microsoft 365 operated by 21Vianet: https://microsoftgraph.chinacloudapi.cn,
	// https://login.chinacloudapi.cn.
	China
)

var clouds = [...]struct {
	name, graph string
	authority   cloud.Configuration
}{
	Public:   {"Public", "https://graph.microsoft.com/v1.0", cloud.AzurePublic},
	USGov:    {"USGov", "https://graph.microsoft.us/v1.0", cloud.AzureGovernment},
	USGovDoD: {"USGovDoD", "https://dod-graph.microsoft.us/v1.0", cloud.AzureGovernment},
	China:    {"China", "https://microsoftgraph.chinacloudapi.cn/v1.0", cloud.AzureChina},
}

func (c Cloud) valid() bool { return int(c) < len(clouds) }

// String returns the cloud's name: "Public", "USGov", "USGovDoD" or "China".
func (c Cloud) String() string {
	if !c.valid() {
		return fmt.Sprintf("Cloud(%d)", uint8(c))
	}
	return clouds[c].name
}

// GraphRoot is the cloud's Microsoft Graph v1.0 root, e.g. "https://graph.microsoft.us/v1.0".
func (c Cloud) GraphRoot() string {
	if !c.valid() {
		return ""
	}
	return clouds[c].graph
}

// AuthorityHost is the cloud's Microsoft Entra authority, e.g. "https://login.microsoftonline.us/".
func (c Cloud) AuthorityHost() string {
	if !c.valid() {
		return ""
	}
	return clouds[c].authority.ActiveDirectoryAuthorityHost
}

// ParseCloud reads a cloud's name, case-insensitively: "Public" (or "global"), "USGov" (or
// "GCCHigh"), "USGovDoD" (or "DoD"), "China".
func ParseCloud(name string) (Cloud, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "public", "global", "azurepublic":
		return Public, nil
	case "usgov", "gcchigh", "usgovernment", "azuregovernment":
		return USGov, nil
	case "usgovdod", "dod":
		return USGovDoD, nil
	case "china", "azurechina":
		return China, nil
	}
	return Public, fmt.Errorf("graphadapter: unknown cloud %q: want Public, USGov, USGovDoD or China", name)
}

// WithCloud selects a national cloud: the Graph root (unless WithRoot sets another) and the
// authority host that WithDefaultCredential, WithClientSecret, WithClientCertificate,
// WithManagedIdentity and WithWorkloadIdentity authenticate against, in any order of options.
// Tokens are requested for the root's host ("https://graph.microsoft.us/.default"). A credential
// given to WithCredential is used as it is: configure its cloud yourself.
func WithCloud(c Cloud) Option {
	return func(cfg *config) error {
		if !c.valid() {
			return fmt.Errorf("graphadapter: WithCloud(%d): want Public, USGov, USGovDoD or China", uint8(c))
		}
		cfg.cloud, cfg.cloudSet = c, true
		return nil
	}
}

// WithProgress reports a Snapshot's progress to fn: after every page, retry, restarted listing
// and lookup by id. fn is called from the reading goroutines, one call at a time; it must not block.
// With it, Snapshot also asks Graph for the number of users (GET /users/$count) to estimate the time left.
func WithProgress(fn func(Progress)) Option {
	return func(c *config) error {
		c.progress = fn
		return nil
	}
}

// WithRoot sets the Graph root URL, e.g. the fake server's "http://127.0.0.1:PORT/v1.0" (for a
// national cloud use WithCloud, which also sets the authority the credential signs in at). An http:// root must be a loopback address
// (127.0.0.0/8, ::1, localhost); such a root needs no credential. Any other root needs one.
func WithRoot(root string) Option {
	return func(c *config) error {
		c.root, c.rootSet = root, true
		return nil
	}
}

// WithCredential authenticates with any azcore.TokenCredential (azidentity's or your own).
func WithCredential(cred azcore.TokenCredential) Option {
	return func(c *config) error {
		if cred == nil {
			return errors.New("graphadapter: WithCredential: the credential is nil")
		}
		c.credential, c.newCredential, c.credentialName = cred, nil, "WithCredential"
		return nil
	}
}

// WithDefaultCredential authenticates with azidentity's default chain: environment variables
// (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), workload
// identity, managed identity, then the Azure CLI and Azure Developer CLI.
func WithDefaultCredential() Option {
	return func(c *config) error {
		c.setCredential("WithDefaultCredential", func(o azcore.ClientOptions) (azcore.TokenCredential, error) {
			return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: o})
		})
		return nil
	}
}

// WithClientSecret authenticates as an app registration with a client secret. The secret is
// handed to azidentity and never logged or put in an error.
func WithClientSecret(tenantID, clientID, secret string) Option {
	return func(c *config) error {
		if tenantID == "" || clientID == "" || secret == "" {
			return errors.New("graphadapter: WithClientSecret needs a tenant id, a client id and a secret")
		}
		c.setCredential("WithClientSecret", func(o azcore.ClientOptions) (azcore.TokenCredential, error) {
			return azidentity.NewClientSecretCredential(tenantID, clientID, secret, &azidentity.ClientSecretCredentialOptions{ClientOptions: o})
		})
		return nil
	}
}

// WithClientCertificate authenticates as an app registration with a certificate. certData is
// PEM or PKCS#12 holding the certificate and its private key; password decrypts it (nil if none).
func WithClientCertificate(tenantID, clientID string, certData, password []byte) Option {
	return func(c *config) error {
		if tenantID == "" || clientID == "" || len(certData) == 0 {
			return errors.New("graphadapter: WithClientCertificate needs a tenant id, a client id and certificate data")
		}
		certs, key, err := azidentity.ParseCertificates(certData, password)
		if err != nil {
			// ParseCertificates' errors describe the format, never the key.
			return fmt.Errorf("graphadapter: WithClientCertificate: cannot read the certificate: %w", err)
		}
		c.setCredential("WithClientCertificate", func(o azcore.ClientOptions) (azcore.TokenCredential, error) {
			return azidentity.NewClientCertificateCredential(tenantID, clientID, certs, key, &azidentity.ClientCertificateCredentialOptions{ClientOptions: o})
		})
		return nil
	}
}

// WithManagedIdentity authenticates with an Azure managed identity: the system-assigned one when
// clientID is "", otherwise the user-assigned identity with that client id.
func WithManagedIdentity(clientID string) Option {
	return func(c *config) error {
		c.setCredential("WithManagedIdentity", func(o azcore.ClientOptions) (azcore.TokenCredential, error) {
			opts := azidentity.ManagedIdentityCredentialOptions{ClientOptions: o}
			if clientID != "" {
				opts.ID = azidentity.ClientID(clientID)
			}
			return azidentity.NewManagedIdentityCredential(&opts)
		})
		return nil
	}
}

// WithWorkloadIdentity authenticates with workload identity federation (e.g. Kubernetes), configured
// by AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE.
func WithWorkloadIdentity() Option {
	return func(c *config) error {
		c.setCredential("WithWorkloadIdentity", func(o azcore.ClientOptions) (azcore.TokenCredential, error) {
			return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{ClientOptions: o})
		})
		return nil
	}
}

// WithScopes overrides the token scopes; the default is the root's host with "/.default",
// e.g. "https://graph.microsoft.com/.default".
func WithScopes(scopes ...string) Option {
	return func(c *config) error {
		c.scopes = append([]string(nil), scopes...)
		return nil
	}
}

// WithHTTPClient sends requests through a copy of hc, whose Transport (http.DefaultTransport
// when nil) carries the requests; the adapter wraps it with its retries. hc.Timeout, if set,
// bounds a whole call including its retries.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("graphadapter: WithHTTPClient: the client is nil")
		}
		c.httpClient = hc
		return nil
	}
}

// WithLogger logs retries and throttling at Debug and given-up requests at Warn. Nothing is
// logged without it. Logs carry methods, paths, statuses and delays, never headers, bodies or tokens.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// WithRetryPolicy sets the limits of the adapter's retries of one request (a retry.Policy, the
// type planner.WithRetryPolicy takes too); zero fields keep DefaultRetryPolicy's values. The
// executor's attempts of a step (planner.WithRetryPolicy) multiply with MaxAttempts: see
// RetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("graphadapter: WithRetryPolicy: %w", err)
		}
		c.retry = p
		return nil
	}
}

// WithClock sets the clock the adapter reads the time from and waits with between tries
// (Retry-After, backoff, the read budget; default retry.WallClock). It is retry.Clock, the clock
// planner.WithClock takes too, so one test clock can drive both layers without sleeping.
func WithClock(clk retry.Clock) Option {
	return func(c *config) error {
		if clk == nil {
			return errors.New("graphadapter: WithClock: the clock is nil")
		}
		c.clock = clk
		return nil
	}
}

// WithTenantID sets the tenant id that Snapshot reports. Without it, Snapshot takes it from the
// subscribedSku ids ("tenantId_skuId").
func WithTenantID(id string) Option {
	return func(c *config) error {
		c.tenantID = id
		return nil
	}
}

// WithDefaultUsageLocation sets the tenant's default usage location that Snapshot reports (the
// country group-based licensing falls back to). Without it, Snapshot reads the organization's
// countryLetterCode (GET /organization, needs Organization.Read.All) and leaves it empty if it cannot.
func WithDefaultUsageLocation(country string) Option {
	return func(c *config) error {
		if len(country) != 2 {
			return fmt.Errorf("graphadapter: WithDefaultUsageLocation: %q is not an ISO 3166 alpha-2 code such as \"US\"", country)
		}
		c.defaultUsageLocation = country
		return nil
	}
}

// WithMemberConcurrency sets how many licensed groups' member lists Snapshot reads at once (default 4).
func WithMemberConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("graphadapter: WithMemberConcurrency(%d): need at least 1", n)
		}
		c.memberConcurrency = n
		return nil
	}
}

// WithoutSignInActivity makes Snapshot read the users without their signInActivity, which needs
// AuditLog.Read.All and Microsoft Entra ID P1 or P2 and pages of 500 users instead of 999 (a
// shorter read of a large tenant). The snapshot then says SignInActivityUnknown, as when Graph
// refuses it.
func WithoutSignInActivity() Option {
	return func(c *config) error {
		c.noSignInActivity = true
		return nil
	}
}

// setCredential records how to build an azidentity credential; New builds it with the cloud's
// authority host (WithCloud), whatever the order of the options.
func (c *config) setCredential(name string, build func(azcore.ClientOptions) (azcore.TokenCredential, error)) {
	c.credential, c.newCredential, c.credentialName = nil, build, name
}

// buildCredential builds the credential an azidentity option asked for, for the config's cloud.
func (c *config) buildCredential() error {
	if c.newCredential == nil {
		return nil
	}
	var o azcore.ClientOptions
	if c.cloudSet {
		o.Cloud = clouds[c.cloud].authority
	}
	cred, err := c.newCredential(o)
	if err != nil {
		return fmt.Errorf("graphadapter: %s: %w", c.credentialName, err)
	}
	c.credential = cred
	return nil
}
