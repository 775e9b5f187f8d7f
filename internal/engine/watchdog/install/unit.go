package install

import (
	"context"
	"path"
	"strings"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
	"github.com/dbaas-io/dbaas/internal/engine/watchdog"
)

// StepUnit names the step that writes the watchdog's systemd unit.
const StepUnit = "write watchdog unit"

// UnitName is the systemd unit of the watchdog of the member called member.
func UnitName(member string) string { return "dbaas-watchdog-" + member + ".service" }

// SystemdSteps run the watchdog of the member called member as a systemd
// unit on a VM (DaemonSystemdSteps). The binary and the configuration must
// be in place first.
func SystemdSteps(member string, p watchdog.Process) []steps.Step {
	return DaemonSystemdSteps(UnitName(member), StepUnit, daemonOf(p))
}

// DaemonSystemdSteps run d as the systemd unit name on a VM: the unit is
// written (and systemd reloaded, and a daemon that runs restarted, so that
// new flags take effect), then enabled and started. step names the first
// step.
func DaemonSystemdSteps(name, step string, d Daemon) []steps.Step {
	unit := steps.File(path.Join("/etc/systemd/system", name), []byte(RenderDaemonUnit(d)), 0o644)
	return []steps.Step{
		{
			Name:  step,
			Check: unit.Check,
			Apply: func(ctx context.Context, e executor.Executor) error {
				if err := unit.Apply(ctx, e); err != nil {
					return err
				}
				return runScript(ctx, e, "systemctl daemon-reload", "systemctl daemon-reload && "+executor.ShellCommand("systemctl", "try-restart", "--", name))
			},
		},
		steps.Service(name),
	}
}

// RemoveUnitScript stops and disables the unit name and removes its file.
func RemoveUnitScript(name string) string {
	return "systemctl disable --now -- " + q(name) + " 2>/dev/null; rm -f -- " + q(path.Join("/etc/systemd/system", name)) + " && systemctl daemon-reload"
}

// RenderUnit returns the systemd unit that runs the watchdog on a VM.
// Restart=always brings it back whatever ended it, and the unit never stops
// trying (StartLimitIntervalSec=0): a member without its watchdog is a
// primary that cannot fence itself. It runs as the engine's OS user, like
// the server, and logs to the journal.
func RenderUnit(p watchdog.Process) string { return RenderDaemonUnit(daemonOf(p)) }

// RenderDaemonUnit returns the systemd unit that runs d on a VM, as
// RenderUnit describes.
func RenderDaemonUnit(d Daemon) string {
	exec := make([]string, len(d.Args))
	for i, a := range d.Args {
		exec[i] = systemdQuote(a)
	}
	lines := []string{
		"# Written by the dbaas provider; local edits are overwritten.",
		"[Unit]",
		"Description=" + systemdEscape(d.Description),
		"StartLimitIntervalSec=0",
		"",
		"[Service]",
		"Type=simple",
		"User=" + d.OSUser,
		"Group=" + d.OSUser,
	}
	for _, kv := range d.Env {
		lines = append(lines, "Environment="+systemdQuote(kv))
	}
	return strings.Join(append(lines,
		"ExecStart="+strings.Join(exec, " "),
		"Restart=always",
		"RestartSec=1s",
		"",
		"[Install]",
		"WantedBy=multi-user.target",
		"",
	), "\n")
}

// systemdQuote returns s as one word of a systemd command line: as it is
// when it holds nothing systemd interprets, else in double quotes with
// backslashes and double quotes escaped. Specifiers (%) and variables ($)
// are doubled either way, so that systemd expands neither.
func systemdQuote(s string) string {
	if s != "" && strings.IndexFunc(s, needsQuotes) < 0 {
		return systemdEscape(s)
	}
	return `"` + systemdEscape(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)) + `"`
}

// systemdEscape doubles what systemd would expand in a unit's values.
func systemdEscape(s string) string {
	return strings.NewReplacer("%", "%%", "$", "$$", "\n", " ").Replace(s)
}

// needsQuotes reports whether r cannot stand unquoted in a systemd word.
func needsQuotes(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	default:
		return !strings.ContainsRune("@+:,./_=-%$", r)
	}
}
