package fake

import (
	"context"
	"math/rand/v2"
	"net/http"
	pathpkg "path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// FaultKind is one way a request can fail.
type FaultKind int

// The faults. Unless said otherwise the request is not carried out.
const (
	// FaultUnavailable answers 503 with Retry-After: 1.
	FaultUnavailable FaultKind = iota
	// FaultGatewayTimeout answers 504.
	FaultGatewayTimeout
	// FaultTooManyRequests answers 429 with Retry-After: 1, as throttling does.
	FaultTooManyRequests
	// FaultLostReply carries the request out, then answers 504: the caller cannot tell it worked.
	FaultLostReply
	// FaultReset closes the connection without an answer (over HTTP; through FaultyTenant it is a Transient error).
	FaultReset
	// FaultMalformed carries the request out and answers its status with the JSON body cut in
	// half (200 with a truncated body when the reply has none); inside a $batch it answers 504.
	// Through FaultyTenant it is a Transient error and the call is not made.
	FaultMalformed
)

var faultNames = [...]string{"unavailable", "gatewayTimeout", "tooManyRequests", "lostReply", "reset", "malformed"}

// String returns the fault's name as --fail-kinds takes it.
func (k FaultKind) String() string {
	if int(k) < len(faultNames) {
		return faultNames[k]
	}
	return "FaultKind(?)"
}

// Faults says which requests fail and how. It is an optional layer: the server takes it with
// WithFaults, and FaultyTenant wraps any planner.Tenant with it.
type Faults struct {
	// Rate is the probability that a matching request fails (0 never, 1 always).
	Rate float64
	// Seed seeds the random choices, so that a run can be repeated.
	Seed uint64
	// Methods limits faults to these methods: HTTP methods (GET, POST, …) for the server,
	// planner.Tenant method names (AssignUserLicenses, …) for FaultyTenant. Empty: all.
	Methods []string
	// Paths limits the server's faults to these paths below /v1.0, with * for one segment,
	// e.g. "/users/*/assignLicense". Requests inside a $batch are matched one by one. Empty: all.
	Paths []string
	// Kinds are the faults to choose from, uniformly. Empty: FaultUnavailable.
	Kinds []FaultKind
	// Latency delays every matching request, failing or not.
	Latency time.Duration
	// Sleep waits for Latency; nil uses time.Sleep. Tests pass a func that records the delay.
	Sleep func(time.Duration)
}

// faulter draws faults for one server or one FaultyTenant.
type faulter struct {
	f   Faults
	mu  sync.Mutex
	rnd *rand.Rand
}

func newFaulter(f Faults) *faulter {
	if f.Rate <= 0 && f.Latency <= 0 {
		return nil
	}
	if len(f.Kinds) == 0 {
		f.Kinds = []FaultKind{FaultUnavailable}
	}
	if f.Sleep == nil {
		f.Sleep = time.Sleep
	}
	return &faulter{f: f, rnd: rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))}
}

