package fake

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Throttle is the request limits the server enforces, as token buckets on the tenant's clock.
// A limit with a zero count is off; the zero Throttle throttles nothing.
type Throttle struct {
	// Writes per WriteWindow for the application+tenant pair (Graph: 3,000 per 150 s).
	Writes      int
	WriteWindow time.Duration
	// ResourceUnits per ResourceWindow for the application+tenant pair (Graph, tenants of more
	// than 500 users: 8,000 per 10 s). Each request costs Graph's documented base cost.
	ResourceUnits  int
	ResourceWindow time.Duration
	// Requests per RequestWindow, whatever they are (the fakegraph flag --throttle N/DURATION).
	Requests      int
	RequestWindow time.Duration
}

// GraphThrottle returns Microsoft Graph's documented identity and access limits for one
// application in one large tenant: 3,000 writes per 2 minutes 30 seconds and 8,000 resource
// units per 10 seconds
// (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits).
func GraphThrottle() Throttle {
	return Throttle{Writes: 3000, WriteWindow: 150 * time.Second, ResourceUnits: 8000, ResourceWindow: 10 * time.Second}
}

// ParseThrottle parses the fakegraph --throttle flag: "graph" (GraphThrottle), "off", or
// "N/DURATION" such as "100/10s" (N requests per DURATION).
func ParseThrottle(s string) (Throttle, error) {
	switch s = strings.TrimSpace(s); strings.ToLower(s) {
	case "graph":
		return GraphThrottle(), nil
	case "off", "":
		return Throttle{}, nil
	}
	n, d, ok := strings.Cut(s, "/")
	if ok {
		count, err1 := strconv.Atoi(n)
		window, err2 := time.ParseDuration(d)
		if err1 == nil && err2 == nil && count > 0 && window > 0 {
			return Throttle{Requests: count, RequestWindow: window}, nil
		}
	}
	return Throttle{}, fmt.Errorf("throttle %q: want graph, off or N/DURATION such as 3000/150s", s)
}

// bucket is a token bucket that starts full and refills capacity tokens per window.
type bucket struct {
	capacity float64
	rate     float64 // tokens per second
	tokens   float64
	last     time.Time
}

func newBucket(n int, window time.Duration, now time.Time) *bucket {
	if n <= 0 || window <= 0 {
		return nil
	}
	return &bucket{capacity: float64(n), rate: float64(n) / window.Seconds(), tokens: float64(n), last: now}
}

func (b *bucket) refill(now time.Time) {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(b.capacity, b.tokens+dt*b.rate)
		b.last = now
	}
}

// wait returns how long until cost tokens are there (0 when they are now).
func (b *bucket) wait(cost float64) time.Duration {
	if b == nil || cost <= 0 || b.tokens >= cost {
		return 0
	}
	return time.Duration((cost - b.tokens) / b.rate * float64(time.Second))
}

// throttler holds the buckets of one server.
type throttler struct {
	mu                  sync.Mutex
	clock               Clock
	writes, units, reqs *bucket
	appID, tenantID     string
}

func newThrottler(th Throttle, clock Clock, tenantID string) *throttler {
	now := clock.Now()
	tr := &throttler{
		clock:    clock,
		writes:   newBucket(th.Writes, th.WriteWindow, now),
		units:    newBucket(th.ResourceUnits, th.ResourceWindow, now),
		reqs:     newBucket(th.Requests, th.RequestWindow, now),
		appID:    fakeAppID,
		tenantID: tenantID,
	}
	if tr.writes == nil && tr.units == nil && tr.reqs == nil {
		return nil
	}
	return tr
}

// fakeAppID stands for the calling application: the fake does not authenticate, so every
// caller is one application.
const fakeAppID = "00000000-0000-0000-0000-00000000fa4e"

// admit charges a request against the buckets. It returns 0 when the request may go on, or
// how long to wait and the throttle headers when it must be answered 429.
func (tr *throttler) admit(c requestCost) (time.Duration, http.Header) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	now := tr.clock.Now()
	for _, b := range []*bucket{tr.writes, tr.units, tr.reqs} {
		if b != nil {
			b.refill(now)
		}
	}
	var wait time.Duration
	var limit, info string
	if w := tr.writes.wait(float64(c.writes)); w > 0 {
		wait, limit, info = w, "Write", "WriteLimitExceeded"
	}
	if w := tr.units.wait(float64(c.units)); w > wait {
		wait, limit, info = w, "ReadWrite", "ResourceUnitLimitExceeded"
	}
	if w := tr.reqs.wait(1); w > wait {
		wait, limit, info = w, "ReadWrite", "RequestLimitExceeded"
	}
	if wait > 0 {
		h := http.Header{}
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		h.Set("x-ms-throttle-scope", fmt.Sprintf("Tenant_Application/%s/%s/%s", limit, tr.appID, tr.tenantID))
		h.Set("x-ms-throttle-information", info)
		return wait, h
	}
	if tr.writes != nil {
		tr.writes.tokens -= float64(c.writes)
	}
	if tr.units != nil {
		tr.units.tokens -= float64(c.units)
	}
	if tr.reqs != nil {
		tr.reqs.tokens--
	}
	return 0, nil
}

// requestCost is what one request costs against Graph's identity limits.
type requestCost struct {
	units  int
	writes int
}

// costOf applies Graph's table of base resource-unit costs (GET users 2, subscribedSkus 3,
// members 3, transitiveMembers 5, licenseDetails 2, anything else 1; writes cost one write),
// minus 1 with $select and minus 1 with $top under 20, never below 1.
func costOf(method string, segs []string, q map[string][]string) requestCost {
	c := requestCost{units: 1}
	if method != http.MethodGet {
		c.writes = 1
		return c
	}
	switch {
	case len(segs) == 1 && segs[0] == "users":
		c.units = 2
	case len(segs) == 1 && segs[0] == "subscribedSkus":
		c.units = 3
	case len(segs) >= 3 && segs[0] == "users" && segs[2] == "licenseDetails":
		c.units = 2
	case len(segs) >= 3 && segs[0] == "groups" && segs[2] == "members":
		c.units = 3
	case len(segs) >= 3 && segs[0] == "groups" && segs[2] == "transitiveMembers":
		c.units = 5
	}
	if len(q["$select"]) > 0 {
		c.units--
	}
	if top := q["$top"]; len(top) > 0 {
		if n, err := strconv.Atoi(top[0]); err == nil && n < 20 {
			c.units--
		}
	}
	c.units = max(c.units, 1)
	return c
}
