package plugin

import (
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
)

// backupTypes are the types --type takes, as pgBackRest names them.
var backupTypes = []string{string(opsv1alpha1.BackupFull), string(opsv1alpha1.BackupDiff), string(opsv1alpha1.BackupIncr)}

// planBackup is the Backup kubectl dbaas backup creates for the Database
// d's instance in, of type typ, named after the Database, the type and the
// time now (to the second): the name says what it is in kubectl get's list,
// where the schedule's backups sit beside it.
func planBackup(d database, in *enginev1alpha1.DatabaseInstance, typ string, now time.Time) (*opsv1alpha1.Backup, error) {
	if !slices.Contains(backupTypes, typ) {
		return nil, fmt.Errorf("--type %q is not a backup type: use one of %s", typ, strings.Join(backupTypes, ", "))
	}
	if in.Spec.ForProvider.Backup == nil {
		return nil, fmt.Errorf("database %s/%s has no backup store: its tier (%s) or its environment (%s) composes no backups; a tier with a backup policy in an environment with a backupStore does",
			d.namespace(), d.name(), orNone(d.str("spec", "tier")), orNone(d.str("spec", "environment")))
	}
	b := &opsv1alpha1.Backup{
		TypeMeta: metav1.TypeMeta{APIVersion: opsv1alpha1.SchemeGroupVersion.String(), Kind: opsv1alpha1.BackupKind},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: in.Namespace,
			Name:      fmt.Sprintf("%s-%s-%s", d.name(), typ, now.UTC().Format("20060102-150405")),
		},
		Spec: opsv1alpha1.BackupSpec{ForProvider: opsv1alpha1.BackupParameters{Instance: in.Name, Type: opsv1alpha1.BackupType(typ)}},
	}
	return b, nil
}

// backupDone says whether a Backup has ended, and how: nil once
// Completed, an error that quotes its message once Failed or Expired.
func backupDone(b *opsv1alpha1.Backup) (bool, error) {
	at := b.Status.AtProvider
	switch at.Phase {
	case opsv1alpha1.BackupCompleted:
		return true, nil
	case opsv1alpha1.BackupFailed, opsv1alpha1.BackupExpired:
		return true, fmt.Errorf("backup %s %s: %s", b.Name, at.Phase, orNone(at.Message))
	}
	return false, nil
}
