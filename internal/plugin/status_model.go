package plugin

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource/unstructured/composed"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
)

// A snapshot is what kubectl dbaas status read: the Database, each composed
// resource (or why it could not be read), its instance and the instance's
// backups.
type snapshot struct {
	db       database
	composed []composedRead
	instance *enginev1alpha1.DatabaseInstance
	backups  []opsv1alpha1.Backup
	// backupsErr says why the backups could not be listed, if they could
	// not.
	backupsErr error
}

// A composedRead is one composed resource as it was read.
type composedRead struct {
	ref corev1.ObjectReference
	obj *unstructured.Unstructured
	err error
}

// Status is what kubectl dbaas status shows, and prints as YAML or JSON.
type Status struct {
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Engine      string `json:"engine,omitempty"`
	Version     string `json:"version,omitempty"`
	Flavor      string `json:"flavor,omitempty"`
	Tier        string `json:"tier,omitempty"`
	SKU         string `json:"sku,omitempty"`
	Environment string `json:"environment,omitempty"`
	Phase       string `json:"phase"`
	// Message says why the Database is not Ready.
	Message  string    `json:"message,omitempty"`
	Ready    Condition `json:"ready"`
	Synced   Condition `json:"synced"`
	Endpoint string    `json:"endpoint,omitempty"`

	Resources []Resource `json:"resources,omitempty"`
	Members   []Member   `json:"members,omitempty"`

	// FencingToken is the instance's failover epoch.
	FencingToken       int64        `json:"fencingToken,omitempty"`
	LastFailoverTime   *metav1.Time `json:"lastFailoverTime,omitempty"`
	LastSwitchoverTime *metav1.Time `json:"lastSwitchoverTime,omitempty"`
	RestartStep        string       `json:"restartStep,omitempty"`

	Backups        []Backup                       `json:"backups,omitempty"`
	BackupsError   string                         `json:"backupsError,omitempty"`
	RecoveryWindow *enginev1alpha1.RecoveryWindow `json:"recoveryWindow,omitempty"`
}

// A Condition is a condition's status with its reason and message.
type Condition struct {
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// A Resource is one composed resource.
type Resource struct {
	Kind   string    `json:"kind"`
	Name   string    `json:"name"`
	Ready  Condition `json:"ready"`
	Synced Condition `json:"synced"`
	// Message is the most telling of its conditions' messages, or why it
	// could not be read.
	Message string `json:"message,omitempty"`
}

// A Member is one engine process of the instance.
type Member struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Running   bool   `json:"running"`
	LSN       string `json:"lsn,omitempty"`
	LagBytes  *int64 `json:"lagBytes,omitempty"`
	Streaming string `json:"streaming,omitempty"`
	SyncState string `json:"syncState,omitempty"`
	Step      string `json:"step,omitempty"`
	StepState string `json:"stepState,omitempty"`
	StepError string `json:"stepError,omitempty"`
}

// A Backup is one backup of the instance.
type Backup struct {
	Name      string       `json:"name"`
	Type      string       `json:"type,omitempty"`
	Phase     string       `json:"phase,omitempty"`
	StopTime  *metav1.Time `json:"stopTime,omitempty"`
	SizeBytes *int64       `json:"sizeBytes,omitempty"`
	Message   string       `json:"message,omitempty"`
}

// Messages of a composed resource that says nothing itself.
const (
	msgNotCreated = "not created yet"
	unknown       = "Unknown"
)

