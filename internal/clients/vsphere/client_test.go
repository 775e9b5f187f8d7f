// These tests are of the vCenter client: how faults are classified,
// throttling, a lost session, a wrong password, and the cache of logged-in
// clients.

package vsphere

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/vsphere/vspherefake"
)

func TestThrottled(t *testing.T) {
	rig, b := start(t)
	ctx := context.Background()
	id := machine.ID{Namespace: "ns", Name: "throttled"}
	rig.Throttle(3)
	_, err := b.Create(ctx, id, spec(rig))
	var te *machine.TransientError
	if !errors.As(err, &te) || te.StatusCode != http.StatusTooManyRequests || te.RetryAfter != time.Second {
		t.Fatalf("want a TransientError 429 with Retry-After 1s, got %#v", err)
	}
	if !strings.Contains(err.Error(), "throttling") {
		t.Errorf("message %q", err)
	}
	// The reconciler retries; the throttle runs out.
	var m *machine.Machine
	for range 5 {
		if m, err = b.Create(ctx, id, spec(rig)); err == nil {
			break
		}
		if !errors.As(err, &te) {
			t.Fatalf("retry: %v", err)
		}
	}
	if err != nil || m == nil {
		t.Fatalf("Create after the throttle: %v", err)
	}
	if n, err := rig.Machines(id.Name); err != nil || n != 1 {
		t.Errorf("vcsim has %d machines named %s (%v), want 1", n, id.Name, err)
	}
}

func TestSessionLostLogsInAgain(t *testing.T) {
	rig, b := start(t)
	ctx := context.Background()
	if err := b.c.SessionManager.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	id := machine.ID{Namespace: "ns", Name: "relogin"}
	if _, err := b.Create(ctx, id, spec(rig)); err != nil {
		t.Fatalf("Create after the session ended: %v", err)
	}
	if s, err := b.c.SessionManager.UserSession(ctx); err != nil || s == nil {
		t.Errorf("no session after Create: %v, %v", s, err)
	}
	// Cached: a second backend for the same endpoint and credentials makes
	// no call at all.
	calls := rig.Calls()
	b2, err := New(ctx, rig.Config(), rig.Credentials())
	if err != nil || b2.c != b.c || rig.Calls() != calls {
		t.Errorf("New again: same client %v, %d calls, %v", b2.c == b.c, rig.Calls()-calls, err)
	}
}

func TestWrongPassword(t *testing.T) {
	rig := vspherefake.Start(t)
	_, err := New(context.Background(), rig.Config(), []byte(`{"username":"dbaas","password":"wrong"}`))
	if err == nil || !strings.Contains(err.Error(), errLogin) {
		t.Errorf("want %q, got %v", errLogin, err)
	}
	if _, err := New(context.Background(), rig.Config(), []byte(`not json`)); err == nil {
		t.Error("credentials that are not JSON were accepted")
	}
}

func TestClassify(t *testing.T) {
	throttled := &httpStatusError{Code: 429, Status: "429 Too Many Requests", Header: http.Header{"Retry-After": {"3"}}}
	cases := map[string]struct {
		err   error
		check func(error) bool
	}{
		"Throttled": {throttled, func(err error) bool {
			var te *machine.TransientError
			return errors.As(err, &te) && te.StatusCode == 429 && te.RetryAfter == 3*time.Second
		}},
		"Capacity": {task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{Fault: &types.InsufficientMemoryResourcesFault{}, LocalizedMessage: "not enough memory"}}, func(err error) bool {
			var ce *machine.CapacityError
			return errors.As(err, &ce) && strings.Contains(ce.Message, "not enough memory")
		}},
		"DiskFull": {task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{Fault: &types.NoDiskSpace{Datastore: "LocalDS_0"}}}, func(err error) bool {
			var ce *machine.CapacityError
			return errors.As(err, &ce) && strings.Contains(ce.Message, "NoDiskSpace")
		}},
		"Other": {task.Error{LocalizedMethodFault: &types.LocalizedMethodFault{Fault: &types.InvalidArgument{}, LocalizedMessage: "bad"}}, func(err error) bool {
			var te *machine.TransientError
			var ce *machine.CapacityError
			return !errors.As(err, &te) && !errors.As(err, &ce) && strings.HasPrefix(err.Error(), errClone+": ")
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := classify(tc.err, errClone); !tc.check(got) {
				t.Errorf("classify: %#v (%v)", got, got)
			}
		})
	}
}

type answer struct {
	code int
	ct   string
}

func (a answer) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.code, Status: http.StatusText(a.code), Header: http.Header{"Content-Type": {a.ct}}, Body: io.NopCloser(strings.NewReader(""))}, nil
}

func TestStatusTransport(t *testing.T) {
	cases := []struct {
		a         answer
		transient bool
	}{
		{answer{200, "text/xml"}, false},
		{answer{500, "text/xml; charset=utf-8"}, false}, // a SOAP fault
		{answer{500, "text/html"}, true},
		{answer{429, "text/plain"}, true},
		{answer{503, "text/html"}, true},
		{answer{404, "text/html"}, false},
	}
	for _, tc := range cases {
		resp, err := (&statusTransport{next: tc.a}).RoundTrip(&http.Request{})
		if resp != nil {
			_ = resp.Body.Close()
		}
		var hs *httpStatusError
		if got := errors.As(err, &hs); got != tc.transient {
			t.Errorf("%d %s: transient %v, want %v", tc.a.code, tc.a.ct, got, tc.transient)
		}
	}
}
