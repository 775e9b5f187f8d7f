package tfefake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/hashicorp/jsonapi"

	"github.com/dbaas-io/dbaas/internal/testing/machinetest"
)

const apiPrefix = "/api/v2/"

// serve answers every request: it throttles or fails as the test asked,
// checks the token and hands the request to the routes of the resource its
// path names.
func (r *Rig) serve(w http.ResponseWriter, req *http.Request) {
	fault := r.Next()
	r.mu.Lock()
	defer r.mu.Unlock()

	w.Header().Set("TFP-API-Version", "2.6")
	w.Header().Set("TFP-AppName", "HCP Terraform")
	switch fault {
	case machinetest.Throttled:
		w.Header().Set("Retry-After", "1")
		w.Header().Set("X-RateLimit-Reset", "1.0")
		apiError(w, http.StatusTooManyRequests, "too many requests", "You have exceeded the API's rate limit.")
		return
	case machinetest.Down:
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
		r.organizationWorkspaceRoutes(w, req, p[3:])
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
		r.runRoutes(w, req, x, p[2:])
	default:
		notFound(w)
	}
}

// id hands out the next ID with the prefix Terraform Cloud gives the kind.
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

// notFound answers 404, as Terraform Cloud does for what does not exist
// and for what the token may not see.
func notFound(w http.ResponseWriter) { apiError(w, http.StatusNotFound, "not found", "") }

// write writes one resource as a JSON:API document.
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
