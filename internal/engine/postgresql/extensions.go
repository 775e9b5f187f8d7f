package postgresql

import (
	"context"
	"path/filepath"
	"sort"

	"github.com/dbaas-io/dbaas/internal/engine/pgextensions"
)

// DefaultShareRoot holds one share directory per major version (pg_config
// --sharedir), with the extensions' control files, as Debian packages
// install them.
const DefaultShareRoot = "/usr/share/postgresql"

// shareDir is the server's share directory.
func (i *Instance) shareDir() string {
	root := i.ShareRoot
	if root == "" {
		root = DefaultShareRoot
	}
	return filepath.Join(root, i.major())
}

// Extensions says which of the extensions a local instance is asked for
// (with those they require) this machine can provide: a local instance uses
// the packages installed here and installs none, so an extension is
// available exactly when its control file is in the server's share
// directory. missing is in creation order, available sorted.
func (i *Instance) Extensions(ctx context.Context, names []string) (available, missing []string, err error) {
	all, err := pgextensions.WithRequired(i.Version, names)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range all {
		ok, err := i.fileExists(ctx, filepath.Join(i.shareDir(), pgextensions.ControlFile(n)))
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			missing = append(missing, n)
			continue
		}
		available = append(available, n)
	}
	sort.Strings(available)
	return available, missing, nil
}
