package pgbackrest

import (
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/exectest"
)

func TestFromStandby(t *testing.T) {
	member := func(vm string, port int32) *postgresql.Instance {
		return postgresql.NewInstance(&exectest.Recorder{}, "/m/"+vm, "db", "15", port, "admin")
	}
	deep := "/m/a-machine-directory-so-deep-that-its-socket-path-is-longer-than-postgresql-accepts"
	deepMember := postgresql.NewInstance(&exectest.Recorder{}, deep, "db", "15", 20010, "admin")
	type want struct {
		opts []string
		err  error
	}
	cases := map[string]struct {
		reason           string
		replica, primary *Stanza
		want             want
	}{
		"PrimaryIsPg1ReplicaIsPg2": {
			reason:  "pg1 is the primary, where the backup starts and stops; pg2 the replica it is read from; the lock is the primary's.",
			replica: New(member("b", 20010), "ns.db", Repo{}),
			primary: New(member("a", 20000), "ns.db", Repo{}),
			want: want{opts: []string{
				"--pg1-path=/m/a/postgresql/db/data", "--pg1-port=20000", "--pg1-socket-path=/m/a/postgresql/db/run", "--pg1-user=postgres",
				"--pg2-path=/m/b/postgresql/db/data", "--pg2-port=20010", "--pg2-socket-path=/m/b/postgresql/db/run", "--pg2-user=postgres",
				"--lock-path=/m/a/postgresql/db/pgbackrest/ns.db/lock", "--backup-standby",
			}},
		},
		"OtherStanza": {
			reason:  "A replica's stanza that is not the primary's is another instance's.",
			replica: New(member("b", 20010), "ns.other", Repo{}),
			primary: New(member("a", 20000), "ns.db", Repo{}),
			want:    want{err: errors.Errorf(errStandbyStanza, "ns.other", "ns.db")},
		},
		"SameServer": {
			reason:  "A server is not its own standby.",
			replica: New(member("a", 20000), "ns.db", Repo{}),
			primary: New(member("a", 20000), "ns.db", Repo{}),
			want:    want{err: errors.Errorf(errStandbySame, "/m/a/postgresql/db/data")},
		},
		"DeepReplica": {
			reason:  "pgBackRest reaches both servers over their sockets; a replica whose own socket path is too long is reached through its short socket directory.",
			replica: New(deepMember, "ns.db", Repo{}),
			primary: New(member("a", 20000), "ns.db", Repo{}),
			want: want{opts: []string{
				"--pg1-path=/m/a/postgresql/db/data", "--pg1-port=20000", "--pg1-socket-path=/m/a/postgresql/db/run", "--pg1-user=postgres",
				"--pg2-path=" + deep + "/postgresql/db/data", "--pg2-port=20010", "--pg2-socket-path=" + deepMember.SocketDir(), "--pg2-user=postgres",
				"--lock-path=/m/a/postgresql/db/pgbackrest/ns.db/lock", "--backup-standby",
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			opts, err := tc.replica.FromStandby(tc.primary)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nFromStandby(): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.opts, opts); diff != "" {
				t.Errorf("%s\nFromStandby(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
