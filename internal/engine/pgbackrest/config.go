// Package pgbackrest backs up PostgreSQL instances with pgBackRest and
// restores them: WAL archiving, full, differential and incremental backups
// into an S3 or posix repository, their retention and verification, and
// point-in-time restores into a new data directory. Like the engine, it
// runs pgBackRest on the instance's machine, this host or another one over
// SSH, through the instance's executor.
package pgbackrest

import (
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errStanzaName  = "stanza name %q is invalid: it becomes a directory of the repository, so it must be 1 to %d lower-case letters, digits, '.', '_' or '-', starting and ending with a letter or digit"
	errRepoType    = "repository type %q is neither s3 nor posix"
	errNoS3        = "an s3 repository needs its s3 settings"
	errS3NotPosix  = "a posix repository takes no s3 settings"
	errAbsPath     = "%s %q must be an absolute, clean path"
	errBucket      = "bucket %q is not a valid S3 bucket name"
	errEndpoint    = "endpoint %q must be a host name or IP address, without scheme, port or path"
	errRegion      = "an s3 repository needs a region"
	errURIStyle    = "URI style %q is neither path nor host"
	errCredentials = "an s3 repository needs an access key and a secret key"
	errPort        = "port %d is out of range"
	errEmpty       = "%s is empty"
	errValue       = "%s holds a line break, a NUL byte or surrounding spaces, which pgbackrest.conf cannot hold"
	errRetention   = "retention %s must not be negative"
	errFullType    = "full retention type %q is neither count nor time"
	errCompress    = "compression %q is none of lz4, zst, gz and none"
	errNoSocket    = "pgBackRest reaches the server over its unix socket, and the configuration names no socket directory"

	// processMax is how many processes pgBackRest copies files with.
	processMax = "2"

	// maxStanzaLen bounds a stanza name well within a file name.
	maxStanzaLen = 127

	// archivePushIOTimeout is archive-push's io-timeout, in seconds: how
	// long it waits for a store that makes no progress at all (not how
	// long a push may take). PostgreSQL records a failure, and retries
	// the segment, only once archive_command ends, and pgBackRest 2.45
	// retries a store that refuses connections about 8 times the timeout
	// before it does (socket, TLS and HTTP retries, for archive.info and
	// its copy): 80 s at 10 s, 24 s at 3 s, measured against a closed
	// port. A failed push loses nothing (the segment stays in pg_wal and
	// is pushed again a second later), so a store that stalls for 3 s
	// costs a retry, while a longer timeout would hide an outage from
	// WALArchiving for minutes. Backups, restores and the provider's looks
	// keep pgBackRest's minute: they are not retried by PostgreSQL.
	archivePushIOTimeout = "3"
)

// Repository types.
const (
	RepoS3    = "s3"
	RepoPosix = "posix"
)

// URI styles of an S3 repository: path style (https://host/bucket/key)
// works with any endpoint, host style (https://bucket.host/key) needs DNS
// names per bucket.
const (
	URIStylePath = "path"
	URIStyleHost = "host"
)

// Compression types of the backups and WAL written to a repository
// (compress-type). The empty one is CompressLZ4.
const (
	CompressLZ4  = "lz4"
	CompressZst  = "zst"
	CompressGz   = "gz"
	CompressNone = "none"
)

// Full retention types: keep a number of full backups, or those of a number
// of days.
const (
	RetentionCount = "count"
	RetentionTime  = "time"
)

// cipherType is the one cipher pgBackRest offers for repositories.
const cipherType = "aes-256-cbc"

