package sqlowner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/deletion"
)

// fakeClient answers Observe and Delete from its fields and counts deletes.
type fakeClient struct {
	managed.TypedExternalClient[*v1alpha1.Database]
	exists     bool
	observeErr error
	deleteErr  error
	deletes    int
}

func (f *fakeClient) Observe(context.Context, *v1alpha1.Database) (managed.ExternalObservation, error) {
	return managed.ExternalObservation{ResourceExists: f.exists}, f.observeErr
}

func (f *fakeClient) Delete(context.Context, *v1alpha1.Database) (managed.ExternalDelete, error) {
	f.deletes++
	return managed.ExternalDelete{}, f.deleteErr
}

// recorder keeps the events it is given.
type recorder struct{ events []event.Event }

func (r *recorder) Event(_ runtime.Object, e event.Event)    { r.events = append(r.events, e) }
func (r *recorder) WithAnnotations(...string) event.Recorder { return r }

func TestBounded(t *testing.T) {
	start := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	boom := errors.New("cannot connect to postgresql server db:5432")
	deleted := func(d *v1alpha1.Database) {
		ts := metav1.NewTime(start)
		d.SetDeletionTimestamp(&ts)
	}
	orphan := func(d *v1alpha1.Database) {
		d.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve}
	}
	type want struct {
		exists  bool
		err     bool
		deletes int
		events  int
	}
	cases := map[string]struct {
		reason string
		client *fakeClient
		mods   []func(*v1alpha1.Database)
		after  time.Duration
		want   want
	}{
		"NotDeleting": {
			reason: "A resource not being deleted sees its errors",
			client: &fakeClient{observeErr: boom},
			after:  time.Hour,
			want:   want{err: true},
		},
		"WithinBound": {
			reason: "Within the bound an unreachable server is retried",
			client: &fakeClient{observeErr: boom},
			mods:   []func(*v1alpha1.Database){deleted},
			after:  time.Minute,
			want:   want{err: true},
		},
		"PastBoundUnreachable": {
			reason: "Past the bound an unreachable server lets the resource go, with a Warning event",
			client: &fakeClient{observeErr: boom},
			mods:   []func(*v1alpha1.Database){deleted},
			after:  time.Hour,
			want:   want{events: 1},
		},
		"PastBoundReachable": {
			reason: "Past the bound a reachable server still gets its delete",
			client: &fakeClient{exists: true},
			mods:   []func(*v1alpha1.Database){deleted},
			after:  time.Hour,
			want:   want{deletes: 1},
		},
		"PastBoundDeleteFails": {
			reason: "Past the bound a delete that fails lets the resource go, with a Warning event",
			client: &fakeClient{exists: true, deleteErr: boom},
			mods:   []func(*v1alpha1.Database){deleted},
			after:  time.Hour,
			want:   want{deletes: 1, events: 1},
		},
		"PastBoundOrphan": {
			reason: "Past the bound a resource that orphans deletes nothing",
			client: &fakeClient{exists: true},
			mods:   []func(*v1alpha1.Database){deleted, orphan},
			after:  time.Hour,
			want:   want{exists: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cr := &v1alpha1.Database{}
			for _, m := range tc.mods {
				m(cr)
			}
			rec := &recorder{}
			b := Bounded[*v1alpha1.Database]{
				TypedExternalClient: tc.client,
				Bound:               Bound{After: 10 * time.Minute, Recorder: rec, Now: func() time.Time { return start.Add(tc.after) }},
				What:                func(*v1alpha1.Database) string { return `database "orders"` },
			}
			o, err := b.Observe(context.Background(), cr)
			got := want{exists: o.ResourceExists, err: err != nil, deletes: tc.client.deletes, events: len(rec.events)}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nObserve: -want, +got:\n%s", tc.reason, diff)
			}
			for _, e := range rec.events {
				if e.Type != event.TypeWarning || e.Reason != deletion.ReasonAbandoned {
					t.Errorf("%s\nevent %s %s, want a Warning %s", tc.reason, e.Type, e.Reason, deletion.ReasonAbandoned)
				}
			}
		})
	}
}
