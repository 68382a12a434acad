package planner_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// memTenant is a small planner.Tenant over licensing.State for the executor's tests: every
// write is State.Apply (Entra's atomic refusals included), every read is taken from
// State.Snapshot. It records every call and lets a test inject faults before any call.
type memTenant struct {
	mu     sync.Mutex
	st     *licensing.State
	calls  []string // every call made, in order ("User <id>", "AssignUserLicenses <id> +sku -sku", …)
	writes []string // writes that changed the tenant, in order
	// fault, when set, is called before each call with its name and the target id; an error it
	// returns is the call's answer (the call has no effect).
	fault func(op, id string) error
	// after, when set, is called after each successful write (outside the lock).
	after func(op, id string)
	// busyUntil makes a group report ProcessingInProgress until clock says that time has come.
	busyUntil map[string]time.Time
	clock     *testClock
	// mangleUser, when set, edits the users the tenant returns.
	mangleUser func(u *licensing.User)
	inflight   int
	maxFlight  int
}

var _ planner.Tenant = (*memTenant)(nil)

func newMemTenant(t testing.TB, snap *licensing.Snapshot) *memTenant {
	t.Helper()
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	return &memTenant{st: st, busyUntil: map[string]time.Time{}}
}

func (m *memTenant) enter(ctx context.Context, op, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	m.calls = append(m.calls, op+" "+id)
	m.inflight++
	m.maxFlight = max(m.maxFlight, m.inflight)
	f := m.fault
	m.mu.Unlock()
	if f != nil {
		if err := f(op, id); err != nil {
			m.leave()
			return err
		}
	}
	return nil
}

func (m *memTenant) leave() {
	m.mu.Lock()
	m.inflight--
	m.mu.Unlock()
}

// snapshot returns the tenant now.
func (m *memTenant) snapshot() *licensing.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.Snapshot()
}

// state returns a fresh State of the tenant now (for re-planning).
func (m *memTenant) state(t testing.TB) *licensing.State {
	st, err := licensing.NewState(m.snapshot())
	require.NoError(t, err)
	return st
}

// change applies a change directly (someone else editing the tenant).
func (m *memTenant) change(t testing.TB, c licensing.Change) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.st.Apply(c)
	require.False(t, o.Refused, "test setup change refused: %v", o.Err())
}

func (m *memTenant) Snapshot(ctx context.Context) (*licensing.Snapshot, error) {
	if err := m.enter(ctx, "Snapshot", ""); err != nil {
		return nil, err
	}
	defer m.leave()
	return m.snapshot(), nil
}

func (m *memTenant) SubscribedSkus(ctx context.Context) ([]licensing.SubscribedSku, error) {
	if err := m.enter(ctx, "SubscribedSkus", ""); err != nil {
		return nil, err
	}
	defer m.leave()
	return m.snapshot().SubscribedSkus, nil
}

func (m *memTenant) User(ctx context.Context, id string) (*licensing.User, error) {
	if err := m.enter(ctx, "User", id); err != nil {
		return nil, err
	}
	defer m.leave()
	for _, u := range m.snapshot().Users {
		if u.ID == id {
			if m.mangleUser != nil {
				m.mangleUser(&u)
			}
			return &u, nil
		}
	}
	return nil, &licensing.Error{Kind: licensing.UnknownUser, Message: "no user " + id}
}

func (m *memTenant) Group(ctx context.Context, id string) (*licensing.Group, error) {
	if err := m.enter(ctx, "Group", id); err != nil {
		return nil, err
	}
	defer m.leave()
	for _, g := range m.snapshot().Groups {
		if g.ID == id {
			m.mu.Lock()
			if until, ok := m.busyUntil[id]; ok && m.clock != nil && m.clock.Now().Before(until) {
				g.LicenseProcessingState = &licensing.LicenseProcessingState{State: licensing.ProcessingInProgress}
			}
			m.mu.Unlock()
			return &g, nil
		}
	}
	return nil, &licensing.Error{Kind: licensing.UnknownGroup, Message: "no group " + id}
}

func (m *memTenant) write(ctx context.Context, op, id, detail string, c licensing.Change) error {
	if err := m.enter(ctx, op, id); err != nil {
		return err
	}
	defer m.leave()
	m.mu.Lock()
	o := m.st.Apply(c)
	if !o.Refused {
		m.writes = append(m.writes, strings.TrimSpace(op+" "+id+" "+detail))
	}
	after := m.after
	m.mu.Unlock()
	if o.Refused {
		return o.Err()
	}
	if after != nil {
		after(op, id)
	}
	return nil
}

func licensesText(add []licensing.AssignedLicense, remove []licensing.SkuID) string {
	var parts []string
	for _, a := range add {
		parts = append(parts, fmt.Sprintf("+%s%v", a.SkuID, a.DisabledPlans))
	}
	for _, r := range remove {
		parts = append(parts, "-"+r.String())
	}
	return strings.Join(parts, " ")
}

func (m *memTenant) AssignUserLicenses(ctx context.Context, userID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	if add == nil || remove == nil {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: "addLicenses and removeLicenses are both required (Graph drops nil lists)"}
	}
	return m.write(ctx, "AssignUserLicenses", userID, licensesText(add, remove), licensing.Change{Kind: licensing.AssignUserLicenses, User: userID, AddLicenses: add, RemoveLicenses: remove})
}

func (m *memTenant) AssignGroupLicenses(ctx context.Context, groupID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	if add == nil || remove == nil {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: "addLicenses and removeLicenses are both required (Graph drops nil lists)"}
	}
	return m.write(ctx, "AssignGroupLicenses", groupID, licensesText(add, remove), licensing.Change{Kind: licensing.AssignGroupLicenses, Group: groupID, AddLicenses: add, RemoveLicenses: remove})
}

func (m *memTenant) SetUsageLocation(ctx context.Context, userID, loc string) error {
	return m.write(ctx, "SetUsageLocation", userID, loc, licensing.Change{Kind: licensing.SetUsageLocation, User: userID, UsageLocation: loc})
}

func (m *memTenant) AddGroupMember(ctx context.Context, groupID, userID string) error {
	return m.write(ctx, "AddGroupMember", userID, groupID, licensing.Change{Kind: licensing.AddGroupMember, User: userID, Group: groupID})
}

func (m *memTenant) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	return m.write(ctx, "RemoveGroupMember", userID, groupID, licensing.Change{Kind: licensing.RemoveGroupMember, User: userID, Group: groupID})
}

func (m *memTenant) ReprocessUser(ctx context.Context, userID string) error {
	return m.write(ctx, "ReprocessUser", userID, "", licensing.Change{Kind: licensing.ReprocessUser, User: userID})
}

// writesTo returns the writes made to a target id.
func (m *memTenant) writesTo(id string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, w := range m.writes {
		if strings.Fields(w)[1] == id {
			out = append(out, w)
		}
	}
	return out
}

func (m *memTenant) allWrites() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.writes)
}

// testClock is a planner.Clock whose Sleep returns at once after moving the clock forward, and
// records every wait.
type testClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	// onSleep, when set, is called (outside the lock) after each sleep.
	onSleep func(d time.Duration)
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	f := c.onSleep
	c.mu.Unlock()
	if f != nil {
		f(d)
	}
	return nil
}

func (c *testClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}
