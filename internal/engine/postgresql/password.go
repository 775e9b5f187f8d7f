package postgresql

import (
	"context"

	"github.com/dbaas-io/dbaas/internal/scram"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	errSetPassword = "cannot set the admin user's password"

	// invalidPassword is SQLSTATE 28P01, a password the server refused.
	invalidPassword = "28P01"
)

// Authenticates reports whether the server accepts password for the admin
// user over TCP, where a password is asked for (the socket asks the
// provider for none). A refused password is false without an error; a
// server that cannot be reached is an error.
func (i *Instance) Authenticates(ctx context.Context, password string) (bool, error) {
	c, err := i.Connect(ctx, i.AdminUser, password, "postgres")
	if err == nil {
		_ = c.Close(ctx)
		return true, nil
	}
	if refusedPassword(err) {
		return false, nil
	}
	return false, err
}

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

// refusedPassword reports whether err is the server refusing a password.
func refusedPassword(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == invalidPassword
}
