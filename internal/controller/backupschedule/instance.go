package backupschedule

import (
	"context"
	"sort"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
)

const (
	errOtherNamespace = "a BackupSchedule backs up an instance of its own namespace only; %s names namespace %s"
	errNoInstance     = "set spec.instance, spec.instanceRef or spec.instanceSelector to a DatabaseInstance of this namespace"
	errNoneSelected   = "spec.instanceSelector matches no DatabaseInstance in namespace %s: no backups are taken until one does"
	errInstanceGone   = "DatabaseInstance %s does not exist: no backups are taken until it does"
	errNoBackupConfig = "DatabaseInstance %s has no spec.forProvider.backup: set spec.forProvider.backup.store to a BackupStore of this namespace (or a ClusterBackupStore, with storeKind); no backups are taken until then"
	errStoreGone      = "%s, which DatabaseInstance %s backs up into, does not exist: no backups are taken until it does"
	errGet            = "cannot get %s %s"
	errList           = "cannot list the DatabaseInstances of namespace %s"
)

// instanceOf finds the schedule's DatabaseInstance, in the schedule's own
// namespace, and checks that the store it backs up into exists: a
// schedule whose instance or store is gone says which, and makes nothing.
func instanceOf(ctx context.Context, c client.Reader, s *v1alpha1.BackupSchedule) (string, error) {
	ns := s.GetNamespace()
	name := s.Spec.Instance
	if ref := s.Spec.InstanceRef; name == "" && ref != nil {
		if ref.Namespace != "" && ref.Namespace != ns {
			return "", errors.Errorf(errOtherNamespace, "spec.instanceRef", ref.Namespace)
		}
		name = ref.Name
	}
	if sel := s.Spec.InstanceSelector; name == "" && sel != nil {
		if sel.Namespace != "" && sel.Namespace != ns {
			return "", errors.Errorf(errOtherNamespace, "spec.instanceSelector", sel.Namespace)
		}
		l := &enginev1alpha1.DatabaseInstanceList{}
		if err := c.List(ctx, l, client.InNamespace(ns), client.MatchingLabels(sel.MatchLabels)); err != nil {
			return "", errors.Wrapf(err, errList, ns)
		}
		var names []string
		for i := range l.Items {
			if sel.MatchControllerRef != nil && *sel.MatchControllerRef && !sameController(s, &l.Items[i]) {
				continue
			}
			names = append(names, l.Items[i].GetName())
		}
		if len(names) == 0 {
			return "", errors.Errorf(errNoneSelected, ns)
		}
		sort.Strings(names)
		name = names[0]
	}
	if name == "" {
		return "", errors.New(errNoInstance)
	}

	inst := &enginev1alpha1.DatabaseInstance{}
	switch err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, inst); {
	case kerrors.IsNotFound(err):
		return "", errors.Errorf(errInstanceGone, name)
	case err != nil:
		return "", errors.Wrapf(err, errGet, enginev1alpha1.DatabaseInstanceKind, name)
	}
	b := inst.Spec.ForProvider.Backup
	if b == nil || b.Store == "" {
		return "", errors.Errorf(errNoBackupConfig, name)
	}
	store := backupstore.InstanceStore(ns, b)
	if _, err := backupstore.Get(ctx, c, store); err != nil {
		if kerrors.IsNotFound(err) {
			return "", errors.Errorf(errStoreGone, store, name)
		}
		return "", err
	}
	return name, nil
}

// sameController reports whether a and b have the same controller, as a
// selector's matchControllerRef asks.
func sameController(a, b metav1.Object) bool {
	ca, cb := metav1.GetControllerOf(a), metav1.GetControllerOf(b)
	return ca != nil && cb != nil && ca.UID == cb.UID
}
