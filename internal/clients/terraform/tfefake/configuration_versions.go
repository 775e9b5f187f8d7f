package tfefake

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"

	tfe "github.com/hashicorp/go-tfe"
	"github.com/hashicorp/jsonapi"
)

// A cv is a configuration version: the module call the client uploaded.
type cv struct {
	c      tfe.ConfigurationVersion
	mainTF string
}

// createConfigurationVersion makes a pending configuration version with an
// upload URL on the fake itself.
func (r *Rig) createConfigurationVersion(w http.ResponseWriter, req *http.Request, ws *workspace) {
	c := &cv{c: tfe.ConfigurationVersion{ID: r.id("cv"), Status: tfe.ConfigurationPending, Source: tfe.ConfigurationSourceAPI}}
	var o tfe.ConfigurationVersionCreateOptions
	if err := jsonapi.UnmarshalPayload(req.Body, &o); err == nil && o.AutoQueueRuns != nil {
		c.c.AutoQueueRuns = *o.AutoQueueRuns
	}
	c.c.UploadURL = r.srv.URL + "/_archivist/upload/" + c.c.ID
	r.cvs[c.c.ID] = c
	ws.cvs = append(ws.cvs, c)
	write(w, http.StatusCreated, &c.c)
}

// upload takes a configuration version's tar.gz and keeps its main.tf; a
// version takes one upload.
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
