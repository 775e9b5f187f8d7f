package watchdog

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestArgsDefaultInterval(t *testing.T) {
	got := Process{Binary: "/w", ConfigFile: "/c", FenceAfter: 3 * time.Second}.Args()
	want := []string{"/w", "--config=/c", "--interval=1s", "--fence-after=3s"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Args: -want +got:\n%s", diff)
	}
}
