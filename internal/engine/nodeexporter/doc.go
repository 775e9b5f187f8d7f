// Package nodeexporter runs Debian's prometheus-node-exporter beside a
// member, through the executor, the way package pgexporter runs the
// PostgreSQL exporter: detached on the local backend and the test hosts,
// a systemd unit on a VM. It reports the machine's file systems (which
// the disk-nearly-full alert reads), CPU, memory and load, and nothing
// else. node_exporter has no flag for constant labels: the scrape
// config gives its series the instance and member (see
// docs/platform-teams.md).
package nodeexporter
