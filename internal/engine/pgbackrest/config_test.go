package pgbackrest

import (
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
)

// base is a valid configuration the cases change.
func base(repo Repo) Config {
	return Config{
		Stanza: "ns-db", Repo: repo, DataDir: "/m/pg/data", Port: 5432, SocketDir: "/m/pg/run", User: "postgres",
		LogPath: "/m/pg/pgbackrest/log", LockPath: "/m/pg/pgbackrest/lock",
	}
}

// badStanza is Render's error for the stanza name n.
func badStanza(n string) error { return errors.Errorf(errStanzaName, n, maxStanzaLen) }

func s3Repo() Repo {
	return Repo{Type: RepoS3, Path: "/dbaas", S3: &S3{
		Endpoint: "127.0.0.1", Port: 7070, Bucket: "backups", Region: "us-east-1",
		CAFile: "/m/ca.crt", AccessKey: "AKID", SecretKey: "s3cr3t",
	}}
}

const (
	header = "# Managed by the dbaas provider. Changes are overwritten.\n[global]\n"
	common = "log-path=/m/pg/pgbackrest/log\nlock-path=/m/pg/pgbackrest/lock\nlog-level-console=off\nlog-level-stderr=warn\nstart-fast=y\ncompress-type=lz4\nprocess-max=2\nrepo1-bundle=y\n"
	// archivePush is archive-push's own section: it gives up on a store
	// that makes no progress for 3 s, the other commands keep the minute.
	archivePush = "\n[global:archive-push]\nio-timeout=3\n"
	stanza      = "\n[ns-db]\npg1-path=/m/pg/data\npg1-port=5432\npg1-socket-path=/m/pg/run\npg1-user=postgres\n"
)

