// Package pgexporter runs Debian's prometheus-postgres-exporter beside a
// PostgreSQL member, through the executor, so the same on the local
// backend (detached, like the watchdog) and on a VM over SSH (a systemd
// unit). It logs in over the member's unix socket as pgroles.Monitor,
// without a password, and labels every series with the instance, the
// member and its role.
package pgexporter
