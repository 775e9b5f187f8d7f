// Package existing tests Databases, Users and Grants on existing servers, a
// real PostgreSQL and a real MariaDB started by the tests, made natively and
// by the DBAs' sample procedures in examples/existing-server.
package existing
