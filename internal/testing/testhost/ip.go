package testhost

import (
	"os/exec"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// ip runs the ip command with args and returns its output; the error
// carries what ip said.
func ip(args ...string) (string, error) {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return string(out), errors.Wrapf(err, "ip %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// namespacePIDs returns the processes whose network namespace is ns, as
// `ip netns pids` finds them.
func namespacePIDs(ns string) ([]int, error) {
	out, err := ip("netns", "pids", ns)
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
