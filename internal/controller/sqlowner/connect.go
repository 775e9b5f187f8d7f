package sqlowner

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
)

// Connect connects to the server mg lives on, as every SQL controller does:
// the named DatabaseInstance's when instance is set, its provider config's
// server otherwise. When there is no server to wait for any more it returns
// done, the external client that lets mg go, and no server: mg is being
// deleted and its instance is gone (what lived there went with it), or mg
// is being deleted past b's bound and its server stays out of reach (b
// emits the Warning event that names, by what, what is left behind).
func Connect[T server.Managed](ctx context.Context, c *server.Connector, b Bound, mg T, instance string, what func(T) string) (db dbms.Server, t server.Target, done managed.TypedExternalClient[T], err error) {
	db, t, err = c.Connect(ctx, mg, instance)
	if errors.Is(err, server.ErrGone) {
		return nil, t, dependents.Gone[T]{}, nil
	}
	if err != nil && b.GiveUp(mg) {
		b.Abandon(mg, what(mg), err)
		return nil, t, Abandoned[T]{}, nil
	}
	return db, t, nil, err
}
