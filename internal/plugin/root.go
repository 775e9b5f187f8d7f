package plugin

import (
	"os/exec"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Options are what every command shares: kubectl's connection flags, the
// streams, and what a test replaces (the clock, the programs connect runs).
type Options struct {
	Flags *genericclioptions.ConfigFlags
	IO    genericiooptions.IOStreams

	// Now is the clock ages are measured with.
	Now func() time.Time

	// Colour says whether to colour output to the standard output; on a
	// terminal by default.
	Colour func() bool

	// LookPath finds the engine's client (psql) on the PATH.
	LookPath func(string) (string, error)
}

// NewOptions returns the options of a real run on the given streams.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{
		Flags:    genericclioptions.NewConfigFlags(true),
		IO:       streams,
		Now:      time.Now,
		Colour:   func() bool { return colourFor(streams.Out) },
		LookPath: exec.LookPath,
	}
}

// NewCommand returns kubectl dbaas with its subcommands.
func NewCommand(o *Options) *cobra.Command {
	root := &cobra.Command{
		Use:   "kubectl-dbaas",
		Short: "Look after the platform's Databases: list, status, connect, switchover, catalog",
		Long: "kubectl dbaas answers what a team asks about its platform Databases (platform.dbaas.io)\n" +
			"without reading managed resources one by one. It takes kubectl's flags: --kubeconfig,\n" +
			"--context, -n/--namespace, --as and the rest.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations: map[string]string{
			// Cobra names the command "kubectl dbaas" in help, as kubectl
			// runs it.
			cobra.CommandDisplayNameAnnotation: "kubectl dbaas",
		},
	}
	root.SetIn(o.IO.In)
	root.SetOut(o.IO.Out)
	root.SetErr(o.IO.ErrOut)
	o.Flags.AddFlags(root.PersistentFlags())
	root.AddCommand(newListCommand(o), newStatusCommand(o), newConnectCommand(o), newSwitchoverCommand(o), newCatalogCommand(o))
	return root
}

func (o *Options) painter() painter { return painter{on: o.Colour()} }
