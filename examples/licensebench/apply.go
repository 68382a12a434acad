package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// scaledClock runs factor times faster than the wall clock. The fake's throttle buckets read
// it (through the tenant clock) and planner.Apply waits with it, so both see the same
// emulated time; Sleep sleeps d/factor of real time.
type scaledClock struct {
	start  time.Time // real
	base   time.Time // emulated time at start
	factor float64
}

func newScaledClock(factor float64) *scaledClock {
	return &scaledClock{start: time.Now(), base: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), factor: factor}
}

func (c *scaledClock) Now() time.Time {
	return c.base.Add(time.Duration(float64(time.Since(c.start)) * c.factor))
}

func (c *scaledClock) Sleep(ctx context.Context, d time.Duration) error {
	return planner.WallClock.Sleep(ctx, time.Duration(float64(d)/c.factor))
}

// counter counts the write requests on the wire: attempts, 429s, and successful writes per user.
type counter struct {
	next  http.RoundTripper
	clock *scaledClock

	mu        sync.Mutex
	attempts  int
	throttled int
	writes    int
	perUser   map[string]int
	first     time.Time
	last      time.Time
	times     []time.Time // emulated time of each successful write
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if req.Method == http.MethodGet {
		return resp, err
	}
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts++
	if c.first.IsZero() {
		c.first = now
	}
	if err != nil {
		return resp, err
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		c.throttled++
		return resp, err
	}
	if resp.StatusCode < 300 {
		c.writes++
		c.last = now
		c.times = append(c.times, now)
		if _, rest, ok := strings.Cut(req.URL.Path, "/users/"); ok {
			id, _, _ := strings.Cut(rest, "/")
			c.perUser[strings.ToLower(id)]++
		}
	}
	return resp, err
}

// applyResult is one apply run.
type applyResult struct {
	Users, Steps, Failed    int
	Attempts, Throttled     int
	Writes                  int
	MinPerUser, MaxPerUser  int
	ChangedUsers            int
	EmuSeconds, RealSeconds float64
	Rate, SteadyRate        float64 // writes per emulated second; steady: after the first WriteWindow
}

// applyTenant is n users holding SKU A directly, all to be swapped to SKU B.
func applyTenant(n int) (*licensing.Snapshot, licensing.SkuID, licensing.SkuID) {
	base := synth.Tenant(synth.DefaultOptions(10))
	a, b := base.SubscribedSkus[7], base.SubscribedSkus[8]
	a.PrepaidUnits = licensing.PrepaidUnits{Enabled: n + 10}
	b.PrepaidUnits = licensing.PrepaidUnits{Enabled: n + 10}
	snap := &licensing.Snapshot{FormatVersion: licensing.TenantFormatVersion, TenantID: base.TenantID, DefaultUsageLocation: "US",
		SubscribedSkus: []licensing.SubscribedSku{a, b}, Groups: []licensing.Group{}}
	enabled := true
	for i := 0; i < n; i++ {
		snap.Users = append(snap.Users, licensing.User{
			ID:                fmt.Sprintf("00000002-0000-4000-8000-%012x", i+1),
			UserPrincipalName: fmt.Sprintf("swap%07d@synth.example", i+1),
			AccountEnabled:    &enabled, UsageLocation: "US", Department: "Swap",
			AssignedLicenses: []licensing.AssignedLicense{{SkuID: a.SkuID, DisabledPlans: []licensing.PlanID{}}},
		})
	}
	return snap, a.SkuID, b.SkuID
}

