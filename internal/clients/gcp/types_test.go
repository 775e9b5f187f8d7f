package gcp

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

func TestParseCustom(t *testing.T) {
	cases := map[string]struct {
		in   string
		want size
		ok   bool
	}{
		"n1":            {"custom-4-8192", size{4, 8192}, true},
		"url":           {"https://compute.googleapis.com/compute/v1/projects/p/zones/z/machineTypes/custom-2-4096", size{2, 4096}, true},
		"n2":            {"n2-custom-8-16384", size{8, 16384}, true},
		"e2":            {"e2-custom-2-4096", size{2, 4096}, true},
		"extended":      {"n2d-custom-2-20480-ext", size{2, 20480}, true},
		"predefined":    {"n2-standard-4", size{}, false},
		"not a number":  {"custom-x-4096", size{}, false},
		"out of int32":  {"custom-4-99999999999", size{}, false},
		"only a prefix": {"custom-4", size{}, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := parseCustom(tc.in)
			if ok != tc.ok || got != tc.want {
				t.Errorf("parseCustom(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestCustomType(t *testing.T) {
	cases := map[string]struct {
		cpu, mem int32
		want     string
		err      string
	}{
		"fits":          {cpu: 4, mem: 8192, want: "custom-4-8192"},
		"one vcpu":      {cpu: 1, mem: 1024, want: "custom-1-1024"},
		"odd vcpus":     {cpu: 3, mem: 3072, err: "1 vCPU or an even number"},
		"memory not256": {cpu: 2, mem: 1000, err: "multiples of 256 MiB, not 1000 MiB: use 768 or 1024"},
		"no memory":     {cpu: 2, mem: 0, err: "multiples of 256 MiB"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := customType(tc.cpu, tc.mem)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("customType(%d, %d) = %q, %v; want an error saying %q", tc.cpu, tc.mem, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("customType(%d, %d) = %q, %v; want %q", tc.cpu, tc.mem, got, err, tc.want)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	long := strings.Repeat("a", 70)
	got := labels(map[string]string{
		"App.Kubernetes.io/Name": "PostgreSQL 17",
		"env":                    "Prod",
		"9lives":                 "x",
		"_hidden":                "",
		long:                     long,
		"owner:email":            "dba@example.com",
		// A tag cannot pass for the owner's labels: they are set last.
		"dbaas-io-uid": "forged",
	}, "team-a", ownership.Owner{Namespace: "team-a", UID: "0f1e2d3c-aaaa"})
	want := map[string]string{
		"app_kubernetes_io_name": "postgresql_17",
		"env":                    "prod",
		"t9lives":                "x",
		"t_hidden":               "",
		strings.Repeat("a", 63):  strings.Repeat("a", 63),
		"owner_email":            "dba_example_com",
		"dbaas-namespace":        "team-a",
		"dbaas-io-namespace":     "team-a",
		"dbaas-io-uid":           "0f1e2d3c-aaaa",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

func TestMapError(t *testing.T) {
	hdr := http.Header{"Retry-After": []string{"7"}}
	cases := map[string]struct {
		err   error
		check func(error) string
	}{
		"throttled": {
			err: &googleapi.Error{Code: 429, Header: hdr, Errors: []googleapi.ErrorItem{{Reason: "rateLimitExceeded"}}},
			check: func(err error) string {
				var te *machine.TransientError
				if !errors.As(err, &te) || te.RetryAfter != 7*time.Second || te.StatusCode != 429 {
					return "want a 429 TransientError after 7s"
				}
				return ""
			},
		},
		"server error": {
			err: &googleapi.Error{Code: 503, Message: "backend unavailable"},
			check: func(err error) string {
				var te *machine.TransientError
				if !errors.As(err, &te) || te.StatusCode != 503 {
					return "want a 503 TransientError"
				}
				return ""
			},
		},
		"quota": {
			err: &googleapi.Error{Code: 403, Message: "Quota 'CPUS' exceeded.", Errors: []googleapi.ErrorItem{{Reason: "quotaExceeded"}}},
			check: func(err error) string {
				var ce *machine.CapacityError
				if !errors.As(err, &ce) || ce.Message != "Quota 'CPUS' exceeded." {
					return "want a CapacityError with GCP's message"
				}
				return ""
			},
		},
		"forbidden": {
			err: &googleapi.Error{Code: 403, Message: "Required 'compute.instances.create' permission", Errors: []googleapi.ErrorItem{{Reason: "forbidden"}}},
			check: func(err error) string {
				if strings.Contains(err.Error(), "capacity") || !strings.Contains(err.Error(), "compute.instances.create") {
					return "want the permission error as it is"
				}
				return ""
			},
		},
		"missing image family": {
			err: &googleapi.Error{Code: 404, Message: "The resource 'projects/debian-cloud/global/images/family/debian-99' was not found"},
			check: func(err error) string {
				var me *machine.MissingError
				if !errors.As(err, &me) || me.What != "image family" || me.Name != "debian-99" {
					return "want a MissingError naming the image family"
				}
				return ""
			},
		},
		"missing instance is not a spec error": {
			err: &googleapi.Error{Code: 404, Message: "The resource 'projects/p/zones/z/instances/db1' was not found"},
			check: func(err error) string {
				var me *machine.MissingError
				if errors.As(err, &me) {
					return "an instance is not something the spec names"
				}
				return ""
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := mapError(tc.err, "calling")
			if msg := tc.check(err); msg != "" {
				t.Errorf("mapError: %v: %s", err, msg)
			}
		})
	}
}

func TestOpError(t *testing.T) {
	op := func(code, msg string, status int64) *compute.Operation {
		return &compute.Operation{Name: "op-1", Status: "DONE", HttpErrorStatusCode: status,
			Error: &compute.OperationError{Errors: []*compute.OperationErrorErrors{{Code: code, Message: msg}}}}
	}
	var ce *machine.CapacityError
	if err := opError(op("ZONE_RESOURCE_POOL_EXHAUSTED", "The zone does not have enough resources", 503), "x"); !errors.As(err, &ce) {
		t.Errorf("pool exhausted: %v, want a CapacityError", err)
	}
	var me *machine.MissingError
	if err := opError(op("RESOURCE_NOT_FOUND", "The resource 'projects/p/global/networks/vpc1' was not found", 404), "x"); !errors.As(err, &me) || me.Name != "vpc1" || me.What != "network" {
		t.Errorf("not found: %v, want a MissingError naming network vpc1", err)
	}
	var te *machine.TransientError
	if err := opError(op("INTERNAL_ERROR", "try again", 500), "x"); !errors.As(err, &te) {
		t.Errorf("internal: %v, want a TransientError", err)
	}
	if err := opError(&compute.Operation{Status: "DONE"}, "x"); err != nil {
		t.Errorf("a clean operation: %v", err)
	}
}

func TestNew(t *testing.T) {
	ctx := t.Context()
	if _, err := New(ctx, nil, nil); err == nil {
		t.Error("New without a gcp block: no error")
	}
	if _, err := New(ctx, &apisv1alpha1.GCPBackendConfig{Zone: "z"}, nil); err == nil || !strings.Contains(err.Error(), "project") {
		t.Errorf("New without a project: %v, want an error asking for one", err)
	}
	if _, err := New(ctx, &apisv1alpha1.GCPBackendConfig{Project: "p", Zone: "z"}, []byte(`{"type":"authorized_user"}`)); err == nil {
		t.Error("New with credentials that are not a service account key: no error")
	}
	b, err := New(ctx, &apisv1alpha1.GCPBackendConfig{Project: "p", Zone: "z", Endpoint: "http://127.0.0.1:1/compute/v1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.svc.BasePath != "http://127.0.0.1:1/compute/v1/" {
		t.Errorf("base path %q, want the endpoint with a trailing slash", b.svc.BasePath)
	}
}
