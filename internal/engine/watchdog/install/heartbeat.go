package install

import (
	"context"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const errHeartbeat = "cannot renew the watchdog's heartbeat"

// Renew renews the heartbeat the member's watchdog reads, for the provider
// to call on each look at the member (see RenewScript).
func Renew(ctx context.Context, e executor.Executor, path string, now time.Time) error {
	res, err := e.Run(ctx, RenewScript(path, now), nil)
	if err == nil && res.ExitCode != 0 {
		err = errors.New(strings.TrimSpace(res.Stderr))
	}
	return errors.Wrap(err, errHeartbeat)
}

// RenewScript is the command that renews the heartbeat at path, for a
// look that renews it in the command it runs anyway. It replaces the
// file, so its modification time, which is what the watchdog reads, is
// the member's own clock at the renewal; the content, the provider's
// time, is for people only.
func RenewScript(path string, now time.Time) string {
	return "t=$(mktemp " + q(path+".tmp-XXXXXX") + ") && printf '%s\\n' " + q(now.UTC().Format(time.RFC3339Nano)) +
		" > \"$t\" && chmod 0644 \"$t\" && mv -f \"$t\" " + q(path)
}
