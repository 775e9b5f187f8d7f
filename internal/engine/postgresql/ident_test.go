package postgresql

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/testing/exectest"
)

func TestRenderIdent(t *testing.T) {
	cases := map[string]struct {
		reason string
		admin  string
		users  []string
		want   []string
	}{
		"Postgres": {
			reason: "Each OS user is mapped to the admin role in the map the socket line names",
			admin:  "postgres",
			users:  []string{"postgres", "root", "ubuntu"},
			want:   []string{"dbaas postgres postgres", "dbaas root postgres", "dbaas ubuntu postgres", "dbaas postgres dbaas_monitor"},
		},
		"QuotedNames": {
			reason: "Names that are not plain identifiers are double-quoted, so that none is two fields or a keyword",
			admin:  `Ad"min all`,
			users:  []string{"root", "ci-runner.1"},
			want:   []string{`dbaas root "Ad""min all"`, `dbaas "ci-runner.1" "Ad""min all"`, "dbaas postgres dbaas_monitor"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, l := range strings.Split(renderIdent(tc.admin, tc.users), "\n") {
				if l == "" || strings.HasPrefix(l, "#") {
					continue
				}
				got = append(got, strings.Join(strings.Fields(l), " "))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nrenderIdent(%q, %q): -want, +got:\n%s", tc.reason, tc.admin, tc.users, diff)
			}
		})
	}
}

// peerDialer is an executor whose socket connections come from user.
type peerDialer struct {
	exectest.Recorder
	user string
	err  error
}

func (p *peerDialer) DialUnix(context.Context, string) (net.Conn, error) {
	return nil, errors.New("not dialled in this test")
}

func (p *peerDialer) PeerUser() (string, error) { return p.user, p.err }

func TestIdentUsers(t *testing.T) {
	cases := map[string]struct {
		reason  string
		x       executor.Executor
		want    []string
		wantErr string
	}{
		"NoDialer": {
			reason: "An executor that reaches no socket adds nobody to the engine user and root",
			x:      &exectest.Recorder{},
			want:   []string{"postgres", "root"},
		},
		"Root": {
			reason: "The provider running as root is listed once",
			x:      &peerDialer{user: "root"},
			want:   []string{"postgres", "root"},
		},
		"LoginUser": {
			reason: "Over SSH the login user, whom sshd connects to the socket as, is mapped too",
			x:      &peerDialer{user: "ubuntu"},
			want:   []string{"postgres", "root", "ubuntu"},
		},
		"Pattern": {
			reason:  "A name beginning with a slash would be a regular expression in pg_ident.conf",
			x:       &peerDialer{user: "/.*"},
			wantErr: `OS user "/.*" cannot be mapped`,
		},
		"Spaces": {
			reason:  "A name with a space would add a field",
			x:       &peerDialer{user: "a b"},
			wantErr: `OS user "a b" cannot be mapped`,
		},
		"Unknown": {
			reason:  "A peer user that cannot be told is an error, not a map without it",
			x:       &peerDialer{err: errors.New("no passwd entry")},
			wantErr: errPeerUser,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := identUsers(tc.x)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nidentUsers: err = %v, want one containing %q", tc.reason, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nidentUsers: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nidentUsers: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
