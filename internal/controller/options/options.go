// Package options holds the settings every controller of the provider is set
// up with. Controllers and their registry both import it, so it imports no
// controller.
package options

import (
	"time"

	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"

	"github.com/dbaas-io/dbaas/internal/clients/backend"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/deletion"
)

// Options are what every controller of this provider is set up with: the
// crossplane-runtime options plus the provider's own settings.
type Options struct {
	xpcontroller.Options

	// LocalDir is where the local backend keeps machines when a provider
	// config does not name a directory of its own.
	LocalDir string

	// ServerLimiters cap the operations per second on each existing
	// server; every SQL controller shares them. Nil means no limit.
	ServerLimiters *server.Limiters

	// ServerPools keep the sessions the SQL controllers log in with, one
	// pool per server and credentials that every SQL controller shares.
	// Nil opens a connection per reconcile.
	ServerPools *server.Pools

	// Machines are how machine backends are reached beyond what provider
	// configs say; LocalDir is filled in from the field above.
	Machines backend.Options

	// GiveUpDeleteAfter bounds how long a delete retries a machine, an
	// instance or a server it cannot reach before the resource finishes
	// deleting with a Warning event naming what it left behind. Zero means
	// deletion.DefaultGiveUpAfter.
	GiveUpDeleteAfter time.Duration

	// WatchdogBinary is the dbaas-watchdog binary the DatabaseInstance
	// controller copies to the machines of replicated members over SSH
	// and runs beside each member; empty installs none, and then a
	// primary the provider cannot reach is never replaced.
	WatchdogBinary string

	// BackupRoot is the directory on the instances' machines below which
	// posix BackupStores live, one directory per namespace. Empty means
	// backupstore.DefaultBackupRoot (which this package cannot import: the
	// engine's tests import it through testenv).
	BackupRoot string

	// BackupVerifyInterval is how often the Backup controller has
	// pgBackRest verify each instance's stanza, which reads every backup
	// and archived WAL segment of it back from the store. Zero means
	// DefaultBackupVerifyInterval.
	BackupVerifyInterval time.Duration

	// BackupVerifyTimeout is how long a verify may run before it is
	// stopped and counted as failed. Zero means
	// DefaultBackupVerifyTimeout.
	BackupVerifyTimeout time.Duration
}

// DefaultBackupVerifyInterval is how often a stanza is verified when the
// provider is not told otherwise: a verify reads the whole stanza back,
// so it runs seldom.
const DefaultBackupVerifyInterval = 6 * time.Hour

// DefaultBackupVerifyTimeout bounds a verify when the provider is not told
// otherwise. A verify reads back what a restore reads: the 2 GB database of
// make bench-backup restores from the S3 store in 16-45 s here (README,
// Measured here), so an hour is a hundred times that and more, while a
// verify retrying a store that is gone (which pgBackRest's own timeouts did
// not end in 14 minutes) is stopped well within the default interval.
const DefaultBackupVerifyTimeout = time.Hour

// VerifyTimeout is BackupVerifyTimeout, or its default when unset.
func (o Options) VerifyTimeout() time.Duration {
	if o.BackupVerifyTimeout > 0 {
		return o.BackupVerifyTimeout
	}
	return DefaultBackupVerifyTimeout
}

// VerifyInterval is BackupVerifyInterval, or its default when unset.
func (o Options) VerifyInterval() time.Duration {
	if o.BackupVerifyInterval > 0 {
		return o.BackupVerifyInterval
	}
	return DefaultBackupVerifyInterval
}

// DeleteBound is GiveUpDeleteAfter, or its default when unset.
func (o Options) DeleteBound() time.Duration {
	if o.GiveUpDeleteAfter > 0 {
		return o.GiveUpDeleteAfter
	}
	return deletion.DefaultGiveUpAfter
}

// Backends are the machine backend options with the local directory set.
func (o Options) Backends() backend.Options {
	b := o.Machines
	if b.LocalDir == "" {
		b.LocalDir = o.LocalDir
	}
	return b
}
