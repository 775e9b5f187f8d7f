package mongodb

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errDistribution = "MongoDB packages are only installed on debian or ubuntu, not %q"
	errCodename     = "invalid release codename %q"
	errVersion      = "MongoDB version must be a release series such as 7.0, not %q"
	errKeyFile      = "keyfile content must be 6 to 1024 base64 characters"
	errConfig       = "cannot render mongod.conf"

	// ConfigPath is where the mongodb-org package's unit reads its config.
	ConfigPath = "/etc/mongod.conf"
	// DefaultVersion is the release series installed when none is given.
	DefaultVersion = "7.0"

	// mongodUser owns the data directory and the keyfile; the package
	// creates it and the unit runs mongod as it.
	mongodUser = "mongodb"
)

var (
	codename = regexp.MustCompile(`^[a-z]{2,32}$`)
	series   = regexp.MustCompile(`^[0-9]{1,2}\.[0-9]{1,2}$`)
	// keyChars are what mongod accepts in a keyfile besides whitespace.
	keyChars = regexp.MustCompile(`^[A-Za-z0-9+/=]*$`)
)

// OS names the Debian or Ubuntu release the VM runs, which picks the apt
// repository.
type OS struct {
	// Distribution is "debian" or "ubuntu".
	Distribution string
	// Codename is the release's codename, such as bookworm or jammy.
	Codename string
}

// components are the apt components MongoDB publishes per distribution.
var components = map[string]string{"debian": "main", "ubuntu": "multiverse"}

// Options are what one member's installation needs.
type Options struct {
	OS OS
	// Version is the MongoDB release series; the apt repository is pinned
	// to it so that an upgrade never crosses a series unasked.
	Version string
	Config  Config
	// KeyFile is the shared keyfile's content. It is a secret: it only goes
	// into a mode 0400 file, never into a command.
	KeyFile string
}

// Plan returns the steps that install and configure mongod on one member,
// in the order they must run. Initiating the replica set and creating users
// follow through the driver, once every member runs.
func Plan(o Options) ([]Step, error) {
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	comp, ok := components[o.OS.Distribution]
	if !ok {
		return nil, errors.Errorf(errDistribution, o.OS.Distribution)
	}
	if !codename.MatchString(o.OS.Codename) {
		return nil, errors.Errorf(errCodename, o.OS.Codename)
	}
	if !series.MatchString(o.Version) {
		return nil, errors.Errorf(errVersion, o.Version)
	}
	if key := strings.Join(strings.Fields(o.KeyFile), ""); len(key) < 6 || len(key) > 1024 || !keyChars.MatchString(key) {
		return nil, errors.New(errKeyFile)
	}
	conf, err := Render(o.Config)
	if err != nil {
		return nil, errors.Wrap(err, errConfig)
	}
	c := o.Config.withDefaults()

	keyring := "/usr/share/keyrings/mongodb-server-" + o.Version + ".gpg"
	keyURL := "https://www.mongodb.org/static/pgp/server-" + o.Version + ".asc"
	list := "/etc/apt/sources.list.d/mongodb-org-" + o.Version + ".list"
	source := fmt.Sprintf("deb [ signed-by=%s ] https://repo.mongodb.org/apt/%s %s/mongodb-org/%s %s\n",
		keyring, o.OS.Distribution, o.OS.Codename, o.Version, comp)
	// The installed package must be of the pinned series, not merely present.
	installed := "^install ok installed " + strings.ReplaceAll(o.Version, ".", `\.`) + `\.`
	owner := mongodUser + ":" + mongodUser

	return []Step{
		{
			Name:  "Add MongoDB " + o.Version + " apt signing key",
			Check: "test -s " + executor.ShellQuote(keyring),
			Apply: aptEnv + "apt-get update && apt-get install -y --no-install-recommends ca-certificates curl gnupg" +
				` && tmp="$(mktemp)" && trap 'rm -f "$tmp"' EXIT` +
				` && curl -fsSL -o "$tmp" ` + executor.ShellQuote(keyURL) +
				" && gpg --batch --yes --dearmor -o " + executor.ShellQuote(keyring) + ` "$tmp"`,
		},
		{
			Name:  "Add MongoDB " + o.Version + " apt repository",
			Check: "true",
			Apply: aptEnv + "apt-get update",
			Files: []File{{Path: list, Content: source, Mode: 0o644}},
		},
		{
			Name: "Install mongodb-org " + o.Version,
			Check: "dpkg-query -W -f='${Status} ${Version}' mongodb-org 2>/dev/null | grep -q " +
				executor.ShellQuote(installed),
			Apply: aptEnv + "apt-get update && apt-get install -y mongodb-org",
		},
		{
			Name:  "Create the data directory",
			Check: `test "$(stat -c %U:%G:%a ` + executor.ShellQuote(c.DBPath) + `)" = ` + executor.ShellQuote(owner+":750"),
			Apply: "install -d -o " + mongodUser + " -g " + mongodUser + " -m 0750 " + executor.ShellQuote(c.DBPath),
		},
		{
			Name:  "Write the replica set keyfile",
			Check: `test "$(stat -c %U:%G:%a ` + executor.ShellQuote(c.KeyFile) + `)" = ` + executor.ShellQuote(owner+":400"),
			// mongod reads the keyfile only at start.
			Apply: "chown " + owner + " " + executor.ShellQuote(c.KeyFile) + " && chmod 0400 " + executor.ShellQuote(c.KeyFile) +
				" && systemctl try-restart mongod",
			Files: []File{{Path: c.KeyFile, Content: o.KeyFile, Mode: 0o400}},
		},
		{
			Name:  "Write " + ConfigPath,
			Check: "true",
			// A running mongod only reads a changed file when restarted;
			// one that has not started yet reads it when it does.
			Apply: "systemctl try-restart mongod",
			Files: []File{{Path: ConfigPath, Content: conf, Mode: 0o644}},
		},
		{
			Name:  "Enable and start mongod",
			Check: "systemctl is-enabled --quiet mongod && systemctl is-active --quiet mongod",
			Apply: "systemctl enable mongod && systemctl start mongod",
		},
	}, nil
}

// aptEnv keeps apt from asking questions over a session nobody answers.
const aptEnv = "export DEBIAN_FRONTEND=noninteractive && "
