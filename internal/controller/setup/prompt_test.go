package setup

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

func TestPromptRechecks(t *testing.T) {
	now := time.Now()
	errBoom := errors.New("boom")
	db := func(mod func(d *sqlv1alpha1.Database)) *sqlv1alpha1.Database {
		d := &sqlv1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "db", Finalizers: []string{"f"}}}
		if mod != nil {
			mod(d)
		}
		return d
	}
	cases := map[string]struct {
		reason string
		obj    *sqlv1alpha1.Database
		res    reconcile.Result
		err    error
		want   reconcile.Result
		wantEr error
	}{
		"Settled": {
			reason: "a resource neither new nor deleted keeps the back-off",
			obj:    db(nil),
			res:    reconcile.Result{Requeue: true},
			want:   reconcile.Result{Requeue: true},
		},
		"JustCreated": {
			reason: "a resource created moments ago is confirmed promptly",
			obj:    db(func(d *sqlv1alpha1.Database) { meta.SetExternalCreateSucceeded(d, now) }),
			res:    reconcile.Result{Requeue: true},
			want:   reconcile.Result{RequeueAfter: recheck},
		},
		"CreatedLongAgo": {
			reason: "an old create does not make a resource new",
			obj:    db(func(d *sqlv1alpha1.Database) { meta.SetExternalCreateSucceeded(d, now.Add(-time.Hour)) }),
			res:    reconcile.Result{Requeue: true},
			want:   reconcile.Result{Requeue: true},
		},
		"BeingDeleted": {
			reason: "a resource being deleted is re-checked promptly",
			obj:    db(func(d *sqlv1alpha1.Database) { d.DeletionTimestamp = &metav1.Time{Time: now} }),
			res:    reconcile.Result{Requeue: true},
			want:   reconcile.Result{RequeueAfter: recheck},
		},
		"ErrorsPassThrough": {
			reason: "errors are the controller's to handle",
			obj:    db(func(d *sqlv1alpha1.Database) { d.DeletionTimestamp = &metav1.Time{Time: now} }),
			res:    reconcile.Result{Requeue: true},
			err:    errBoom,
			want:   reconcile.Result{Requeue: true},
			wantEr: errBoom,
		},
		"PollsPassThrough": {
			reason: "a planned re-check is kept as it is",
			obj:    db(func(d *sqlv1alpha1.Database) { d.DeletionTimestamp = &metav1.Time{Time: now} }),
			res:    reconcile.Result{RequeueAfter: time.Minute},
			want:   reconcile.Result{RequeueAfter: time.Minute},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(testenv.Scheme(t)).WithObjects(tc.obj).Build()
			inner := reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) { return tc.res, tc.err })
			r := promptRechecks(inner, c, func() client.Object { return &sqlv1alpha1.Database{} })
			got, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "a", Name: "db"}})
			if !errors.Is(err, tc.wantEr) {
				t.Errorf("%s: error: want %v, got %v", tc.reason, tc.wantEr, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
