package sqlserver

import (
	"fmt"
	"net"
	"path"
	"regexp"
	"strconv"
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

	// ParamMasterKeyPassword is the parameter that binds the master
	// key's password in MasterKey's batch.
	ParamMasterKeyPassword = "master_key_password"
	// ParamPrivateKeyPassword is the parameter that binds the password
	// protecting the certificate's private key file.
	ParamPrivateKeyPassword = "private_key_password"

	// DefaultEndpointName is the availability group endpoint's name that
	// SQL Server's own tools use.
	DefaultEndpointName = "Hadr_endpoint"
	// DefaultEndpointPort is the availability group endpoint's port that
	// SQL Server's own tools use.
	DefaultEndpointPort = 5022
)

// hostName is an RFC 1123 host name.
var hostName = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// A Batch is T-SQL to run against master on one replica. Its text never
// holds a secret: secrets are parameters, bound by name at run time (as
// @name), and quoted by the server where a statement takes no variable.
type Batch struct {
	// Name says what the batch does.
	Name string
	SQL  string
	// Params are the names of the parameters the caller must bind.
	Params []string
}

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

// withSecret returns T-SQL that runs head + the value of @param as a string
// literal + tail. For statements that take no variable where a password
// goes: the server quotes the bound value, so the batch text never holds
// it.
func withSecret(head, param, tail string) string {
	return "SET @sql = " + String(head+"N'") +
		" + REPLACE(@" + param + ", N'''', N'''''') + " + String("'"+tail) + ";\n" +
		"EXEC sys.sp_executesql @sql;\n"
}

// MasterKey creates master's database master key, which protects the
// certificate's private key, unless it exists.
func MasterKey() Batch {
	return Batch{
		Name: "Create the database master key",
		SQL: "DECLARE @sql nvarchar(max);\n" +
			"IF NOT EXISTS (SELECT 1 FROM sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##')\n" +
			"BEGIN\n" +
			withSecret("CREATE MASTER KEY ENCRYPTION BY PASSWORD = ", ParamMasterKeyPassword, "") +
			"END;\n",
		Params: []string{ParamMasterKeyPassword},
	}
}

// CreateCertificate creates the endpoint certificate on the primary unless
// it exists, and backs it up to its files unless they exist, for copying
// to the secondaries.
func CreateCertificate(ag AvailabilityGroup) (Batch, error) {
	ag, err := prepare(ag)
	if err != nil {
		return Batch{}, err
	}
	c := ag.Certificate
	return Batch{
		Name: "Create the endpoint certificate",
		SQL: "DECLARE @sql nvarchar(max);\n" +
			"IF NOT EXISTS (SELECT 1 FROM sys.certificates WHERE name = " + String(c.Name) + ")\n" +
			"    CREATE CERTIFICATE " + Ident(c.Name) + " WITH SUBJECT = " + String(c.Subject) + ";\n" +
			"IF NOT EXISTS (SELECT 1 FROM sys.dm_os_file_exists(" + String(c.CertFile) + ") WHERE file_exists = 1)\n" +
			"BEGIN\n" +
			withSecret("BACKUP CERTIFICATE "+Ident(c.Name)+" TO FILE = "+String(c.CertFile)+
				" WITH PRIVATE KEY (FILE = "+String(c.KeyFile)+", ENCRYPTION BY PASSWORD = ", ParamPrivateKeyPassword, ")") +
			"END;\n",
		Params: []string{ParamPrivateKeyPassword},
	}, nil
}

// RestoreCertificate creates the endpoint certificate on a secondary from
// the files copied from the primary, unless it exists.
func RestoreCertificate(ag AvailabilityGroup) (Batch, error) {
	ag, err := prepare(ag)
	if err != nil {
		return Batch{}, err
	}
	c := ag.Certificate
	return Batch{
		Name: "Restore the endpoint certificate",
		SQL: "DECLARE @sql nvarchar(max);\n" +
			"IF NOT EXISTS (SELECT 1 FROM sys.certificates WHERE name = " + String(c.Name) + ")\n" +
			"BEGIN\n" +
			withSecret("CREATE CERTIFICATE "+Ident(c.Name)+" FROM FILE = "+String(c.CertFile)+
				" WITH PRIVATE KEY (FILE = "+String(c.KeyFile)+", DECRYPTION BY PASSWORD = ", ParamPrivateKeyPassword, ")") +
			"END;\n",
		Params: []string{ParamPrivateKeyPassword},
	}, nil
}

// Endpoint creates the database mirroring endpoint the replicas talk over,
// authenticated by the certificate and encrypted with AES, unless it
// exists, and starts it.
func Endpoint(ag AvailabilityGroup) (Batch, error) {
	ag, err := prepare(ag)
	if err != nil {
		return Batch{}, err
	}
	return Batch{
		Name: "Create and start the availability group endpoint",
		SQL: "IF NOT EXISTS (SELECT 1 FROM sys.database_mirroring_endpoints WHERE name = " + String(ag.EndpointName) + ")\n" +
			"    CREATE ENDPOINT " + Ident(ag.EndpointName) + "\n" +
			"        AS TCP (LISTENER_PORT = " + strconv.Itoa(ag.EndpointPort) + ")\n" +
			"        FOR DATABASE_MIRRORING (\n" +
			"            ROLE = ALL,\n" +
			"            AUTHENTICATION = CERTIFICATE " + Ident(ag.Certificate.Name) + ",\n" +
			"            ENCRYPTION = REQUIRED ALGORITHM AES\n" +
			"        );\n" +
			"ALTER ENDPOINT " + Ident(ag.EndpointName) + " STATE = STARTED;\n",
	}, nil
}

