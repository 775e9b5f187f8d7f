package databaseinstance

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

func TestMembersUsable(t *testing.T) {
	// A member whose initdb completed has the marker in its directory.
	dir := t.TempDir()
	created := &postgresql.Instance{Exec: executor.Local{}, Dir: filepath.Join(dir, "created")}
	if err := os.MkdirAll(created.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(created.Dir, "initialized"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, err := created.Initialized(context.Background()); !ok || err != nil {
		t.Fatal("the fixture's member is not initialized")
	}
	fresh := &postgresql.Instance{Exec: executor.Local{}, Dir: filepath.Join(dir, "fresh")}
	off := func(vm string) string { return errors.Errorf(errVMOff, vm).Error() }
	replicated := v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary}

	cases := map[string]struct {
		reason  string
		p       v1alpha1.DatabaseInstanceParameters
		members []member
		want    error
	}{
		"AllUp": {
			reason:  "members whose machines are up are used",
			p:       replicated,
			members: []member{{vm: "a", inst: fresh}, {vm: "b", inst: fresh}},
		},
		"NewInstanceWaits": {
			reason:  "a new instance waits for every machine",
			p:       replicated,
			members: []member{{vm: "a", inst: fresh}, {vm: "b", inst: fresh, off: off("b")}},
			want:    errors.New(off("b")),
		},
		"ExistingPrimaryOff": {
			reason:  "a replicated instance that exists goes on without the primary whose machine is off",
			p:       replicated,
			members: []member{{vm: "a", inst: created, off: off("a")}, {vm: "b", inst: created}},
		},
		"OnlyTheOffMemberExists": {
			reason:  "the data a machine that is off holds does not count: nothing else of the instance runs",
			p:       replicated,
			members: []member{{vm: "a", inst: created, off: off("a")}, {vm: "b", inst: fresh}},
			want:    errors.New(off("a")),
		},
		"SingleOff": {
			reason:  "a single instance has no other member to go on with",
			p:       v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologySingle},
			members: []member{{vm: "a", inst: created, off: off("a")}},
			want:    errors.New(off("a")),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, membersUsable(context.Background(), tc.p, tc.members), test.EquateErrors()); diff != "" {
				t.Errorf("%s\nmembersUsable(...): -want error, +got error:\n%s", tc.reason, diff)
			}
		})
	}
}
