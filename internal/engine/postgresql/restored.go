package postgresql

import (
	"context"
)

// InitFrom makes the instance's data directory with fill instead of initdb,
// unless that completed before: a restore from a backup repository, say.
// fill gets an empty data directory owned by the engine user, the
// instance's other directories and its certificate files; a fill cut short
// (no marker) is wiped and run again. The data directory fill leaves holds
// the configuration of the server it came from, including the provider's
// include file: Configure the instance before it starts.
func (i *Instance) InitFrom(ctx context.Context, fill func(ctx context.Context) error) error {
	if done, err := i.Initialized(ctx); err != nil || done {
		return err
	}
	if err := i.prepare(ctx); err != nil {
		return err
	}
	if err := fill(ctx); err != nil {
		return err
	}
	return i.mark(ctx)
}
