package install

// A Daemon is a program the provider keeps running beside a member: the
// self-fencing watchdog, the metrics exporter. Every word of Args is one
// flag (--flag=value), so that the command line of a running daemon can be
// compared with it word by word.
type Daemon struct {
	// What names it in errors: "the watchdog".
	What string
	// Description is its systemd unit's.
	Description string
	// Args is its command line, program first.
	Args []string
	// Mark is the word of Args that tells this member's daemon from
	// another member's running the same program: a stale one of this
	// member is stopped, another member's is left alone.
	Mark string
	// OSUser is who it runs as.
	OSUser string
	// Env are NAME=value pairs of its environment. They are written into
	// the start command and the unit file: no secrets.
	Env []string
	// PIDFile and LogFile are where a daemon started detached (on a
	// machine without systemd) records its PID and writes its log.
	// systemd keeps both itself.
	PIDFile string
	LogFile string
}
