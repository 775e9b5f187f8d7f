package hostnet

import (
	"context"
	"os/exec"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// IP runs the ip command with args and returns its output; the error
// carries what ip said.
func IP(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return string(out), errors.Wrapf(err, "ip %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// NamespacePIDs returns the processes whose network namespace is ns, as
// `ip netns pids` finds them.
func NamespacePIDs(ctx context.Context, ns string) ([]int, error) {
	out, err := IP(ctx, "netns", "pids", ns)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(out) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, errors.Wrapf(err, "ip netns pids %s printed %q", ns, f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}
