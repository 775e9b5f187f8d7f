// Package safepath builds paths on the provider's host from names that
// tenants choose (external names, namespaces, disk names). The provider runs
// as root, so a name such as "../team-b" or "../../.." must never reach a
// path: every part is checked to be one plain name, and the joined path is
// checked to stay under its base directory.
package safepath

import (
	"path/filepath"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/util/validation"
)

const (
	errSegment = "%q cannot name a directory or file: %s"
	errEscapes = "%q is not under %q"
)

// Segment returns an error unless name is a DNS-1123 subdomain (lower-case
// letters, digits, '-' and '.', starting and ending with a letter or digit,
// at most 253 characters): the names Kubernetes gives objects. Such a name
// is never "." or "..", and holds no '/', so it is one path part.
func Segment(name string) error {
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return errors.Errorf(errSegment, name, strings.Join(errs, "; "))
	}
	return nil
}

// Join joins parts under base, each of which must be a Segment, and checks
// that the result is under base.
func Join(base string, parts ...string) (string, error) {
	for _, p := range parts {
		if err := Segment(p); err != nil {
			return "", err
		}
	}
	return Under(base, filepath.Join(append([]string{base}, parts...)...))
}

// Under returns path, cleaned, when it is base or below it, and an error
// otherwise.
func Under(base, path string) (string, error) {
	base, path = filepath.Clean(base), filepath.Clean(path)
	rel, err := filepath.Rel(base, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
		return "", errors.Errorf(errEscapes, path, base)
	}
	return path, nil
}
