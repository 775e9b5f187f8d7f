package pgbackrest

import (
	"context"
	"encoding/json"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errParseInfo = "cannot parse pgbackrest info's JSON"
	errNoStanza  = "pgbackrest info shows no stanza %q"
)

// Info is what the repository holds for a stanza.
type Info struct {
	// Status is pgBackRest's status code of the stanza (0 is ok) and
	// Message its words for it, such as "missing stanza path".
	Status  int
	Message string
	// Backups are the stanza's backups, oldest first.
	Backups []Backup
	// WALMin and WALMax are the oldest and newest WAL segments archived
	// for the current database; empty when none is.
	WALMin string
	WALMax string
	// BackupLocked is true while a pgBackRest process holds the stanza's
	// backup lock: a backup (or expire) runs.
	BackupLocked bool
}

// Backup is one backup in the repository.
type Backup struct {
	// Label is pgBackRest's name of the backup, such as 20261206-201500F.
	Label string
	// Type is TypeFull, TypeDiff or TypeIncr.
	Type string
	// Prior is the label of the backup this one depends on; empty for a
	// full backup.
	Prior string
	Start time.Time
	Stop  time.Time
	// StartLSN and StopLSN bound the WAL the backup needs to be
	// consistent; StartWAL and StopWAL are its segments.
	StartLSN string
	StopLSN  string
	StartWAL string
	StopWAL  string
	// Size is the database's size, Delta what this backup copied of it;
	// RepoSize and RepoDelta the same in the repository (compressed).
	Size      int64
	Delta     int64
	RepoSize  int64
	RepoDelta int64
	// Error is set when pgBackRest found a page checksum error while
	// backing up.
	Error bool
	// Annotations are the key/value pairs the backup was taken with
	// (--annotation), by which a caller finds the backup it started.
	Annotations map[string]string
}

// infoJSON is the part of `pgbackrest info --output=json` that Info reads.
type infoJSON struct {
	Name   string `json:"name"`
	Status struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Lock    struct {
			Backup struct {
				Held bool `json:"held"`
			} `json:"backup"`
		} `json:"lock"`
	} `json:"status"`
	Repo []struct {
		Key    int `json:"key"`
		Status struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
	} `json:"repo"`
	DB []struct {
		ID      int `json:"id"`
		RepoKey int `json:"repo-key"`
	} `json:"db"`
	Archive []struct {
		Database struct {
			ID      int `json:"id"`
			RepoKey int `json:"repo-key"`
		} `json:"database"`
		Min string `json:"min"`
		Max string `json:"max"`
	} `json:"archive"`
	Backup []struct {
		Label      string            `json:"label"`
		Type       string            `json:"type"`
		Prior      *string           `json:"prior"`
		Error      bool              `json:"error"`
		Annotation map[string]string `json:"annotation"`
		Archive    struct {
			Start string `json:"start"`
			Stop  string `json:"stop"`
		} `json:"archive"`
		LSN struct {
			Start string `json:"start"`
			Stop  string `json:"stop"`
		} `json:"lsn"`
		Timestamp struct {
			Start int64 `json:"start"`
			Stop  int64 `json:"stop"`
		} `json:"timestamp"`
		Info struct {
			Size       int64 `json:"size"`
			Delta      int64 `json:"delta"`
			Repository struct {
				Size  int64 `json:"size"`
				Delta int64 `json:"delta"`
			} `json:"repository"`
		} `json:"info"`
	} `json:"backup"`
}

// Info returns what the repository holds for the stanza.
func (s *Stanza) Info(ctx context.Context) (Info, error) {
	out, err := s.run(ctx, "info", "--output=json")
	if err != nil {
		return Info{}, err
	}
	return parseInfo(s.Name, []byte(out))
}

// parseInfo reads the stanza's entry of pgbackrest info's JSON.
func parseInfo(stanza string, out []byte) (Info, error) {
	var all []infoJSON
	if err := json.Unmarshal(out, &all); err != nil {
		return Info{}, errors.Wrap(err, errParseInfo)
	}
	for _, st := range all {
		if st.Name != stanza {
			continue
		}
		info := Info{Status: st.Status.Code, Message: BriefHTTP(st.Status.Message), BackupLocked: st.Status.Lock.Backup.Held}
		for _, b := range st.Backup {
			bk := Backup{
				Label: b.Label, Type: b.Type, Error: b.Error, Annotations: b.Annotation,
				Start: time.Unix(b.Timestamp.Start, 0).UTC(), Stop: time.Unix(b.Timestamp.Stop, 0).UTC(),
				StartLSN: b.LSN.Start, StopLSN: b.LSN.Stop, StartWAL: b.Archive.Start, StopWAL: b.Archive.Stop,
				Size: b.Info.Size, Delta: b.Info.Delta, RepoSize: b.Info.Repository.Size, RepoDelta: b.Info.Repository.Delta,
			}
			if b.Prior != nil {
				bk.Prior = *b.Prior
			}
			info.Backups = append(info.Backups, bk)
		}
		// The archive has an entry per database the stanza has known (a
		// stanza upgraded across major versions has several); the current
		// one is the last.
		if n := len(st.Archive); n > 0 {
			info.WALMin, info.WALMax = st.Archive[n-1].Min, st.Archive[n-1].Max
		}
		return info, nil
	}
	return Info{}, errors.Errorf(errNoStanza, stanza)
}