// statusOf decides what kubectl dbaas status shows from what it read.
func statusOf(s snapshot) Status {
	d := s.db
	phase, msg := d.phase()
	out := Status{
		Namespace:   d.namespace(),
		Name:        d.name(),
		Engine:      d.str("spec", "engine"),
		Version:     d.str("spec", "version"),
		Flavor:      d.str("spec", "flavor"),
		Tier:        d.str("spec", "tier"),
		SKU:         d.str("spec", "sku"),
		Environment: d.str("spec", "environment"),
		Phase:       phase,
		Message:     msg,
		Ready:       conditionOf(d.xr.GetCondition(xpv2.TypeReady)),
		Synced:      conditionOf(d.xr.GetCondition(xpv2.TypeSynced)),
		Endpoint:    endpoint(d),
	}
	for _, c := range s.composed {
		out.Resources = append(out.Resources, resourceOf(c))
	}
	slices.SortStableFunc(out.Resources, func(a, b Resource) int {
		return cmp.Or(cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)), cmp.Compare(a.Name, b.Name))
	})
	if in := s.instance; in != nil {
		at := in.Status.AtProvider
		for _, m := range at.Members {
			out.Members = append(out.Members, Member{
				Name: m.VirtualMachine, Role: m.Role, Running: m.Running, LSN: m.LSN, LagBytes: m.LagBytes,
				Streaming: m.Streaming, SyncState: m.SyncState, Step: m.Step, StepState: m.StepState, StepError: m.StepError,
			})
		}
		out.FencingToken = at.FencingToken
		out.LastFailoverTime = at.LastFailoverTime
		out.LastSwitchoverTime = at.LastSwitchoverTime
		out.RestartStep = at.RestartStep
		out.RecoveryWindow = at.RecoveryWindow
	}
	for _, b := range s.backups {
		at := b.Status.AtProvider
		out.Backups = append(out.Backups, Backup{
			Name: b.Name, Type: string(at.Type), Phase: string(at.Phase), StopTime: at.StopTime, SizeBytes: at.SizeBytes, Message: at.Message,
		})
	}
	// The newest backup first: it is the one a restore starts from.
	slices.SortStableFunc(out.Backups, func(a, b Backup) int {
		return cmp.Or(compareTimes(b.StopTime, a.StopTime), cmp.Compare(a.Name, b.Name))
	})
	if s.backupsErr != nil {
		out.BackupsError = s.backupsErr.Error()
	}
	return out
}

func conditionOf(c xpv2.Condition) Condition {
	st := string(c.Status)
	if st == "" {
		st = unknown
	}
	return Condition{Status: st, Reason: string(c.Reason), Message: c.Message}
}

func resourceOf(c composedRead) Resource {
	r := Resource{Kind: c.ref.Kind, Name: c.ref.Name, Ready: Condition{Status: unknown}, Synced: Condition{Status: unknown}}
	if c.err != nil {
		r.Message = c.err.Error()
		return r
	}
	if c.obj == nil {
		r.Message = msgNotCreated
		return r
	}
	cd := &composed.Unstructured{Unstructured: *c.obj}
	r.Ready = conditionOf(cd.GetCondition(xpv2.TypeReady))
	r.Synced = conditionOf(cd.GetCondition(xpv2.TypeSynced))
	r.Message = mostTelling(r.Synced, r.Ready)
	return r
}

// mostTelling is the message that says most about a resource: an error
// (Synced False) says more than a Ready condition, which often only says
// Creating; a Ready resource needs no message.
func mostTelling(synced, ready Condition) string {
	switch {
	case synced.Status == string(corev1.ConditionFalse) && synced.Message != "":
		return synced.Message
	case ready.Status == string(corev1.ConditionTrue):
		return ""
	case ready.Message != "":
		return ready.Message
	case ready.Reason != "":
		return ready.Reason
	}
	return ""
}

// kindOrder ranks composed resources by the order they depend on each
// other, as the composition function reports the first that is not ready.
var kindOrder = []string{"VirtualMachine", kindDatabaseInstance, "FirewallRule", "User", kindDatabase, "Grant", "BackupSchedule"}

func kindRank(kind string) int {
	if i := slices.Index(kindOrder, kind); i >= 0 {
		return i
	}
	return len(kindOrder)
}

func compareTimes(a, b *metav1.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Time.Compare(b.Time)
}
