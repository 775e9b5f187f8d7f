package pgvm

import (
	"context"
	"strconv"
	"strings"

	"github.com/dbaas-io/dbaas/internal/scram"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const errVerifier = "cannot compute the superuser's password verifier"

// StepPassword gives the superuser the password of the options, which
// initdb set only once: a changed admin password Secret reaches the server
// here.
const StepPassword = "set superuser password"

// passwordStep is done when the superuser's stored SCRAM verifier was made
// from SuperuserPassword; the provider reads the verifier over the unix
// socket (peer, no password) and hashes the password with its salt, so no
// password crosses the wire. Apply sends a new verifier on psql's standard
// input: neither the password nor the verifier is on a command line, and
// only the verifier reaches the server's logs.
func passwordStep(o Options) steps.Step {
	return steps.Step{
		Name: StepPassword,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			stored, err := psql(ctx, e, o, socketOf(o), "SELECT coalesce(rolpassword, '') FROM pg_authid WHERE rolname = current_user")
			if err != nil {
				return false, err
			}
			return scram.Matches(stored, o.SuperuserPassword), nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			v, err := scram.NewVerifier(o.SuperuserPassword)
			if err != nil {
				return errors.Wrap(err, errVerifier)
			}
			// The verifier is base64 and '$', ':' only; the role name is
			// quoted as an identifier.
			sql := `ALTER ROLE "` + strings.ReplaceAll(o.OSUser, `"`, `""`) + `" PASSWORD '` + v + "';\n"
			cmd := asUser(o.OSUser, o.bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
				"-h", o.socketDir(), "-p", strconv.Itoa(o.Port), "-U", o.OSUser, "-d", "postgres")
			res, err := e.Run(ctx, cmd, strings.NewReader(sql))
			if err != nil {
				return errors.Wrapf(err, errRun, "psql")
			}
			if res.ExitCode != 0 {
				return errors.Errorf(errFailed, "psql", res.ExitCode, output(res))
			}
			return nil
		},
	}
}
