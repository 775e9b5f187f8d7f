// Package tfefake is a small Terraform Cloud/Enterprise API v2 server for
// tests: the part of the JSON:API that go-tfe calls to run a machine as a
// workspace. State is kept in maps; responses are go-tfe's own structs
// marshalled with jsonapi. Runs move on one step each time they are read,
// and an applied run "executes the module": it writes state outputs
// computed from the workspace's variables.
package tfefake

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	tfe "github.com/hashicorp/go-tfe"
	"github.com/hashicorp/jsonapi"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/testing/machinetest"
)

// Values the rig hands out.
const (
	Organization = "dbaas-test"
	Token        = "fake-tfe-token"
	ModuleSource = "app.terraform.io/dbaas-test/vm/fake"
	ModuleVer    = "1.0.0"
	FakeImage    = "ubuntu-24.04"
	SecretName   = "tfe-token"
)

const apiPrefix = "/api/v2/"

type workspace struct {
	ws      tfe.Workspace
	vars    []*tfe.Variable
	runs    []*run // oldest first
	cvs     []*cv
	outputs map[string]interface{} // nil: no state
	n       int                    // sequence number; gives the address
}

type run struct {
	r       tfe.Run
	ws      *workspace
	cv      *cv
	confirm bool // someone approved it (Runs.Apply)
	fail    bool
}

type cv struct {
	c      tfe.ConfigurationVersion
	mainTF string
}

// A Rig is a running fake Terraform Cloud. It implements machinetest.Rig.
type Rig struct {
	srv       *httptest.Server
	autoApply bool

	calls    atomic.Int64
	mu       sync.Mutex
	throttle int
	down     int
	skip     int // requests answered before the throttling starts
	failNext bool
	seq      int
	byID     map[string]*workspace
	runs     map[string]*run
	cvs      map[string]*cv
}

var _ machinetest.Rig = (*Rig)(nil)

// Start runs a fake whose provider config applies runs automatically or,
// when autoApply is false, leaves them waiting for ApproveRuns.
func Start(t testing.TB, autoApply bool) *Rig {
	r := &Rig{autoApply: autoApply, byID: map[string]*workspace{}, runs: map[string]*run{}, cvs: map[string]*cv{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

// URL of the fake.
func (r *Rig) URL() string { return r.srv.URL }

// Backend is terraform.
func (r *Rig) Backend() apisv1alpha1.Backend { return apisv1alpha1.BackendTerraform }

// ProviderConfig reaches the fake; the caller fills in the namespace of the
// Secret named tfe-token.
func (r *Rig) ProviderConfig() apisv1alpha1.ProviderConfigSpec {
	auto := r.autoApply
	return apisv1alpha1.ProviderConfigSpec{
		Backend: apisv1alpha1.BackendTerraform,
		Credentials: &apisv1alpha1.ProviderCredentials{
			Source: xpv2.CredentialsSourceSecret,
			CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: &xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Name: SecretName}, Key: "credentials"}},
		},
		Terraform: &apisv1alpha1.TerraformBackendConfig{
			Address:      r.srv.URL,
			Organization: Organization,
			Module:       apisv1alpha1.TerraformModule{Source: ModuleSource, Version: ModuleVer},
			AutoApply:    &auto,
		},
	}
}

// Credentials is the API token.
func (r *Rig) Credentials() []byte { return []byte(Token) }

// Image is any image: the fake module accepts every one.
func (r *Rig) Image() string { return FakeImage }

// Machines counts the workspaces named name.
func (r *Rig) Machines(name string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, w := range r.byID {
		if w.ws.Name == name {
			n++
		}
	}
	return n, nil
}

// Get reads a machine from its workspace's state outputs; nil when there is
// no workspace or no state.
func (r *Rig) Get(name string) (*machine.Machine, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.named(name)
	if w == nil || w.outputs == nil {
		return nil, nil
	}
	o := w.outputs
	m := &machine.Machine{
		ID:         o["id"].(string),
		Address:    o["address"].(string),
		CPU:        int32(o["cpu"].(int)),
		MemoryMiB:  int32(o["memory_mib"].(int)),
		PowerState: machine.PowerState(o["power_state"].(string)),
	}
	for _, d := range o["disks"].([]map[string]interface{}) {
		m.Disks = append(m.Disks, machine.Disk{Name: d["name"].(string), SizeGiB: int32(d["size_gib"].(int))})
	}
	m.Disks = machine.SortDisks(m.Disks)
	return m, nil
}

