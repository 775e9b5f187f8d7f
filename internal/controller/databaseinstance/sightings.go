package databaseinstance

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// sightings are when each instance's primary was last seen answering, by
// the instance's UID. They are the provider's memory, not the instance's
// record: a status written every look would cost an API write a second,
// and one that lagged (a status write lost to a conflict, a cache behind)
// would name an older sighting, so the failover wait would be counted
// from too early. A provider that starts, or another that takes over,
// remembers none and counts the wait from the look that first missed the
// primary (see unseenSince).
type sightings struct {
	mu sync.Mutex
	m  map[types.UID]sighting
}

// last is the latest sighting of the instance's primary; none from a nil
// memory.
func (s *sightings) last(uid types.UID) sighting {
	if s == nil {
		return sighting{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[uid]
}

// saw records a sighting of the instance's primary.
func (s *sightings) saw(uid types.UID, at sighting) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[types.UID]sighting{}
	}
	s.m[uid] = at
}

// forget drops the instance's sightings, once it is deleted.
func (s *sightings) forget(uid types.UID) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, uid)
}
