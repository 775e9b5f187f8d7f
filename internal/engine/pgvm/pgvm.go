// Package pgvm runs PostgreSQL on a machine, a VM reached over SSH or this
// host, as an idempotent play of steps (see package steps): install the
// packages, mount the data disk, create the data directory, initialise the
// cluster, write its settings and pg_hba.conf, start it and check its
// health. Every step checks first and changes the machine only when its
// check fails, so running the play again after a crash, a retry or a drift
// is safe, and a play against a machine that is as described changes
// nothing.
//
// Each stage of the play has its own file, in play order: install.go (the
// binaries), extensions.go (the extensions' packages), datadir.go,
// initialise.go (initdb), tls.go (the certificate), settings.go, hba.go,
// start.go (the systemd unit, start and restart), health.go and
// password.go. files.go, server.go and reload.go hold what
// several stages share: the files the play owns, reaching a running server,
// and having it reload. lifecycle.go asks whether a cluster exists and
// which version runs, and removes what the play made.
package pgvm

import (
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/engine/pgextensions"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

// ServiceMode says how the server is run.
type ServiceMode string

// Service modes.
const (
	// ServiceSystemd runs the server as a systemd unit, so it starts at
	// boot and is restarted when it fails. What real VMs use.
	ServiceSystemd ServiceMode = "systemd"
	// ServicePgCtl starts the server with pg_ctl as the OS user: for hosts
	// without systemd, such as containers and tests. Nothing restarts it
	// after a reboot or a crash but the next play.
	ServicePgCtl ServiceMode = "pg_ctl"
)

// Step names, in play order, as people read them in a resource's status.
const (
	StepInstall       = "install postgresql-%s"
	StepFindBinaries  = "find postgresql-%s binaries"
	StepMount         = "mount data disk"
	StepGrow          = "grow data file system"
	StepDataDirectory = "create data directory"
	StepInitialise    = "initialise cluster"
	StepSettings      = "write postgresql.auto settings"
	StepHBA           = "write pg_hba.conf"
	// StepCertificate (tls.go) runs between StepInitialise and StepSettings.
	StepUnit   = "write systemd unit"
	StepStart  = "start postgresql"
	StepHealth = "health check"
)

// Defaults of Options.
const (
	DefaultVersion    = "15"
	DefaultPort       = 5432
	DefaultOSUser     = "postgres"
	DefaultMountPoint = "/var/lib/postgresql"
	DefaultFSType     = "ext4"
	DefaultSocketDir  = "/var/run/postgresql"
	DefaultLogDir     = "/var/log/postgresql"
	// DefaultBinRoot holds one bin directory per major version, as the
	// Debian and Ubuntu packages install them.
	DefaultBinRoot = "/usr/lib/postgresql"
)

const (
	errVersion       = "invalid PostgreSQL version %q: want a major version such as \"15\""
	errPath          = "invalid %s %q: it must be an absolute path without whitespace, quotes or backslashes"
	errRoot          = "invalid root %q: it must be empty or an absolute path"
	errPort          = "invalid port %d"
	errOSUser        = "invalid OS user %q"
	errMode          = "invalid service mode %q: want %q or %q"
	errPassword      = "the superuser password is empty"
	errPasswordLine  = "the superuser password holds a line break or a NUL byte, which initdb's password file cannot carry"
	errSocketTooLong = "the socket path %s is longer than the %d bytes PostgreSQL accepts"
	errListen        = "invalid listen address %q"
	errDataDisk      = "invalid data disk %q: it must be an absolute device path"
	errDataUnderDisk = "the data directory %s is not below the data disk's mount point %s"
	errTLSPair       = "the server certificate and key must both be given"
	errHostSSL       = "pg_hba rule %d: a hostssl rule needs the server's TLS certificate"
)

// An HBARule is one line of pg_hba.conf.
type HBARule struct {
	// Type is local, host, hostssl or hostnossl.
	Type string
	// Database and User are comma-separated lists, or all.
	Database string
	User     string
	// Address is a CIDR, or empty for local rules.
	Address string
	// Method is scram-sha-256, md5, peer, reject and the like.
	Method string
}

// Options describe the server the play makes. Paths are as on the machine;
// Root prefixes every path the play writes (but not the PostgreSQL binaries,
// which are where the package puts them).
type Options struct {
	// Version is the major version; "15" by default.
	Version string
	// Root prefixes every path the play reads and writes: "" on a real VM,
	// a temporary directory in tests.
	Root string
	// DataDisk is the block device to mount on MountPoint and keep the data
	// on. Empty means the data lives on the root disk, and no Mount step.
	DataDisk string
	// MountPoint is where DataDisk is mounted; DataDir must be below it.
	// /var/lib/postgresql by default.
	MountPoint string
	// FSType is the file system made on an empty DataDisk; ext4 by default.
	FSType string
	// DataDir is the data directory; /var/lib/postgresql/<version>/dbaas by
	// default. Not the package's /var/lib/postgresql/<version>/main, which
	// the play tells the package not to create.
	DataDir string
	// SocketDir is where the unix socket is; /var/run/postgresql by default.
	SocketDir string
	// LogDir holds the server's log in pg_ctl mode; /var/log/postgresql by
	// default. systemd mode logs to the journal.
	LogDir string
	// Port is the TCP port; 5432 by default.
	Port int
	// ListenAddresses are the addresses the server listens on; localhost
	// by default.
	ListenAddresses []string
	// Settings are postgresql.conf parameters by name: max_connections,
	// shared_buffers and any other. The ones the play owns (port,
	// listen_addresses and the paths) are refused.
	Settings map[string]string
	// HBA rules follow the play's own first line, which lets OSUser in
	// over the unix socket as the superuser of the same name (peer).
	HBA []HBARule
	// OSUser is the user the server runs as and the name of the bootstrap
	// superuser; postgres by default.
	OSUser string
	// SuperuserPassword is the bootstrap superuser's password. It reaches
	// initdb through a 0600 file removed right after, never a command line.
	SuperuserPassword string
	// InstallPackages installs postgresql-<version> with apt. When false,
	// a step only checks that the binaries are there.
	InstallPackages bool
	// ServiceMode is systemd (the default) or pg_ctl.
	ServiceMode ServiceMode
	// BinRoot holds <version>/bin; /usr/lib/postgresql by default. Not
	// prefixed by Root.
	BinRoot string
	// Extensions are the extensions (pgextensions' allow-list) whose
	// packages the play installs with the server's, when InstallPackages,
	// or finds installed otherwise.
	Extensions []string
	// ShareRoot holds <version>/extension; /usr/share/postgresql by
	// default. Not prefixed by Root.
	ShareRoot string
	// TLS is the server's certificate. With it the server listens with
	// ssl=on, and hostssl rules can let clients in; without it the server
	// has no TLS at all.
	TLS *ServerTLS
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
	if o.DataDir == "" {
		o.DataDir = path.Join(DefaultMountPoint, o.Version, "dbaas")
	}
	if o.SocketDir == "" {
		o.SocketDir = DefaultSocketDir
	}
	if o.LogDir == "" {
		o.LogDir = DefaultLogDir
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if len(o.ListenAddresses) == 0 {
		o.ListenAddresses = []string{"localhost"}
	}
	if o.OSUser == "" {
		o.OSUser = DefaultOSUser
	}
	if o.ServiceMode == "" {
		o.ServiceMode = ServiceSystemd
	}
	if o.BinRoot == "" {
		o.BinRoot = DefaultBinRoot
	}
	if o.ShareRoot == "" {
		o.ShareRoot = DefaultShareRoot
	}
	return o
}

var (
	versionRE = regexp.MustCompile(`^[1-9][0-9]?$`)
	userRE    = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	listenRE  = regexp.MustCompile(`^[A-Za-z0-9.:*_-]+$`)
)

// maxSocketPath is the longest unix socket path PostgreSQL accepts
// (sizeof(sun_path) - 1 on Linux).
const maxSocketPath = 107

// validate refuses options the play cannot carry out safely. Its errors
// never hold the password.
func (o Options) validate() error {
	if err := o.validateServer(); err != nil {
		return err
	}
	if o.SuperuserPassword == "" {
		return errors.New(errPassword)
	}
	if strings.ContainsAny(o.SuperuserPassword, "\r\n\x00") {
		return errors.New(errPasswordLine)
	}
	return nil
}

// validateServer is validate without the password, which Health does not
// need.
func (o Options) validateServer() error {
	if !versionRE.MatchString(o.Version) {
		return errors.Errorf(errVersion, o.Version)
	}
	if o.Root != "" && (!path.IsAbs(o.Root) || !cleanPath(o.Root)) {
		return errors.Errorf(errRoot, o.Root)
	}
	for _, p := range []struct{ what, path string }{
		{"data directory", o.DataDir}, {"socket directory", o.SocketDir}, {"log directory", o.LogDir},
		{"mount point", o.MountPoint}, {"binary root", o.BinRoot}, {"share root", o.ShareRoot},
	} {
		if !path.IsAbs(p.path) || !cleanPath(p.path) {
			return errors.Errorf(errPath, p.what, p.path)
		}
	}
	if o.DataDisk != "" {
		if !path.IsAbs(o.DataDisk) || !cleanPath(o.DataDisk) {
			return errors.Errorf(errDataDisk, o.DataDisk)
		}
		if !strings.HasPrefix(path.Clean(o.DataDir)+"/", path.Clean(o.MountPoint)+"/") {
			return errors.Errorf(errDataUnderDisk, o.DataDir, o.MountPoint)
		}
	}
	if o.Port < 1 || o.Port > 65535 {
		return errors.Errorf(errPort, o.Port)
	}
	for _, a := range o.ListenAddresses {
		if !listenRE.MatchString(a) {
			return errors.Errorf(errListen, a)
		}
	}
	if !userRE.MatchString(o.OSUser) {
		return errors.Errorf(errOSUser, o.OSUser)
	}
	if o.ServiceMode != ServiceSystemd && o.ServiceMode != ServicePgCtl {
		return errors.Errorf(errMode, o.ServiceMode, ServiceSystemd, ServicePgCtl)
	}
	if o.TLS != nil && (len(o.TLS.Cert) == 0 || len(o.TLS.Key) == 0) {
		return errors.New(errTLSPair)
	}
	for i, r := range o.HBA {
		if r.Type == "hostssl" && o.TLS == nil {
			return errors.Errorf(errHostSSL, i+1)
		}
	}
	if err := pgextensions.Check(o.Version, o.Extensions); err != nil {
		return err
	}
	if s := o.socketFile(); len(s) > maxSocketPath {
		return errors.Errorf(errSocketTooLong, s, maxSocketPath)
	}
	if _, err := renderSettings(o); err != nil {
		return err
	}
	_, err := renderHBA(o)
	return err
}

// cleanPath reports whether p needs no quoting in PostgreSQL's
// configuration files, fstab or a systemd unit.
func cleanPath(p string) bool {
	return !strings.ContainsAny(p, " \t\r\n'\"\\%$`") && path.Clean(p) == p
}

// rooted returns p below the play's root.
func (o Options) rooted(p string) string {
	if o.Root == "" {
		return p
	}
	return path.Join(o.Root, p)
}

// Paths on the machine, with the root.

func (o Options) dataDir() string    { return o.rooted(o.DataDir) }
func (o Options) socketDir() string  { return o.rooted(o.SocketDir) }
func (o Options) logDir() string     { return o.rooted(o.LogDir) }
func (o Options) mountPoint() string { return o.rooted(o.MountPoint) }
func (o Options) socketFile() string {
	return path.Join(o.socketDir(), ".s.PGSQL."+strconv.Itoa(o.Port))
}

// logFile is the server's log in pg_ctl mode.
func (o Options) logFile() string {
	return path.Join(o.logDir(), "postgresql-"+o.Version+"-dbaas.log")
}

// pwFile is where the bootstrap password waits for initdb: beside the data
// directory, which initdb wants empty.
func (o Options) pwFile() string {
	return path.Join(path.Dir(o.dataDir()), ".dbaas-pwfile-"+path.Base(o.dataDir()))
}

// unitName is the systemd unit the play writes.
func (o Options) unitName() string { return "dbaas-postgresql-" + o.Version + ".service" }

func (o Options) unitPath() string {
	return o.rooted(path.Join("/etc/systemd/system", o.unitName()))
}

// createClusterConf tells postgresql-common not to create and start its
// own "main" cluster on port 5432 when the package is installed.
func (o Options) createClusterConf() string {
	return o.rooted("/etc/postgresql-common/createcluster.d/dbaas.conf")
}

// bin returns the path of a PostgreSQL program.
func (o Options) bin(name string) string { return path.Join(o.BinRoot, o.Version, "bin", name) }

// DataDirPath is the data directory on the machine, with the root.
func (o Options) DataDirPath() string { return o.withDefaults().dataDir() }

// SocketDirPath is the socket directory on the machine, with the root.
func (o Options) SocketDirPath() string { return o.withDefaults().socketDir() }

// LogFilePath is the server's log in pg_ctl mode, with the root.
func (o Options) LogFilePath() string { return o.withDefaults().logFile() }

// growable reports whether the play can grow a file system of type fstype
// online: resize2fs grows the ext family.
func growable(fstype string) bool {
	return fstype == "ext2" || fstype == "ext3" || fstype == "ext4"
}

// Plan returns the steps that make the machine run PostgreSQL as o says, in
// the order they must run.
func Plan(o Options) ([]steps.Step, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	s, err := provision(o)
	if err != nil {
		return nil, err
	}
	s = append(s, dataDirectoryStep(o), initialiseStep(o))
	if o.TLS != nil {
		// Before the settings that name its files: a server told ssl=on
		// without them refuses to start or to reload.
		s = append(s, certificateStep(o))
	}
	s = append(s, settingsStep(o), hbaStep(o))
	if o.ServiceMode == ServiceSystemd {
		s = append(s, unitStep(o))
	}
	s = append(s, startStep(o), healthStep(o), passwordStep(o))
	return s, nil
}

// Provision returns the steps that prepare the machine for a server that
// something else runs, such as the replicated engine of package
// postgresql: the binaries and the extensions' packages installed or
// found, and the data disk mounted on MountPoint and grown. They are the
// first steps of Plan. No password is needed for them.
func Provision(o Options) ([]steps.Step, error) {
	o = o.withDefaults()
	if err := o.validateServer(); err != nil {
		return nil, err
	}
	return provision(o)
}

// provision returns the steps of Provision for o with its defaults.
func provision(o Options) ([]steps.Step, error) {
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