var (
	stanzaName = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`)
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	hostName   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)
)

// A Repo is where backups and archived WAL go.
type Repo struct {
	// Type is RepoS3 or RepoPosix.
	Type string
	// Path is the repository's directory: on the machine for posix, the
	// prefix within the bucket for S3 (empty means the bucket's root).
	Path string
	// S3 is set for an S3 repository.
	S3 *S3
	// CipherPass, when set, encrypts the repository (aes-256-cbc). It is a
	// secret: it is only ever written to the configuration file.
	CipherPass string
	// Retention is how many backups expire keeps.
	Retention Retention
	// Compress is how backups and WAL are compressed in the repository,
	// one of the Compress* types; empty means CompressLZ4.
	Compress string
}

// S3 is how pgBackRest reaches an S3 bucket.
type S3 struct {
	// Endpoint is the host name or IP address of the S3 service.
	Endpoint string
	// Port is its HTTPS port; zero means 443.
	Port int32
	// Bucket is the bucket the repository lives in.
	Bucket string
	// Region is the bucket's region; S3 services that have none accept any.
	Region string
	// URIStyle is URIStylePath or URIStyleHost; empty means path.
	URIStyle string
	// CAFile is the CA certificate, on the instance's machine, that the
	// endpoint's certificate is verified against; empty means the
	// machine's trusted CAs.
	CAFile string
	// AccessKey and SecretKey are the credentials. They are secrets: only
	// ever written to the configuration file.
	AccessKey string
	SecretKey string
}

// Location is where the repository's files are, and nothing else: two
// repositories with one location are one repository, whatever their
// credentials, retention or compression. It holds no secret.
func (r Repo) Location() string {
	if r.S3 == nil {
		return r.Type + ":" + r.Path
	}
	port := r.S3.Port
	if port == 0 {
		port = 443
	}
	return r.Type + "://" + r.S3.Endpoint + ":" + strconv.Itoa(int(port)) + "/" + r.S3.Bucket + r.Path
}

// Retention is how many backups expire keeps; zero leaves a kind to
// pgBackRest's default (full: keep everything, with a warning).
type Retention struct {
	// Full is the number of full backups kept, or with FullType
	// RetentionTime the number of days they are kept.
	Full int32
	// FullType is RetentionCount (the default) or RetentionTime.
	FullType string
	// Diff is the number of differential backups kept.
	Diff int32
}

// Config is one stanza's pgbackrest.conf on one machine: the repository,
// and the server whose data it backs up or restores into.
type Config struct {
	// Stanza names the backups of one instance in the repository.
	Stanza string
	Repo   Repo
	// DataDir, Port and SocketDir are the server's: pgBackRest connects to
	// it over its unix socket as the engine user.
	DataDir   string
	Port      int32
	SocketDir string
	// User is the role pgBackRest connects as (peer authentication).
	User string
	// LogPath and LockPath are pgBackRest's own directories for this
	// stanza on the machine.
	LogPath  string
	LockPath string
}

// ValidateStanza refuses a stanza name that is not a plain directory name:
// pgBackRest makes archive/<stanza> and backup/<stanza> of it in the
// repository.
func ValidateStanza(name string) error {
	if len(name) > maxStanzaLen || !stanzaName.MatchString(name) || strings.Contains(name, "..") {
		return errors.Errorf(errStanzaName, name, maxStanzaLen)
	}
	return nil
}

// Render returns pgbackrest.conf for c, or why c cannot be one. The file
// holds the repository's credentials and cipher passphrase: it is written
// with mode 0600 for the engine user only.
func Render(c Config) (string, error) {
	if err := ValidateStanza(c.Stanza); err != nil {
		return "", err
	}
	if c.SocketDir == "" {
		return "", errors.New(errNoSocket)
	}
	if c.Port < 1 || c.Port > 65535 {
		return "", errors.Errorf(errPort, c.Port)
	}
	for _, p := range []struct{ what, path string }{
		{"data directory", c.DataDir}, {"socket directory", c.SocketDir},
		{"log path", c.LogPath}, {"lock path", c.LockPath},
	} {
		if !absClean(p.path) {
			return "", errors.Errorf(errAbsPath, p.what, p.path)
		}
	}
	repo, err := renderRepo(c.Repo)
	if err != nil {
		return "", err
	}
	compress, err := compressType(c.Repo.Compress)
	if err != nil {
		return "", err
	}

	var b strings.Builder
	b.WriteString("# Managed by the dbaas provider. Changes are overwritten.\n[global]\n")
	global := append(append([][2]string{}, repo...), [][2]string{
		{"log-path", c.LogPath},
		{"lock-path", c.LockPath},
		// The console carries JSON (info) and nothing else; errors go to
		// standard error, the details to the log file.
		{"log-level-console", "off"},
		{"log-level-stderr", "warn"},
		// A backup starts with an immediate checkpoint rather than waiting
		// for the next one, which can be minutes away.
		{"start-fast", "y"},
		// lz4 unless the store says otherwise: see compressType.
		{"compress-type", compress},
		// Two processes copy, compress and checksum files, in backup and
		// restore alike: one keeps a core busy with lz4 and SHA-1 while
		// the other waits for the disk or the store. make bench-backup
		// found both repositories faster with two, on 2 cores.
		{"process-max", processMax},
		// Small files (most of a data directory's, by count) are written
		// into bundles and empty ones not at all: each file in an S3
		// store is a request, and each in a posix one a create and an
		// fsync. It is a repository option, but right for both kinds.
		{"repo1-bundle", "y"},
	}...)
	for _, kv := range global {
		if err := option(&b, kv[0], kv[1]); err != nil {
			return "", err
		}
	}
	// Options of one command go in its own section, which overrides
	// [global] for that command only.
	b.WriteString("\n[global:archive-push]\n")
	if err := option(&b, "io-timeout", archivePushIOTimeout); err != nil {
		return "", err
	}
	b.WriteString("\n[" + c.Stanza + "]\n")
	for _, kv := range [][2]string{
		{"pg1-path", c.DataDir},
		{"pg1-port", strconv.Itoa(int(c.Port))},
		{"pg1-socket-path", c.SocketDir},
		{"pg1-user", c.User},
	} {
		if err := option(&b, kv[0], kv[1]); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// compressType returns compress-type for a repository's Compress. lz4 is
// the default: it costs far less CPU than pgBackRest's own default, gzip,
// which would make a backup slower than the disk or the network, and on
// make bench-backup's data it stored a ninth of the bytes, which made
// backups to both kinds of store faster than storing them uncompressed.
func compressType(c string) (string, error) {
	switch c {
	case "":
		return CompressLZ4, nil
	case CompressLZ4, CompressZst, CompressGz, CompressNone:
		return c, nil
	}
	return "", errors.Errorf(errCompress, c)
}

// renderRepo returns the repo1-* options of r.
func renderRepo(r Repo) ([][2]string, error) {
	var out [][2]string
	switch r.Type {
	case RepoPosix:
		if r.S3 != nil {
			return nil, errors.New(errS3NotPosix)
		}
		if !absClean(r.Path) {
			return nil, errors.Errorf(errAbsPath, "repository path", r.Path)
		}
		out = append(out, [2]string{"repo1-type", RepoPosix}, [2]string{"repo1-path", r.Path})
	case RepoS3:
		s3, err := renderS3(r)
		if err != nil {
			return nil, err
		}
		out = append(out, s3...)
	default:
		return nil, errors.Errorf(errRepoType, r.Type)
	}
	if r.CipherPass != "" {
		out = append(out, [2]string{"repo1-cipher-type", cipherType}, [2]string{"repo1-cipher-pass", r.CipherPass})
	}
	ret, err := renderRetention(r.Retention)
	return append(out, ret...), err
}

// renderS3 returns the options of an S3 repository.
func renderS3(r Repo) ([][2]string, error) {
	s := r.S3
	if s == nil {
		return nil, errors.New(errNoS3)
	}
	prefix := r.Path
	if prefix == "" {
		prefix = "/"
	}
	if !absClean(prefix) {
		return nil, errors.Errorf(errAbsPath, "repository path", r.Path)
	}
	if !hostName.MatchString(s.Endpoint) {
		return nil, errors.Errorf(errEndpoint, s.Endpoint)
	}
	if !bucketName.MatchString(s.Bucket) || strings.Contains(s.Bucket, "..") {
		return nil, errors.Errorf(errBucket, s.Bucket)
	}
	if s.Region == "" {
		return nil, errors.New(errRegion)
	}
	style := s.URIStyle
	if style == "" {
		style = URIStylePath
	}
	if style != URIStylePath && style != URIStyleHost {
		return nil, errors.Errorf(errURIStyle, s.URIStyle)
	}
	if s.AccessKey == "" || s.SecretKey == "" {
		return nil, errors.New(errCredentials)
	}
	if s.Port < 0 || s.Port > 65535 {
		return nil, errors.Errorf(errPort, s.Port)
	}
	out := [][2]string{
		{"repo1-type", RepoS3},
		{"repo1-path", prefix},
		{"repo1-s3-endpoint", s.Endpoint},
		{"repo1-s3-bucket", s.Bucket},
		{"repo1-s3-region", s.Region},
		{"repo1-s3-uri-style", style},
		{"repo1-s3-key", s.AccessKey},
		{"repo1-s3-key-secret", s.SecretKey},
	}
	if s.Port != 0 {
		out = append(out, [2]string{"repo1-storage-port", strconv.Itoa(int(s.Port))})
	}
	if s.CAFile != "" {
		if !absClean(s.CAFile) {
			return nil, errors.Errorf(errAbsPath, "CA file", s.CAFile)
		}
		out = append(out, [2]string{"repo1-storage-ca-file", s.CAFile})
	}
	return out, nil
}

// renderRetention returns the repo1-retention-* options of r.
func renderRetention(r Retention) ([][2]string, error) {
	var out [][2]string
	if r.Full < 0 {
		return nil, errors.Errorf(errRetention, "full")
	}
	if r.Diff < 0 {
		return nil, errors.Errorf(errRetention, "diff")
	}
	if r.Full > 0 {
		typ := r.FullType
		if typ == "" {
			typ = RetentionCount
		}
		if typ != RetentionCount && typ != RetentionTime {
			return nil, errors.Errorf(errFullType, r.FullType)
		}
		out = append(out, [2]string{"repo1-retention-full-type", typ}, [2]string{"repo1-retention-full", strconv.Itoa(int(r.Full))})
	}
	if r.Diff > 0 {
		out = append(out, [2]string{"repo1-retention-diff", strconv.Itoa(int(r.Diff))})
	}
	return out, nil
}

// option writes one key=value line. pgBackRest's parser takes a value up to
// the end of the line and trims it, so a line break (which would start
// another option, or a section), a NUL byte or surrounding spaces cannot be
// written as they are; they are refused, naming the option but never its
// value, which may be a secret.
func option(b *strings.Builder, key, value string) error {
	if value == "" {
		return errors.Errorf(errEmpty, key)
	}
	if strings.ContainsAny(value, "\n\r\x00") || strings.TrimSpace(value) != value {
		return errors.Errorf(errValue, key)
	}
	b.WriteString(key + "=" + value + "\n")
	return nil
}

// absClean reports whether p is an absolute path in its shortest form, with
// no .. to climb out of where it points.
func absClean(p string) bool {
	return path.IsAbs(p) && path.Clean(p) == p
}
