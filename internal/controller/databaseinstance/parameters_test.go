package databaseinstance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestParametersRefused checks the provider's own allow-list check, which
// holds for what the CRD's rule cannot know: the version's list. Version
// 16 has none yet, so even a tuning parameter that PostgreSQL 15 allows
// is refused with Synced=False naming the reason, and nothing is made.
// The CRD refuses archive_command and friends outright (see
// apis/engine/v1alpha1's validation test); pgparams' table test holds the
// per-name decisions.
func TestParametersRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newFixture(t, env, "di-params")
	startManager(t, env, hooks{})

	di := f.instance("pg", 20)
	di.Spec.ForProvider.Version = "16"
	di.Spec.ForProvider.Parameters = map[string]string{"work_mem": "8MB"}
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "Synced=False says why", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		s := di.GetCondition(xpv2.TypeSynced)
		return s.Status == corev1.ConditionFalse && strings.Contains(s.Message, "PostgreSQL 16 has no allow-list of parameters: remove spec.forProvider.parameters (work_mem)"), s.Message
	})
	if _, err := os.Stat(filepath.Join(f.machineDir(t), "postgresql", "pg")); !os.IsNotExist(err) {
		t.Errorf("a refused instance: want nothing made on the machine, stat says %v", err)
	}
}
