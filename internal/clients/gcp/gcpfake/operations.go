package gcpfake

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"

	compute "google.golang.org/api/compute/v1"
)

// An operation is a zonal or global operation and the effect it has when
// it finishes. finish returns an operation error code and message, or "".
type operation struct {
	op     *compute.Operation
	scope  string // a zone or "global"
	looks  int
	finish func() (code, msg string)
}

// newOperation records an operation on target (a resource path below the
// project) in scope. It starts RUNNING.
func (s *Server) newOperation(scope, kind, target string, finish func() (string, string)) *compute.Operation {
	id := s.nextID()
	name := fmt.Sprintf("operation-%d-%s", id, kind)
	op := &compute.Operation{
		Kind:          "compute#operation",
		Id:            id,
		Name:          name,
		OperationType: kind,
		TargetLink:    s.link(target),
		Status:        "RUNNING",
		Progress:      0,
	}
	if scope == "global" {
		op.SelfLink = s.link("global/operations/" + name)
	} else {
		op.Zone = s.link("zones/" + scope)
		op.SelfLink = s.link("zones/" + scope + "/operations/" + name)
	}
	s.ops[scope+"/"+name] = &operation{op: op, scope: scope, finish: finish}
	return copyOp(op)
}

func copyOp(op *compute.Operation) *compute.Operation {
	c := *op
	return &c
}

// look is one look at an operation: time passes, and after DoneAfter
// looks it finishes.
func (s *Server) look(o *operation) {
	if o.op.Status == "DONE" {
		return
	}
	o.looks++
	if o.looks < max(s.DoneAfter, 2) {
		return
	}
	o.op.Status, o.op.Progress = "DONE", 100
	if o.finish == nil {
		return
	}
	if code, msg := o.finish(); code != "" {
		o.op.Error = &compute.OperationError{Errors: []*compute.OperationErrorErrors{{Code: code, Message: msg}}}
		o.op.HttpErrorStatusCode = http.StatusBadRequest
		if code == "QUOTA_EXCEEDED" {
			o.op.HttpErrorStatusCode = http.StatusForbidden
		}
		o.op.HttpErrorMessage = msg
	}
}

// lookAt looks at every unfinished operation whose target is the resource
// at path: reading a resource lets its operations go on.
func (s *Server) lookAt(path string) {
	link := s.link(path)
	for _, o := range s.sortedOps() {
		if o.op.TargetLink == link {
			s.look(o)
		}
	}
}

func (s *Server) sortedOps() []*operation {
	out := make([]*operation, 0, len(s.ops))
	for _, o := range s.ops {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].op.Id < out[j].op.Id })
	return out
}

// getOperation answers zoneOperations.get and globalOperations.get.
func (s *Server) getOperation(_ *http.Request, p []string) (any, *apiError) {
	scope, path := "global", "global/operations/"+p[2]
	if p[0] == "zones" {
		scope, path = p[1], "zones/"+p[1]+"/operations/"+p[3]
	}
	o, ok := s.ops[scope+"/"+p[len(p)-1]]
	if !ok {
		return nil, notFound("projects/" + s.project + "/" + path)
	}
	s.look(o)
	return copyOp(o.op), nil
}

// statusFilter is the one filter zoneOperations.list understands:
// status != DONE (or = / !=, any status, quoted or not).
var statusFilter = regexp.MustCompile(`^\s*\(?\s*status\s*(!=|=|eq|ne)\s*"?([A-Z]+)"?\s*\)?\s*$`)

// listZoneOperations answers zoneOperations.list; every operation listed
// is looked at.
func (s *Server) listZoneOperations(r *http.Request, p []string) (any, *apiError) {
	zone := p[1]
	var op, want string
	if f := r.URL.Query().Get("filter"); f != "" {
		m := statusFilter.FindStringSubmatch(f)
		if m == nil {
			return nil, invalid("Invalid list filter expression '" + f + "'.")
		}
		op, want = m[1], m[2]
	}
	list := &compute.OperationList{Kind: "compute#operationList", Items: []*compute.Operation{}}
	for _, o := range s.sortedOps() {
		if o.scope != zone {
			continue
		}
		s.look(o)
		switch op {
		case "=", "eq":
			if o.op.Status != want {
				continue
			}
		case "!=", "ne":
			if o.op.Status == want {
				continue
			}
		}
		list.Items = append(list.Items, copyOp(o.op))
	}
	return list, nil
}

// Operations counts the unfinished operations, for tests.
func (s *Server) Operations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, o := range s.ops {
		if o.op.Status != "DONE" {
			n++
		}
	}
	return n
}
