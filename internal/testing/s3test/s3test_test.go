package s3test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pgbackrest runs pgBackRest, the store's client in the product, against
// the store with the given secret key and CA file. Everything reaches it
// in its environment: no credential on a command line.
func pgbackrest(t *testing.T, s *Server, secret, ca string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "pgbackrest", append([]string{"--config-path=" + t.TempDir(), "--log-level-console=off", "--log-level-stderr=error"}, args...)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"PGBACKREST_REPO1_TYPE=s3",
		"PGBACKREST_REPO1_PATH=/repo",
		"PGBACKREST_REPO1_S3_ENDPOINT=" + s.Endpoint,
		"PGBACKREST_REPO1_STORAGE_PORT=" + strconv.Itoa(s.Port),
		"PGBACKREST_REPO1_S3_BUCKET=" + s.Bucket,
		"PGBACKREST_REPO1_S3_REGION=" + s.Region,
		"PGBACKREST_REPO1_S3_URI_STYLE=path",
		"PGBACKREST_REPO1_STORAGE_CA_FILE=" + ca,
		"PGBACKREST_REPO1_S3_KEY=" + s.AccessKey,
		"PGBACKREST_REPO1_S3_KEY_SECRET=" + secret,
		// A refused request fails at once instead of being retried.
		"PGBACKREST_IO_TIMEOUT=10",
	}
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), &exitError{err: ee, stderr: string(ee.Stderr)}
	}
	return string(out), err
}

type exitError struct {
	err    error
	stderr string
}

func (e *exitError) Error() string { return e.err.Error() + ": " + e.stderr }

// TestServer shows that the store serves its bucket over TLS verified with
// its CA to its root credentials only, through pgBackRest: an object in the
// bucket is read back, and the wrong secret or no CA is refused. (An object
// put beside versitygw, straight into its directory, is served but not
// listed: it lacks the metadata versitygw keeps. Writing and listing
// through S3 is what the pgbackrest package's tests do.)
func TestServer(t *testing.T) {
	s := Start(t)
	const content = "hello from the posix backend\n"
	dir := filepath.Join(s.Dir, s.Bucket, "repo", "probe")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "object.txt"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	out, err := pgbackrest(t, s, s.SecretKey, s.CAFile, "repo-get", "/repo/probe/object.txt")
	if err != nil {
		t.Fatalf("repo-get: %v", err)
	}
	if out != content {
		t.Errorf("repo-get: want %q, got %q", content, out)
	}

	if _, err := pgbackrest(t, s, s.SecretKey+"x", s.CAFile, "repo-ls", "/repo"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("repo-ls with a wrong secret: want refused with 403, got %v", err)
	}
	// The system's CAs do not know the harness's CA.
	if _, err := pgbackrest(t, s, s.SecretKey, "/etc/ssl/certs/ca-certificates.crt", "repo-ls", "/repo"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("repo-ls without the store's CA: want a certificate error, got %v", err)
	}
}
