package server

import (
	"context"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// plainServer is a server without extensions; its methods are never called.
type plainServer struct{ dbms.Server }

// extensionServer is a server with extensions.
type extensionServer struct {
	dbms.Server
	dbms.ExtensionServer
}

func (extensionServer) ServerVersion(context.Context) (string, error) { return "15.4", nil }

func TestInstrumentKeepsExtensions(t *testing.T) {
	cfg := dbms.Config{Engine: dbms.PostgreSQL, Host: "127.0.0.1", Port: 5432}
	if _, ok := instrument(plainServer{}, cfg).(dbms.ExtensionServer); ok {
		t.Error("a server without extensions: want no ExtensionServer through the wrapper")
	}
	es, ok := instrument(extensionServer{}, cfg).(dbms.ExtensionServer)
	if !ok {
		t.Fatal("a server with extensions: want an ExtensionServer through the wrapper, as the Database controller checks")
	}
	if Unwrap(es.(dbms.Server)) != (extensionServer{}) {
		t.Error("Unwrap: want the server that was wrapped")
	}
	if v, err := es.ServerVersion(context.Background()); err != nil || v != "15.4" {
		t.Errorf("ServerVersion through the wrapper: want 15.4, got %q, %v", v, err)
	}
}
