package databaseinstance

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

func TestRestartStep(t *testing.T) {
	cases := map[string]struct {
		primary, replica bool
		want             string
	}{
		"Nothing":        {},
		"ReplicasFirst":  {primary: true, replica: true, want: v1alpha1.RestartingReplicas},
		"ThenSwitchover": {primary: true, want: v1alpha1.SwitchingOver},
		"ReplicaOnly":    {replica: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, restartStep(tc.primary, tc.replica)); diff != "" {
				t.Errorf("restartStep(%v, %v): -want, +got:\n%s", tc.primary, tc.replica, diff)
			}
		})
	}
}
