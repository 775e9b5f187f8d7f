package plugin

import (
	"fmt"
	"io"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
)

// renderStatus prints a Database's status as a tree of its composed
// resources followed by the instance's members, failovers and backups.
// Sections with nothing to say are left out.
func renderStatus(w io.Writer, s Status, p painter) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s: %s\n", p.paint(bold, kindDatabase), s.Namespace, s.Name, p.paint(phaseStyle(s.Phase), s.Phase))
	if s.Message != "" {
		fmt.Fprintf(&b, "  why: %s\n", p.paint(phaseStyle(s.Phase), s.Message))
	}
	fmt.Fprintf(&b, "  %s\n", offering(s))
	if s.Endpoint != "" {
		fmt.Fprintf(&b, "  endpoint: %s\n", s.Endpoint)
	}
	fmt.Fprintf(&b, "  Ready %s, Synced %s\n", conditionText(s.Ready, p), conditionText(s.Synced, p))

	if len(s.Resources) > 0 {
		b.WriteString("\n")
		t := table{header: []string{"RESOURCE", "READY", "SYNCED", "MESSAGE"}}
		for i, r := range s.Resources {
			branch := "├─ "
			if i == len(s.Resources)-1 {
				branch = "└─ "
			}
			t.add(
				cell{text: branch + r.Kind + "/" + r.Name},
				cell{text: r.Ready.Status, style: conditionStyle(r.Ready.Status)},
				cell{text: r.Synced.Status, style: conditionStyle(r.Synced.Status)},
				cell{text: r.Message},
			)
		}
		_ = t.render(&b, p)
	}

	if len(s.Members) > 0 {
		b.WriteString("\n")
		t := table{header: []string{"MEMBER", "ROLE", "RUNNING", "LSN", "LAG", "STREAMING", "STEP"}}
		for _, m := range s.Members {
			running := cell{text: "yes", style: good}
			if !m.Running {
				running = cell{text: "no", style: bad}
			}
			role := cell{text: m.Role}
			if m.Role == enginev1alpha1.RolePrimary {
				role.style = bold
			}
			t.add(role.withName(m.Name), role, running, cell{text: orDash(m.LSN)}, cell{text: lag(m.LagBytes)},
				cell{text: orDash(streaming(m))}, stepCell(m))
		}
		_ = t.render(&b, p)
	}

	if s.FencingToken != 0 || s.LastFailoverTime != nil || s.LastSwitchoverTime != nil || s.RestartStep != "" {
		b.WriteString("\n")
		fmt.Fprintf(&b, "failover epoch %d, last failover %s, last switchover %s", s.FencingToken, when(s.LastFailoverTime), when(s.LastSwitchoverTime))
		if s.RestartStep != "" {
			fmt.Fprintf(&b, ", rolling restart: %s", s.RestartStep)
		}
		b.WriteString("\n")
	}

	if len(s.Backups) > 0 {
		b.WriteString("\n")
		t := table{header: []string{"BACKUP", "TYPE", "PHASE", "STOP", "SIZE", "MESSAGE"}}
		for _, bk := range s.Backups {
			t.add(cell{text: bk.Name}, cell{text: orDash(bk.Type)}, cell{text: orDash(bk.Phase), style: backupStyle(bk.Phase)},
				cell{text: when(bk.StopTime)}, cell{text: size(bk.SizeBytes)}, cell{text: bk.Message})
		}
		_ = t.render(&b, p)
	}
	if s.BackupsError != "" {
		fmt.Fprintf(&b, "\nbackups: %s\n", p.paint(warn, s.BackupsError))
	}
	if rw := s.RecoveryWindow; rw != nil {
		fmt.Fprintf(&b, "\nrecovery window: %s to %s (last backup ended %s; last WAL archived %s at %s)\n",
			when(rw.FirstRecoverabilityPoint), when(rw.LastArchivedTime), when(rw.LastSuccessfulBackupTime), orDash(rw.LastArchivedWAL), when(rw.LastArchivedTime))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// withName is a member's name cell, styled as its role.
func (c cell) withName(name string) cell { return cell{text: name, style: c.style} }

// offering is what the Database asked the platform for, in one line.
func offering(s Status) string {
	parts := []string{strings.TrimSpace(s.Engine + " " + s.Version)}
	for _, kv := range [][2]string{{"flavor", s.Flavor}, {"tier", s.Tier}, {"sku", s.SKU}, {"environment", s.Environment}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	return strings.Join(parts, ", ")
}

func conditionText(c Condition, p painter) string {
	t := p.paint(conditionStyle(c.Status), c.Status)
	if c.Reason != "" {
		t += " (" + c.Reason + ")"
	}
	return t
}

func streaming(m Member) string {
	if m.SyncState == "" {
		return m.Streaming
	}
	return m.Streaming + " (" + m.SyncState + ")"
}

// stepCell is the last configuration step over SSH, red with its error when
// it failed.
func stepCell(m Member) cell {
	if m.Step == "" {
		return cell{text: "-"}
	}
	text := m.Step + " " + m.StepState
	switch m.StepState {
	case enginev1alpha1.StepFailed:
		if m.StepError != "" {
			text += ": " + m.StepError
		}
		return cell{text: text, style: bad}
	case enginev1alpha1.StepApplying:
		return cell{text: text, style: warn}
	}
	return cell{text: text}
}

func backupStyle(phase string) style {
	switch opsv1alpha1.BackupPhase(phase) {
	case opsv1alpha1.BackupCompleted:
		return good
	case opsv1alpha1.BackupFailed:
		return bad
	}
	return plain
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func when(t *metav1.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func lag(b *int64) string {
	if b == nil {
		return "-"
	}
	return size(b)
}

// size is a number of bytes in binary units, as PostgreSQL's
// pg_size_pretty shows them.
func size(b *int64) string {
	if b == nil {
		return "-"
	}
	n := float64(*b)
	for _, unit := range []string{"B", "KiB", "MiB", "GiB", "TiB"} {
		if n < 1024 || unit == "TiB" {
			if unit == "B" {
				return fmt.Sprintf("%d B", *b)
			}
			return fmt.Sprintf("%.1f %s", n, unit)
		}
		n /= 1024
	}
	return ""
}
