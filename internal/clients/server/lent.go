package server

import (
	"context"
	"sync"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// lent is a client borrowed from Pools: its Close also tells the pool it
// is back, once.
type lent struct {
	dbms.Server
	back func()
	once *sync.Once
}

// lentExtensions is lent for a server that also manages extensions, so
// that the controllers' check for dbms.ExtensionServer still finds them.
type lentExtensions struct {
	lent
	dbms.ExtensionServer
}

var (
	_ dbms.Server          = lent{}
	_ dbms.ExtensionServer = lentExtensions{}
)

// lend wraps s so that closing it calls back.
func lend(s dbms.Server, back func()) dbms.Server {
	l := lent{Server: s, back: back, once: &sync.Once{}}
	if es, ok := s.(dbms.ExtensionServer); ok {
		return lentExtensions{lent: l, ExtensionServer: es}
	}
	return l
}

func (l lent) Close(ctx context.Context) error {
	err := l.Server.Close(ctx)
	l.once.Do(l.back)
	return err
}
