package backupschedule_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/apis/common"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/backup"
	"github.com/dbaas-io/dbaas/internal/controller/backupschedule"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/testing/backuptest"
	"github.com/dbaas-io/dbaas/internal/testing/s3test"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// timeout bounds every wait: generous, because the machine is shared and
// loaded; a wait that is met returns at once.
const timeout = 4 * time.Minute

// every is the test schedule's period: a run every 5 seconds. A full
// backup of the test's instance takes about 12 s on a lightly loaded
// machine, so most runs fall due while the previous one runs and are
// skipped; the short period makes the next run start at most 5 s after
// the previous one ended (with 20 s the test waited up to 20 s between
// runs, for the same four runs).
const every = 5 * time.Second

// TestScheduledBackups runs a schedule of full backups every 5 s against
// a store that keeps two full backups, through the real controllers: a
// real API server, PostgreSQL 15 on the local backend, pgBackRest and an
// S3 store (versitygw over TLS). After at least four runs and a suspend,
// the store lists exactly the two retained full backups; the API holds
// them, plus the older one the retention expired, marked Expired, until the
// history limit is lowered to two and it is pruned. Suspended, the schedule
// makes nothing. Schedules naming a missing instance, or a zone that does
// not exist, are not Synced and make nothing.
func TestScheduledBackups(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	store := s3test.Start(t)
	ctx := context.Background()
	c := env.Client
	const ns, name, sched = "schedules", "db", "every5s"

	backuptest.Fixture{NS: ns, Instance: name, VMs: []string{"vm"}, Prefix: "/schedules",
		Retention: &common.BackupRetention{FullCount: ptr.To[int32](2)}}.Create(t, env, store)
	// Two schedules that cannot run: their conditions say why.
	for _, o := range []*v1alpha1.BackupSchedule{
		{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orphan"},
			Spec:       v1alpha1.BackupScheduleSpec{Instance: "nope", Schedule: "* * * * * *", Immediate: true},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mars"},
			Spec:       v1alpha1.BackupScheduleSpec{Instance: name, Schedule: "* * * * * *", TimeZone: "Mars/Olympus"},
		},
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}

	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{
		config.Setup, virtualmachine.Setup, databaseinstance.Setup, backup.Setup, backupschedule.Setup,
	}})

	for sched, want := range map[string]string{
		"orphan": "DatabaseInstance nope does not exist",
		"mars":   `spec.timeZone "Mars/Olympus" is not an IANA time zone`,
	} {
		wait.For(t, timeout, "BackupSchedule "+sched+" not Synced", func() (bool, string) {
			s := &v1alpha1.BackupSchedule{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: sched}, s); err != nil {
				return false, err.Error()
			}
			sc := s.Status.GetCondition(xpv2.TypeSynced)
			return sc.Status == corev1.ConditionFalse && strings.Contains(sc.Message, want), fmt.Sprintf("Synced %s %s", sc.Status, sc.Message)
		})
	}

	di := backuptest.ReadyAndArchiving(t, env, timeout, ns, name)
	stanza := backuptest.PrimaryStanza(t, env, di)

	s := &v1alpha1.BackupSchedule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sched},
		Spec: v1alpha1.BackupScheduleSpec{
			Instance: name, Schedule: fmt.Sprintf("*/%d * * * * *", int(every.Seconds())), Immediate: true,
			SuccessfulBackupsHistoryLimit: ptr.To[int32](3),
		},
	}
	if err := c.Create(ctx, s); err != nil {
		t.Fatal(err)
	}

	// Every Backup the schedule made, seen as the runs go on; a run is
	// seen before it can be pruned, which takes two more runs.
	seen := map[string]bool{}
	list := func() []v1alpha1.Backup {
		l := &v1alpha1.BackupList{}
		if err := c.List(ctx, l, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelBackupSchedule: sched}); err != nil {
			t.Fatal(err)
		}
		sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].Name < l.Items[j].Name })
		for _, b := range l.Items {
			seen[b.Name] = true
		}
		return l.Items
	}
	wait.For(t, timeout, "four runs of the schedule", func() (bool, string) {
		bs := list()
		for _, b := range bs {
			if b.Status.AtProvider.Phase == v1alpha1.BackupFailed {
				t.Fatalf("Backup %s failed: %s", b.Name, b.Status.AtProvider.Message)
			}
		}
		return len(seen) >= 4, fmt.Sprintf("%d runs seen", len(seen))
	})
	first := list()[0]
	if !slices.Equal(first.Spec.ManagementPolicies, xpv2.ManagementPolicies{"Observe", "Create", "Update", "LateInitialize"}) || !metav1.IsControlledBy(&first, s) {
		t.Errorf("Backup %s: policies %v, owners %v; want every policy but Delete, owned by %s", first.Name, first.Spec.ManagementPolicies, first.OwnerReferences, sched)
	}

	// Suspended, it makes nothing more; the runs already made finish.
	if err := testenv.Mutate(ctx, c, s, func(s *v1alpha1.BackupSchedule) { s.Spec.Suspend = true }); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "the schedule suspended, no Backup of it running", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(s), s); err != nil {
			return false, err.Error()
		}
		r := s.Status.GetCondition(xpv2.TypeReady)
		if r.ObservedGeneration != s.Generation || !strings.HasPrefix(r.Message, "suspended") || s.Status.NextScheduleTime != nil {
			return false, fmt.Sprintf("Ready %s %s (generation %d of %d), next %v", r.Status, r.Message, r.ObservedGeneration, s.Generation, s.Status.NextScheduleTime)
		}
		for _, b := range list() {
			switch b.Status.AtProvider.Phase {
			case v1alpha1.BackupCompleted, v1alpha1.BackupExpired:
			default:
				return false, fmt.Sprintf("Backup %s is %q", b.Name, b.Status.AtProvider.Phase)
			}
		}
		return true, ""
	})
	suspended, made := time.Now(), len(seen)

	// The store keeps two full backups; the API the two of them as
	// Completed, and the older one the store expired as Expired.
	var kept []v1alpha1.Backup
	wait.For(t, timeout, "the store's two full backups, and the one it expired marked", func() (bool, string) {
		info, err := stanza.Info(ctx)
		if err != nil {
			return false, err.Error()
		}
		var inStore []string
		for _, b := range info.Backups {
			inStore = append(inStore, b.Label)
		}
		bs := list()
		var phases, labels []string
		for _, b := range bs {
			phases = append(phases, string(b.Status.AtProvider.Phase))
			labels = append(labels, b.Status.AtProvider.Label)
		}
		want := []string{string(v1alpha1.BackupExpired), string(v1alpha1.BackupCompleted), string(v1alpha1.BackupCompleted)}
		if len(bs) != 3 || !slices.Equal(phases, want) || !slices.Equal(labels[1:], inStore) {
			return false, fmt.Sprintf("store lists %v; API holds %v labelled %v", inStore, phases, labels)
		}
		kept = bs[1:]
		return true, ""
	})
	for _, b := range kept {
		if b.Status.AtProvider.Type != v1alpha1.BackupFull {
			t.Errorf("Backup %s is %s, want full", b.Name, b.Status.AtProvider.Type)
		}
		// How long a backup takes on this machine bounds how often the
		// schedule runs: a run due while one runs is skipped.
		if d := b.Status.AtProvider.Duration; d != nil {
			t.Logf("Backup %s took %s in pgBackRest, completed %s after it was made", b.Name, d.Duration, b.Status.AtProvider.StopTime.Sub(b.CreationTimestamp.Time).Round(time.Second))
		}
	}

	// A history of two prunes the Expired one; the two kept are the
	// store's.
	if err := testenv.Mutate(ctx, c, s, func(s *v1alpha1.BackupSchedule) { s.Spec.SuccessfulBackupsHistoryLimit = ptr.To[int32](2) }); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "the history pruned to the store's two", func() (bool, string) {
		var names []string
		for _, b := range list() {
			names = append(names, b.Name)
		}
		return slices.Equal(names, []string{kept[0].Name, kept[1].Name}), fmt.Sprintf("API holds %v, want %s and %s", names, kept[0].Name, kept[1].Name)
	})
	info, err := stanza.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Backups) != 2 {
		t.Errorf("pruning the history changed the store: it lists %d backups, want 2", len(info.Backups))
	}

	// Suspended for more than a period, the schedule made nothing.
	if d := every + 2*time.Second - time.Since(suspended); d > 0 {
		time.Sleep(d)
	}
	list()
	if len(seen) != made {
		t.Errorf("the suspended schedule made %d Backups; it made %d before", len(seen), made)
	}
	for _, o := range []string{"orphan", "mars"} {
		l := &v1alpha1.BackupList{}
		if err := c.List(ctx, l, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelBackupSchedule: o}); err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 0 {
			t.Errorf("BackupSchedule %s, which cannot run, made %d Backups", o, len(l.Items))
		}
	}
	t.Logf("%d runs made, %d pruned", made, made-2)

	// The store is deleted under the schedule: it says which store is
	// gone, with a Warning event, and makes nothing; the Backups it made
	// stay Completed in the API, and their files in the store.
	if err := c.Delete(ctx, &v1alpha1.BackupStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: backuptest.Store}}); err != nil {
		t.Fatal(err)
	}
	storeGone := "BackupStore " + backuptest.Store + ", which DatabaseInstance " + name + " backs up into, does not exist"
	// notSynced waits for the schedule's Synced=False naming the store,
	// written for its current generation.
	notSynced := func(what string) {
		wait.For(t, timeout, what, func() (bool, string) {
			if err := c.Get(ctx, client.ObjectKeyFromObject(s), s); err != nil {
				return false, err.Error()
			}
			sc := s.Status.GetCondition(xpv2.TypeSynced)
			return sc.Status == corev1.ConditionFalse && sc.ObservedGeneration == s.Generation && strings.Contains(sc.Message, storeGone),
				fmt.Sprintf("Synced %s %s (generation %d of %d)", sc.Status, sc.Message, sc.ObservedGeneration, s.Generation)
		})
	}
	notSynced("BackupSchedule " + sched + " not Synced, naming the deleted store")
	// Resumed, it is due every 5 s, and still makes nothing.
	if err := testenv.Mutate(ctx, c, s, func(s *v1alpha1.BackupSchedule) { s.Spec.Suspend = false }); err != nil {
		t.Fatal(err)
	}
	notSynced("BackupSchedule " + sched + ", resumed, not Synced for its new generation")
	wait.For(t, timeout, "a Warning event of "+sched+" naming the deleted store", func() (bool, string) {
		ev := &corev1.EventList{}
		if err := c.List(ctx, ev, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		for _, e := range ev.Items {
			if e.InvolvedObject.Name == sched && e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, storeGone) {
				return true, ""
			}
		}
		return false, "no Warning event naming the deleted store"
	})
	var phases []string
	for _, b := range list() {
		phases = append(phases, b.Name+" "+string(b.Status.AtProvider.Phase))
		if b.Status.AtProvider.Phase != v1alpha1.BackupCompleted {
			t.Errorf("Backup %s is %s after its store was deleted, want Completed", b.Name, b.Status.AtProvider.Phase)
		}
	}
	if len(seen) != made {
		t.Errorf("the schedule made Backups without a store: %v", phases)
	}
	if info, err := stanza.Info(ctx); err != nil || len(info.Backups) != 2 {
		t.Errorf("the store's files after the BackupStore was deleted: want its two backups, got %+v, %v", info, err)
	}
}
