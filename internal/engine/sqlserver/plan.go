package sqlserver

import (
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errRelease  = "SQL Server 2022 packages exist for Ubuntu 20.04 and 22.04, not %q"
	errEdition  = "edition must be one of Evaluation, Developer, Express, Web, Standard, Enterprise, EnterpriseCore or a product key"
	errPassword = "the SA password must be 8 to 128 characters without NUL bytes or line breaks"

	// mssqlConf is the setup tool the mssql-server package installs.
	mssqlConf = "/opt/mssql/bin/mssql-conf"
	// confFile is where mssql-conf keeps the settings it sets.
	confFile = "/var/opt/mssql/mssql.conf"
	// masterDB exists once setup has run, and not before.
	masterDB = "/var/opt/mssql/data/master.mdf"
	keyring  = "/usr/share/keyrings/microsoft-prod.gpg"
	keyURL   = "https://packages.microsoft.com/keys/microsoft.asc"
	aptEnv   = "export DEBIAN_FRONTEND=noninteractive && "
)

// codenames are the Ubuntu releases Microsoft publishes SQL Server 2022 for.
var codenames = map[string]string{"20.04": "focal", "22.04": "jammy"}

var (
	editions   = map[string]bool{"Evaluation": true, "Developer": true, "Express": true, "Web": true, "Standard": true, "Enterprise": true, "EnterpriseCore": true}
	productKey = regexp.MustCompile(`^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$`)
)

// Options are what one SQL Server installation needs.
type Options struct {
	// UbuntuRelease is the VM's Ubuntu version, such as 22.04.
	UbuntuRelease string
	// Edition is MSSQL_PID: an edition name or a product key.
	Edition string
	// SAPassword is the sa login's password. It only reaches mssql-conf
	// through standard input and the environment, never a command line.
	SAPassword string
}

// Plan returns the steps that install SQL Server 2022, set it up and enable
// Always On availability groups, in the order they must run.
func Plan(o Options) ([]Step, error) {
	code, ok := codenames[o.UbuntuRelease]
	if !ok {
		return nil, errors.Errorf(errRelease, o.UbuntuRelease)
	}
	if !editions[o.Edition] && !productKey.MatchString(o.Edition) {
		return nil, errors.New(errEdition)
	}
	// mssql-conf reads the password from the environment; cat strips only
	// trailing line breaks, so none may be in it.
	if n := len([]rune(o.SAPassword)); n < 8 || n > 128 || strings.ContainsAny(o.SAPassword, "\x00\r\n") {
		return nil, errors.New(errPassword)
	}
	repo := func(name string) File {
		return File{
			Path: "/etc/apt/sources.list.d/" + name + ".list",
			Content: "deb [arch=amd64 signed-by=" + keyring + "] https://packages.microsoft.com/ubuntu/" +
				o.UbuntuRelease + "/" + name + " " + code + " main\n",
			Mode: 0o644,
		}
	}
	installed := func(pkg string) string {
		return "dpkg-query -W -f='${Status}' " + pkg + " 2>/dev/null | grep -q '^install ok installed$'"
	}
	return []Step{
		{
			Name:  "Add Microsoft apt signing key",
			Check: "test -s " + executor.ShellQuote(keyring),
			Apply: aptEnv + "apt-get update && apt-get install -y --no-install-recommends ca-certificates curl gnupg" +
				` && tmp="$(mktemp)" && trap 'rm -f "$tmp"' EXIT` +
				" && curl -fsSL -o \"$tmp\" " + executor.ShellQuote(keyURL) +
				" && gpg --batch --yes --dearmor -o " + executor.ShellQuote(keyring) + ` "$tmp"`,
		},
		{
			Name:  "Add SQL Server 2022 and tools apt repositories",
			Check: "true",
			Apply: aptEnv + "apt-get update",
			Files: []File{repo("mssql-server-2022"), repo("prod")},
		},
		{
			Name:  "Install mssql-server",
			Check: installed("mssql-server"),
			Apply: aptEnv + "apt-get update && apt-get install -y mssql-server",
		},
		{
			Name:  "Install mssql-tools18",
			Check: installed("mssql-tools18"),
			// The tools' license must be accepted for apt to install them.
			Apply: aptEnv + "apt-get update && ACCEPT_EULA=Y apt-get install -y mssql-tools18 unixodbc",
		},
		{
			Name:  "Set up SQL Server",
			Check: "test -f " + executor.ShellQuote(masterDB),
			// The password arrives on stdin and goes into mssql-conf's
			// environment, which only root and mssql-conf can read.
			Apply: `MSSQL_SA_PASSWORD="$(cat)" && export MSSQL_SA_PASSWORD` +
				" && MSSQL_PID=" + executor.ShellQuote(o.Edition) + " ACCEPT_EULA=Y " + mssqlConf + " -n setup",
			Stdin: Secret(o.SAPassword),
		},
		{
			Name:  "Enable Always On availability groups",
			Check: "grep -Eq '^[[:space:]]*hadrenabled[[:space:]]*=[[:space:]]*1[[:space:]]*$' " + executor.ShellQuote(confFile),
			// HADR takes effect only after a restart.
			Apply: mssqlConf + " set hadr.hadrenabled 1 && systemctl restart mssql-server",
		},
		{
			Name:  "Enable and start mssql-server",
			Check: "systemctl is-enabled --quiet mssql-server && systemctl is-active --quiet mssql-server",
			Apply: "systemctl enable mssql-server && systemctl start mssql-server",
		},
	}, nil
}
