package machineowner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
)

// recorder keeps the events it is given.
type recorder struct{ got []event.Event }

func (r *recorder) Event(_ runtime.Object, e event.Event) { r.got = append(r.got, e) }

func (r *recorder) WithAnnotations(...string) event.Recorder { return r }

func TestEvents(t *testing.T) {
	vm := &v1alpha1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "vm"}}
	meta.SetExternalName(vm, "db-0")
	cases := map[string]struct {
		reason string
		emit   func(r event.Recorder)
		want   event.Event
	}{
		"LeaveBehind": {
			reason: "a delete that leaves an object names it, quoted, and says why",
			emit:   func(r event.Recorder) { Noun("machine").LeaveBehind(r, vm, errors.New("not ours")) },
			want:   event.Warning(ReasonLeftBehind, errors.New(`deleted without touching machine "db-0", which stays in the backend: not ours`)),
		},
		"Imported": {
			reason: "an import names the object it marked",
			emit:   func(r event.Recorder) { Noun("firewall rule").Imported(r, vm) },
			want:   event.Normal(ReasonImported, "imported the firewall rule db-0 and marked it as this resource's"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &recorder{}
			tc.emit(r)
			if diff := cmp.Diff([]event.Event{tc.want}, r.got); diff != "" {
				t.Errorf("%s: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
