// Package pgvm prepares a machine, a VM reached over SSH or this host, for
// the PostgreSQL members that package postgresql runs there, as idempotent
// steps (see package steps): the server's packages installed or found, the
// extensions' packages, and the data disk mounted and grown. Every step
// checks first and changes the machine only when its check fails, so
// running them again after a crash, a retry or a drift is safe.
//
// It was once a whole play for single instances (initdb, settings,
// pg_hba.conf, TLS, a systemd unit, start, health, password); those stages
// are the engine's now, for single and replicated members alike, through
// the same executor. install.go holds the binaries' steps, extensions.go
// the extensions', shell.go what they share.
package pgvm

import (
	"path"
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/engine/pgextensions"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

// Step names, in order, as people read them in a resource's status.
const (
	StepInstall      = "install postgresql-%s"
	StepFindBinaries = "find postgresql-%s binaries"
	StepMount        = "mount data disk"
	StepGrow         = "grow data file system"
)

// Defaults of Options.
const (
	DefaultVersion    = "15"
	DefaultPort       = 5432
	DefaultMountPoint = "/var/lib/postgresql"
	DefaultFSType     = "ext4"
	// DefaultBinRoot holds one bin directory per major version, as the
	// Debian and Ubuntu packages install them.
	DefaultBinRoot = "/usr/lib/postgresql"
)

const (
	errVersion  = "invalid PostgreSQL version %q: want a major version such as \"15\""
	errPath     = "invalid %s %q: it must be an absolute path without whitespace, quotes or backslashes"
	errRoot     = "invalid root %q: it must be empty or an absolute path"
	errPort     = "invalid port %d"
	errDataDisk = "invalid data disk %q: it must be an absolute device path"
)

// Options describe what a machine needs for PostgreSQL members. Paths are
// as on the machine; Root prefixes every path the steps write (but not the
// PostgreSQL binaries, which are where the package puts them).
type Options struct {
	// Version is the major version; "15" by default.
	Version string
	// Root prefixes every path the steps read and write: "" on a real VM,
	// the machine's directory on the local backend and in tests.
	Root string
	// DataDisk is the block device to mount on MountPoint and keep the data
	// on. Empty means the data lives on the root disk, and no Mount step.
	DataDisk string
	// MountPoint is where DataDisk is mounted, and below which the members'
	// directories are; /var/lib/postgresql by default.
	MountPoint string
	// FSType is the file system made on an empty DataDisk; ext4 by default.
	FSType string
	// Port is the TCP port the members listen on; 5432 by default.
	Port int
	// InstallPackages installs postgresql-<version> with apt. When false,
	// a step only checks that the binaries are there.
	InstallPackages bool
	// BinRoot holds <version>/bin; /usr/lib/postgresql by default. Not
	// prefixed by Root.
	BinRoot string
	// Extensions are the extensions (pgextensions' allow-list) whose
	// packages the steps install with the server's, when InstallPackages,
	// or find installed otherwise.
	Extensions []string
	// ShareRoot holds <version>/extension; /usr/share/postgresql by
	// default. Not prefixed by Root.
	ShareRoot string
	// Backup installs pgbackrest too, when InstallPackages, or checks that
	// it is there otherwise: the instance archives its WAL with it.
	Backup bool
	// Metrics installs prometheus-postgres-exporter too, when
	// InstallPackages, or checks that it is there otherwise: the members
	// export their metrics with it.
	Metrics bool
	// NodeMetrics installs prometheus-node-exporter too, in the same way:
	// the members' machines export their file systems with it.
	NodeMetrics bool
}

// withDefaults returns o with its empty fields filled in.
func (o Options) withDefaults() Options {
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	if o.MountPoint == "" {
		o.MountPoint = DefaultMountPoint
	}
	if o.FSType == "" {
		o.FSType = DefaultFSType
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.BinRoot == "" {
		o.BinRoot = DefaultBinRoot
	}
	if o.ShareRoot == "" {
		o.ShareRoot = DefaultShareRoot
	}
	return o
}

var versionRE = regexp.MustCompile(`^[1-9][0-9]?$`)

// validate refuses options the steps cannot carry out safely.
func (o Options) validate() error {
	if !versionRE.MatchString(o.Version) {
		return errors.Errorf(errVersion, o.Version)
	}
	if o.Root != "" && (!path.IsAbs(o.Root) || !cleanPath(o.Root)) {
		return errors.Errorf(errRoot, o.Root)
	}
	for _, p := range []struct{ what, path string }{
		{"mount point", o.MountPoint}, {"binary root", o.BinRoot}, {"share root", o.ShareRoot},
	} {
		if !path.IsAbs(p.path) || !cleanPath(p.path) {
			return errors.Errorf(errPath, p.what, p.path)
		}
	}
	if o.DataDisk != "" && (!path.IsAbs(o.DataDisk) || !cleanPath(o.DataDisk)) {
		return errors.Errorf(errDataDisk, o.DataDisk)
	}
	if o.Port < 1 || o.Port > 65535 {
		return errors.Errorf(errPort, o.Port)
	}
	return pgextensions.Check(o.Version, o.Extensions)
}

// cleanPath reports whether p needs no quoting in fstab or a command line.
func cleanPath(p string) bool {
	return !strings.ContainsAny(p, " \t\r\n'\"\\%$`") && path.Clean(p) == p
}

// rooted returns p below the steps' root.
func (o Options) rooted(p string) string {
	if o.Root == "" {
		return p
	}
	return path.Join(o.Root, p)
}

func (o Options) mountPoint() string { return o.rooted(o.MountPoint) }

// createClusterConf tells postgresql-common not to create and start its
// own "main" cluster on port 5432 when the package is installed.
func (o Options) createClusterConf() string {
	return o.rooted("/etc/postgresql-common/createcluster.d/dbaas.conf")
}

// bin returns the path of a PostgreSQL program.
func (o Options) bin(name string) string { return path.Join(o.BinRoot, o.Version, "bin", name) }

// growable reports whether the steps can grow a file system of type fstype
// online: resize2fs grows the ext family.
func growable(fstype string) bool {
	return fstype == "ext2" || fstype == "ext3" || fstype == "ext4"
}

// Provision returns the steps that prepare the machine for the members
// that package postgresql runs there: the binaries and the extensions'
// packages installed or found, and the data disk mounted on MountPoint and
// grown, in the order they must run. No password is needed for them.
func Provision(o Options) ([]steps.Step, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	var s []steps.Step
	if o.InstallPackages {
		s = append(s, installStep(o))
	} else {
		s = append(s, findBinariesStep(o))
	}
	switch {
	case len(o.Extensions) == 0:
	case o.InstallPackages:
		ext, err := installExtensionsStep(o)
		if err != nil {
			return nil, err
		}
		s = append(s, ext)
	default:
		s = append(s, findExtensionsStep(o))
	}
	if o.Backup {
		s = append(s, backupStep(o))
	}
	if o.Metrics {
		s = append(s, metricsStep(o))
	}
	if o.NodeMetrics {
		s = append(s, nodeMetricsStep(o))
	}
	if o.DataDisk != "" {
		m := steps.Mount(o.DataDisk, o.mountPoint(), o.FSType)
		m.Name = StepMount
		s = append(s, m)
		if growable(o.FSType) {
			// After the mount, so that a disk that grew (a larger
			// storageGB) has its file system grown online, and before
			// anything writes to it.
			g := steps.GrowFilesystem(o.DataDisk, o.mountPoint(), o.FSType)
			g.Name = StepGrow
			s = append(s, g)
		}
	}
	return s, nil
}