func benchApply(n int, speed float64, concurrency int, naive bool) (*applyResult, error) {
	snap, skuA, skuB := applyTenant(n)
	clk := newScaledClock(speed)
	tenant, err := fake.New(snap, fake.WithClock(clk))
	if err != nil {
		return nil, err
	}
	srv, err := fake.Listen("127.0.0.1:0", tenant, fake.WithThrottle(fake.GraphThrottle()))
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	defer tr.CloseIdleConnections()
	ct := &counter{next: tr, clock: clk, perUser: map[string]int{}}
	res := &applyResult{Users: n}
	ctx := context.Background()
	t0, e0 := time.Now(), clk.Now()
	if naive {
		fmt.Fprintf(os.Stderr, "apply: naive baseline, %d users\n", n)
		res.Steps = 2 * n
		res.Failed = naiveApply(ctx, srv.URL, &http.Client{Transport: ct}, clk, snap, skuA, skuB)
	} else {
		fmt.Fprintf(os.Stderr, "apply: planner.Apply, %d users\n", n)
		ga, err := graphadapter.New(graphadapter.WithRoot(srv.URL), graphadapter.WithHTTPClient(&http.Client{Transport: ct}))
		if err != nil {
			return nil, err
		}
		st, err := licensing.NewState(snap)
		if err != nil {
			return nil, err
		}
		d, err := planner.ReadDesired(strings.NewReader(`{"formatVersion": "desired/v1", "rules": [{"name": "swap", "where": {"department": "Swap"}, "mode": "exact",
			"licenses": [{"sku": "` + skuB.String() + `"}]}], "options": {"allowServiceLoss": true}}`))
		if err != nil {
			return nil, err
		}
		plan := planner.Build(st, d)
		if !plan.Applyable() {
			return nil, fmt.Errorf("apply plan is not applyable: %v", plan.Problems)
		}
		res.Steps = len(plan.Steps)
		quota := float64(3000) / 150
		r, err := planner.Apply(ctx, ga, plan, planner.WithConcurrency(concurrency), planner.WithRateLimit(quota, int(quota)), planner.WithClock(clk))
		if r == nil {
			return nil, err
		}
		for _, s := range r.Steps {
			if !s.Status.OK() {
				res.Failed++
			}
		}
	}
	res.RealSeconds = time.Since(t0).Seconds()
	res.EmuSeconds = clk.Now().Sub(e0).Seconds()
	ct.mu.Lock()
	defer ct.mu.Unlock()
	res.Attempts, res.Throttled, res.Writes = ct.attempts, ct.throttled, ct.writes
	res.MinPerUser = -1
	for _, u := range snap.Users {
		k := ct.perUser[strings.ToLower(u.ID)]
		if k > 0 {
			res.ChangedUsers++
		}
		if res.MinPerUser < 0 || k < res.MinPerUser {
			res.MinPerUser = k
		}
		res.MaxPerUser = max(res.MaxPerUser, k)
	}
	if span := ct.last.Sub(e0).Seconds(); span > 0 {
		res.Rate = float64(ct.writes) / span
	}
	window := e0.Add(150 * time.Second)
	if ct.last.After(window.Add(30 * time.Second)) {
		k := 0
		for _, t := range ct.times {
			if t.After(window) {
				k++
			}
		}
		res.SteadyRate = float64(k) / ct.last.Sub(window).Seconds()
	}
	return res, nil
}

// naiveApply is the apply baseline: a sequential client making one call per change (the add,
// then the remove, for each user), without rate limiting, retrying a 429 after Retry-After.
// It returns the number of failed calls.
func naiveApply(ctx context.Context, root string, hc *http.Client, clk *scaledClock, snap *licensing.Snapshot, a, b licensing.SkuID) int {
	failed := 0
	post := func(user, body string) {
		for attempt := 0; attempt < 100; attempt++ {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, root+"/users/"+user+"/assignLicense", bytes.NewReader([]byte(body)))
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				failed++
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests {
				secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
				clk.Sleep(ctx, time.Duration(max(secs, 1))*time.Second)
				continue
			}
			if resp.StatusCode >= 300 {
				failed++
			}
			return
		}
		failed++
	}
	add := `{"addLicenses": [{"skuId": "` + b.String() + `", "disabledPlans": []}], "removeLicenses": []}`
	remove := `{"addLicenses": [], "removeLicenses": ["` + a.String() + `"]}`
	for _, u := range snap.Users {
		post(u.ID, add)
		post(u.ID, remove)
	}
	return failed
}
