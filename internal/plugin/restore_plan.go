package plugin

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// copiedSpec are the fields of the source Database's spec a restored
// Database takes: what it runs and where, so that the source's data fits.
// Its connection Secret is its own, named after it.
var copiedSpec = []string{"engine", "version", "flavor", "tier", "sku", "environment", "databaseName"}

// planRestore plans the restore of the Database d, whose instance is in,
// to the time toTime as a new platform Database named as: the source's
// engine, tier, SKU, flavor, size and environment, with spec.restore. The
// function composes its instance restored from d's backups; it and the
// provider check the time against the store again and refuse a target they
// cannot reach. The checks here only answer sooner.
func planRestore(d database, in *enginev1alpha1.DatabaseInstance, as, toTime string) (*unstructured.Unstructured, error) {
	t, err := time.Parse(time.RFC3339Nano, toTime)
	if err != nil {
		return nil, fmt.Errorf("--to-time %q is not a time: give it in RFC 3339, such as 2026-12-07T11:30:00Z or 2026-12-07T12:30:00+01:00", toTime)
	}
	if in.Spec.ForProvider.Backup == nil {
		return nil, fmt.Errorf("database %s/%s has no backup store: there are no backups to restore from", d.namespace(), d.name())
	}
	if err := in.Status.AtProvider.RecoveryWindow.Admits(t, d.namespace()+"/"+d.name()); err != nil {
		if errors.Is(err, enginev1alpha1.ErrNoBackupYet) {
			return nil, fmt.Errorf("database %s/%s has no completed backup yet: a restore starts from one (kubectl dbaas backup %s)", d.namespace(), d.name(), d.name())
		}
		return nil, fmt.Errorf("--to-time %w", err)
	}
	// The XRD takes any object name; the composed resources are named
	// <as>-instance, <as>-vm-2, ..., which must be DNS labels.
	if errs := validation.IsDNS1123Label(as + "-instance"); len(errs) > 0 {
		return nil, fmt.Errorf("--into %q cannot name the restored Database and what it composes (%s-instance, ...): %s", as, as, strings.Join(errs, "; "))
	}

	storage, ok, err := unstructured.NestedFieldCopy(d.xr.Object, "spec", "storageGB")
	if err != nil || !ok {
		return nil, fmt.Errorf("database %s/%s has no spec.storageGB to copy", d.namespace(), d.name())
	}
	spec := map[string]any{
		"storageGB": storage,
		"restore":   map[string]any{"from": d.name(), "toTime": toTime},
	}
	for _, f := range copiedSpec {
		if v := d.str("spec", f); v != "" {
			spec[f] = v
		}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": databases.GroupVersion().String(),
		"kind":       "Database",
		"metadata":   map[string]any{"namespace": d.namespace(), "name": as},
		"spec":       spec,
	}}, nil
}
