package setup

import (
	"context"
	"testing"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

func TestStatusSkipping(t *testing.T) {
	cases := map[string]struct {
		reason     string
		change     func(d *sqlv1alpha1.Database)
		wantWrites int
	}{
		"Unchanged": {
			reason:     "a poll that found everything as it was writes no status",
			change:     func(*sqlv1alpha1.Database) {},
			wantWrites: 0,
		},
		"SameConditionAgain": {
			reason: "setting a condition the object already has changes nothing",
			change: func(d *sqlv1alpha1.Database) {
				d.SetConditions(xpv2.Available())
			},
			wantWrites: 0,
		},
		"StatusChanged": {
			reason: "a changed observation is written",
			change: func(d *sqlv1alpha1.Database) {
				d.Status.AtProvider.Owner = "someone_else"
			},
			wantWrites: 1,
		},
		"ConditionChanged": {
			reason: "a changed condition is written",
			change: func(d *sqlv1alpha1.Database) {
				d.SetConditions(xpv2.ReconcileError(context.Canceled))
			},
			wantWrites: 1,
		},
		"StaleCache": {
			reason: "an object newer than the cache's copy is written, however alike they look",
			change: func(d *sqlv1alpha1.Database) {
				// The fake client starts objects at 999.
				d.SetResourceVersion("1000")
			},
			wantWrites: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := &sqlv1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "db"}}
			db.Status.AtProvider.Owner = "app"
			db.SetConditions(xpv2.Available(), xpv2.ReconcileSuccess())
			writes := 0
			c := fake.NewClientBuilder().WithScheme(testenv.Scheme(t)).
				WithObjects(db).WithStatusSubresource(db).
				WithInterceptorFuncs(interceptor.Funcs{
					SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, o client.Object, opts ...client.SubResourceUpdateOption) error {
						writes++
						return c.SubResource(sub).Update(ctx, o, opts...)
					},
				}).Build()

			got := &sqlv1alpha1.Database{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(db), got); err != nil {
				t.Fatal(err)
			}
			tc.change(got)
			err := statusSkipping{Client: c}.Status().Update(ctx, got)
			// The fake refuses the stale write on its resource version: what
			// counts there is that it was sent.
			if err != nil && !kerrors.IsConflict(err) {
				t.Fatal(err)
			}
			if writes != tc.wantWrites {
				t.Errorf("%s: %d status writes, want %d", tc.reason, writes, tc.wantWrites)
			}
		})
	}
}