// Drift changes the workspace's cpu and memory_mib variables and its state
// outputs, as someone editing the workspace and applying it by hand would.
func (r *Rig) Drift(name string, cpu, memoryMiB int32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.named(name)
	if w == nil || w.outputs == nil {
		return fmt.Errorf("no workspace %q with state", name)
	}
	for _, v := range w.vars {
		switch v.Key {
		case "cpu":
			v.Value = strconv.Itoa(int(cpu))
		case "memory_mib":
			v.Value = strconv.Itoa(int(memoryMiB))
		}
	}
	w.outputs["cpu"] = int(cpu)
	w.outputs["memory_mib"] = int(memoryMiB)
	return nil
}

// Variable returns a workspace variable's value, for tests.
func (r *Rig) Variable(name, key string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.named(name); w != nil {
		for _, v := range w.vars {
			if v.Key == key {
				return v.Value, true
			}
		}
	}
	return "", false
}

// SetVariable changes a workspace variable's value and nothing else, as
// someone editing it in the UI without queuing a run would.
func (r *Rig) SetVariable(name, key, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.named(name); w != nil {
		for _, v := range w.vars {
			if v.Key == key {
				v.Value = value
				return nil
			}
		}
	}
	return fmt.Errorf("workspace %q has no variable %q", name, key)
}

// Runs returns how many runs a workspace has had.
func (r *Rig) Runs(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.named(name); w != nil {
		return len(w.runs)
	}
	return 0
}

// MainTF returns the main.tf of the workspace's latest uploaded
// configuration version.
func (r *Rig) MainTF(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.named(name); w != nil {
		for i := len(w.cvs) - 1; i >= 0; i-- {
			if w.cvs[i].c.Status == tfe.ConfigurationUploaded {
				return w.cvs[i].mainTF
			}
		}
	}
	return ""
}

// ApproveRuns confirms every run that waits for approval, as someone
// pressing "Confirm & apply" would. It returns how many it approved.
func (r *Rig) ApproveRuns() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, x := range r.runs {
		if x.r.Status == tfe.RunPlanned && !x.r.AutoApply && !x.confirm {
			x.confirm = true
			n++
		}
	}
	return n
}

// FailNextRun makes the next run created error in its plan.
func (r *Rig) FailNextRun() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failNext = true
}

// Throttle makes the next n requests answer 429 with Retry-After: 1.
func (r *Rig) Throttle(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.throttle, r.skip = n, 0
}

// ThrottleAfter lets the next k requests through, then answers n with 429:
// a create cut short half way.
func (r *Rig) ThrottleAfter(k, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.throttle, r.skip = n, k
}

// Unavailable makes the next n requests answer 503.
func (r *Rig) Unavailable(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = n
}

// Calls is how many requests the fake has answered.
func (r *Rig) Calls() int64 { return r.calls.Load() }

// Close stops the fake.
func (r *Rig) Close() { r.srv.Close() }

func (r *Rig) named(name string) *workspace {
	for _, w := range r.byID {
		if w.ws.Name == name {
			return w
		}
	}
	return nil
}

func (r *Rig) id(prefix string) string {
	r.seq++
	return fmt.Sprintf("%s-%06d", prefix, r.seq)
}

// apiError writes a JSON:API error document.
func apiError(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", jsonapi.MediaType)
	w.WriteHeader(status)
	e := map[string]string{"status": strconv.Itoa(status), "title": title}
	if detail != "" {
		e["detail"] = detail
	}
	_ = json.NewEncoder(w).Encode(map[string]interface{}{"errors": []interface{}{e}})
}

func notFound(w http.ResponseWriter) { apiError(w, http.StatusNotFound, "not found", "") }

func write(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", jsonapi.MediaType)
	w.WriteHeader(status)
	_ = jsonapi.MarshalPayload(w, v)
}

// writeList writes a list with the pagination meta go-tfe reads.
func writeList(w http.ResponseWriter, v interface{}, n int) {
	p, err := jsonapi.Marshal(v)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "marshal", err.Error())
		return
	}
	doc := p.(*jsonapi.ManyPayload)
	doc.Meta = &jsonapi.Meta{"pagination": map[string]int{
		"current-page": 1, "total-pages": 1, "total-count": n}}
	w.Header().Set("Content-Type", jsonapi.MediaType)
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(doc)
}

