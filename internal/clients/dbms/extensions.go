package dbms

import "context"

// An Extension is one extension created in a database.
type Extension struct {
	Name    string
	Version string
	// Marker is the ownership marker the extension carries (its comment);
	// empty when it has none, as for one an application created.
	Marker string
}

// An ExtensionServer creates extensions in its databases. Only PostgreSQL
// has them; a Server that is not one has no extensions to offer.
type ExtensionServer interface {
	// ServerVersion is the server's version, such as "15.4", which
	// decides the allow-list and the packages of extensions.
	ServerVersion(ctx context.Context) (string, error)
	// AvailableExtensions returns which of names the server can create
	// (those whose packages are installed where it runs).
	AvailableExtensions(ctx context.Context, names []string) (map[string]bool, error)
	// Extensions returns the extensions created in database, by name.
	Extensions(ctx context.Context, database string) ([]Extension, error)
	// CreateExtension creates the extension in database and writes marker
	// on it, unless it exists already, which is left as it is.
	CreateExtension(ctx context.Context, database, name, marker string) error
	// DropExtension drops the extension from database when it carries
	// marker, and refuses when objects depend on it.
	DropExtension(ctx context.Context, database, name, marker string) error
}
