package watchdog

import (
	"time"
)

// A Process is how the watchdog of one member runs on the member's machine.
type Process struct {
	// Binary is the absolute path of dbaas-watchdog on the machine.
	Binary string
	// ConfigFile is the member's configuration (see Config), owned by
	// OSUser with mode 0600.
	ConfigFile string
	// OSUser is who the watchdog runs as: the engine's OS user, who owns
	// the data directory, so that it may write the fence marker and run
	// pg_ctl.
	OSUser string
	// Interval is how often it looks; zero means DefaultInterval.
	Interval time.Duration
	// FenceAfter is how long an isolated primary keeps running.
	FenceAfter time.Duration

	// PIDFile and LogFile are where a watchdog started detached (on a
	// machine without systemd, see StartStep) records its PID and writes
	// its log. systemd keeps both itself.
	PIDFile string
	LogFile string
}

// Args is the watchdog's command line, program first. Every flag is one
// word (--flag=value), so that the command line of a running watchdog can
// be compared with it word by word.
func (p Process) Args() []string {
	interval := p.Interval
	if interval == 0 {
		interval = DefaultInterval
	}
	return []string{p.Binary, "--config=" + p.ConfigFile, "--interval=" + interval.String(), "--fence-after=" + p.FenceAfter.String()}
}
