package postgresql

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/dbaas-io/dbaas/internal/scram"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"
)

const (
	errReplUser = "cannot create or update the replication user"
	errSlot     = "cannot create replication slot %s"
	errDropSlot = "cannot drop the slots of replicas that no longer use one"
	errHBA      = "cannot allow replication in pg_hba.conf"
	errLocal    = "cannot make the session's commits local"

	hbaFile = "pg_hba.conf"
)

// hbaReplication lets the replication user stream WAL from network, with a
// password.
func hbaReplication(network string) string {
	return "host replication " + ReplicationUser + " " + network + " scram-sha-256"
}

// AllowReplication adds the replication user's pg_hba.conf lines, for
// loopback and each of the instance's peers, unless the file has them. It
// reports whether it changed the file, which a running server reads on its
// next reload.
func (i *Instance) AllowReplication(ctx context.Context) (bool, error) {
	if i.TLS != nil {
		// The provider's pg_hba.conf has the replication user's rules,
		// with TLS.
		return i.writeHBA(ctx)
	}
	peers, err := hbaNetworks(i.Peers)
	if err != nil {
		return false, errors.Wrap(err, errHBA)
	}
	path := filepath.Join(i.DataDir(), hbaFile)
	b, err := i.readFile(ctx, path)
	if err != nil {
		return false, errors.Wrap(err, errHBA)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		have[strings.Join(strings.Fields(l), " ")] = true
	}
	var add string
	for _, n := range append([]string{Address + "/32"}, peers...) {
		if l := hbaReplication(n); !have[l] {
			add += l + "\n"
		}
	}
	if add == "" {
		return false, nil
	}
	return true, errors.Wrap(i.appendFile(ctx, path, "\n# Managed by the dbaas provider: replicas stream WAL.\n"+add), errHBA)
}

// EnsureReplication makes the running primary ready for replicas: the
// replication user exists with replPassword, and each of slots exists. It
// only changes what is missing. The provider's inactive slots that are not
// in slots go: a slot nobody reads from keeps WAL forever. reload has it re-read its configuration
// files first, for a pg_hba.conf line that was just added.
func (i *Instance) EnsureReplication(ctx context.Context, adminPassword, replPassword string, slots []string, reload bool) error {
	c, err := i.ConnectAdmin(ctx, adminPassword)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	if reload {
		if _, err := c.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
			return errors.Wrap(err, errReload)
		}
	}
	// In sync mode a commit waits for replicas, which do not exist before
	// the role and slots this session creates.
	if _, err := c.Exec(ctx, "SET synchronous_commit TO local"); err != nil {
		return errors.Wrap(err, errLocal)
	}
	if err := i.ensureReplicationUser(ctx, c, replPassword); err != nil {
		return errors.Wrap(err, errReplUser)
	}
	for _, s := range slots {
		// Reserving WAL now keeps everything from before the replica's
		// base backup starts.
		if _, err := c.Exec(ctx, "SELECT pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)", s); err != nil {
			return errors.Wrapf(err, errSlot, s)
		}
	}
	if slots == nil {
		slots = []string{}
	}
	_, err = c.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
		WHERE starts_with(slot_name, $1) AND NOT active AND NOT (slot_name = ANY($2))`, slotPrefix, slots)
	return errors.Wrap(err, errDropSlot)
}

// ensureReplicationUser creates the role, or sets its password when its
// stored verifier was not made from replPassword, so that a password that
// changed in its Secret is taken up. It compares with pg_authid over the
// admin session rather than logging in as the role: pg_hba lets the role in
// for replication only (from the provider's address over SSH, not at all),
// so such a login can fail with the right password, and the password was
// set again on every pass. The password goes to the server as a SCRAM
// verifier only.
func (i *Instance) ensureReplicationUser(ctx context.Context, c *pgx.Conn, replPassword string) error {
	var ok bool
	var verifier string
	err := c.QueryRow(ctx, `SELECT rolreplication AND rolcanlogin, COALESCE(rolpassword, '')
		FROM pg_catalog.pg_authid WHERE rolname = $1`, ReplicationUser).Scan(&ok, &verifier)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if exists && ok && scram.Matches(verifier, replPassword) {
		return nil
	}
	v, err := scram.NewVerifier(replPassword)
	if err != nil {
		return err
	}
	verb := "CREATE"
	if exists {
		verb = "ALTER"
	}
	// Utility statements take no parameters; the role name is a constant
	// and the verifier is base64 and '$', ':' only.
	_, err = c.Exec(ctx, verb+" ROLE "+pgx.Identifier{ReplicationUser}.Sanitize()+" WITH LOGIN REPLICATION PASSWORD '"+v+"'")
	return err
}
