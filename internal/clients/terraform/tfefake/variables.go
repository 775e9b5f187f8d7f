package tfefake

import (
	"net/http"

	tfe "github.com/hashicorp/go-tfe"
)

// varRoutes answers the paths under /workspaces/<id>/vars: list, create,
// update and delete. Sensitive values are never shown.
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
