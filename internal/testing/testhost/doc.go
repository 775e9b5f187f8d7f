// Package testhost makes test hosts out of Linux network namespaces: a
// network is a bridge of the test's own with a small private subnet, and a
// host is a namespace on that bridge with its own address and a real
// OpenSSH server, so code that drives machines over SSH meets a real sshd,
// a real network and real faults (a partitioned link, a powered-off host, a
// changed host key). The file system stays shared: a host's directory
// lives below the test's, while processes started inside the host see only
// its network.
//
// A test of a highly available server over SSH starts like this:
//
//	n := testhost.NewNetwork(t)
//	primary := n.Host(t, "primary", testhost.WithSudoUser())
//	e := primary.Executor(t) // real SSH, host key pinned, sudo
//	cfg := primary.Config()  // the same, for code that dials itself
//	primary.Partition(t)     // and later primary.Heal(t)
//
// The tests run as root. Everything a network makes (namespaces, links,
// the bridge, the subnet's lock, processes) is named after its subnet and
// removed by name or PID when the test ends, also when it fails; nothing
// else is touched.
package testhost