func TestRender(t *testing.T) {
	type want struct {
		out string
		err error
	}
	with := func(change func(*Config)) Config {
		c := base(s3Repo())
		change(&c)
		return c
	}
	cases := map[string]struct {
		reason string
		c      Config
		want   want
	}{
		"S3": {
			reason: "An S3 repository has its endpoint, bucket, region, path-style URIs, port, CA file and credentials; the server is reached over its socket; archive-push alone gives up on a stalled store after 3 s.",
			c:      base(s3Repo()),
			want: want{out: header +
				"repo1-type=s3\nrepo1-path=/dbaas\nrepo1-s3-endpoint=127.0.0.1\nrepo1-s3-bucket=backups\nrepo1-s3-region=us-east-1\nrepo1-s3-uri-style=path\n" +
				"repo1-s3-key=AKID\nrepo1-s3-key-secret=s3cr3t\nrepo1-storage-port=7070\nrepo1-storage-ca-file=/m/ca.crt\n" +
				common + archivePush + stanza},
		},
		"PosixEncryptedWithRetention": {
			reason: "A posix repository is a directory; a passphrase turns encryption on; retention counts full and differential backups.",
			c:      base(Repo{Type: RepoPosix, Path: "/backups", CipherPass: "pass phrase", Retention: Retention{Full: 2, Diff: 3}}),
			want: want{out: header +
				"repo1-type=posix\nrepo1-path=/backups\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=pass phrase\n" +
				"repo1-retention-full-type=count\nrepo1-retention-full=2\nrepo1-retention-diff=3\n" +
				common + archivePush + stanza},
		},
		"RetentionDays": {
			reason: "Full backups can be kept for a number of days.",
			c:      base(Repo{Type: RepoPosix, Path: "/backups", Retention: Retention{Full: 7, FullType: RetentionTime}}),
			want: want{out: header +
				"repo1-type=posix\nrepo1-path=/backups\nrepo1-retention-full-type=time\nrepo1-retention-full=7\n" +
				common + archivePush + stanza},
		},
		"S3DefaultsBucketRoot": {
			reason: "Without a prefix the repository is the bucket's root; the port defaults to pgBackRest's (443) and the CA to the machine's.",
			c: with(func(c *Config) {
				c.Repo.Path, c.Repo.S3.Port, c.Repo.S3.CAFile = "", 0, ""
			}),
			want: want{out: header +
				"repo1-type=s3\nrepo1-path=/\nrepo1-s3-endpoint=127.0.0.1\nrepo1-s3-bucket=backups\nrepo1-s3-region=us-east-1\nrepo1-s3-uri-style=path\n" +
				"repo1-s3-key=AKID\nrepo1-s3-key-secret=s3cr3t\n" +
				common + archivePush + stanza},
		},
		"StanzaWithSlash":    {reason: "A stanza name is a directory of the repository: no slash.", c: with(func(c *Config) { c.Stanza = "a/b" }), want: want{err: badStanza("a/b")}},
		"StanzaDotDot":       {reason: "A stanza name cannot climb out of the repository.", c: with(func(c *Config) { c.Stanza = "a..b" }), want: want{err: badStanza("a..b")}},
		"StanzaDot":          {reason: "A stanza name cannot be the directory itself.", c: with(func(c *Config) { c.Stanza = "." }), want: want{err: badStanza(".")}},
		"StanzaEmpty":        {reason: "A stanza needs a name.", c: with(func(c *Config) { c.Stanza = "" }), want: want{err: badStanza("")}},
		"StanzaOption":       {reason: "A stanza name cannot look like an option.", c: with(func(c *Config) { c.Stanza = "-x" }), want: want{err: badStanza("-x")}},
		"StanzaSection":      {reason: "A stanza name cannot end its section header and start another.", c: with(func(c *Config) { c.Stanza = "a]\n[b" }), want: want{err: badStanza("a]\n[b")}},
		"StanzaUpper":        {reason: "Stanza names are lower case, as Kubernetes names are.", c: with(func(c *Config) { c.Stanza = "DB" }), want: want{err: badStanza("DB")}},
		"SecretNewline":      {reason: "A secret with a line break would inject options; it is refused without showing it.", c: with(func(c *Config) { c.Repo.S3.SecretKey = "x\nrepo1-path=/etc" }), want: want{err: errors.Errorf(errValue, "repo1-s3-key-secret")}},
		"PassphraseSpaces":   {reason: "pgBackRest would trim surrounding spaces off a passphrase: refused rather than changed.", c: with(func(c *Config) { c.Repo.CipherPass = " pw " }), want: want{err: errors.Errorf(errValue, "repo1-cipher-pass")}},
		"NoCredentials":      {reason: "S3 needs credentials.", c: with(func(c *Config) { c.Repo.S3.SecretKey = "" }), want: want{err: errors.New(errCredentials)}},
		"NoS3Settings":       {reason: "An S3 repository needs its settings.", c: with(func(c *Config) { c.Repo.S3 = nil }), want: want{err: errors.New(errNoS3)}},
		"PosixWithS3":        {reason: "A posix repository with S3 settings is a mistake.", c: with(func(c *Config) { c.Repo.Type = RepoPosix }), want: want{err: errors.New(errS3NotPosix)}},
		"UnknownType":        {reason: "Only s3 and posix repositories.", c: with(func(c *Config) { c.Repo.Type = "gcs" }), want: want{err: errors.Errorf(errRepoType, "gcs")}},
		"BadBucket":          {reason: "Bucket names follow S3's rules.", c: with(func(c *Config) { c.Repo.S3.Bucket = "Back_ups" }), want: want{err: errors.Errorf(errBucket, "Back_ups")}},
		"EndpointWithScheme": {reason: "The endpoint is a host; the scheme is always https.", c: with(func(c *Config) { c.Repo.S3.Endpoint = "https://s3" }), want: want{err: errors.Errorf(errEndpoint, "https://s3")}},
		"NoRegion":           {reason: "pgBackRest signs requests for a region.", c: with(func(c *Config) { c.Repo.S3.Region = "" }), want: want{err: errors.New(errRegion)}},
		"BadURIStyle":        {reason: "Only path and host URI styles.", c: with(func(c *Config) { c.Repo.S3.URIStyle = "virtual" }), want: want{err: errors.Errorf(errURIStyle, "virtual")}},
		"RelativePrefix":     {reason: "The repository path is absolute.", c: with(func(c *Config) { c.Repo.Path = "dbaas" }), want: want{err: errors.Errorf(errAbsPath, "repository path", "dbaas")}},
		"PosixPathClimbs":    {reason: "A posix path with .. is refused.", c: base(Repo{Type: RepoPosix, Path: "/backups/../etc"}), want: want{err: errors.Errorf(errAbsPath, "repository path", "/backups/../etc")}},
		"RelativeCAFile":     {reason: "The CA file is an absolute path on the machine.", c: with(func(c *Config) { c.Repo.S3.CAFile = "ca.crt" }), want: want{err: errors.Errorf(errAbsPath, "CA file", "ca.crt")}},
		"NoSocket":           {reason: "pgBackRest reaches the server over its socket only.", c: with(func(c *Config) { c.SocketDir = "" }), want: want{err: errors.New(errNoSocket)}},
		"NegativeRetention":  {reason: "Retention counts are not negative.", c: with(func(c *Config) { c.Repo.Retention.Diff = -1 }), want: want{err: errors.Errorf(errRetention, "diff")}},
		"Zst": {
			reason: "A store can trade CPU for a smaller repository.",
			c:      base(Repo{Type: RepoPosix, Path: "/backups", Compress: CompressZst}),
			want: want{out: header + "repo1-type=posix\nrepo1-path=/backups\n" +
				strings.Replace(common, "compress-type=lz4", "compress-type=zst", 1) + archivePush + stanza},
		},
		"UnknownCompression": {reason: "Only pgBackRest's compression types.", c: with(func(c *Config) { c.Repo.Compress = "bz2" }), want: want{err: errors.Errorf(errCompress, "bz2")}},
		"UnknownFullType":    {reason: "Full retention counts backups or days.", c: with(func(c *Config) { c.Repo.Retention = Retention{Full: 1, FullType: "weeks"} }), want: want{err: errors.Errorf(errFullType, "weeks")}},
		"PortOutOfRange":     {reason: "The server's port is a TCP port.", c: with(func(c *Config) { c.Port = 0 }), want: want{err: errors.Errorf(errPort, 0)}},
		"NoUser":             {reason: "pgBackRest connects as a named role.", c: with(func(c *Config) { c.User = "" }), want: want{err: errors.Errorf(errEmpty, "pg1-user")}},
		"RelativeDataDir":    {reason: "The data directory is absolute.", c: with(func(c *Config) { c.DataDir = "data" }), want: want{err: errors.Errorf(errAbsPath, "data directory", "data")}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Render(tc.c)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nRender(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.out, got); diff != "" {
				t.Errorf("%s\nRender(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRepoLocation(t *testing.T) {
	posix := Repo{Type: RepoPosix, Path: "/var/lib/dbaas/backups/ns/nightly", CipherPass: "p"}
	cases := map[string]struct {
		reason string
		repo   Repo
		want   string
	}{
		"Posix": {reason: "A posix repository is its directory.", repo: posix, want: "posix:/var/lib/dbaas/backups/ns/nightly"},
		"S3": {reason: "An S3 repository is its endpoint, port, bucket and prefix; no credential appears.",
			repo: s3Repo(), want: "s3://127.0.0.1:7070/backups/dbaas"},
		"S3DefaultPort": {reason: "An unset port is HTTPS's, so naming it or not is one location.",
			repo: func() Repo { r := s3Repo(); r.S3.Port = 0; r.Path = ""; return r }(), want: "s3://127.0.0.1:443/backups"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.repo.Location(); got != tc.want {
				t.Errorf("%s\nLocation() = %q, want %q", tc.reason, got, tc.want)
			}
		})
	}
	same := s3Repo()
	same.S3.AccessKey, same.Retention.Full, same.Compress = "other", 3, CompressZst
	if same.Location() != s3Repo().Location() {
		t.Errorf("credentials, retention and compression changed the location: %q", same.Location())
	}
}