// failoverMode is the only one each cluster type allows.
func failoverMode(c ClusterType) string {
	if c == ClusterExternal {
		return "EXTERNAL"
	}
	return "MANUAL"
}

// CreateAvailabilityGroup creates the group on its first replica unless it
// exists, and lets it create the databases that automatic seeding sends.
func CreateAvailabilityGroup(ag AvailabilityGroup) (Batch, error) {
	ag, err := prepare(ag)
	if err != nil {
		return Batch{}, err
	}
	with := "CLUSTER_TYPE = " + string(ag.ClusterType)
	if ag.ClusterType == ClusterExternal {
		// The external manager then also fails over on a database's
		// health, not only the instance's.
		with = "DB_FAILOVER = ON, " + with
	}
	replicas := make([]string, 0, len(ag.Replicas))
	for _, r := range ag.Replicas {
		url := "tcp://" + net.JoinHostPort(r.Host, strconv.Itoa(ag.EndpointPort))
		replicas = append(replicas, fmt.Sprintf("        %s WITH (\n"+
			"            ENDPOINT_URL = %s,\n"+
			"            AVAILABILITY_MODE = %s,\n"+
			"            FAILOVER_MODE = %s,\n"+
			"            SEEDING_MODE = AUTOMATIC\n"+
			"        )", String(r.Name), String(url), r.Mode, failoverMode(ag.ClusterType)))
	}
	return Batch{
		Name: "Create the availability group",
		SQL: "IF NOT EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = " + String(ag.Name) + ")\n" +
			"    CREATE AVAILABILITY GROUP " + Ident(ag.Name) + "\n" +
			"    WITH (" + with + ")\n" +
			"    FOR REPLICA ON\n" +
			strings.Join(replicas, ",\n") + ";\n" +
			"ALTER AVAILABILITY GROUP " + Ident(ag.Name) + " GRANT CREATE ANY DATABASE;\n",
	}, nil
}

// JoinAvailabilityGroup joins a secondary to the group unless it has
// joined, and lets it create the databases that automatic seeding sends.
func JoinAvailabilityGroup(ag AvailabilityGroup) (Batch, error) {
	ag, err := prepare(ag)
	if err != nil {
		return Batch{}, err
	}
	return Batch{
		Name: "Join the availability group",
		SQL: "IF NOT EXISTS (SELECT 1 FROM sys.availability_groups WHERE name = " + String(ag.Name) + ")\n" +
			"    ALTER AVAILABILITY GROUP " + Ident(ag.Name) + " JOIN WITH (CLUSTER_TYPE = " + string(ag.ClusterType) + ");\n" +
			"ALTER AVAILABILITY GROUP " + Ident(ag.Name) + " GRANT CREATE ANY DATABASE;\n",
	}, nil
}

// AddDatabase adds db to the group on the primary unless it is in it. A
// database joins only in full recovery and after a full backup, which goes
// to backupFile; seeding then copies it to the secondaries.
func AddDatabase(ag AvailabilityGroup, db, backupFile string) (Batch, error) {
	ag, err := prepare(ag)
	if err != nil {
		return Batch{}, err
	}
	if err := checkIdent("database name", db); err != nil {
		return Batch{}, err
	}
	if err := checkPath("backup file", backupFile); err != nil {
		return Batch{}, err
	}
	return Batch{
		Name: "Add a database to the availability group",
		SQL: "IF NOT EXISTS (SELECT 1 FROM sys.availability_databases_cluster AS d\n" +
			"    JOIN sys.availability_groups AS g ON g.group_id = d.group_id\n" +
			"    WHERE g.name = " + String(ag.Name) + " AND d.database_name = " + String(db) + ")\n" +
			"BEGIN\n" +
			"    ALTER DATABASE " + Ident(db) + " SET RECOVERY FULL;\n" +
			"    BACKUP DATABASE " + Ident(db) + " TO DISK = " + String(backupFile) + ";\n" +
			"    ALTER AVAILABILITY GROUP " + Ident(ag.Name) + " ADD DATABASE " + Ident(db) + ";\n" +
			"END;\n",
	}, nil
}

// Primary returns the batches for the group's first replica, in order.
// Between them and Secondary's, the certificate files go to the
// secondaries (CertificateFilesStep).
func Primary(ag AvailabilityGroup) ([]Batch, error) {
	return collect(ag, func(ag AvailabilityGroup) (Batch, error) { return MasterKey(), nil },
		CreateCertificate, Endpoint, CreateAvailabilityGroup)
}

// Secondary returns the batches for every other replica, in order.
func Secondary(ag AvailabilityGroup) ([]Batch, error) {
	return collect(ag, func(ag AvailabilityGroup) (Batch, error) { return MasterKey(), nil },
		RestoreCertificate, Endpoint, JoinAvailabilityGroup)
}

func collect(ag AvailabilityGroup, fns ...func(AvailabilityGroup) (Batch, error)) ([]Batch, error) {
	if _, err := prepare(ag); err != nil {
		return nil, err
	}
	out := make([]Batch, 0, len(fns))
	for _, fn := range fns {
		b, err := fn(ag)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
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
