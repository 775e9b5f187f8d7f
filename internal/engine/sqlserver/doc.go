// Package sqlserver turns a SQL Server on Linux installation and an Always
// On availability group into plain data: shell steps that install and set
// up mssql-server on an Ubuntu VM, and T-SQL batches that create the
// mirroring endpoint, its certificate, the availability group, and join the
// secondaries and databases to it.
//
// Nothing here opens an SSH session or a database connection, so the steps
// and batches map onto whatever runs them. The package is tested without a
// live server: SQL Server cannot run on the machines that build and test
// this provider, so the tests check the text of the steps and batches
// (golden files), how hostile names are quoted, and that no command text
// ever holds a password.
package sqlserver
