// Package pgroles names the roles the provider makes on every PostgreSQL
// instance beside its superuser, and derives their passwords from the
// instance's admin password. Both the engine (which makes the roles) and the
// SQL controllers (which log in as one of them) need the same names and
// passwords from nothing but the admin password Secret, so they live here,
// apart from either.
package pgroles

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

const (
	// Admin is what the connection secret and the SQL controllers
	// (Database, User, Grant) log in as over TCP with TLS: CREATEROLE and
	// CREATEDB, not a superuser. The superuser itself comes in over the
	// unix socket only.
	Admin = "dbaas_admin"

	// Rewind is what pg_rewind of a former primary logs in to the new
	// primary as: no superuser, just EXECUTE on the four file functions
	// PostgreSQL documents for pg_rewind, and only from the peers, with
	// TLS.
	Rewind = "dbaas_rewind"

	// Monitor is what a member's metrics exporter logs in as: over the
	// unix socket only, by peer as the engine's OS user (pg_ident.conf
	// maps it), with pg_monitor and nothing else.
	Monitor = "dbaas_monitor"

	// label keeps these derivations apart from any other use of the
	// admin password as a key.
	label = "dbaas.io role password\x00"
)

// Password derives role's password from the instance's admin password:
// HMAC-SHA256 keyed with the admin password, in unpadded URL-safe base64
// (43 characters, nothing a connection string or a password file has to
// escape). It is one way, so the dbaas_admin password applications are
// given tells nothing of the superuser's or of another role's; and it
// changes whenever the admin password does, so one Secret rotates them
// all.
func Password(adminPassword, role string) string {
	h := hmac.New(sha256.New, []byte(adminPassword))
	h.Write([]byte(label + role))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}
