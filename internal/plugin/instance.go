package plugin

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// instanceOf reads the Database name of the command's namespace and the
// DatabaseInstance it composes; what says what the command wanted to do
// with it, for the error of a Database that has none of its own.
func instanceOf(ctx context.Context, c *cluster, name, what string) (database, *enginev1alpha1.DatabaseInstance, error) {
	u, err := c.get(ctx, databases, c.namespace, name)
	if err != nil {
		return database{}, nil, err
	}
	d := asDatabase(u)
	ref, ok := d.instanceRef()
	if !ok {
		return d, nil, fmt.Errorf("database %s/%s has no DatabaseInstance of its own (tier %s): there is nothing to %s",
			d.namespace(), d.name(), orNone(d.str("spec", "tier")), what)
	}
	iu, err := c.get(ctx, instances, d.namespace(), ref.Name)
	if err != nil {
		return d, nil, err
	}
	in := &enginev1alpha1.DatabaseInstance{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(iu.Object, in); err != nil {
		return d, nil, err
	}
	return d, in, nil
}

// notReady says that a Database is not Ready, why, and where to look.
func notReady(d database, phase, msg string) error {
	if msg != "" {
		msg = ": " + msg
	}
	return fmt.Errorf("database %s/%s is not Ready (%s%s); see kubectl dbaas status %s -n %s",
		d.namespace(), d.name(), phase, msg, d.name(), d.namespace())
}