func (r *Rig) serve(w http.ResponseWriter, req *http.Request) {
	r.calls.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()

	w.Header().Set("TFP-API-Version", "2.6")
	w.Header().Set("TFP-AppName", "HCP Terraform")
	if r.skip > 0 {
		r.skip--
	} else if r.throttle > 0 {
		r.throttle--
		w.Header().Set("Retry-After", "1")
		w.Header().Set("X-RateLimit-Reset", "1.0")
		apiError(w, http.StatusTooManyRequests, "too many requests", "You have exceeded the API's rate limit.")
		return
	} else if r.down > 0 {
		r.down--
		apiError(w, http.StatusServiceUnavailable, "service unavailable", "HCP Terraform is temporarily unavailable.")
		return
	}

	// The upload URL is outside the API and needs no token, as archivist's
	// signed URLs.
	if strings.HasPrefix(req.URL.Path, "/_archivist/") {
		r.upload(w, req)
		return
	}
	if req.Header.Get("Authorization") != "Bearer "+Token {
		apiError(w, http.StatusUnauthorized, "unauthorized", "")
		return
	}
	if !strings.HasPrefix(req.URL.Path, apiPrefix) {
		notFound(w)
		return
	}
	p := strings.Split(strings.TrimPrefix(req.URL.Path, apiPrefix), "/")
	route := req.Method + " " + p[0]
	switch {
	case route == "GET ping" && len(p) == 1:
		w.WriteHeader(http.StatusNoContent)
	case p[0] == "organizations" && len(p) >= 3 && p[2] == "workspaces":
		if p[1] != Organization {
			notFound(w)
			return
		}
		switch {
		case req.Method == http.MethodPost && len(p) == 3:
			r.createWorkspace(w, req)
		case req.Method == http.MethodGet && len(p) == 4:
			ws := r.named(p[3])
			if ws == nil {
				notFound(w)
				return
			}
			write(w, http.StatusOK, r.showWorkspace(ws))
		default:
			notFound(w)
		}
	case p[0] == "workspaces" && len(p) >= 2:
		ws := r.byID[p[1]]
		if ws == nil {
			notFound(w)
			return
		}
		r.workspaceRoutes(w, req, ws, p[2:])
	case p[0] == "runs" && req.Method == http.MethodPost && len(p) == 1:
		r.createRun(w, req)
	case p[0] == "runs" && len(p) >= 2:
		x := r.runs[p[1]]
		if x == nil {
			notFound(w)
			return
		}
		switch {
		case req.Method == http.MethodGet && len(p) == 2:
			r.advance(x.ws)
			write(w, http.StatusOK, r.showRun(x))
		case req.Method == http.MethodPost && len(p) == 4 && p[2] == "actions" && p[3] == "apply":
			if x.r.Status != tfe.RunPlanned {
				apiError(w, http.StatusConflict, "transition not allowed", "run is "+string(x.r.Status))
				return
			}
			x.confirm = true
			w.WriteHeader(http.StatusAccepted)
		default:
			notFound(w)
		}
	default:
		notFound(w)
	}
}

