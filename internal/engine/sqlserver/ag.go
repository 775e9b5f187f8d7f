// This file holds the availability group as plain data: its replicas, its
// certificate and endpoint, their defaults and validation, and the step that
// copies the certificate files to a secondary. Its T-SQL is in ag_sql.go.

package sqlserver

import (
	"net"
	"path"
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errNoReplicas  = "an availability group needs 1 to %d replicas, not %d"
	errReplicaHost = "replica %q: %q is neither a host name nor an IP address"
	errDuplicate   = "replica %q is given twice"
	errEndpoint    = "endpoint port must be between 1 and 65535, not %d"
	errCluster     = "cluster type must be NONE or EXTERNAL, not %q"
	errMode        = "replica %q: availability mode must be SYNCHRONOUS_COMMIT or ASYNCHRONOUS_COMMIT, not %q"
	errFilePath    = "%s must be a clean absolute path: %q"
	errSubject     = "the certificate needs a subject"

	// maxReplicas is SQL Server 2022's limit: a primary and 8 secondaries.
	maxReplicas = 9

	// DefaultEndpointName is the availability group endpoint's name that
	// SQL Server's own tools use.
	DefaultEndpointName = "Hadr_endpoint"
	// DefaultEndpointPort is the availability group endpoint's port that
	// SQL Server's own tools use.
	DefaultEndpointPort = 5022
)

// hostName is an RFC 1123 host name.
var hostName = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// ClusterType is how the availability group fails over.
type ClusterType string

// The cluster types for availability groups on Linux.
const (
	// ClusterNone has no cluster manager: failover is manual, and the
	// group serves read scale-out and migrations.
	ClusterNone ClusterType = "NONE"
	// ClusterExternal leaves failover to an external manager (Pacemaker).
	ClusterExternal ClusterType = "EXTERNAL"
)

// AvailabilityMode is whether the primary waits for a replica to harden
// each transaction before committing it.
type AvailabilityMode string

// The availability modes.
const (
	SynchronousCommit  AvailabilityMode = "SYNCHRONOUS_COMMIT"
	AsynchronousCommit AvailabilityMode = "ASYNCHRONOUS_COMMIT"
)

// A Replica is one SQL Server instance in the group.
type Replica struct {
	// Name is the instance's server name, @@SERVERNAME.
	Name string
	// Host is where the other replicas reach its endpoint.
	Host string
	// Mode defaults to SynchronousCommit.
	Mode AvailabilityMode
}

// Certificate authenticates the replicas' endpoints to each other. Linux
// nodes share no domain, so one certificate is made on the primary, its
// files are copied to the secondaries, and each restores it.
type Certificate struct {
	Name    string
	Subject string
	// CertFile and KeyFile are where the primary backs the certificate
	// and its private key up, and where the secondaries read them from.
	CertFile string
	KeyFile  string
}

// AvailabilityGroup is an Always On availability group.
type AvailabilityGroup struct {
	Name        string
	ClusterType ClusterType
	// EndpointName defaults to DefaultEndpointName and EndpointPort to
	// DefaultEndpointPort.
	EndpointName string
	EndpointPort int
	Certificate  Certificate
	// Replicas start with the one that creates the group, its first
	// primary.
	Replicas []Replica
}

func (ag AvailabilityGroup) withDefaults() AvailabilityGroup {
	if ag.EndpointName == "" {
		ag.EndpointName = DefaultEndpointName
	}
	if ag.EndpointPort == 0 {
		ag.EndpointPort = DefaultEndpointPort
	}
	rs := make([]Replica, len(ag.Replicas))
	for i, r := range ag.Replicas {
		if r.Mode == "" {
			r.Mode = SynchronousCommit
		}
		rs[i] = r
	}
	ag.Replicas = rs
	return ag
}

func (ag AvailabilityGroup) validate() error {
	for _, id := range []struct{ what, name string }{
		{"availability group name", ag.Name},
		{"endpoint name", ag.EndpointName},
		{"certificate name", ag.Certificate.Name},
	} {
		if err := checkIdent(id.what, id.name); err != nil {
			return err
		}
	}
	if ag.ClusterType != ClusterNone && ag.ClusterType != ClusterExternal {
		return errors.Errorf(errCluster, ag.ClusterType)
	}
	if ag.EndpointPort < 1 || ag.EndpointPort > 65535 {
		return errors.Errorf(errEndpoint, ag.EndpointPort)
	}
	if ag.Certificate.Subject == "" {
		return errors.New(errSubject)
	}
	for _, f := range []struct{ what, p string }{
		{"certificate file", ag.Certificate.CertFile}, {"private key file", ag.Certificate.KeyFile},
	} {
		if err := checkPath(f.what, f.p); err != nil {
			return err
		}
	}
	if len(ag.Replicas) == 0 || len(ag.Replicas) > maxReplicas {
		return errors.Errorf(errNoReplicas, maxReplicas, len(ag.Replicas))
	}
	seen := map[string]bool{}
	for _, r := range ag.Replicas {
		if err := checkIdent("replica name", r.Name); err != nil {
			return err
		}
		if seen[strings.ToUpper(r.Name)] {
			return errors.Errorf(errDuplicate, r.Name)
		}
		seen[strings.ToUpper(r.Name)] = true
		// The host lands in a URL; only a host name or address keeps
		// that URL what it seems.
		if net.ParseIP(r.Host) == nil && !hostName.MatchString(r.Host) {
			return errors.Errorf(errReplicaHost, r.Name, r.Host)
		}
		if r.Mode != SynchronousCommit && r.Mode != AsynchronousCommit {
			return errors.Errorf(errMode, r.Name, r.Mode)
		}
	}
	return nil
}

func checkPath(what, p string) error {
	if p == "" || !path.IsAbs(p) || path.Clean(p) != p || strings.ContainsRune(p, 0) {
		return errors.Errorf(errFilePath, what, p)
	}
	return nil
}

// prepare fills in defaults and validates, for every batch builder.
func prepare(ag AvailabilityGroup) (AvailabilityGroup, error) {
	ag = ag.withDefaults()
	return ag, ag.validate()
}

// CertificateFilesStep writes the certificate and private key files, read
// from the primary, on a secondary, readable only by SQL Server. The key
// file is encrypted with the private key password, which it does not hold.
func CertificateFilesStep(ag AvailabilityGroup, cert, key string) (Step, error) {
	ag, err := prepare(ag)
	if err != nil {
		return Step{}, err
	}
	c := ag.Certificate
	owner := func(p string) string {
		return `test "$(stat -c %U:%G:%a ` + executor.ShellQuote(p) + `)" = 'mssql:mssql:600'`
	}
	return Step{
		Name:  "Copy the endpoint certificate",
		Check: owner(c.CertFile) + " && " + owner(c.KeyFile),
		Apply: "chown mssql:mssql " + executor.ShellQuote(c.CertFile) + " " + executor.ShellQuote(c.KeyFile) +
			" && chmod 0600 " + executor.ShellQuote(c.CertFile) + " " + executor.ShellQuote(c.KeyFile),
		Files: []File{{Path: c.CertFile, Content: cert, Mode: 0o600}, {Path: c.KeyFile, Content: key, Mode: 0o600}},
	}, nil
}
