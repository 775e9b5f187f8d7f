package database

import (
	"context"
	"slices"
	"sort"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/engine/pgextensions"
)

const (
	errNotPostgreSQL   = "spec.forProvider.extensions are PostgreSQL extensions, and this Database's server is a %s server, which has none: remove them"
	errClassExtensions = "spec.forProvider.extensions are created by the provider's own SQL, not by a DatabaseClass's procedures: remove them, or have the class's create procedure create them"
	errNoExtensions    = "the server's client cannot create extensions"
	errUnavailable     = "extension %q is not available on the Database's server: its package %s is not installed where the server runs; list %s in the DatabaseInstance's spec.forProvider.extensions (on an existing server, ask its DBAs to install %s)"
)

// An extensionPlan is what Update does to a database's extensions.
type extensionPlan struct {
	// version is the server's, which decides the allow-list and packages.
	version string
	// Create are the extensions to create, in creation order.
	Create []string
	// Drop are the extensions this Database created that it no longer
	// lists, in the order they can be dropped.
	Drop []string
}

// done reports whether the database's extensions are as specified.
func (p extensionPlan) done() bool { return len(p.Create) == 0 && len(p.Drop) == 0 }

// planExtensions decides what to create and drop so that the database has
// want (with what it requires). Only extensions carrying marker, which this
// Database wrote when it created them, are ever dropped: one an application
// created, or one that was there before, is never the provider's to drop.
func planExtensions(version string, want []string, found []dbms.Extension, marker string) (extensionPlan, error) {
	all, err := pgextensions.WithRequired(version, want)
	if err != nil {
		return extensionPlan{}, err
	}
	p := extensionPlan{version: version}
	present := map[string]bool{}
	for _, e := range found {
		present[e.Name] = true
	}
	for _, n := range all {
		if !present[n] {
			p.Create = append(p.Create, n)
		}
	}
	var drop []string
	for _, e := range found {
		if e.Marker == marker && !slices.Contains(all, e.Name) {
			drop = append(drop, e.Name)
		}
	}
	drop = pgextensions.InCreationOrder(version, drop)
	slices.Reverse(drop)
	if len(drop) > 0 {
		p.Drop = drop
	}
	return p, nil
}

// observedExtensions are the allow-listed extensions of found, sorted, as
// status.atProvider.extensions shows them.
func observedExtensions(version string, found []dbms.Extension) []string {
	var out []string
	for _, e := range found {
		if pgextensions.Allowed(version, e.Name) {
			out = append(out, e.Name)
		}
	}
	sort.Strings(out)
	return out
}

// checkEngine refuses extensions on an engine that has none.
func checkEngine(engine dbms.Engine, want []string) error {
	if len(want) == 0 || engine == "" || engine == dbms.PostgreSQL {
		return nil
	}
	return errors.Errorf(errNotPostgreSQL, engine)
}

// observeExtensions reads the database's extensions and decides what to do
// about them.
func observeExtensions(ctx context.Context, db dbms.Server, database string, want []string, marker string) (extensionPlan, []string, error) {
	es, ok := db.(dbms.ExtensionServer)
	if !ok {
		return extensionPlan{}, nil, errors.New(errNoExtensions)
	}
	version, err := es.ServerVersion(ctx)
	if err != nil {
		return extensionPlan{}, nil, err
	}
	found, err := es.Extensions(ctx, database)
	if err != nil {
		return extensionPlan{}, nil, err
	}
	p, err := planExtensions(version, want, found, marker)
	return p, observedExtensions(version, found), err
}

// applyExtensions carries out p: first checks that the server can create
// every extension, so that one whose package is missing is named with the
// package rather than with PostgreSQL's "could not open extension control
// file", then creates and drops.
func applyExtensions(ctx context.Context, db dbms.Server, database string, p extensionPlan, marker string) error {
	if p.done() {
		return nil
	}
	es, ok := db.(dbms.ExtensionServer)
	if !ok {
		return errors.New(errNoExtensions)
	}
	if len(p.Create) > 0 {
		avail, err := es.AvailableExtensions(ctx, p.Create)
		if err != nil {
			return err
		}
		if err := unavailable(p.version, p.Create, avail); err != nil {
			return err
		}
	}
	for _, n := range p.Create {
		if err := es.CreateExtension(ctx, database, n, marker); err != nil {
			return err
		}
	}
	for _, n := range p.Drop {
		if err := es.DropExtension(ctx, database, n, marker); err != nil {
			return err
		}
	}
	return nil
}

// unavailable names the first of names the server cannot create, and the
// package that brings it.
func unavailable(version string, names []string, avail map[string]bool) error {
	for _, n := range names {
		if !avail[n] {
			pkg := pgextensions.PackageOf(version, n)
			return errors.Errorf(errUnavailable, n, pkg, n, pkg)
		}
	}
	return nil
}
