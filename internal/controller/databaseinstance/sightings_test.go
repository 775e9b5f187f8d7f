package databaseinstance

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// TestSightings: a sighting is remembered per instance until the instance
// is forgotten; a nil memory remembers nothing.
func TestSightings(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	s := &sightings{}
	s.saw("a", sighting{VM: "vm-0", At: at})
	s.saw("b", sighting{VM: "vm-1", At: at.Add(time.Second)})
	if got := s.last("a"); got != (sighting{VM: "vm-0", At: at}) {
		t.Errorf("last(a): got %+v", got)
	}
	s.forget("a")
	if got := s.last("a"); got != (sighting{}) {
		t.Errorf("last(a) after forget: want none, got %+v", got)
	}
	if got := s.last("b"); got.VM != "vm-1" {
		t.Errorf("last(b): got %+v", got)
	}
	var none *sightings
	none.saw(types.UID("a"), sighting{VM: "vm-0", At: at})
	if got := none.last("a"); got != (sighting{}) {
		t.Errorf("nil memory: want none, got %+v", got)
	}
}
