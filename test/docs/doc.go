// Package docs runs what the guides in docs/ tell people to do: every
// manifest they show is applied to a real API server holding the project's
// CRDs, every command is run here or is one a named test runs, and every
// block nothing can run is marked so in the guide and listed.
package docs
