package vsphere

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

const (
	errCredentials = "cannot read the vSphere credentials: want JSON {\"username\": \"...\", \"password\": \"...\"}"
	errURL         = "cannot parse the vSphere URL"
	errConnect     = "cannot reach vCenter"
	errLogin       = "cannot log in to vCenter"
)

// Credentials are the contents of the provider config's credentials.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// A clientKey names one logged-in client. The password enters only as a
// hash, so a rotated password makes a new session and the old one is left
// to expire.
type clientKey struct {
	url      string
	insecure bool
	username string
	password string // sha256, hex
}

var (
	clientsMu sync.Mutex
	clients   = map[clientKey]*govmomi.Client{}
)

// client returns the cached client for the endpoint and credentials, or
// logs in and caches a new one. A cached client logs in again by itself
// when vCenter says its session is gone (see relogin), so a reconcile costs
// no SOAP call for the session.
func client(ctx context.Context, rawURL string, insecure bool, creds []byte) (*govmomi.Client, error) {
	var c Credentials
	if len(strings.TrimSpace(string(creds))) > 0 {
		if err := json.Unmarshal(creds, &c); err != nil {
			return nil, errors.Wrap(err, errCredentials)
		}
	}
	sum := sha256.Sum256([]byte(c.Password))
	key := clientKey{url: rawURL, insecure: insecure, username: c.Username, password: hex.EncodeToString(sum[:])}

	clientsMu.Lock()
	defer clientsMu.Unlock()
	if gc, ok := clients[key]; ok {
		return gc, nil
	}
	gc, err := login(ctx, rawURL, insecure, c)
	if err != nil {
		return nil, err
	}
	clients[key] = gc
	return gc, nil
}

func login(ctx context.Context, rawURL string, insecure bool, c Credentials) (*govmomi.Client, error) {
	u, err := soap.ParseURL(rawURL)
	if err != nil || u == nil {
		if err == nil {
			err = errors.New("empty URL")
		}
		return nil, errors.Wrap(err, errURL)
	}
	u.User = nil
	sc := soap.NewClient(u, insecure)
	sc.Client.Transport = &statusTransport{next: sc.Client.Transport}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, classify(err, errConnect)
	}
	gc := &govmomi.Client{Client: vc, SessionManager: session.NewManager(vc)}
	if c.Username == "" {
		return gc, nil
	}
	user := url.UserPassword(c.Username, c.Password)
	rl := &relogin{next: vc.RoundTripper, login: func(ctx context.Context) error { return gc.SessionManager.Login(ctx, user) }}
	vc.RoundTripper = rl
	if err := gc.SessionManager.Login(ctx, user); err != nil {
		return nil, classify(err, errLogin)
	}
	return gc, nil
}

// relogin logs in again when vCenter answers NotAuthenticated (the
// session expired, was terminated, or vCenter restarted) and repeats the
// call once. It costs nothing while the session lives, unlike a session
// check before every reconcile or a keep-alive ticker per client.
type relogin struct {
	next  soap.RoundTripper
	login func(context.Context) error
	mu    sync.Mutex
}

type reloginKey struct{}

func (r *relogin) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	err := r.next.RoundTrip(ctx, req, res)
	if err == nil || ctx.Value(reloginKey{}) != nil || !fault.Is(err, &types.NotAuthenticated{}) {
		return err
	}
	r.mu.Lock()
	lerr := r.login(context.WithValue(ctx, reloginKey{}, true))
	r.mu.Unlock()
	if lerr != nil {
		return err
	}
	// The response body still holds the fault; start from an empty one.
	v := reflect.ValueOf(res).Elem()
	v.Set(reflect.Zero(v.Type()))
	return r.next.RoundTrip(ctx, req, res)
}

// httpStatusError is an HTTP answer that is not SOAP: a throttling proxy or
// load balancer in front of vCenter, or vCenter's own reverse proxy while
// its services restart.
type httpStatusError struct {
	Code   int
	Status string
	Header http.Header
}

func (e *httpStatusError) Error() string { return "HTTP " + e.Status }

// statusTransport turns 429 and non-SOAP 5xx answers into httpStatusError,
// keeping their Retry-After. govmomi's soap client reports them only as a
// *url.Error whose status error type is unexported and keeps no headers.
type statusTransport struct {
	next http.RoundTripper
}

func (t *statusTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(req)
	if err != nil {
		return res, err
	}
	transient := res.StatusCode == http.StatusTooManyRequests || res.StatusCode > 500 ||
		// vCenter sends its SOAP faults with 500; anything else with 500 is
		// not vCenter speaking.
		(res.StatusCode == http.StatusInternalServerError && !strings.Contains(res.Header.Get("Content-Type"), "xml"))
	if !transient {
		return res, nil
	}
	_ = res.Body.Close()
	return nil, &httpStatusError{Code: res.StatusCode, Status: res.Status, Header: res.Header}
}

// classify turns a govmomi error into the machine package's errors:
// throttling and unavailability are transient, capacity faults are
// capacity errors, and anything else is wrapped with what was being done.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var hs *httpStatusError
	if errors.As(err, &hs) {
		return &machine.TransientError{Backend: backendName, StatusCode: hs.Code, RetryAfter: machine.RetryAfter(hs.Header), Err: errors.Wrap(err, what)}
	}
	if msg, ok := capacityFault(err); ok {
		return &machine.CapacityError{Backend: backendName, Message: what + ": " + msg}
	}
	return errors.Wrap(err, what)
}

// capacityFault finds a fault that says vCenter has no room: too little
// CPU, memory or host capacity, or a full datastore.
func capacityFault(err error) (string, bool) {
	var msg string
	found := false
	fault.In(err, func(f types.BaseMethodFault, localized string, _ []types.LocalizableMessage) bool {
		switch f.(type) {
		// A full datastore's InsufficientStorageSpace is one of the
		// BaseInsufficientResourcesFaults.
		case types.BaseInsufficientResourcesFault, *types.NoDiskSpace,
			*types.InsufficientDisks, *types.NotEnoughLicenses:
			found = true
			msg = localized
			if msg == "" {
				msg = reflect.TypeOf(f).Elem().Name()
			}
			return true
		}
		return false
	})
	if found && msg == "" {
		msg = err.Error()
	}
	return msg, found
}
