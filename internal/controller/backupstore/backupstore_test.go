package backupstore

import (
	"context"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

func TestObserve(t *testing.T) {
	now := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	s3 := backupstore.Store{Repo: pgbackrest.Repo{Type: pgbackrest.RepoS3}}
	type want struct {
		ready   corev1.ConditionStatus
		message string
		status  v1alpha1.BackupStoreObservation
	}
	cases := map[string]struct {
		reason string
		cr     store
		store  backupstore.Store
		look   look
		want   want
	}{
		"S3Reachable": {
			reason: "A store pgBackRest can list is Ready with its stanzas, size and the time of the look.",
			cr:     &v1alpha1.BackupStore{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "store"}},
			store:  s3,
			look: func(context.Context, backupstore.Store) (lookResult, error) {
				return lookResult{Stanzas: []string{"ns.a", "ns.b"}, BytesUsed: 42}, nil
			},
			want: want{ready: corev1.ConditionTrue, status: v1alpha1.BackupStoreObservation{
				Stanzas: []string{"ns.a", "ns.b"}, BytesUsed: ptr.To[int64](42), LastChecked: ptr.To(metav1.NewTime(now)),
			}},
		},
		"ClusterS3Reachable": {
			reason: "A ClusterBackupStore is looked at and reported the same way, with the stanzas of every namespace.",
			cr:     &v1alpha1.ClusterBackupStore{ObjectMeta: metav1.ObjectMeta{Name: "platform"}},
			store:  s3,
			look: func(context.Context, backupstore.Store) (lookResult, error) {
				return lookResult{Stanzas: []string{"a.db", "b.db"}, BytesUsed: 7}, nil
			},
			want: want{ready: corev1.ConditionTrue, status: v1alpha1.BackupStoreObservation{
				Stanzas: []string{"a.db", "b.db"}, BytesUsed: ptr.To[int64](7), LastChecked: ptr.To(metav1.NewTime(now)),
			}},
		},
		"S3Unreachable": {
			reason: "A store pgBackRest cannot reach is not Ready, with its message naming the store; nothing is reported as held.",
			cr:     &v1alpha1.BackupStore{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "store"}},
			store:  s3,
			look: func(context.Context, backupstore.Store) (lookResult, error) {
				return lookResult{}, errors.New("[HostConnectError] unable to connect to '127.0.0.1:1'")
			},
			want: want{ready: corev1.ConditionFalse, message: "cannot reach BackupStore store: [HostConnectError] unable to connect to '127.0.0.1:1'"},
		},
		"ClusterS3Unreachable": {
			reason: "The message names the kind, so a user tells a ClusterBackupStore from a BackupStore of the same name.",
			cr:     &v1alpha1.ClusterBackupStore{ObjectMeta: metav1.ObjectMeta{Name: "store"}},
			store:  s3,
			look: func(context.Context, backupstore.Store) (lookResult, error) {
				return lookResult{}, errors.New("[HostConnectError] unable to connect to '127.0.0.1:1'")
			},
			want: want{ready: corev1.ConditionFalse, message: "cannot reach ClusterBackupStore store: [HostConnectError] unable to connect to '127.0.0.1:1'"},
		},
		"PosixIsCheckedByInstances": {
			reason: "A posix store is on the instances' machines: Ready once resolved, and the provider does not look.",
			cr:     &v1alpha1.BackupStore{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "store"}},
			store:  backupstore.Store{Repo: pgbackrest.Repo{Type: pgbackrest.RepoPosix, Path: "/b/ns/nightly"}},
			look: func(context.Context, backupstore.Store) (lookResult, error) {
				t.Error("a posix store was looked at from the provider's host")
				return lookResult{}, nil
			},
			want: want{ready: corev1.ConditionTrue, message: msgPosix},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &external[store]{store: tc.store, look: tc.look, now: func() time.Time { return now }}
			got, err := e.Observe(context.Background(), tc.cr)
			if err != nil {
				t.Fatalf("%s\nObserve(...): %v", tc.reason, err)
			}
			if diff := cmp.Diff(managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, got); diff != "" {
				t.Errorf("%s\nObserve(...): -want, +got:\n%s", tc.reason, diff)
			}
			c := tc.cr.GetCondition(xpv2.TypeReady)
			if c.Status != tc.want.ready || c.Message != tc.want.message {
				t.Errorf("%s\nReady = %s %q, want %s %q", tc.reason, c.Status, c.Message, tc.want.ready, tc.want.message)
			}
			if diff := cmp.Diff(tc.want.status, *tc.cr.StoreObservation()); diff != "" {
				t.Errorf("%s\nstatus.atProvider: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
