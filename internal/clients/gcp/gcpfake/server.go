// Package gcpfake is a small Compute Engine v1 REST server for tests: the
// instances, disks, machine types, firewalls and operations the GCP
// machine backend uses, kept in maps. Operations finish later, as on the
// real API: an operation is RUNNING when it is first looked at and DONE,
// with its effect applied, on a later look (DoneAfter looks). Errors use
// Compute Engine's JSON error format.
package gcpfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"

	compute "google.golang.org/api/compute/v1"

	"github.com/dbaas-io/dbaas/internal/testing/machinetest"
)

// Defaults of a new Server.
const (
	Project     = "dbaas-test"
	Zone        = "europe-west1-b"
	OtherZone   = "europe-west1-c"
	ImageLink   = "projects/debian-cloud/global/images/debian-12-bookworm-v20260101"
	FamilyLink  = "projects/debian-cloud/global/images/family/debian-12"
	QuotaType   = "n2-standard-64"
	bootDiskGiB = 10
)

type size struct{ cpu, mem int64 }

// predefined machine types the fake knows, with their vCPUs and MiB.
var predefined = map[string]size{
	"e2-small":       {2, 2048},
	"e2-standard-2":  {2, 8192},
	"e2-standard-4":  {4, 16384},
	"n2-standard-2":  {2, 8192},
	"n2-standard-4":  {4, 16384},
	"n2-standard-8":  {8, 32768},
	"n2-standard-64": {64, 262144},
}

var customRe = regexp.MustCompile(`^(?:[a-z0-9]+-)?custom-(\d+)-(\d+)(?:-ext)?$`)

// A Server is a fake Compute Engine API for one project.
type Server struct {
	srv *httptest.Server

	// DoneAfter is how many looks (gets of an operation, reads of its
	// instance, lists that include it) an operation takes to finish; at
	// least 2, so that every operation is seen RUNNING once.
	DoneAfter int

	mu          sync.Mutex
	project     string
	zones       map[string]bool
	images      map[string]bool // projects/x/global/images/y and .../family/y
	networks    map[string]bool // projects/p/global/networks/n
	subnetworks map[string]bool // projects/p/regions/r/subnetworks/s
	quota       map[string]bool // machine types refused for quota
	instances   map[string]*compute.Instance
	disks       map[string]*compute.Disk     // key zone/name
	firewalls   map[string]*compute.Firewall // key name
	ops         map[string]*operation        // key scope/name; scope is a zone or "global"
	seq         uint64
	kinds       map[string]int

	// Faults answers 429 rateLimitExceeded and 503 backendError, as
	// Compute Engine does.
	machinetest.Faults
}

// NewServer starts a fake with the default project, zones, networks,
// images and machine types.
func NewServer() *Server {
	s := &Server{
		DoneAfter:   3,
		project:     Project,
		zones:       map[string]bool{Zone: true, OtherZone: true},
		images:      map[string]bool{ImageLink: true, FamilyLink: true},
		networks:    map[string]bool{"projects/" + Project + "/global/networks/default": true, "projects/" + Project + "/global/networks/dbaas": true},
		subnetworks: map[string]bool{"projects/" + Project + "/regions/europe-west1/subnetworks/default": true},
		quota:       map[string]bool{QuotaType: true},
		instances:   map[string]*compute.Instance{},
		disks:       map[string]*compute.Disk{},
		firewalls:   map[string]*compute.Firewall{},
		ops:         map[string]*operation{},
		kinds:       map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Endpoint is what the backend's option.WithEndpoint needs: the base URL
// with Compute Engine's "/compute/v1/" path, against which the library
// resolves "projects/...".
func (s *Server) Endpoint() string { return s.srv.URL + "/compute/v1/" }

// Project is the fake's project.
func (s *Server) Project() string { return s.project }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Kinds counts the requests answered by API method, such as
// "instances.insert" or "zoneOperations.get"; throttled requests count as
// "throttled".
func (s *Server) Kinds() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.kinds {
		out[k] = v
	}
	return out
}

// MarkQuota makes machine type t exceed the project's quota.
func (s *Server) MarkQuota(t string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quota[t] = true
}

// link is the selfLink of a resource path below the project.
func (s *Server) link(path string) string {
	return s.srv.URL + "/compute/v1/projects/" + s.project + "/" + path
}

// norm turns a resource reference as clients give it (a URL, a
// "projects/..." path or a partial "global/..." or "zones/..." path) into
// a "projects/..." path.
func (s *Server) norm(ref string) string {
	if i := strings.Index(ref, "/compute/v1/"); i >= 0 {
		ref = ref[i+len("/compute/v1/"):]
	}
	if !strings.HasPrefix(ref, "projects/") {
		ref = "projects/" + s.project + "/" + ref
	}
	return ref
}

func (s *Server) nextID() uint64 {
	s.seq++
	return 1000 + s.seq
}

// An apiError is Compute Engine's error answer.
type apiError struct {
	code   int
	reason string
	msg    string
}

func notFound(resource string) *apiError {
	return &apiError{http.StatusNotFound, "notFound", fmt.Sprintf("The resource '%s' was not found", resource)}
}

func exists(resource string) *apiError {
	return &apiError{http.StatusConflict, "alreadyExists", fmt.Sprintf("The resource '%s' already exists", resource)}
}

func notReady(resource string) *apiError {
	return &apiError{http.StatusBadRequest, "resourceNotReady", fmt.Sprintf("The resource '%s' is not ready", resource)}
}

func invalid(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "invalid", msg}
}

