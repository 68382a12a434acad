package tenantload

import (
	"fmt"
	"testing"
)

// The parser reads the lifecycle fields itself (the users of a live snapshot carry them, so the
// fast path must not fall back to encoding/json for them), and the top-level signInActivityUnknown
// and subscriptions go to the sink whole, as the other header fields do.
func TestParserReadsLifecycleFields(t *testing.T) {
	r, err := load(`{"formatVersion":"tenant/v1","signInActivityUnknown":false,"subscriptions":[{"id":"s1"}],"users":[` +
		`{"id":"u1","userType":"Guest","createdDateTime":"2020-01-02T03:04:05Z","signInActivity":{"lastSignInDateTime":"2026-01-01T00:00:00Z",` +
		`"lastSignInRequestId":"r","lastNonInteractiveSignInDateTime":null,"lastSuccessfulSignInDateTime":"2025-12-31T00:00:00Z","@odata.type":"#microsoft.graph.signInActivity"}},` +
		`{"id":"u2","signInActivity":{}},{"id":"u3","signInActivity":null,"userType":null,"createdDateTime":""},` +
		`{"id":"u4","signInActivity":{"LastSignInDateTime":"2026-01-01T00:00:00Z"}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"decode formatVersion keep=true",
		"decode signInActivityUnknown keep=true",
		"decode subscriptions keep=true",
		"user u1", "user u2", "user u3",
		"decode users keep=true", // a key matching only case-insensitively: encoding/json's
		"end users",
	}
	if fmt.Sprint(r.events) != fmt.Sprint(want) {
		t.Errorf("events:\n%q\nwant:\n%q", r.events, want)
	}
	u1, u2, u3 := r.users[0], r.users[1], r.users[2]
	if u1.UserType != "Guest" || u1.CreatedDateTime != "2020-01-02T03:04:05Z" || !u1.HasSignInActivity ||
		u1.LastSignInDateTime != "2026-01-01T00:00:00Z" || u1.LastNonInteractiveSignInDateTime != "" || u1.LastSuccessfulSignInDateTime != "2025-12-31T00:00:00Z" {
		t.Errorf("u1: %+v", u1)
	}
	if !u2.HasSignInActivity || u2.LastSignInDateTime != "" {
		t.Errorf("u2 (signInActivity {}): %+v", u2)
	}
	if u3.HasSignInActivity || u3.UserType != "" || u3.CreatedDateTime != "" {
		t.Errorf("u3 (nulls): %+v", u3)
	}
	if Subscriptions.Field() != "subscriptions" || SignInActivityUnknown.Field() != "signInActivityUnknown" || UserElem.Field() != "users" || GroupList.Field() != "groups" {
		t.Errorf("fields: %q %q %q %q", Subscriptions.Field(), SignInActivityUnknown.Field(), UserElem.Field(), GroupList.Field())
	}
}
