package databaseinstance

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// failoverRecord records rec, a failover's next epoch, names its primary in
// spec.forProvider.primary and ends the wait. The decision read the
// failover policy, which takes whether the primary's watchdog ran from the
// status.
func failoverRecord(rec epochRecord, decided failoverPolicy) (decisionRecord, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return decisionRecord{}, err
	}
	return decisionRecord{
		name: "failover-epoch",
		write: func(o *v1alpha1.DatabaseInstance) {
			meta.AddAnnotations(o, map[string]string{AnnotationEpoch: string(b)})
			meta.RemoveAnnotations(o, AnnotationPrimaryDownSince, annotationSyncMembers)
			o.Spec.ForProvider.Primary = rec.Primary
		},
		grounds:   func(o *v1alpha1.DatabaseInstance) any { return policy(o) },
		decidedOn: decided,
	}, nil
}

// switchoverRecord records rec, a manual switchover's next epoch (or a
// rolling restart's), decided from the spec and the epoch recorded before.
func switchoverRecord(rec epochRecord) (decisionRecord, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return decisionRecord{}, err
	}
	return decisionRecord{
		name: "switchover-epoch",
		write: func(o *v1alpha1.DatabaseInstance) {
			meta.AddAnnotations(o, map[string]string{AnnotationEpoch: string(b)})
		},
	}, nil
}

// primarySeen is what the status recorded of the primary on vm when it
// was last observed, which the start of a failover wait is decided on:
// whether it answered, and the replicas that counted for its commits.
type primarySeen struct {
	Answered bool
	Synced   []string
}

func lastSeen(cr *v1alpha1.DatabaseInstance, vm string) primarySeen {
	recorded := cr.Status.AtProvider.Members
	s := primarySeen{Answered: answeredAsPrimary(recorded, vm)}
	for _, m := range recorded {
		if m.SyncState == "sync" || m.SyncState == "quorum" {
			s.Synced = append(s.Synced, m.VirtualMachine)
		}
	}
	return s
}

// downRecord starts the failover wait of the primary on vm at since, with
// the replicas that counted for its commits when it was last seen.
func downRecord(vm string, since time.Time, seen primarySeen) decisionRecord {
	return decisionRecord{
		name: "primary-down-since",
		write: func(o *v1alpha1.DatabaseInstance) {
			meta.AddAnnotations(o, map[string]string{
				AnnotationPrimaryDownSince: since.UTC().Format(time.RFC3339Nano),
				annotationSyncMembers:      strings.Join(seen.Synced, ","),
			})
		},
		grounds:   func(o *v1alpha1.DatabaseInstance) any { return lastSeen(o, vm) },
		decidedOn: seen,
	}
}

// answersRecord ends the failover wait: the primary answers again, or
// failover was turned off.
func answersRecord() decisionRecord {
	return decisionRecord{
		name: "primary-answers",
		write: func(o *v1alpha1.DatabaseInstance) {
			meta.RemoveAnnotations(o, AnnotationPrimaryDownSince, annotationSyncMembers)
		},
	}
}

// rollOverRecord names successor in spec.forProvider.primary: a rolling
// restart switches over to it, decided from the servers and the spec.
func rollOverRecord(successor string) decisionRecord {
	return decisionRecord{
		name:  "roll-over",
		write: func(o *v1alpha1.DatabaseInstance) { o.Spec.ForProvider.Primary = successor },
	}
}
