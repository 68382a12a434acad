package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// maxBatch is Graph's limit of requests in one $batch.
const maxBatch = 20

type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// batch is POST /$batch: up to 20 requests, each throttled, faulted and answered on its own;
// a request whose dependsOn names a failed request is answered 424 without running. The
// batch itself is 200 whenever it could be read, and 400 when it is malformed.
func (s *server) batch(r *http.Request, body []byte) response {
	if r.Method != http.MethodPost {
		return s.methodNotAllowed(r)
	}
	var in struct {
		Requests []batchRequest `json:"requests"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return s.fail(r, errInvalidQuery(msgBadJSON))
	}
	bad := func(format string, args ...any) response {
		return s.fail(r, errInvalidQuery(fmt.Sprintf(format, args...)))
	}
	switch n := len(in.Requests); {
	case n == 0:
		return bad("Invalid batch payload format: 'requests' is empty.")
	case n > maxBatch:
		return bad("The batch has %d requests; the limit is %d.", n, maxBatch)
	}
	index := map[string]int{}
	for i, q := range in.Requests {
		key := strings.ToLower(q.ID)
		if q.ID == "" || q.Method == "" || q.URL == "" {
			return bad("Batch request %d needs id, method and url.", i+1)
		}
		if _, dup := index[key]; dup {
			return bad("Batch request id '%s' is used more than once.", q.ID)
		}
		index[key] = i
	}
	for _, q := range in.Requests {
		for _, d := range q.DependsOn {
			if _, ok := index[strings.ToLower(d)]; !ok {
				return bad("Batch request '%s' depends on '%s', which is not in the batch.", q.ID, d)
			}
		}
	}
	order, ok := batchOrder(in.Requests, index)
	if !ok {
		return bad("The dependsOn of the batch requests form a cycle.")
	}
	out := make([]batchResponse, len(in.Requests))
	done := make([]bool, len(in.Requests))
	for _, i := range order {
		q := in.Requests[i]
		failedDep := ""
		for _, d := range q.DependsOn {
			if j := index[strings.ToLower(d)]; out[j].Status >= 400 {
				failedDep = d
			}
		}
		var resp response
		if failedDep != "" {
			resp = s.fail(r, newError(licensing.Other, CodeFailedDependency, licensing.Target{},
				fmt.Sprintf("The request was not run because request '%s', which it depends on, failed.", failedDep)))
		} else {
			resp = s.serveBatched(r, q)
		}
		out[i] = toBatchResponse(q.ID, resp)
		done[i] = true
	}
	return response{status: http.StatusOK, body: object{"responses": out}}
}

// batchOrder runs requests in the listed order, each after the ones it depends on.
func batchOrder(reqs []batchRequest, index map[string]int) ([]int, bool) {
	var order []int
	state := make([]int, len(reqs)) // 0 new, 1 visiting, 2 done
	var visit func(i int) bool
	visit = func(i int) bool {
		switch state[i] {
		case 1:
			return false
		case 2:
			return true
		}
		state[i] = 1
		for _, d := range reqs[i].DependsOn {
			if !visit(index[strings.ToLower(d)]) {
				return false
			}
		}
		state[i] = 2
		order = append(order, i)
		return true
	}
	for i := range reqs {
		if !visit(i) {
			return nil, false
		}
	}
	return order, true
}

// serveBatched answers one request of a batch as if it had come alone.
func (s *server) serveBatched(outer *http.Request, q batchRequest) response {
	rel := q.URL
	if u, err := url.Parse(rel); err == nil && u.IsAbs() {
		rel = u.RequestURI()
	}
	rel = "/" + strings.TrimPrefix(rel, "/")
	rel = strings.TrimPrefix(rel, "/v1.0")
	u, err := url.Parse("/v1.0" + rel)
	if err != nil {
		return s.fail(outer, errInvalidQuery(fmt.Sprintf("Invalid url '%s' in batch request '%s'.", q.URL, q.ID)))
	}
	var body []byte
	if len(q.Body) > 0 && string(q.Body) != "null" {
		body = q.Body
	}
	inner, err := http.NewRequestWithContext(outer.Context(), strings.ToUpper(q.Method), u.String(), bytes.NewReader(body))
	if err != nil {
		return s.fail(outer, errInvalidQuery(fmt.Sprintf("Invalid method '%s' in batch request '%s'.", q.Method, q.ID)))
	}
	inner.Host, inner.TLS = outer.Host, outer.TLS
	for k, v := range q.Headers {
		inner.Header.Set(k, v)
	}
	inner.Header.Del("Content-Encoding") // the body is part of the batch's JSON
	resp := s.serve(inner, strings.TrimPrefix(u.Path, "/v1.0"), body)
	if resp.reset || resp.raw != nil {
		return s.fail(outer, faultError(FaultGatewayTimeout))
	}
	return resp
}

func toBatchResponse(id string, resp response) batchResponse {
	out := batchResponse{ID: id, Status: resp.status, Headers: map[string]string{}}
	for k, v := range resp.header {
		if len(v) > 0 {
			out.Headers[k] = v[0]
		}
	}
	if resp.body != nil {
		out.Headers["Content-Type"] = jsonContentType
		out.Body = resp.body
	}
	return out
}