func (r *Rig) workspaceRoutes(w http.ResponseWriter, req *http.Request, ws *workspace, rest []string) {
	sub := ""
	if len(rest) > 0 {
		sub = rest[0]
	}
	switch {
	case sub == "" && req.Method == http.MethodGet:
		write(w, http.StatusOK, r.showWorkspace(ws))
	case sub == "" && req.Method == http.MethodPatch:
		var o tfe.WorkspaceUpdateOptions
		if err := jsonapi.UnmarshalPayload(req.Body, &o); err != nil {
			apiError(w, http.StatusBadRequest, "bad request", err.Error())
			return
		}
		if o.AutoApply != nil {
			ws.ws.AutoApply = *o.AutoApply
		}
		if o.Description != nil {
			ws.ws.Description = *o.Description
		}
		write(w, http.StatusOK, r.showWorkspace(ws))
	case sub == "" && req.Method == http.MethodDelete:
		r.deleteWorkspace(ws)
		w.WriteHeader(http.StatusNoContent)
	case sub == "actions" && len(rest) == 2 && rest[1] == "safe-delete" && req.Method == http.MethodPost:
		if len(ws.outputs) > 0 {
			apiError(w, http.StatusConflict, "conflict", "Workspace is not safe to delete: it manages resources")
			return
		}
		r.deleteWorkspace(ws)
		w.WriteHeader(http.StatusNoContent)
	case sub == "relationships" && len(rest) == 2 && rest[1] == "tags" && req.Method == http.MethodPost:
		// Workspaces.AddTags: the tags join the workspace's.
		tags, err := jsonapi.UnmarshalManyPayload(req.Body, reflect.TypeOf(&tfe.Tag{}))
		if err != nil {
			apiError(w, http.StatusBadRequest, "bad request", err.Error())
			return
		}
		for _, t := range tags {
			if name := t.(*tfe.Tag).Name; !slices.Contains(ws.ws.TagNames, name) {
				ws.ws.TagNames = append(ws.ws.TagNames, name)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	case sub == "vars":
		r.varRoutes(w, req, ws, rest[1:])
	case sub == "configuration-versions" && len(rest) == 1 && req.Method == http.MethodPost:
		c := &cv{c: tfe.ConfigurationVersion{ID: r.id("cv"), Status: tfe.ConfigurationPending, Source: tfe.ConfigurationSourceAPI}}
		var o tfe.ConfigurationVersionCreateOptions
		if err := jsonapi.UnmarshalPayload(req.Body, &o); err == nil && o.AutoQueueRuns != nil {
			c.c.AutoQueueRuns = *o.AutoQueueRuns
		}
		c.c.UploadURL = r.srv.URL + "/_archivist/upload/" + c.c.ID
		r.cvs[c.c.ID] = c
		ws.cvs = append(ws.cvs, c)
		write(w, http.StatusCreated, &c.c)
	case sub == "runs" && len(rest) == 1 && req.Method == http.MethodGet:
		r.advance(ws)
		size := len(ws.runs)
		if s, err := strconv.Atoi(req.URL.Query().Get("page[size]")); err == nil && s > 0 && s < size {
			size = s
		}
		out := []*tfe.Run{}
		for i := len(ws.runs) - 1; i >= 0 && len(out) < size; i-- {
			out = append(out, r.showRun(ws.runs[i]))
		}
		writeList(w, out, len(ws.runs))
	case sub == "current-state-version-outputs" && req.Method == http.MethodGet:
		if ws.outputs == nil {
			notFound(w)
			return
		}
		keys := make([]string, 0, len(ws.outputs))
		for k := range ws.outputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := []*tfe.StateVersionOutput{}
		for _, k := range keys {
			out = append(out, &tfe.StateVersionOutput{ID: "wsout-" + ws.ws.ID + "-" + k, Name: k, Value: ws.outputs[k]})
		}
		writeList(w, out, len(out))
	default:
		notFound(w)
	}
}

func (r *Rig) varRoutes(w http.ResponseWriter, req *http.Request, ws *workspace, rest []string) {
	switch {
	case len(rest) == 0 && req.Method == http.MethodGet:
		out := []*tfe.Variable{}
		for _, v := range ws.vars {
			c := *v
			if c.Sensitive {
				c.Value = ""
			}
			out = append(out, &c)
		}
		writeList(w, out, len(out))
	case len(rest) == 0 && req.Method == http.MethodPost:
		a, err := attributes(req.Body)
		key, _ := a["key"].(string)
		cat, _ := a["category"].(string)
		if err != nil || key == "" || cat == "" {
			apiError(w, http.StatusUnprocessableEntity, "invalid attribute", "key and category are required")
			return
		}
		for _, v := range ws.vars {
			if v.Key == key && v.Category == tfe.CategoryType(cat) {
				apiError(w, http.StatusUnprocessableEntity, "invalid attribute", "Key has already been taken")
				return
			}
		}
		v := &tfe.Variable{ID: r.id("var"), Key: key, Category: tfe.CategoryType(cat)}
		setVar(v, a)
		ws.vars = append(ws.vars, v)
		c := *v
		if c.Sensitive {
			c.Value = ""
		}
		write(w, http.StatusCreated, &c)
	case len(rest) == 1 && req.Method == http.MethodPatch:
		for _, v := range ws.vars {
			if v.ID == rest[0] {
				a, err := attributes(req.Body)
				if err != nil {
					apiError(w, http.StatusBadRequest, "bad request", err.Error())
					return
				}
				if k, ok := a["key"].(string); ok {
					v.Key = k
				}
				setVar(v, a)
				c := *v
				if c.Sensitive {
					c.Value = ""
				}
				write(w, http.StatusOK, &c)
				return
			}
		}
		notFound(w)
	case len(rest) == 1 && req.Method == http.MethodDelete:
		for i, v := range ws.vars {
			if v.ID == rest[0] {
				ws.vars = append(ws.vars[:i], ws.vars[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		notFound(w)
	default:
		notFound(w)
	}
}

// attributes reads a JSON:API document's data attributes.
func attributes(body io.Reader) (map[string]interface{}, error) {
	var doc struct {
		Data struct {
			Attributes map[string]interface{} `json:"attributes"`
		} `json:"data"`
	}
	err := json.NewDecoder(body).Decode(&doc)
	return doc.Data.Attributes, err
}

// setVar sets the attributes a create or update names.
func setVar(v *tfe.Variable, a map[string]interface{}) {
	if s, ok := a["value"].(string); ok {
		v.Value = s
	}
	if s, ok := a["description"].(string); ok {
		v.Description = s
	}
	if b, ok := a["hcl"].(bool); ok {
		v.HCL = b
	}
	if b, ok := a["sensitive"].(bool); ok {
		v.Sensitive = b
	}
}

func (r *Rig) createWorkspace(w http.ResponseWriter, req *http.Request) {
	var o tfe.WorkspaceCreateOptions
	if err := jsonapi.UnmarshalPayload(req.Body, &o); err != nil || o.Name == nil || *o.Name == "" {
		apiError(w, http.StatusUnprocessableEntity, "invalid attribute", "Name can't be blank")
		return
	}
	if r.named(*o.Name) != nil {
		apiError(w, http.StatusUnprocessableEntity, "invalid attribute", "Name has already been taken")
		return
	}
	r.seq++
	ws := &workspace{n: r.seq, ws: tfe.Workspace{ID: fmt.Sprintf("ws-%06d", r.seq), Name: *o.Name,
		ExecutionMode: "remote", CreatedAt: time.Now().UTC().Truncate(time.Second)}}
	if o.AutoApply != nil {
		ws.ws.AutoApply = *o.AutoApply
	}
	if o.Description != nil {
		ws.ws.Description = *o.Description
	}
	for _, t := range o.Tags {
		ws.ws.TagNames = append(ws.ws.TagNames, t.Name)
	}
	r.byID[ws.ws.ID] = ws
	write(w, http.StatusCreated, r.showWorkspace(ws))
}

func (r *Rig) showWorkspace(ws *workspace) *tfe.Workspace {
	c := ws.ws
	c.Organization = &tfe.Organization{Name: Organization}
	if n := len(ws.runs); n > 0 {
		c.CurrentRun = &tfe.Run{ID: ws.runs[n-1].r.ID}
	}
	return &c
}

func (r *Rig) deleteWorkspace(ws *workspace) {
	delete(r.byID, ws.ws.ID)
	for _, x := range ws.runs {
		delete(r.runs, x.r.ID)
	}
	for _, c := range ws.cvs {
		delete(r.cvs, c.c.ID)
	}
}

func (r *Rig) upload(w http.ResponseWriter, req *http.Request) {
	id := strings.TrimPrefix(req.URL.Path, "/_archivist/upload/")
	c := r.cvs[id]
	if req.Method != http.MethodPut || c == nil {
		notFound(w)
		return
	}
	if c.c.Status != tfe.ConfigurationPending {
		apiError(w, http.StatusConflict, "conflict", "configuration version was uploaded already")
		return
	}
	main, err := mainTF(req.Body)
	if err != nil {
		apiError(w, http.StatusUnprocessableEntity, "invalid archive", err.Error())
		return
	}
	c.mainTF = main
	c.c.Status = tfe.ConfigurationUploaded
	w.WriteHeader(http.StatusOK)
}

// mainTF reads main.tf from a tar.gz configuration.
func mainTF(body io.Reader) (string, error) {
	zr, err := gzip.NewReader(body)
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return "", fmt.Errorf("the archive has no main.tf")
		}
		if err != nil {
			return "", err
		}
		if strings.TrimPrefix(h.Name, "./") == "main.tf" {
			var b bytes.Buffer
			_, err := io.Copy(&b, tr)
			return b.String(), err
		}
	}
}

func (r *Rig) createRun(w http.ResponseWriter, req *http.Request) {
	var o tfe.RunCreateOptions
	if err := jsonapi.UnmarshalPayload(req.Body, &o); err != nil || o.Workspace == nil {
		apiError(w, http.StatusUnprocessableEntity, "invalid attribute", "workspace is required")
		return
	}
	ws := r.byID[o.Workspace.ID]
	if ws == nil {
		notFound(w)
		return
	}
	var c *cv
	if o.ConfigurationVersion != nil {
		c = r.cvs[o.ConfigurationVersion.ID]
	} else if n := len(ws.cvs); n > 0 {
		c = ws.cvs[n-1]
	}
	if c == nil {
		apiError(w, http.StatusUnprocessableEntity, "invalid attribute", "the workspace has no configuration version")
		return
	}
	x := &run{ws: ws, cv: c, fail: r.failNext}
	r.failNext = false
	x.r = tfe.Run{ID: r.id("run"), Status: tfe.RunPending, Source: tfe.RunSourceAPI,
		AutoApply: ws.ws.AutoApply, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	if o.AutoApply != nil {
		x.r.AutoApply = *o.AutoApply
	}
	if o.IsDestroy != nil {
		x.r.IsDestroy = *o.IsDestroy
	}
	if o.Message != nil {
		x.r.Message = *o.Message
	}
	r.runs[x.r.ID] = x
	ws.runs = append(ws.runs, x)
	write(w, http.StatusCreated, r.showRun(x))
}

func (r *Rig) showRun(x *run) *tfe.Run {
	c := x.r
	c.Workspace = &tfe.Workspace{ID: x.ws.ws.ID}
	c.ConfigurationVersion = &tfe.ConfigurationVersion{ID: x.cv.c.ID}
	confirmable := c.Status == tfe.RunPlanned && !c.AutoApply && !x.confirm
	c.Actions = &tfe.RunActions{IsConfirmable: confirmable, IsDiscardable: confirmable}
	c.Permissions = &tfe.RunPermissions{CanApply: true}
	return &c
}

func final(s tfe.RunStatus) bool {
	switch s {
	case tfe.RunApplied, tfe.RunErrored, tfe.RunCanceled, tfe.RunDiscarded, tfe.RunPlannedAndFinished:
		return true
	}
	return false
}

// advance moves the workspace's oldest unfinished run one step on, as
// Terraform Cloud works on one run of a workspace at a time.
func (r *Rig) advance(ws *workspace) {
	var x *run
	for _, c := range ws.runs {
		if !final(c.r.Status) {
			x = c
			break
		}
	}
	if x == nil {
		return
	}
	switch x.r.Status {
	case tfe.RunPending:
		x.r.Status = tfe.RunPlanning
	case tfe.RunPlanning:
		switch {
		case x.cv.c.Status != tfe.ConfigurationUploaded:
			x.r.Status = tfe.RunErrored
		case x.fail:
			x.r.Status = tfe.RunErrored
		default:
			x.r.Status = tfe.RunPlanned
			x.r.HasChanges = true
		}
	case tfe.RunPlanned:
		if x.r.AutoApply || x.confirm {
			x.r.Status = tfe.RunApplying
		}
	case tfe.RunApplying:
		x.r.Status = tfe.RunApplied
		r.execute(x)
	}
}

var diskRE = regexp.MustCompile(`name\s*=\s*"((?:[^"\\]|\\.)*)"\s*,\s*size_gib\s*=\s*(\d+)`)

// execute applies the module: it computes the outputs a VM module would
// give from the workspace's variables, or clears them for a destroy.
func (r *Rig) execute(x *run) {
	ws := x.ws
	if x.r.IsDestroy {
		ws.outputs = nil
		return
	}
	vars := map[string]string{}
	for _, v := range ws.vars {
		vars[v.Key] = v.Value
	}
	cpu, _ := strconv.Atoi(vars["cpu"])
	mem, _ := strconv.Atoi(vars["memory_mib"])
	disks := []map[string]interface{}{}
	for _, m := range diskRE.FindAllStringSubmatch(vars["disks"], -1) {
		size, _ := strconv.Atoi(m[2])
		name, err := strconv.Unquote(`"` + m[1] + `"`)
		if err != nil {
			name = m[1]
		}
		disks = append(disks, map[string]interface{}{"name": name, "size_gib": size})
	}
	power := vars["power_state"]
	if power == "" {
		power = "On"
	}
	ws.outputs = map[string]interface{}{
		"address":     fmt.Sprintf("10.%d.%d.%d", (ws.n>>16)&255, (ws.n>>8)&255, ws.n&255),
		"id":          "vm-" + strings.TrimPrefix(ws.ws.ID, "ws-"),
		"cpu":         cpu,
		"memory_mib":  mem,
		"disks":       disks,
		"power_state": power,
	}
}
