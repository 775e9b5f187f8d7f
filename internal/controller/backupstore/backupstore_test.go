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
)

func TestObserve(t *testing.T) {
	now := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	s3 := v1alpha1.BackupStoreParameters{S3: &v1alpha1.S3Store{Endpoint: "127.0.0.1", Bucket: "backups"}}
	type want struct {
		ready   corev1.ConditionStatus
		message string
		status  v1alpha1.BackupStoreObservation
	}
	cases := map[string]struct {
		reason string
		params v1alpha1.BackupStoreParameters
		look   look
		want   want
	}{
		"S3Reachable": {
			reason: "A store pgBackRest can list is Ready with its stanzas, size and the time of the look.",
			params: s3,
			look: func(context.Context, backupstore.Store) (lookResult, error) {
				return lookResult{Stanzas: []string{"ns.a", "ns.b"}, BytesUsed: 42}, nil
			},
			want: want{ready: corev1.ConditionTrue, status: v1alpha1.BackupStoreObservation{
				Stanzas: []string{"ns.a", "ns.b"}, BytesUsed: ptr.To[int64](42), LastChecked: ptr.To(metav1.NewTime(now)),
			}},
		},
		"S3Unreachable": {
			reason: "A store pgBackRest cannot reach is not Ready, with its message naming the store; nothing is reported as held.",
			params: s3,
			look: func(context.Context, backupstore.Store) (lookResult, error) {
				return lookResult{}, errors.New("[HostConnectError] unable to connect to '127.0.0.1:1'")
			},
			want: want{ready: corev1.ConditionFalse, message: "cannot reach BackupStore store: [HostConnectError] unable to connect to '127.0.0.1:1'"},
		},
		"PosixIsCheckedByInstances": {
			reason: "A posix store is on the instances' machines: Ready once resolved, and the provider does not look.",
			params: v1alpha1.BackupStoreParameters{Posix: &v1alpha1.PosixStore{Directory: "nightly"}},
			look: func(context.Context, backupstore.Store) (lookResult, error) {
				t.Error("a posix store was looked at from the provider's host")
				return lookResult{}, nil
			},
			want: want{ready: corev1.ConditionTrue, message: msgPosix},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cr := &v1alpha1.BackupStore{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "store"}}
			cr.Spec.ForProvider = tc.params
			e := &external{look: tc.look, now: func() time.Time { return now }}
			got, err := e.Observe(context.Background(), cr)
			if err != nil {
				t.Fatalf("%s\nObserve(...): %v", tc.reason, err)
			}
			if diff := cmp.Diff(managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, got); diff != "" {
				t.Errorf("%s\nObserve(...): -want, +got:\n%s", tc.reason, diff)
			}
			c := cr.GetCondition(xpv2.TypeReady)
			if c.Status != tc.want.ready || c.Message != tc.want.message {
				t.Errorf("%s\nReady = %s %q, want %s %q", tc.reason, c.Status, c.Message, tc.want.ready, tc.want.message)
			}
			if diff := cmp.Diff(tc.want.status, cr.Status.AtProvider); diff != "" {
				t.Errorf("%s\nstatus.atProvider: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
