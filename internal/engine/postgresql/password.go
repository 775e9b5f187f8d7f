package postgresql

import (
	"context"

	"github.com/dbaas-io/dbaas/internal/scram"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"
)

const errSetPassword = "cannot set the admin user's password"

// SetAdminPassword logs in as the admin (with current, the password that
// works, where ConnectAdmin needs one) and gives the admin user the new
// one. Only its SCRAM verifier reaches the server, so
// the password is in no statement log, no pg_stat_activity and no command
// line.
func (i *Instance) SetAdminPassword(ctx context.Context, current, password string) error {
	verifier, err := scram.NewVerifier(password)
	if err != nil {
		return errors.Wrap(err, errSetPassword)
	}
	c, err := i.ConnectAdmin(ctx, current)
	if err != nil {
		return errors.Wrap(err, errSetPassword)
	}
	defer c.Close(context.Background())
	// ALTER ROLE takes no bind parameters: the name is quoted as an
	// identifier, and the verifier is base64 and '$', ':' only.
	q := "ALTER ROLE " + pgx.Identifier{i.AdminUser}.Sanitize() + " PASSWORD '" + verifier + "'"
	if _, err := c.Exec(ctx, q); err != nil {
		return errors.Wrap(err, errSetPassword)
	}
	return nil
}
