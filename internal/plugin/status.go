package plugin

import (
	"context"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
)

func newStatusCommand(o *Options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Show a Database's tree: composed resources, members, failovers, backups",
		Long: "status shows why a Database is or is not Ready: each composed resource with its Ready and\n" +
			"Synced conditions and its message, the instance's members with role, LSN, lag and the last\n" +
			"configuration step, the failover epoch and last failover, and backups with the recovery\n" +
			"window when there are any. Coloured on a terminal.",
		Example: "  kubectl dbaas status orders -n team-a\n  kubectl dbaas status orders -o yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, outputTable, outputYAML, outputJSON); err != nil {
				return err
			}
			c, err := newCluster(o.Flags)
			if err != nil {
				return err
			}
			s, err := readSnapshot(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			st := statusOf(s)
			if output != outputTable {
				return printValue(o.IO.Out, output, "DatabaseStatus", &st)
			}
			return renderStatus(o.IO.Out, st, o.painter())
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Output format: yaml or json.")
	return cmd
}

// readSnapshot reads a Database and what it is made of. Only the Database
// itself must be readable: a composed resource the user may not read, or
// that is gone, is shown with the reason.
func readSnapshot(ctx context.Context, c *cluster, name string) (snapshot, error) {
	u, err := c.get(ctx, databases, c.namespace, name)
	if err != nil {
		return snapshot{}, err
	}
	s := snapshot{db: asDatabase(u)}
	for _, ref := range s.db.composed() {
		ns := ref.Namespace
		if ns == "" {
			ns = s.db.namespace()
		}
		obj, err := c.getRef(ctx, ref.APIVersion, ref.Kind, ns, ref.Name)
		if apierrors.IsNotFound(err) && isObjectNotFound(err) {
			obj, err = nil, nil
		}
		s.composed = append(s.composed, composedRead{ref: ref, obj: obj, err: err})
		if err != nil || obj == nil || ref.Kind != kindDatabaseInstance {
			continue
		}
		in := &enginev1alpha1.DatabaseInstance{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, in); err != nil {
			return snapshot{}, err
		}
		s.instance = in
	}
	if s.instance != nil {
		s.backups, s.backupsErr = readBackups(ctx, c, s.instance)
	}
	return s, nil
}

// readBackups lists the Backups of an instance. A cluster without the
// backup kinds has none.
func readBackups(ctx context.Context, c *cluster, in *enginev1alpha1.DatabaseInstance) ([]opsv1alpha1.Backup, error) {
	items, err := c.list(ctx, backups, in.Namespace, metav1.ListOptions{})
	if err != nil {
		if isNotServed(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []opsv1alpha1.Backup
	for _, u := range items {
		b := opsv1alpha1.Backup{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &b); err != nil {
			return nil, err
		}
		if b.Spec.ForProvider.Instance == in.Name {
			out = append(out, b)
		}
	}
	return out, nil
}
