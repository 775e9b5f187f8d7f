package watchdog

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const errHeartbeat = "cannot renew the watchdog's heartbeat"

// Renew renews the heartbeat the member's watchdog reads, for the provider
// to call on each look at the member. The executor replaces the file, so
// its modification time, which is what the watchdog reads, is the member's
// own clock at the renewal; the content, the provider's time, is for
// people only.
func Renew(ctx context.Context, e executor.Executor, path string, now time.Time) error {
	return errors.Wrap(e.WriteFile(ctx, path, []byte(now.UTC().Format(time.RFC3339Nano)+"\n"), 0o644), errHeartbeat)
}
