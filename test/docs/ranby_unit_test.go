package docs

import (
	"path/filepath"
	"testing"
)

// TestRanElsewhereExists checks, without an API server, that every test
// ranElsewhere names is there, and that a missing one would be noticed.
func TestRanElsewhereExists(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for cmd, by := range ranElsewhere {
		if !by.exists(root) {
			t.Errorf("%q: %s has no %s", cmd, by.pkg, by.test)
		}
	}
	for _, missing := range []ranBy{
		{pkg: "internal/plugin", test: "TestNoSuchTest"},
		{pkg: "internal/plugin", test: "TestPlugin/no-such-subtest"},
		{pkg: "no/such/package", test: "TestPlugin"},
	} {
		if missing.exists(root) {
			t.Errorf("%s %s is found, but it is not there", missing.pkg, missing.test)
		}
	}
}
