package postgresql

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestStartFailureQuotesLog: a start that fails says why in the error,
// from the server's log, not only pg_ctl's "could not start server". The
// port is held by another listener, as another program on the machine
// would hold it.
func TestStartFailureQuotesLog(t *testing.T) {
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := int32(l.Addr().(*net.TCPAddr).Port)
	i := NewInstance(executor.Local{}, testenv.SharedDir(t), "pg", "15", port, "postgres")
	stopOnCleanup(t, i)
	if err := i.Init(ctx, "pw"); err != nil {
		t.Fatalf("Init: %v", err)
	}
	if _, err := i.Configure(ctx, i.Settings(nil, nil, nil)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	err = i.Start(ctx)
	if err == nil {
		t.Fatalf("Start on port %d held by another listener: want an error", port)
	}
	if !strings.Contains(err.Error(), "the server logged: LOG: could not bind") || !strings.Contains(err.Error(), "Address already in use") {
		t.Errorf("Start's error does not quote what the server logged about port %d: %v", port, err)
	}
}
