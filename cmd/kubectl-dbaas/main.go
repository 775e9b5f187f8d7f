// Command kubectl-dbaas is the kubectl plugin of the dbaas platform:
// installed on the PATH (make install-plugin), kubectl runs it as
// `kubectl dbaas`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/dbaas-io/dbaas/internal/plugin"
)

func main() {
	o := plugin.NewOptions(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	err := plugin.NewCommand(o).ExecuteContext(context.Background())
	var exit plugin.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.Code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
