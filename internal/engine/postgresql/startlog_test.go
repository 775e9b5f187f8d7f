package postgresql

import (
	"context"
	"strings"
	"testing"
)

// startFailureQuotesLog: a start that fails says why in the error, from
// the server's log, not only pg_ctl's "could not start server". i, set up
// and stopped, is on a port that another listener holds, as another program
// on the machine would hold it.
func startFailureQuotesLog(t *testing.T, i *Instance) {
	t.Helper()
	err := i.Start(context.Background())
	if err == nil {
		t.Fatalf("Start on port %d held by another listener: want an error", i.Port)
	}
	if !strings.Contains(err.Error(), "the server logged: LOG: could not bind") || !strings.Contains(err.Error(), "Address already in use") {
		t.Errorf("Start's error does not quote what the server logged about port %d: %v", i.Port, err)
	}
}
