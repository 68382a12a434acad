package graphadapter

import (
	"context"
	"sync"
	"time"
)

// Progress is how far a Snapshot has come, reported through WithProgress.
type Progress struct {
	// Part is what is being read: "subscribedSkus", "organization", "users", "groups",
	// "members", "lookups" (objects named by members or paths that the listings did not
	// return, fetched by id) or "done".
	Part string
	// Users is the number of users read so far; UsersTotal the tenant's number of users
	// (GET /users/$count), 0 when Graph did not say.
	Users, UsersTotal int
	// Groups is the number of licensed groups listed; GroupsRead how many of them have had
	// their members read.
	Groups, GroupsRead int
	// Pages is the number of pages read, all listings together.
	Pages int
	// Retries counts the requests sent again (throttling, 503, 504, the network); Restarts the
	// listings started again after Graph said their page token had expired; Lookups the objects
	// fetched by id, of which Gone were deleted (404).
	Retries, Restarts, Lookups, Gone int
	// Waiting is the wait in progress before a retry (Graph's Retry-After or a backoff), 0 when none.
	Waiting time.Duration
	// Elapsed is the time since the snapshot started; ETA an estimate of the time left, 0 when
	// there is none yet.
	Elapsed, ETA time.Duration
}

// progress is one Snapshot's progress. Its methods may be called on a nil *progress (no
// WithProgress, or a request that is not part of a snapshot): they do nothing.
type progress struct {
	mu    sync.Mutex
	fn    func(Progress)
	now   func() time.Time
	start time.Time
	p     Progress
	// usersAt is when the user listing ended (since start), to estimate the members' part.
	usersAt time.Duration
}

type progressKey struct{}

func withProgress(ctx context.Context, p *progress) context.Context {
	if p == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, p)
}

func progressFrom(ctx context.Context) *progress {
	p, _ := ctx.Value(progressKey{}).(*progress)
	return p
}

// update changes the progress under its lock and reports it.
func (p *progress) update(change func(*Progress)) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	change(&p.p)
	p.p.Elapsed = p.now().Sub(p.start)
	p.p.ETA = p.eta()
	if p.fn != nil {
		p.fn(p.p)
	}
}

func (p *progress) part(name string) {
	p.update(func(q *Progress) {
		if q.Part == "users" && name != "users" && p.usersAt == 0 {
			p.usersAt = p.now().Sub(p.start)
		}
		q.Part = name
	})
}

func (p *progress) page(users int) {
	p.update(func(q *Progress) { q.Pages++; q.Users += users })
}

func (p *progress) retryStart(d time.Duration) {
	p.update(func(q *Progress) { q.Retries++; q.Waiting = d })
}

func (p *progress) retryEnd() { p.update(func(q *Progress) { q.Waiting = 0 }) }

// eta estimates the time left from the users read against the tenant's count, then from the
// groups whose members have been read. It is called with the lock held.
func (p *progress) eta() time.Duration {
	q := &p.p
	switch q.Part {
	case "users":
		if q.UsersTotal <= 0 || q.Users <= 0 || q.Users >= q.UsersTotal {
			return 0
		}
		per := q.Elapsed / time.Duration(q.Users)
		return per * time.Duration(q.UsersTotal-q.Users)
	case "members":
		if q.Groups <= 0 || q.GroupsRead <= 0 || q.GroupsRead >= q.Groups {
			return 0
		}
		spent := q.Elapsed - p.usersAt
		return spent / time.Duration(q.GroupsRead) * time.Duration(q.Groups-q.GroupsRead)
	}
	return 0
}
