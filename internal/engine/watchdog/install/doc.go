// Package install is the provider's side of the self-fencing watchdog: the
// steps that run it on a member (a systemd unit on a VM, a detached process
// where there is no systemd), stop it, and renew the heartbeat it reads.
// It lives apart from package watchdog so that the daemon, which is copied
// to every member, links none of the provider's packages.
package install
