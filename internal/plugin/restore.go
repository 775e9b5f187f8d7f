package plugin

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

func newRestoreCommand(o *Options) *cobra.Command {
	var toTime, as string
	cmd := &cobra.Command{
		Use:   "restore NAME --to-time T --into NEW",
		Short: "Restore a Database's backups to a point in time into a new Database",
		// Not --as, which the issue asked for: kubectl's --as (impersonate a
		// user) is one of the flags every command takes.
		Long: "restore creates a new platform Database NEW in the Database's namespace with the same\n" +
			"engine, version, flavor, tier, SKU, storage and environment, and spec.restore naming the\n" +
			"Database and --to-time (RFC 3339), which must be in its recovery window.\n" +
			"Its instance starts from the Database's backups and WAL archive replayed to that time, with\n" +
			"the Database's role and database. The Database is not touched: a restore never overwrites\n" +
			"a running instance. NEW has its own connection secret (NEW-connection) and its own backups.",
		Example: "  kubectl dbaas restore orders --to-time 2026-12-07T11:30:00Z --into orders-before-drop",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := newCluster(o.Flags)
			if err != nil {
				return err
			}
			d, in, err := instanceOf(ctx, c, args[0], "restore")
			if err != nil {
				return err
			}
			restored, err := readAndPlanRestore(ctx, c, d, in, as, toTime)
			if err != nil {
				return err
			}
			if err := c.create(ctx, databases, restored); err != nil {
				return err
			}
			_, err = fmt.Fprintf(o.IO.Out, "database.platform.dbaas.io/%s created: the backups of Database %s restored to %s\n"+
				"It is Ready once its instance has replayed them; its connection secret is %s-connection:\n  kubectl dbaas status %s -n %s\n",
				as, d.name(), toTime, as, as, d.namespace())
			return err
		},
	}
	cmd.Flags().StringVar(&toTime, "to-time", "", "The time to restore to, in RFC 3339 (2026-12-07T11:30:00Z): what was committed by then is there, nothing after.")
	cmd.Flags().StringVar(&as, "into", "", "The name of the new Database.")
	_ = cmd.MarkFlagRequired("to-time")
	_ = cmd.MarkFlagRequired("into")
	return cmd
}

// readAndPlanRestore plans the restore and checks that its name is free:
// a restore makes a new Database only.
func readAndPlanRestore(ctx context.Context, c *cluster, d database, in *enginev1alpha1.DatabaseInstance, as, toTime string) (*unstructured.Unstructured, error) {
	restored, err := planRestore(d, in, as, toTime)
	if err != nil {
		return nil, err
	}
	if err := c.free(ctx, databases, d.namespace(), as); err != nil {
		return nil, err
	}
	return restored, nil
}
