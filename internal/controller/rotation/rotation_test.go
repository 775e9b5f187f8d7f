package rotation

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPending(t *testing.T) {
	cases := map[string]struct {
		reason      string
		createdWith string
		requested   string
		recorded    string
		want        bool
	}{
		"NeverAsked":         {reason: "No request, nothing done", want: false},
		"AskedAtCreation":    {reason: "A value set at creation needs no rotation", createdWith: "v1", requested: "v1", want: false},
		"AskedLater":         {reason: "A value set after creation is a request", requested: "v1", want: true},
		"ChangedAfterCreate": {reason: "Changing the creation value is a request", createdWith: "v1", requested: "v2", want: true},
		"Done":               {reason: "Status records what was done", createdWith: "v1", requested: "v2", recorded: "v2", want: false},
		"AskedAgain":         {reason: "A new value after a rotation is a request", requested: "v3", recorded: "v2", want: true},
		"Cleared":            {reason: "Clearing the field asks for nothing", requested: "", recorded: "v2", want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := &metav1.ObjectMeta{}
			Created(o, tc.createdWith)
			if got := Pending(o, tc.requested, tc.recorded); got != tc.want {
				t.Errorf("%s\nPending(...) = %v, want %v", tc.reason, got, tc.want)
			}
		})
	}
}
