package tfefake

import (
	"net/http"
	"strconv"
	"time"

	tfe "github.com/hashicorp/go-tfe"
	"github.com/hashicorp/jsonapi"
)

// A run plans and applies one configuration version on a workspace.
type run struct {
	r       tfe.Run
	ws      *workspace
	cv      *cv
	confirm bool // someone approved it (Runs.Apply)
	fail    bool
}

// createRun queues a run on a workspace's given or latest configuration
// version; it fails in its plan when the test asked for that.
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

// showRun is the run as the API shows it, with the actions it allows.
func (r *Rig) showRun(x *run) *tfe.Run {
	c := x.r
	c.Workspace = &tfe.Workspace{ID: x.ws.ws.ID}
	c.ConfigurationVersion = &tfe.ConfigurationVersion{ID: x.cv.c.ID}
	confirmable := c.Status == tfe.RunPlanned && !c.AutoApply && !x.confirm
	c.Actions = &tfe.RunActions{IsConfirmable: confirmable, IsDiscardable: confirmable}
	c.Permissions = &tfe.RunPermissions{CanApply: true}
	return &c
}

// final tells whether a run has stopped moving.
func final(s tfe.RunStatus) bool {
	switch s {
	case tfe.RunApplied, tfe.RunErrored, tfe.RunCanceled, tfe.RunDiscarded, tfe.RunPlannedAndFinished:
		return true
	}
	return false
}

// listRuns lists a workspace's runs, newest first, as many as the page
// size asks for. Listing moves the oldest unfinished run on a step, as
// reading it does.
func (r *Rig) listRuns(w http.ResponseWriter, req *http.Request, ws *workspace) {
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

// runRoutes answers the paths under /runs/<id>: read, which moves the run
// on a step, and the apply action.
func (r *Rig) runRoutes(w http.ResponseWriter, req *http.Request, x *run, rest []string) {
	switch {
	case req.Method == http.MethodGet && len(rest) == 0:
		r.advance(x.ws)
		write(w, http.StatusOK, r.showRun(x))
	case req.Method == http.MethodPost && len(rest) == 2 && rest[0] == "actions" && rest[1] == "apply":
		if x.r.Status != tfe.RunPlanned {
			apiError(w, http.StatusConflict, "transition not allowed", "run is "+string(x.r.Status))
			return
		}
		x.confirm = true
		w.WriteHeader(http.StatusAccepted)
	default:
		notFound(w)
	}
}
