package plugin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"

	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
)

func newBackupCommand(o *Options) *cobra.Command {
	var (
		typ     string
		wait    bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "backup NAME [--type full|diff|incr] [--wait]",
		Short: "Take a backup of a Ready Database now, into the store its tier backs up to",
		Long: "backup creates a Backup (ops.dbaas.io) of the Database's DatabaseInstance and prints its\n" +
			"name. The provider runs pgBackRest on the primary and reports the backup's phase; with\n" +
			"--wait the command waits until it is Completed (exit 0) or Failed (exit 1, with the\n" +
			"provider's message). The store's retention removes it like the scheduled ones.",
		Example: "  kubectl dbaas backup orders\n  kubectl dbaas backup orders --type incr --wait",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newCluster(o.Flags)
			if err != nil {
				return err
			}
			d, in, err := instanceOf(cmd.Context(), c, args[0], "back up")
			if err != nil {
				return err
			}
			if phase, msg := d.phase(); phase != phaseReady {
				return notReady(d, phase, msg)
			}
			b, err := planBackup(d, in, typ, o.Now())
			if err != nil {
				return err
			}
			if err := c.create(cmd.Context(), backups, b); err != nil {
				return err
			}
			if _, err := fmt.Fprintf(o.IO.Out, "backup.ops.dbaas.io/%s created (%s, of DatabaseInstance %s)\n", b.Name, typ, in.Name); err != nil {
				return err
			}
			if !wait {
				return nil
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			done, err := waitBackup(ctx, c, b, o.Poll)
			if err != nil {
				return err
			}
			at := done.Status.AtProvider
			_, err = fmt.Fprintf(o.IO.Out, "backup %s Completed: label %s, %s, %s to %s\n",
				done.Name, orDash(at.Label), size(at.SizeBytes), when(at.StartTime), when(at.StopTime))
			return err
		},
	}
	cmd.Flags().StringVar(&typ, "type", string(opsv1alpha1.BackupFull), "The backup's type: "+strings.Join(backupTypes, ", ")+".")
	cmd.Flags().BoolVar(&wait, "wait", false, "Wait until the backup is Completed or Failed.")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Hour, "How long --wait waits.")
	return cmd
}

// waitBackup reads b every poll until it has ended. A deadline says what
// the Backup was doing then.
func waitBackup(ctx context.Context, c *cluster, b *opsv1alpha1.Backup, poll time.Duration) (*opsv1alpha1.Backup, error) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		u, err := c.get(ctx, backups, b.Namespace, b.Name)
		if err != nil {
			if ctx.Err() != nil {
				return nil, notEnded(b)
			}
			return nil, err
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, b); err != nil {
			return nil, err
		}
		if done, err := backupDone(b); done {
			return b, err
		}
		select {
		case <-ctx.Done():
			return nil, notEnded(b)
		case <-t.C:
		}
	}
}

// notEnded says what a Backup was doing when --timeout ran out.
func notEnded(b *opsv1alpha1.Backup) error {
	at := b.Status.AtProvider
	return fmt.Errorf("backup %s did not end within --timeout; it is %s: %s (kubectl get backup %s -n %s)",
		b.Name, orDash(string(at.Phase)), orNone(at.Message), b.Name, b.Namespace)
}
