// Package benchinstance measures DatabaseInstances on the local backend:
// real PostgreSQL 15 servers brought up (BenchmarkCreateToReady), switched
// over (BenchmarkSwitchover) and failed over after their primary's
// postmaster is SIGKILLed (BenchmarkFailover) by the DatabaseInstance
// controller, run in-process against a real API server
// (internal/testing/testenv). The -on-hosts cases do the same on test
// hosts (internal/testing/testhost: network namespaces with addresses of
// their own and a real OpenSSH server), configured over SSH; they need
// root.
//
// Run it as make bench-instance does, with
//
//	go test -run '^$' -bench . -benchtime=5x -count=1 -timeout 120m ./test/benchinstance/ -args -benchinstance.failover-after=2s
//
// Each top-level benchmark starts its own API server and one manager with
// the config, virtualmachine and databaseinstance controllers, run with the
// provider's defaults (--poll 1m, --max-reconcile-rate 10) unless
// -args -benchinstance.poll=... / -benchinstance.max-reconcile-rate=...
// say otherwise. With --poll 1m, status.atProvider.primary follows a
// switchover only at the next poll, which s-to-writable shows;
// -benchinstance.poll=1s measures the controller as the integration tests
// run it. Machines take ports from 25900-25999 and live in temporary
// directories; every postmaster they start is stopped by PID at the end.
package benchinstance
