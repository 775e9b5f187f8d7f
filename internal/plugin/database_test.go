package plugin

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// xr returns a Database with the given conditions (type, status, message)
// and status fields.
func xr(name string, conditions [][3]string, status map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.dbaas.io/v1alpha1",
		"kind":       "Database",
		"metadata":   map[string]any{"name": name, "namespace": "team-a"},
		"spec":       map[string]any{"engine": "postgresql", "tier": "standard", "sku": "small", "environment": "local"},
	}}
	st := map[string]any{}
	for k, v := range status {
		st[k] = v
	}
	var cs []any
	for _, c := range conditions {
		cs = append(cs, map[string]any{"type": c[0], "status": c[1], "message": c[2], "reason": "R", "lastTransitionTime": "2026-12-07T10:00:00Z"})
	}
	if len(cs) > 0 {
		st["conditions"] = cs
	}
	u.Object["status"] = st
	return u
}

func TestPhase(t *testing.T) {
	cases := map[string]struct {
		reason  string
		db      *unstructured.Unstructured
		phase   string
		message string
	}{
		"New": {
			reason: "A Database nobody reconciled yet is Provisioning.",
			db:     xr("a", nil, nil),
			phase:  phaseProvisioning,
		},
		"Ready": {
			reason: "Core's Ready condition makes it Ready.",
			db:     xr("a", [][3]string{{"Synced", "True", ""}, {"Ready", "True", ""}}, map[string]any{"phase": "Ready"}),
			phase:  phaseReady,
		},
		"NotReadyWithWhy": {
			reason:  "The function's status.message says why it is not Ready.",
			db:      xr("a", [][3]string{{"Synced", "True", ""}, {"Ready", "False", "Unready resources: instance"}}, map[string]any{"phase": "Provisioning", "message": "DatabaseInstance a: member a-1 is not running"}),
			phase:   phaseProvisioning,
			message: "DatabaseInstance a: member a-1 is not running",
		},
		"NotReadyNoMessage": {
			reason:  "Without the function's message, core's Ready message.",
			db:      xr("a", [][3]string{{"Synced", "True", ""}, {"Ready", "False", "Unready resources: instance"}}, nil),
			phase:   phaseProvisioning,
			message: "Unready resources: instance",
		},
		"Failing": {
			reason:  "Synced False (the function refused it) wins, with core's message, since the function wrote no phase.",
			db:      xr("a", [][3]string{{"Synced", "False", "cannot compose resources: sku huge is not in the catalog: accepted are large, medium, small"}, {"Ready", "False", ""}}, map[string]any{"phase": "Ready"}),
			phase:   phaseFailing,
			message: "cannot compose resources: sku huge is not in the catalog: accepted are large, medium, small",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			phase, msg := asDatabase(tc.db).phase()
			if diff := cmp.Diff([2]string{tc.phase, tc.message}, [2]string{phase, msg}); diff != "" {
				t.Errorf("%s\nphase(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestConnectionSecret(t *testing.T) {
	d := xr("orders", nil, nil)
	if got := asDatabase(d).connectionSecret(); got != "orders-connection" {
		t.Errorf("without writeConnectionSecretToRef: want orders-connection, got %s", got)
	}
	_ = unstructured.SetNestedField(d.Object, "orders-creds", "spec", "writeConnectionSecretToRef", "name")
	if got := asDatabase(d).connectionSecret(); got != "orders-creds" {
		t.Errorf("with writeConnectionSecretToRef: want orders-creds, got %s", got)
	}
}
