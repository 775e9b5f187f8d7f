package deletion

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestGiveUp(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	deleted := func(ago time.Duration) *metav1.ObjectMeta {
		ts := metav1.NewTime(now.Add(-ago))
		return &metav1.ObjectMeta{DeletionTimestamp: &ts}
	}
	cases := map[string]struct {
		o     *metav1.ObjectMeta
		after time.Duration
		want  bool
	}{
		"NotDeleted":     {o: &metav1.ObjectMeta{}, after: time.Minute},
		"JustDeleted":    {o: deleted(time.Second), after: time.Minute},
		"AtTheBound":     {o: deleted(time.Minute), after: time.Minute, want: true},
		"PastTheBound":   {o: deleted(time.Hour), after: time.Minute, want: true},
		"BoundSwitchOff": {o: deleted(time.Hour), after: 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := GiveUp(tc.o, tc.after, now); got != tc.want {
				t.Errorf("GiveUp = %v, want %v", got, tc.want)
			}
		})
	}
}
