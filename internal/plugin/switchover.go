package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

func newSwitchoverCommand(o *Options) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "switchover NAME --to MEMBER",
		Short: "Make a replica of a Database the primary (a planned switchover)",
		Long: "switchover sets the DatabaseInstance's spec.forProvider.primary to the member (its\n" +
			"VirtualMachine) named by --to: the provider stops the old primary cleanly, promotes the\n" +
			"replica once it has replayed everything, and the old primary rejoins as a replica.\n" +
			"kubectl dbaas status NAME shows it happen.",
		Example: "  kubectl dbaas switchover orders --to orders-vm-1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newCluster(o.Flags)
			if err != nil {
				return err
			}
			u, err := c.get(cmd.Context(), databases, c.namespace, args[0])
			if err != nil {
				return err
			}
			d := asDatabase(u)
			ref, ok := d.instanceRef()
			if !ok {
				return fmt.Errorf("database %s/%s has no DatabaseInstance of its own (tier %s): there is nothing to switch over", d.namespace(), d.name(), orNone(d.str("spec", "tier")))
			}
			iu, err := c.get(cmd.Context(), instances, d.namespace(), ref.Name)
			if err != nil {
				return err
			}
			in := &enginev1alpha1.DatabaseInstance{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(iu.Object, in); err != nil {
				return err
			}
			if err := checkSwitchover(in, to); err != nil {
				return fmt.Errorf("database %s/%s: %w", d.namespace(), d.name(), err)
			}
			patch, err := switchoverPatch(in, to)
			if err != nil {
				return err
			}
			if err := c.patch(cmd.Context(), instances, in.Namespace, in.Name, patch); err != nil {
				if apierrors.IsConflict(err) {
					return fmt.Errorf("DatabaseInstance %s changed while the switchover was checked: run the command again", in.Name)
				}
				return err
			}
			_, err = fmt.Fprintf(o.IO.Out, "switchover of %s/%s to %s asked for (DatabaseInstance %s, from %s); kubectl dbaas status %s shows its progress\n",
				d.namespace(), d.name(), to, in.Name, in.Status.AtProvider.Primary, d.name())
			return err
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "The member (its VirtualMachine's name) to make the primary.")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

// checkSwitchover decides whether a switchover of an instance to a member
// can be asked for, and if not says why and what to do instead.
func checkSwitchover(in *enginev1alpha1.DatabaseInstance, to string) error {
	at := in.Status.AtProvider
	if in.Spec.ForProvider.Topology != enginev1alpha1.TopologyPrimary {
		return errors.New("it has a single member: there is no replica to switch over to")
	}
	names := make([]string, 0, len(at.Members))
	var member *enginev1alpha1.Member
	for i, m := range at.Members {
		names = append(names, m.VirtualMachine)
		if m.VirtualMachine == to {
			member = &at.Members[i]
		}
	}
	switch {
	case member == nil:
		slices.Sort(names)
		return fmt.Errorf("%s is not one of its members: --to takes one of %s", to, orNone(strings.Join(names, ", ")))
	case at.Primary == to:
		return fmt.Errorf("%s is the primary already", to)
	case in.Spec.ForProvider.Primary == to:
		return fmt.Errorf("a switchover to %s is asked for already and under way", to)
	case at.RestartStep != "":
		return fmt.Errorf("a rolling restart is under way (%s), which switches over itself: wait until it is done", at.RestartStep)
	case !member.Running:
		return fmt.Errorf("%s is not running: only a running replica can take over", to)
	case member.Role != enginev1alpha1.RoleReplica:
		return fmt.Errorf("%s is a %s, not a replica", to, member.Role)
	}
	return nil
}

// switchoverPatch sets spec.forProvider.primary, on the condition that the
// instance is still the one checked: the resourceVersion makes the API
// server refuse it otherwise.
func switchoverPatch(in *enginev1alpha1.DatabaseInstance, to string) ([]byte, error) {
	return json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": in.ResourceVersion},
		"spec":     map[string]any{"forProvider": map[string]any{"primary": to}},
	})
}
