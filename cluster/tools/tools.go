//go:build tools

// Package tools pins the upstream main packages that `make tools` builds.
package tools

import (
	_ "github.com/crossplane/crossplane/v2/cmd/crossplane"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
