package graphadapter

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// DefaultRoot is the Microsoft Graph v1.0 root that New uses unless WithRoot says otherwise.
const DefaultRoot = "https://graph.microsoft.com/v1.0"

// An Option configures New. Options that build a credential report their errors through New.
type Option func(*config) error

type config struct {
	root                 string
	credential           azcore.TokenCredential
	credentialName       string // for error messages: which option made the credential
	scopes               []string
	httpClient           *http.Client
	logger               *slog.Logger
	retry                RetryPolicy
	tenantID             string
	defaultUsageLocation string
	batchSize            int
	memberConcurrency    int
}

// WithRoot sets the Graph root URL, e.g. "https://graph.microsoft.us/v1.0" for a national cloud or
// the fake server's "http://127.0.0.1:PORT/v1.0". An http:// root must be a loopback address
// (127.0.0.0/8, ::1, localhost); such a root needs no credential. Any other root needs one.
func WithRoot(root string) Option {
	return func(c *config) error {
		c.root = root
		return nil
	}
}

// WithCredential authenticates with any azcore.TokenCredential (azidentity's or your own).
func WithCredential(cred azcore.TokenCredential) Option {
	return func(c *config) error {
		if cred == nil {
			return errors.New("graphadapter: WithCredential: the credential is nil")
		}
		c.credential, c.credentialName = cred, "WithCredential"
		return nil
	}
}

// WithDefaultCredential authenticates with azidentity's default chain: environment variables
// (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), workload
// identity, managed identity, then the Azure CLI and Azure Developer CLI.
func WithDefaultCredential() Option {
	return func(c *config) error {
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return fmt.Errorf("graphadapter: WithDefaultCredential: %w", err)
		}
		c.credential, c.credentialName = cred, "WithDefaultCredential"
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
		cred, err := azidentity.NewClientSecretCredential(tenantID, clientID, secret, nil)
		if err != nil {
			return fmt.Errorf("graphadapter: WithClientSecret: %w", err)
		}
		c.credential, c.credentialName = cred, "WithClientSecret"
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
		cred, err := azidentity.NewClientCertificateCredential(tenantID, clientID, certs, key, nil)
		if err != nil {
			return fmt.Errorf("graphadapter: WithClientCertificate: %w", err)
		}
		c.credential, c.credentialName = cred, "WithClientCertificate"
		return nil
	}
}

// WithManagedIdentity authenticates with an Azure managed identity: the system-assigned one when
// clientID is "", otherwise the user-assigned identity with that client id.
func WithManagedIdentity(clientID string) Option {
	return func(c *config) error {
		var opts azidentity.ManagedIdentityCredentialOptions
		if clientID != "" {
			opts.ID = azidentity.ClientID(clientID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(&opts)
		if err != nil {
			return fmt.Errorf("graphadapter: WithManagedIdentity: %w", err)
		}
		c.credential, c.credentialName = cred, "WithManagedIdentity"
		return nil
	}
}

// WithWorkloadIdentity authenticates with workload identity federation (e.g. Kubernetes), configured
// by AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE.
func WithWorkloadIdentity() Option {
	return func(c *config) error {
		cred, err := azidentity.NewWorkloadIdentityCredential(nil)
		if err != nil {
			return fmt.Errorf("graphadapter: WithWorkloadIdentity: %w", err)
		}
		c.credential, c.credentialName = cred, "WithWorkloadIdentity"
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

// WithRetryPolicy sets the retry limits; zero fields keep DefaultRetryPolicy's values.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if p.MaxAttempts < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 || p.MaxRetryAfter < 0 || p.AttemptTimeout < 0 {
			return errors.New("graphadapter: WithRetryPolicy: limits must not be negative")
		}
		c.retry = p
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

// WithBatchSize sets how many writes WriteBatch puts in one POST /$batch (1 to 20, default 20).
func WithBatchSize(n int) Option {
	return func(c *config) error {
		if n < 1 || n > maxBatch {
			return fmt.Errorf("graphadapter: WithBatchSize(%d): Graph takes 1 to %d requests per $batch", n, maxBatch)
		}
		c.batchSize = n
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
