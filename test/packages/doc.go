// Package packages builds the Crossplane packages with `make package`
// (Crossplane's own CLI, no Docker engine) and reads them back as an OCI
// image as Crossplane's package manager does: the layer labelled base holds
// package.yaml (the package's metadata, then its objects), the one labelled
// upbound the examples.
package packages
