// Package packages builds the Crossplane packages with `make package`
// (Crossplane's own CLI, no Docker engine) and reads them back as an OCI
// image as Crossplane's package manager does: the layer labelled base holds
// package.yaml (the package's metadata, then its objects), the one labelled
// upbound the examples; and pushes them with `crank xpkg push`, as the
// README says to publish them, to a registry over TLS that then serves the
// same layers.
package packages
