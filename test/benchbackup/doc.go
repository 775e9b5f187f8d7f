// Package benchbackup measures backups and restores of PostgreSQL with
// pgBackRest at the engine level (internal/engine/postgresql and
// internal/engine/pgbackrest), without the controllers: real PostgreSQL 15
// on this host, real pgBackRest, and two repositories side by side, an S3
// one on versitygw over TLS (internal/testing/s3test) and a posix one on
// local disk.
//
//   - BenchmarkBackupRestore fills a database with pgbench -i (scale
//     -benchbackup.scale, 130 is about 2 GB) and, per iteration, takes a
//     full backup of it with pg_basebackup to local disk and with pgBackRest
//     to each repository, then restores each: pg_basebackup's copy is
//     copied back (the floor), the repositories' backups are restored with
//     pgbackrest restore. It reports MB/s of each (1 MB = 10^6 bytes of the
//     data directory, pg_wal left out), and each store's ratio to
//     pg_basebackup, taken per iteration so that both sides ran under the
//     same load.
//   - BenchmarkRPO runs a small instance that archives into the S3
//     repository with archive_timeout -benchbackup.archive-timeout (10 s)
//     under a trickle of writes (one committed row every 200 ms), kills its
//     postmaster and every process below it with SIGKILL, by PID, at a
//     random moment per iteration, restores the repository to the end of
//     its archive into a new data directory, and reports the seconds of
//     acknowledged commits the restore lacks.
//
// Run it as make bench-backup does:
//
//	go test -run '^$' -bench BenchmarkBackupRestore -benchtime=3x -count 1 -timeout 120m ./test/benchbackup/ -args -benchbackup.scale=130
//	go test -run '^$' -bench BenchmarkRPO -benchtime=7x -count 1 -timeout 60m ./test/benchbackup/
//
// -benchbackup.variants tries pgBackRest options on the command line of
// backup and restore beside the defaults that Render writes, one
// sub-benchmark each, for example
//
//	-args -benchbackup.variants='defaults;--compress-type=none;--process-max=2'
//
// The numbers depend on the machine and on what else runs on it: quote them
// with the load average (uptime) beside them. Nothing here asserts on a
// time. It needs root (PostgreSQL runs as the postgres user), PostgreSQL 15,
// pgBackRest and versitygw (make deps tools).
package benchbackup
