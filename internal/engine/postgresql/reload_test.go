package postgresql

import (
	"context"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestReloadAndStandbyLimits changes settings on a running server: a
// reload takes up a setting it can, a restart is reported for one it
// cannot, also on a later call that no longer knows what changed (a
// provider that restarted), and LowersStandbyLimits tells a larger
// max_connections from a smaller one.
func TestReloadAndStandbyLimits(t *testing.T) {
	ctx := context.Background()
	const password = "pw"
	i := NewInstance(executor.Local{}, testenv.SharedDir(t), "pg", "15", freePort(t), "admin")
	stopOnCleanup(t, i)
	if err := i.Init(ctx, password); err != nil {
		t.Fatalf("Init: %v", err)
	}
	if _, err := i.Configure(ctx, i.Settings(ptr(30), nil, nil)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := i.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}

	cases := []struct {
		name        string
		maxConns    int32
		params      map[string]string
		wantRestart bool
		wantLowers  bool
	}{
		{name: "ReloadOnly", maxConns: 30, params: map[string]string{"work_mem": "8MB"}},
		{name: "Larger", maxConns: 40, params: map[string]string{"work_mem": "8MB"}, wantRestart: true},
		{name: "Smaller", maxConns: 20, params: map[string]string{"work_mem": "8MB"}, wantRestart: true, wantLowers: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			changed, err := i.Configure(ctx, i.Settings(&tc.maxConns, nil, tc.params))
			if err != nil {
				t.Fatalf("Configure: %v", err)
			}
			for _, names := range [][]string{changed, nil} {
				restart, err := i.Reload(ctx, password, names)
				if err != nil || restart != tc.wantRestart {
					t.Errorf("Reload(%v): want restart %v, got %v, %v", names, tc.wantRestart, restart, err)
				}
			}
			lowers, err := i.LowersStandbyLimits(ctx, password)
			if err != nil || lowers != tc.wantLowers {
				t.Errorf("LowersStandbyLimits: want %v, got %v, %v", tc.wantLowers, lowers, err)
			}
		})
	}
}
