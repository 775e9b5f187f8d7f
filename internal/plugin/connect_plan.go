package plugin

import (
	"fmt"
	"slices"
	"strings"
)

// Keys of a Database's connection secret (apis/platform/definition.yaml).
const (
	keyUsername = "username"
	keyPassword = "password"
	keyEndpoint = "endpoint"
	keyPort     = "port"
	keyDatabase = "database"
	keyCA       = "ca.crt"
	keySSLMode  = "sslmode"
)

// A connectPlan is how to start an engine's client with a Database's
// credentials. The password is only ever in a file the plan names (written
// 0600, removed when the client exits), never in the arguments or the
// environment, where other users' ps, or the client's children, could read
// it.
type connectPlan struct {
	program string
	args    []string
	// env is added to the plugin's environment, less the variables in
	// drop.
	env  []string
	drop []string
	// files are written before the client starts. An env value or an
	// argument that holds fileMarker+key is given the file's path.
	files map[string][]byte
}

// fileMarker stands for the path of one of a plan's files until it is
// written.
const fileMarker = "\x00file:"

// planConnect decides how to reach a Database whose engine and connection
// secret are given, passing extra arguments to the client.
func planConnect(engine string, secret map[string][]byte, extra []string) (connectPlan, error) {
	for _, k := range []string{keyUsername, keyPassword, keyEndpoint} {
		if len(secret[k]) == 0 {
			return connectPlan{}, fmt.Errorf("the connection secret has no %s yet: the Database publishes it once Ready", k)
		}
	}
	switch engine {
	case "postgresql", "":
		return planPSQL(secret, extra), nil
	case "mariadb", "mysql":
		return planMariaDB(secret, extra), nil
	}
	return connectPlan{}, fmt.Errorf("kubectl dbaas connect knows no client for engine %q: it knows postgresql and mariadb", engine)
}

// planPSQL passes everything by libpq's environment variables, and the
// password in a passfile: PGPASSWORD would be inherited by anything psql
// runs (\!), and a password on the command line is seen by every user.
func planPSQL(secret map[string][]byte, extra []string) connectPlan {
	p := connectPlan{
		program: "psql",
		args:    slices.Clone(extra),
		// A PGPASSWORD or PGSERVICE of the user's own would win over the
		// passfile or redirect the connection.
		drop: []string{"PGPASSWORD", "PGSERVICE", "PGSERVICEFILE", "PGHOSTADDR", "PGOPTIONS"},
		files: map[string][]byte{
			"passfile": []byte("*:*:*:" + passfileField(string(secret[keyUsername])) + ":" + passfileField(string(secret[keyPassword])) + "\n"),
		},
	}
	set := func(k, v string) {
		if v != "" {
			p.env = append(p.env, k+"="+v)
			p.drop = append(p.drop, k)
		}
	}
	set("PGHOST", string(secret[keyEndpoint]))
	set("PGPORT", string(secret[keyPort]))
	set("PGUSER", string(secret[keyUsername]))
	set("PGDATABASE", string(secret[keyDatabase]))
	set("PGSSLMODE", string(secret[keySSLMode]))
	set("PGPASSFILE", fileMarker+"passfile")
	set("PGAPPNAME", "kubectl-dbaas")
	if len(secret[keyCA]) > 0 {
		p.files["ca.crt"] = secret[keyCA]
		set("PGSSLROOTCERT", fileMarker+"ca.crt")
	}
	return p
}

// passfileField escapes a field of a .pgpass line: ':' and '\' are
// preceded by '\'.
func passfileField(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}

// planMariaDB passes everything in an option file read through
// --defaults-extra-file, which must be the client's first argument.
func planMariaDB(secret map[string][]byte, extra []string) connectPlan {
	var f strings.Builder
	f.WriteString("[client]\n")
	opt := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&f, "%s=%s\n", k, optionValue(v))
		}
	}
	opt("host", string(secret[keyEndpoint]))
	opt("port", string(secret[keyPort]))
	opt("user", string(secret[keyUsername]))
	opt("password", string(secret[keyPassword]))
	opt("database", string(secret[keyDatabase]))
	p := connectPlan{
		program: "mariadb",
		drop:    []string{"MYSQL_PWD", "MYSQL_HOST", "MYSQL_TCP_PORT"},
		files:   map[string][]byte{},
	}
	if len(secret[keyCA]) > 0 {
		p.files["ca.crt"] = secret[keyCA]
		f.WriteString("ssl-ca=" + fileMarker + "ca.crt\n")
	}
	p.files["my.cnf"] = []byte(f.String())
	p.args = append([]string{"--defaults-extra-file=" + fileMarker + "my.cnf"}, extra...)
	return p
}

// optionValue quotes a value of a MariaDB option file, whose reader takes
// backslash escapes inside double quotes.
func optionValue(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// resolve replaces the markers of files in a value with their paths.
func resolve(v string, paths map[string]string) string {
	for name, path := range paths {
		v = strings.ReplaceAll(v, fileMarker+name, path)
	}
	return v
}
