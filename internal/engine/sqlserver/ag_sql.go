// This file holds the availability group's T-SQL: one Batch per stage
// (master key, certificate, endpoint, group, join, database), and the
// batches of the primary and of the secondaries in order.

package sqlserver

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// The parameters batches bind their secrets by.
const (
	// ParamMasterKeyPassword is the parameter that binds the master
	// key's password in MasterKey's batch.
	ParamMasterKeyPassword = "master_key_password"
	// ParamPrivateKeyPassword is the parameter that binds the password
	// protecting the certificate's private key file.
	ParamPrivateKeyPassword = "private_key_password"
)

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
