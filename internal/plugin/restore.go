package plugin

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

var virtualMachines = computev1alpha1.SchemeGroupVersion.WithResource("virtualmachines")

func newRestoreCommand(o *Options) *cobra.Command {
	var toTime, as string
	cmd := &cobra.Command{
		Use:   "restore NAME --to-time T --into NEW",
		Short: "Restore a Database's backups to a point in time into a new DatabaseInstance",
		// Not --as, which the issue asked for: kubectl's --as (impersonate a
		// user) is one of the flags every command takes.
		Long: "restore creates a new DatabaseInstance NEW restored from the backups of the Database's\n" +
			"instance and its WAL archive, replayed to --to-time (RFC 3339), on copies of the Database's\n" +
			"VirtualMachines (NEW-0, NEW-1, ...). The Database is not touched: a restore never overwrites\n" +
			"a running instance. The platform's Database has no field to restore into yet, so NEW is\n" +
			"managed resources of their own, outside any Database: its connection secret is\n" +
			"NEW-connection once it is Ready, and deleting NEW and its machines removes them.",
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
			plan, err := readAndPlanRestore(ctx, c, d, in, as, toTime)
			if err != nil {
				return err
			}
			// The instance first: a name taken or a create refused stops
			// the command before any machine is made.
			if err := c.create(ctx, instances, plan.instance); err != nil {
				return err
			}
			if _, err := fmt.Fprintf(o.IO.Out, "databaseinstance.engine.dbaas.io/%s created: the backups of DatabaseInstance %s restored to %s\n", as, in.Name, toTime); err != nil {
				return err
			}
			for i, vm := range plan.vms {
				if err := c.create(ctx, virtualMachines, vm); err != nil {
					return err
				}
				if _, err := fmt.Fprintf(o.IO.Out, "virtualmachine.compute.dbaas.io/%s created: a copy of %s\n", vm.Name, plan.from[i]); err != nil {
					return err
				}
			}
			_, err = fmt.Fprintf(o.IO.Out, "%s is outside any Database (the platform's Database has no restore field yet); its Recovery condition says how the restore goes, and its connection secret is %s-connection once it is Ready:\n  kubectl get databaseinstance %s -n %s\n",
				as, as, as, in.Namespace)
			return err
		},
	}
	cmd.Flags().StringVar(&toTime, "to-time", "", "The time to restore to, in RFC 3339 (2026-12-07T11:30:00Z): what was committed by then is there, nothing after.")
	cmd.Flags().StringVar(&as, "into", "", "The name of the new DatabaseInstance; its machines are NEW-0, NEW-1, ...")
	_ = cmd.MarkFlagRequired("to-time")
	_ = cmd.MarkFlagRequired("into")
	return cmd
}

// readAndPlanRestore reads the source's machines, checks that none of
// the names the restore would take is in use (the provider would take a
// machine it did not make for the new instance), and plans the restore.
func readAndPlanRestore(ctx context.Context, c *cluster, d database, in *enginev1alpha1.DatabaseInstance, as, toTime string) (restorePlan, error) {
	names, err := sourceMachines(in)
	if err != nil {
		return restorePlan{}, err
	}
	vms := map[string]*computev1alpha1.VirtualMachine{}
	for _, n := range names {
		u, err := c.get(ctx, virtualMachines, in.Namespace, n)
		if err != nil {
			return restorePlan{}, err
		}
		vm := &computev1alpha1.VirtualMachine{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, vm); err != nil {
			return restorePlan{}, err
		}
		vms[n] = vm
	}
	plan, err := planRestore(d, in, vms, as, toTime)
	if err != nil {
		return restorePlan{}, err
	}
	if err := c.free(ctx, instances, in.Namespace, as); err != nil {
		return restorePlan{}, err
	}
	for _, vm := range plan.vms {
		if err := c.free(ctx, virtualMachines, in.Namespace, vm.Name); err != nil {
			return restorePlan{}, err
		}
	}
	return plan, nil
}
