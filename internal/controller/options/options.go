// Package options holds the settings every controller of the provider is set
// up with. It is a leaf package so that controllers and their registry can
// both import it.
package options

import (
	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
)

// Options are what every controller of this provider is set up with: the
// crossplane-runtime options plus the provider's own settings.
type Options struct {
	xpcontroller.Options

	// LocalDir is where the local backend keeps machines when a provider
	// config does not name a directory of its own.
	LocalDir string
}