// draw returns whether a request matching (method, path) fails and how, after its latency.
func (fl *faulter) draw(method, p string) (FaultKind, bool) {
	if fl == nil || !fl.matches(method, p) {
		return 0, false
	}
	if fl.f.Latency > 0 {
		fl.f.Sleep(fl.f.Latency)
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.f.Rate <= 0 || fl.rnd.Float64() >= fl.f.Rate {
		return 0, false
	}
	return fl.f.Kinds[fl.rnd.IntN(len(fl.f.Kinds))], true
}

func (fl *faulter) matches(method, p string) bool {
	if len(fl.f.Methods) > 0 && !slices.ContainsFunc(fl.f.Methods, func(m string) bool { return strings.EqualFold(m, method) }) {
		return false
	}
	if len(fl.f.Paths) == 0 || p == "" {
		return true
	}
	return slices.ContainsFunc(fl.f.Paths, func(pat string) bool {
		ok, err := pathpkg.Match(pat, p)
		return err == nil && ok
	})
}

func faultError(k FaultKind) *licensing.Error {
	switch k {
	case FaultTooManyRequests:
		return replyError(licensing.Throttled, http.StatusTooManyRequests, CodeTooManyRequests, msgThrottled, time.Second)
	case FaultGatewayTimeout, FaultLostReply:
		return replyError(licensing.Transient, http.StatusGatewayTimeout, CodeGatewayTimeout, "The gateway did not receive a response in time (injected fault).", 0)
	case FaultReset:
		return &licensing.Error{Kind: licensing.Transient, Message: "connection reset by peer (injected fault)"}
	case FaultMalformed:
		return &licensing.Error{Kind: licensing.Transient, Message: "the reply was not valid JSON (injected fault)"}
	}
	return replyError(licensing.Transient, http.StatusServiceUnavailable, CodeUnavailable, "The service is temporarily unavailable. Please retry later (injected fault).", time.Second)
}

// FaultyTenant is a planner.Tenant that fails some calls of another one, as Faults says.
// Errors are *licensing.Error of kind Transient or Throttled, as a real adapter returns.
type FaultyTenant struct {
	inner planner.Tenant
	fl    *faulter
}

var _ planner.Tenant = (*FaultyTenant)(nil)

// NewFaultyTenant wraps inner with the faults f (matched by planner.Tenant method name).
func NewFaultyTenant(inner planner.Tenant, f Faults) *FaultyTenant {
	return &FaultyTenant{inner: inner, fl: newFaulter(f)}
}

// call runs op unless a fault is drawn for method.
func (ft *FaultyTenant) call(method string, op func() error) error {
	k, fail := ft.fl.draw(method, "")
	if !fail {
		return op()
	}
	if k == FaultLostReply {
		_ = op()
	}
	return faultError(k)
}

// Snapshot implements planner.Tenant.
func (ft *FaultyTenant) Snapshot(ctx context.Context) (s *licensing.Snapshot, err error) {
	err = ft.call("Snapshot", func() error { s, err = ft.inner.Snapshot(ctx); return err })
	return s, err
}

// SubscribedSkus implements planner.Tenant.
func (ft *FaultyTenant) SubscribedSkus(ctx context.Context) (s []licensing.SubscribedSku, err error) {
	err = ft.call("SubscribedSkus", func() error { s, err = ft.inner.SubscribedSkus(ctx); return err })
	return s, err
}

// User implements planner.Tenant.
func (ft *FaultyTenant) User(ctx context.Context, userID string) (u *licensing.User, err error) {
	err = ft.call("User", func() error { u, err = ft.inner.User(ctx, userID); return err })
	return u, err
}

// Group implements planner.Tenant.
func (ft *FaultyTenant) Group(ctx context.Context, groupID string) (g *licensing.Group, err error) {
	err = ft.call("Group", func() error { g, err = ft.inner.Group(ctx, groupID); return err })
	return g, err
}

// AssignUserLicenses implements planner.Tenant.
func (ft *FaultyTenant) AssignUserLicenses(ctx context.Context, userID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	return ft.call("AssignUserLicenses", func() error { return ft.inner.AssignUserLicenses(ctx, userID, add, remove) })
}

// AssignGroupLicenses implements planner.Tenant.
func (ft *FaultyTenant) AssignGroupLicenses(ctx context.Context, groupID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	return ft.call("AssignGroupLicenses", func() error { return ft.inner.AssignGroupLicenses(ctx, groupID, add, remove) })
}

// SetUsageLocation implements planner.Tenant.
func (ft *FaultyTenant) SetUsageLocation(ctx context.Context, userID, usageLocation string) error {
	return ft.call("SetUsageLocation", func() error { return ft.inner.SetUsageLocation(ctx, userID, usageLocation) })
}

// AddGroupMember implements planner.Tenant.
func (ft *FaultyTenant) AddGroupMember(ctx context.Context, groupID, userID string) error {
	return ft.call("AddGroupMember", func() error { return ft.inner.AddGroupMember(ctx, groupID, userID) })
}

// RemoveGroupMember implements planner.Tenant.
func (ft *FaultyTenant) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	return ft.call("RemoveGroupMember", func() error { return ft.inner.RemoveGroupMember(ctx, groupID, userID) })
}

// ReprocessUser implements planner.Tenant.
func (ft *FaultyTenant) ReprocessUser(ctx context.Context, userID string) error {
	return ft.call("ReprocessUser", func() error { return ft.inner.ReprocessUser(ctx, userID) })
}
