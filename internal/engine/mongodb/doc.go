// Package mongodb turns a MongoDB replica set's desired state into plain
// data: shell steps that install and configure mongod on a Debian or Ubuntu
// VM, and the command documents (replSetInitiate, replSetGetStatus,
// createUser, updateUser) that the official Go driver sends once mongod runs.
//
// Nothing here opens an SSH session or a database connection itself, so the
// steps map onto whatever executor runs them. The package is tested without
// a live server: MongoDB cannot run on the machines that build and test this
// provider, so the tests check the rendered configuration, the order and text
// of the steps, the command documents and the parsing of a captured
// replSetGetStatus reply instead.
package mongodb
