package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errNotFile    = "%s exists and is not a regular file"
	errHashOutput = "cannot parse the checksum of %s: %q"
)

// File makes sure path holds content with mode. The check compares a
// checksum computed on the machine, so the file's content, which may hold
// secrets, never travels back.
func File(path string, content []byte, mode fs.FileMode) Step {
	return fileStep("file "+path, path, content, mode)
}

func fileStep(name, path string, content []byte, mode fs.FileMode) Step {
	sum := sha256.Sum256(content)
	want := hex.EncodeToString(sum[:])
	return Step{
		Name: name,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			return fileMatches(ctx, e, path, want, mode)
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			return e.WriteFile(ctx, path, content, mode)
		},
	}
}

// fileMatches reports whether path is a regular file whose SHA-256 is want
// and whose mode is mode.
func fileMatches(ctx context.Context, e executor.Executor, path, want string, mode fs.FileMode) (bool, error) {
	st, err := stat(ctx, e, path)
	if err != nil || !st.exists {
		return false, err
	}
	if !strings.HasPrefix(st.kind, "regular") { // "regular file" or "regular empty file"
		return false, errors.Errorf(errNotFile, path)
	}
	if st.mode != mode.Perm() {
		return false, nil
	}
	res, err := run(ctx, e, fmt.Sprintf("sha256sum < %s", q(path)))
	if err != nil {
		return false, err
	}
	got, _, ok := strings.Cut(res.Stdout, " ")
	if !ok || len(got) != sha256.Size*2 {
		return false, errors.Errorf(errHashOutput, path, res.Stdout)
	}
	return got == want, nil
}