var statusNames = map[int]string{
	http.StatusBadRequest:      "INVALID_ARGUMENT",
	http.StatusForbidden:       "PERMISSION_DENIED",
	http.StatusNotFound:        "NOT_FOUND",
	http.StatusConflict:        "ALREADY_EXISTS",
	http.StatusTooManyRequests: "RESOURCE_EXHAUSTED",
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"error": map[string]any{
		"code":    e.code,
		"message": e.msg,
		"errors":  []map[string]string{{"message": e.msg, "domain": "global", "reason": e.reason}},
		"status":  statusNames[e.code],
	}}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(e.code)
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// A route answers one API method; it runs with s.mu held.
type route struct {
	kind string
	fn   func(r *http.Request, p []string) (any, *apiError)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	fault := s.Next()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch fault {
	case machinetest.Throttled:
		s.kinds["throttled"]++
		w.Header().Set("Retry-After", "1")
		writeError(w, &apiError{http.StatusTooManyRequests, "rateLimitExceeded", "Rate Limit Exceeded"})
		return
	case machinetest.Down:
		s.kinds["unavailable"]++
		writeError(w, &apiError{http.StatusServiceUnavailable, "backendError", "Backend Error"})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/compute/v1/projects/")
	if !ok {
		writeError(w, notFound(r.URL.Path))
		return
	}
	p := strings.Split(rest, "/")
	if p[0] != s.project {
		// Images live in other projects too.
		if len(p) >= 4 && p[1] == "global" && p[2] == "images" {
			s.answer(w, r, route{"images.get", s.getImage}, p)
			return
		}
		writeError(w, notFound("projects/"+p[0]))
		return
	}
	p = p[1:]
	if len(p) >= 2 && p[0] == "zones" && !s.zones[p[1]] {
		writeError(w, notFound("projects/"+s.project+"/zones/"+p[1]))
		return
	}
	rt, ok := s.route(r.Method, p)
	if !ok {
		writeError(w, &apiError{http.StatusNotFound, "notFound", "no such method: " + r.Method + " " + r.URL.Path})
		return
	}
	s.answer(w, r, rt, p)
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, rt route, p []string) {
	s.kinds[rt.kind]++
	v, e := rt.fn(r, p)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, v)
}

