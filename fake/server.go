package fake

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
)

// ServerOption configures NewServer.
type ServerOption func(*serverConfig)

type serverConfig struct {
	throttle Throttle
	faults   Faults
}

// WithThrottle makes the server answer 429 beyond the limits th (see GraphThrottle). Buckets
// run on the tenant's clock, so a test moves them with a ManualClock and never sleeps.
func WithThrottle(th Throttle) ServerOption { return func(c *serverConfig) { c.throttle = th } }

// WithFaults makes the server fail some requests as f says (see Faults).
func WithFaults(f Faults) ServerOption { return func(c *serverConfig) { c.faults = f } }

// server speaks Microsoft Graph v1.0 JSON over a Tenant.
type server struct {
	t        *Tenant
	throttle *throttler
	faults   *faulter
	seq      atomic.Uint64
	users    *entityType[userView]
	groups   *entityType[groupView]
	skus     *entityType[licensing.SubscribedSku]
	// subscriptions is Graph's companySubscription.
	subscriptions *entityType[subscriptionView]

	writesMu sync.Mutex
	writes   []WriteRecord // every write request answered (GET /_fake/writes)
}

// WriteRecord is one write request (POST, PATCH, PUT, DELETE under /v1.0) the server answered,
// as GET /_fake/writes lists them: what a test needs to tell that no write was carried out twice
// and that the client kept to the throttle.
type WriteRecord struct {
	Time   time.Time `json:"time"` // the tenant's clock
	Method string    `json:"method"`
	Path   string    `json:"path"` // under /v1.0, without the query
	Body   string    `json:"body,omitempty"`
	Status int       `json:"status"` // the status answered (0: the connection was reset)
	// Outcome is "carriedOut" (the tenant changed, or the request was valid and changed
	// nothing), "refused" (Entra's 4xx), "throttled" (429 of the throttle; not carried out),
	// "fault:KIND" (an injected fault; carried out only for lostReply and malformed).
	Outcome string `json:"outcome"`
	// CarriedOut is true when the request reached the tenant and was accepted, whatever the
	// client was told.
	CarriedOut bool `json:"carriedOut"`
}

func (s *server) logWrite(r *http.Request, rest string, body []byte, status int, outcome string, carried bool) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return
	}
	s.writesMu.Lock()
	defer s.writesMu.Unlock()
	s.writes = append(s.writes, WriteRecord{Time: s.t.clock.Now(), Method: r.Method, Path: rest, Body: string(body), Status: status, Outcome: outcome, CarriedOut: carried})
}

// NewServer returns an http.Handler that serves the tenant as Microsoft Graph v1.0 under
// /v1.0 (see doc.go for the endpoints), with the test hooks GET /_fake/state (the tenant as
// tenant/v1), GET /_fake/history ({"value": [history entries]}), GET /_fake/writes
// ({"value": [WriteRecord]}) and
// POST /_fake/groups/{id}/failNextProcessing (Tenant.FailNextProcessing; 204).
func NewServer(t *Tenant, opts ...ServerOption) http.Handler {
	var cfg serverConfig
	for _, o := range opts {
		o(&cfg)
	}
	return &server{
		t:        t,
		throttle: newThrottler(cfg.throttle, t.clock, t.tenantID),
		faults:   newFaulter(cfg.faults),
		users:    t.userType(),
		groups:   t.groupType(),
		skus:     t.skuType(),

		subscriptions: t.subscriptionType(),
	}
}

// response is one answer, written by ServeHTTP or collected into a $batch response.
type response struct {
	status int
	header http.Header
	body   any    // encoded as JSON; nil for no body
	raw    []byte // written as is instead of body (a malformed reply)
	reset  bool   // close the connection without answering
}

const jsonContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.write(w, s.fail(r, replyError(licensing.Transient, http.StatusInternalServerError, "InternalServerError", fmt.Sprintf("The fake Graph server failed: %v", v), 0)))
		}
	}()
	switch r.URL.Path {
	case "/_fake/state":
		s.write(w, s.hook(r, func() any { return tenantDocument{s.t.State()} }))
		return
	case "/_fake/history":
		s.write(w, s.hook(r, func() any { return object{"value": s.t.History()} }))
		return
	case "/_fake/writes":
		s.write(w, s.hook(r, func() any {
			s.writesMu.Lock()
			defer s.writesMu.Unlock()
			return object{"value": append([]WriteRecord{}, s.writes...)}
		}))
		return
	}
	if gid, ok := strings.CutPrefix(r.URL.Path, "/_fake/groups/"); ok {
		s.write(w, s.failNextHook(r, gid))
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1.0")
	if !ok || (rest != "" && rest[0] != '/') {
		version, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		s.write(w, s.fail(r, errInvalidQuery(fmt.Sprintf("Invalid version: %s", version))))
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.write(w, s.fail(r, err))
		return
	}
	if rest == "/$batch" {
		s.write(w, s.batch(r, body))
		return
	}
	resp := s.serve(r, rest, body)
	if resp.reset {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	s.write(w, resp)
}

// hook answers a test hook outside /v1.0.
func (s *server) hook(r *http.Request, v func() any) response {
	if r.Method != http.MethodGet {
		return s.methodNotAllowed(r)
	}
	return response{status: http.StatusOK, body: v()}
}

// failNextHook is POST /_fake/groups/{id}/failNextProcessing: the group's next processing
// ends in ProcessingFailed (see Tenant.FailNextProcessing).
func (s *server) failNextHook(r *http.Request, rest string) response {
	gid, ok := strings.CutSuffix(rest, "/failNextProcessing")
	if !ok || gid == "" || strings.Contains(gid, "/") {
		return s.fail(r, errInvalidQuery(fmt.Sprintf("Resource not found for the segment '%s'.", rest)))
	}
	if r.Method != http.MethodPost {
		return s.methodNotAllowed(r)
	}
	if err := s.t.FailNextProcessing(gid); err != nil {
		return s.fail(r, asError(err))
	}
	return response{status: http.StatusNoContent}
}

// tenantDocument is a response body written as tenant/v1 (Snapshot.WriteJSON).
type tenantDocument struct{ snap *licensing.Snapshot }

// readBody reads the request body, gunzipping it when Content-Encoding is gzip (as the Go SDK sends it).
func readBody(r *http.Request) ([]byte, *licensing.Error) {
	if r.Body == nil {
		return nil, nil
	}
	var rd io.Reader = io.LimitReader(r.Body, 64<<20)
	if strings.Contains(strings.ToLower(r.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, errInvalidQuery("The request body is not valid gzip: " + err.Error())
		}
		defer zr.Close()
		rd = zr
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, errInvalidQuery("The request body could not be read: " + err.Error())
	}
	return b, nil
}

// serve answers one request below /v1.0 (rest is the path after /v1.0): throttling first,
// then injected faults, then the endpoint.
func (s *server) serve(r *http.Request, rest string, body []byte) response {
	segs := splitPath(rest)
	cost := costOf(r.Method, segs, r.URL.Query())
	if s.throttle != nil {
		if wait, h := s.throttle.admit(cost); wait > 0 {
			resp := s.fail(r, replyError(licensing.Throttled, http.StatusTooManyRequests, CodeTooManyRequests, msgThrottled, wait))
			for k, v := range h {
				resp.header[k] = v
			}
			s.logWrite(r, rest, body, resp.status, "throttled", false)
			return resp
		}
	}
	kind, faulted := s.faults.draw(r.Method, rest)
	if faulted && kind != FaultLostReply && kind != FaultMalformed {
		if kind == FaultReset {
			s.logWrite(r, rest, body, 0, "fault:"+kind.String(), false)
			return response{reset: true}
		}
		resp := s.fail(r, faultError(kind))
		s.logWrite(r, rest, body, resp.status, "fault:"+kind.String(), false)
		return resp
	}
	resp := s.route(r, segs, body)
	carried := resp.status < 300
	if faulted && kind == FaultMalformed {
		s.logWrite(r, rest, body, http.StatusOK, "fault:"+kind.String(), carried)
		return malformed(resp)
	}
	if faulted {
		f := s.fail(r, faultError(kind))
		s.logWrite(r, rest, body, f.status, "fault:"+kind.String(), carried)
		return f
	}
	if carried {
		s.logWrite(r, rest, body, resp.status, "carriedOut", true)
	} else {
		s.logWrite(r, rest, body, resp.status, "refused", false)
	}
	if resp.header == nil {
		resp.header = http.Header{}
	}
	resp.header.Set("x-ms-resource-unit", fmt.Sprint(cost.units))
	return resp
}

// malformed is resp with its JSON body cut in half, as a reply broken off by a proxy would be.
// The request was carried out: a client that does not read the body of a write's reply cannot
// tell. A reply without a body becomes 200 with a truncated JSON body.
func malformed(resp response) response {
	if resp.body == nil {
		return response{status: http.StatusOK, header: resp.header, raw: []byte(`{"value":[{"id":"`)}
	}
	b := marshal(resp.body)
	return response{status: resp.status, header: resp.header, raw: b[:len(b)/2]}
}

func splitPath(rest string) []string {
	var segs []string
	for _, p := range strings.Split(rest, "/") {
		if p != "" {
			segs = append(segs, p)
		}
	}
	return segs
}

// route dispatches to the endpoint the path and method name.
func (s *server) route(r *http.Request, segs []string, body []byte) response {
	if len(segs) == 0 {
		return s.fail(r, errSegment(""))
	}
	m := r.Method
	method := func(want string, h func() response) response {
		if m != want {
			return s.methodNotAllowed(r)
		}
		return h()
	}
	switch segs[0] {
	case "organization":
		if len(segs) == 1 {
			return method(http.MethodGet, func() response { return s.listOrganization(r) })
		}
	case "directory":
		switch {
		case len(segs) == 2 && (segs[1] == "subscriptions" || strings.HasPrefix(segs[1], "subscriptions(")):
			return method(http.MethodGet, func() response { return s.listSubscriptions(r, segs[1], "") })
		case len(segs) == 3 && segs[1] == "subscriptions":
			return method(http.MethodGet, func() response { return s.listSubscriptions(r, segs[1], segs[2]) })
		case len(segs) >= 2:
			return s.fail(r, errSegment(segs[len(segs)-1]))
		}
	case "subscribedSkus":
		switch len(segs) {
		case 1:
			return method(http.MethodGet, func() response { return s.listSkus(r, "") })
		case 2:
			return method(http.MethodGet, func() response { return s.listSkus(r, segs[1]) })
		}
	case "users":
		switch {
		case len(segs) == 1:
			return method(http.MethodGet, func() response { return s.listUsers(r) })
		case len(segs) == 2 && m == http.MethodPatch:
			return s.patchUser(r, segs[1], body)
		case len(segs) == 2:
			return method(http.MethodGet, func() response { return s.getUser(r, segs[1]) })
		case len(segs) == 3 && segs[2] == "assignLicense":
			return method(http.MethodPost, func() response { return s.assignUser(r, segs[1], body) })
		case len(segs) == 3 && segs[2] == "reprocessLicenseAssignment":
			return method(http.MethodPost, func() response { return s.reprocess(r, segs[1]) })
		case len(segs) == 3 && segs[2] == "licenseDetails":
			return method(http.MethodGet, func() response { return s.licenseDetails(r, segs[1]) })
		case len(segs) >= 3:
			return s.fail(r, errSegment(segs[2]))
		}
	case "groups":
		switch {
		case len(segs) == 1:
			return method(http.MethodGet, func() response { return s.listGroups(r) })
		case len(segs) == 2 && m == http.MethodDelete:
			return s.deleteGroup(r, segs[1])
		case len(segs) == 2:
			return method(http.MethodGet, func() response { return s.getGroup(r, segs[1]) })
		case segs[2] == "assignLicense" && len(segs) == 3:
			return method(http.MethodPost, func() response { return s.assignGroup(r, segs[1], body) })
		case segs[2] == "members" && len(segs) == 4 && segs[3] == "$ref":
			return method(http.MethodPost, func() response { return s.addMember(r, segs[1], body) })
		case segs[2] == "members" && len(segs) == 5 && segs[4] == "$ref":
			return method(http.MethodDelete, func() response { return s.removeMember(r, segs[1], segs[3]) })
		case segs[2] == "members" || segs[2] == "transitiveMembers" || segs[2] == "membersWithLicenseErrors":
			if len(segs) == 4 && segs[3] != "microsoft.graph.user" && segs[3] != "graph.user" {
				return s.fail(r, errSegment(segs[3]))
			}
			if len(segs) > 4 {
				return s.fail(r, errSegment(segs[4]))
			}
			return method(http.MethodGet, func() response { return s.members(r, segs[1], segs[2], len(segs) == 4) })
		default:
			return s.fail(r, errSegment(segs[2]))
		}
	}
	return s.fail(r, errSegment(segs[0]))
}

// methodNotAllowed is Graph's 405 for a method the path does not take.
func (s *server) methodNotAllowed(r *http.Request) response {
	return s.failStatus(r, http.StatusMethodNotAllowed, newError(licensing.InvalidInput, CodeBadRequest, licensing.Target{}, msgMethod))
}

func errSegment(seg string) *licensing.Error {
	return errInvalidQuery(fmt.Sprintf("Resource not found for the segment '%s'.", seg))
}

// fail answers with Graph's error envelope; the status comes from the error's code and kind.
func (s *server) fail(r *http.Request, e *licensing.Error) response {
	return s.failStatus(r, httpStatus(e), e)
}

func (s *server) failStatus(r *http.Request, status int, e *licensing.Error) response {
	code := ""
	var wait time.Duration
	if ge := graphError(e); ge != nil {
		code, wait = ge.Code, ge.Wait
	}
	if code == "" {
		code = "UnknownError"
	}
	msg := e.Message
	if msg == "" {
		msg = e.Error()
	}
	id := s.requestID()
	clientID := r.Header.Get("client-request-id")
	if clientID == "" {
		clientID = id
	}
	h := http.Header{}
	if wait > 0 {
		h.Set("Retry-After", fmt.Sprint(int((wait+time.Second-1)/time.Second)))
	}
	return response{status: status, header: h, body: object{"error": object{
		"code":    code,
		"message": msg,
		"innerError": object{
			"date":              s.t.clock.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        id,
			"client-request-id": clientID,
		},
	}}}
}

func (s *server) requestID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", s.seq.Add(1)&0xffffffffffff)
}

func (s *server) write(w http.ResponseWriter, resp response) {
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	if resp.raw != nil {
		w.Header().Set("Content-Type", jsonContentType)
		w.WriteHeader(resp.status)
		w.Write(resp.raw)
		return
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	if doc, ok := resp.body.(tenantDocument); ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.status)
		doc.snap.WriteJSON(w)
		return
	}
	b := marshal(resp.body)
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(resp.status)
	w.Write(b)
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// collection is a Graph collection response.
func collection(r *http.Request, entitySet string, items []object, count *int, next string) response {
	body := object{
		"@odata.context": baseURL(r) + "/v1.0/$metadata#" + entitySet,
		"value":          items,
	}
	if count != nil {
		body["@odata.count"] = *count
	}
	if next != "" {
		body["@odata.nextLink"] = nextLink(r, next)
	}
	return response{status: http.StatusOK, body: body}
}

func entity(r *http.Request, entitySet string, status int, o object) response {
	o["@odata.context"] = baseURL(r) + "/v1.0/$metadata#" + entitySet + "/$entity"
	return response{status: status, body: o}
}
