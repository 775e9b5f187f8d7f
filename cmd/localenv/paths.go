package main

import (
	"os"
	"path/filepath"

	"github.com/dbaas-io/dbaas/internal/localenv"
)

// paths are the files the commands share, all below the git-ignored .cache.
type paths struct {
	root       string
	cache      string
	pidFile    string
	kubeconfig string
}

func newPaths(root string) paths {
	cache := filepath.Join(root, ".cache")
	return paths{
		root:       root,
		cache:      cache,
		pidFile:    filepath.Join(cache, "localenv.pid"),
		kubeconfig: filepath.Join(cache, "kubeconfig"),
	}
}

// config of an environment whose state lives in stateDir.
func (p paths) config(stateDir string) localenv.Config {
	return localenv.Config{
		Root:           p.root,
		BinDir:         filepath.Join(p.cache, "bin"),
		CrossplaneCRDs: filepath.Join(p.cache, "crossplane", "crds"),
		// `make up` and `make demo` run `make package` first.
		PackageDir: filepath.Join(p.cache, "packages"),
		StateDir:   stateDir,
		Progress:   os.Stdout,
	}
}
