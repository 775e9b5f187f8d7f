// Package machines drives every machine backend (vSphere on vcsim, Azure on
// the SDK's fake servers, GCP and Terraform Cloud on httptest servers that
// speak their REST APIs) through the real managed reconciler on a real
// kube-apiserver: create, drift, resize, refused shrink, throttling, orphan,
// delete, and a provider killed between the backend's create call and
// recording it.
package machines
