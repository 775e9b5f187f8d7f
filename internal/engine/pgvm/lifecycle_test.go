package pgvm

import (
	"context"
	"strings"
	"testing"
)

const portLifecycle = 25905

// TestLifecycle shows that Exists, ServerVersion and Remove see and undo
// what a play made, over SSH, and that removing twice is fine.
func TestLifecycle(t *testing.T) {
	needPostgres(t)
	ctx := context.Background()
	e := sshExecutor(t)
	o := testOptions(testRoot(t), portLifecycle)

	if ok, err := Exists(ctx, e, o); err != nil || ok {
		t.Fatalf("Exists before the play = %v, %v; want false, nil", ok, err)
	}
	runPlay(t, e, o)
	if ok, err := Exists(ctx, e, o); err != nil || !ok {
		t.Fatalf("Exists after the play = %v, %v; want true, nil", ok, err)
	}
	v, err := ServerVersion(ctx, e, o)
	if err != nil || !strings.HasPrefix(v, "15.") || strings.Contains(v, " ") {
		t.Errorf("ServerVersion = %q, %v; want 15.x", v, err)
	}
	for i := range 2 {
		if err := Remove(ctx, e, o.withDefaults()); err != nil {
			t.Fatalf("Remove #%d: %v", i+1, err)
		}
	}
	if ok, err := Exists(ctx, e, o); err != nil || ok {
		t.Errorf("Exists after Remove = %v, %v; want false, nil", ok, err)
	}
	if up, err := running(ctx, e, o.withDefaults()); err != nil || up {
		t.Errorf("running after Remove = %v, %v; want false, nil", up, err)
	}
}
