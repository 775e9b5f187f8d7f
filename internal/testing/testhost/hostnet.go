package testhost

import (
	"context"

	"github.com/dbaas-io/dbaas/internal/hostnet"
)

// The test hosts are made with internal/hostnet, which the local backend
// uses too; these adapters keep this package's own names, so its tests read
// as before.

const waitDeadline = hostnet.WaitDeadline

type process = hostnet.Process

func startIn(ns, logPath string, argv ...string) (*process, error) {
	return hostnet.StartIn(ns, logPath, argv...)
}

func ip(args ...string) (string, error) { return hostnet.IP(context.Background(), args...) }

func namespacePIDs(ns string) ([]int, error) {
	return hostnet.NamespacePIDs(context.Background(), ns)
}

func killNamespace(ns string) error { return hostnet.KillNamespace(context.Background(), ns) }

func killLeftBelow(dir string) error { return hostnet.KillLeftBelow(context.Background(), dir) }

// A stat is what /proc/PID/stat says of a process.
type stat struct{ state, start string }

func readStat(pid int) (stat, bool) {
	s, ok := hostnet.ReadStat(pid)
	return stat{state: s.State, start: s.Start}, ok
}
