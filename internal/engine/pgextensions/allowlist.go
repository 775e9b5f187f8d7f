// Package pgextensions says which PostgreSQL extensions a tenant may have
// on a DatabaseInstance and create in a Database, and which Debian package
// brings each one. It is an allow-list per major version, shared by the
// CRDs' validation rules (a test keeps them equal), the play that installs
// packages on machines over SSH, the local engine that checks this
// machine's packages, and the SQL controller that creates extensions: an
// extension not on it never reaches a server, so one that loads arbitrary
package pgextensions

// An extension is one allow-listed extension of a major version.
type extension struct {
	// pkg is the Debian package that ships the extension, with %s for the
	// major version; empty for contrib extensions, which the server's own
	// package (postgresql-<version>) ships.
	pkg string
	// requires are the extensions it needs created first, as its control
	// file's requires line says.
	requires []string
}

// The Debian packages beyond the server's, with %s for the major version.
const (
	pkgPostGIS  = "postgresql-%s-postgis-3"
	pkgPgvector = "postgresql-%s-pgvector"
)

// v15 are the extensions of PostgreSQL 15 a DBaaS offers: the contrib ones
// that run no code but their own and touch no files, PostGIS and pgvector.
var v15 = map[string]extension{
	"btree_gin":          {},
	"btree_gist":         {},
	"citext":             {},
	"cube":               {},
	"earthdistance":      {requires: []string{"cube"}},
	"fuzzystrmatch":      {},
	"hstore":             {},
	"intarray":           {},
	"isn":                {},
	"ltree":              {},
	"pg_stat_statements": {},
	"pg_trgm":            {},
	"pgcrypto":           {},
	"tablefunc":          {},
	"unaccent":           {},
	"uuid-ossp":          {},
	"postgis":            {pkg: pkgPostGIS},
	"postgis_topology":   {pkg: pkgPostGIS, requires: []string{"postgis"}},
	"vector":             {pkg: pkgPgvector},
}

// lists are the allow-lists by major version.
var lists = map[string]map[string]extension{
	"15": v15,
}