// route picks the method for a path below projects/{project}/.
func (s *Server) route(method string, p []string) (route, bool) {
	key := method + " " + shape(p)
	routes := map[string]route{
		"POST zones/*/instances":                  {"instances.insert", s.insertInstance},
		"GET zones/*/instances/*":                 {"instances.get", s.getInstance},
		"DELETE zones/*/instances/*":              {"instances.delete", s.deleteInstance},
		"POST zones/*/instances/*/stop":           {"instances.stop", s.stopInstance},
		"POST zones/*/instances/*/start":          {"instances.start", s.startInstance},
		"POST zones/*/instances/*/setMachineType": {"instances.setMachineType", s.setMachineType},
		"POST zones/*/instances/*/attachDisk":     {"instances.attachDisk", s.attachDisk},
		"POST zones/*/instances/*/setLabels":      {"instances.setLabels", s.setLabels},
		"GET aggregated/instances":                {"instances.aggregatedList", s.aggregatedInstances},
		"POST zones/*/disks":                      {"disks.insert", s.insertDisk},
		"GET zones/*/disks/*":                     {"disks.get", s.getDisk},
		"DELETE zones/*/disks/*":                  {"disks.delete", s.deleteDisk},
		"POST zones/*/disks/*/resize":             {"disks.resize", s.resizeDisk},
		"GET zones/*/machineTypes/*":              {"machineTypes.get", s.getMachineType},
		"GET zones/*/operations":                  {"zoneOperations.list", s.listZoneOperations},
		"GET zones/*/operations/*":                {"zoneOperations.get", s.getOperation},
		"GET global/operations/*":                 {"globalOperations.get", s.getOperation},
		"POST global/firewalls":                   {"firewalls.insert", s.insertFirewall},
		"GET global/firewalls/*":                  {"firewalls.get", s.getFirewall},
		"PATCH global/firewalls/*":                {"firewalls.patch", s.patchFirewall},
		"DELETE global/firewalls/*":               {"firewalls.delete", s.deleteFirewall},
		"GET global/images/*":                     {"images.get", s.getImage},
	}
	rt, ok := routes[key]
	return rt, ok
}

// shape replaces a path's names by "*": zones/z/instances/n becomes
// zones/*/instances/*, global/firewalls/f becomes global/firewalls/*.
func shape(p []string) string {
	out := append([]string(nil), p...)
	start := 1
	if p[0] == "global" || p[0] == "aggregated" {
		start = 2
	}
	for i := start; i < len(out); i += 2 {
		out[i] = "*"
	}
	return strings.Join(out, "/")
}

func decode(r *http.Request, v any) *apiError {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return invalid("Invalid JSON payload received. " + err.Error())
	}
	return nil
}

// getImage answers images.get for an image or an image family.
func (s *Server) getImage(_ *http.Request, p []string) (any, *apiError) {
	path := "projects/" + s.project + "/" + strings.Join(p, "/")
	if p[0] != "global" {
		path = "projects/" + strings.Join(p, "/")
	}
	if !s.images[path] {
		return nil, notFound(path)
	}
	return &compute.Image{Name: p[len(p)-1], Status: "READY", SelfLink: s.srv.URL + "/compute/v1/" + path}, nil
}

// machineSize is the size of a machine type, predefined or custom.
func (s *Server) machineSize(zone, t string) (size, *apiError) {
	if sz, ok := predefined[t]; ok {
		return sz, nil
	}
	m := customRe.FindStringSubmatch(t)
	if m == nil {
		return size{}, notFound(fmt.Sprintf("projects/%s/zones/%s/machineTypes/%s", s.project, zone, t))
	}
	var sz size
	fmt.Sscan(m[1], &sz.cpu)
	fmt.Sscan(m[2], &sz.mem)
	if sz.mem%256 != 0 {
		return size{}, invalid(fmt.Sprintf("Invalid value for field 'resource.machineType': '%s'. Memory should be a multiple of 256MiB, while %dMiB is requested.", t, sz.mem))
	}
	if sz.cpu > 1 && sz.cpu%2 != 0 {
		return size{}, invalid(fmt.Sprintf("Invalid value for field 'resource.machineType': '%s'. Number of vCPUs should be 1 or an even number.", t))
	}
	return sz, nil
}

func (s *Server) getMachineType(_ *http.Request, p []string) (any, *apiError) {
	zone, t := p[1], p[3]
	sz, e := s.machineSize(zone, t)
	if e != nil {
		return nil, e
	}
	return &compute.MachineType{
		Kind: "compute#machineType", Name: t, GuestCpus: sz.cpu, MemoryMb: sz.mem,
		Zone: zone, SelfLink: s.link("zones/" + zone + "/machineTypes/" + t),
	}, nil
}
