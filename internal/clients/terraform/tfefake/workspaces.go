package tfefake

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"time"

	tfe "github.com/hashicorp/go-tfe"
	"github.com/hashicorp/jsonapi"
)

// A workspace is one machine: its variables are the machine's spec and its
// state outputs, once a run has applied, the machine as it is.
type workspace struct {
	ws      tfe.Workspace
	vars    []*tfe.Variable
	runs    []*run // oldest first
	cvs     []*cv
	outputs map[string]interface{} // nil: no state
	n       int                    // sequence number; gives the address
}

// workspaceRoutes answers the paths under /workspaces/<id>: the workspace
// itself, its tags, and the variables, configuration versions, runs and
// state outputs that belong to it.
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
		r.createConfigurationVersion(w, req, ws)
	case sub == "runs" && len(rest) == 1 && req.Method == http.MethodGet:
		r.listRuns(w, req, ws)
	case sub == "current-state-version-outputs" && req.Method == http.MethodGet:
		currentStateOutputs(w, ws)
	default:
		notFound(w)
	}
}

// organizationWorkspaceRoutes answers the paths under
// /organizations/<org>/workspaces: create, and read by name.
func (r *Rig) organizationWorkspaceRoutes(w http.ResponseWriter, req *http.Request, rest []string) {
	switch {
	case req.Method == http.MethodPost && len(rest) == 0:
		r.createWorkspace(w, req)
	case req.Method == http.MethodGet && len(rest) == 1:
		ws := r.named(rest[0])
		if ws == nil {
			notFound(w)
			return
		}
		write(w, http.StatusOK, r.showWorkspace(ws))
	default:
		notFound(w)
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

// showWorkspace is the workspace as the API shows it, with its
// organization and current run.
func (r *Rig) showWorkspace(ws *workspace) *tfe.Workspace {
	c := ws.ws
	c.Organization = &tfe.Organization{Name: Organization}
	if n := len(ws.runs); n > 0 {
		c.CurrentRun = &tfe.Run{ID: ws.runs[n-1].r.ID}
	}
	return &c
}

// deleteWorkspace forgets the workspace and everything that belongs to it.
func (r *Rig) deleteWorkspace(ws *workspace) {
	delete(r.byID, ws.ws.ID)
	for _, x := range ws.runs {
		delete(r.runs, x.r.ID)
	}
	for _, c := range ws.cvs {
		delete(r.cvs, c.c.ID)
	}
}

// named finds a workspace by name; nil when there is none.
func (r *Rig) named(name string) *workspace {
	for _, w := range r.byID {
		if w.ws.Name == name {
			return w
		}
	}
	return nil
}
