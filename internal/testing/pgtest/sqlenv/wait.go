package sqlenv

import (
	"context"
	"fmt"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// Timeout bounds the waits of the tests on an Env, so that a broken
// controller fails a test instead of hanging it; it is not a performance
// expectation.
const Timeout = 90 * time.Second

// WaitReady waits until the managed resource is Ready and Synced.
func (e *Env) WaitReady(t *testing.T, mg resource.Managed) {
	t.Helper()
	wait.For(t, Timeout, mg.GetName()+" to be Ready and Synced", func() (bool, error) {
		if err := e.Client.Get(context.Background(), client.ObjectKeyFromObject(mg), mg); err != nil {
			return false, err
		}
		r, s := mg.GetCondition(xpv2.TypeReady), mg.GetCondition(xpv2.TypeSynced)
		return r.Status == corev1.ConditionTrue && s.Status == corev1.ConditionTrue,
			fmt.Errorf("ready: %s %s %s; synced: %s %s %s", r.Status, r.Reason, r.Message, s.Status, s.Reason, s.Message)
	})
}

// WaitGone waits until the object no longer exists, finalizers included.
func (e *Env) WaitGone(t *testing.T, o client.Object) {
	t.Helper()
	wait.For(t, Timeout, o.GetName()+" to be gone", func() (bool, error) {
		err := e.Client.Get(context.Background(), types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}, o)
		return kerrors.IsNotFound(err), err
	})
}
