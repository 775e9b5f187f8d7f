package postgresql

import (
	"os"
	"strings"
)

// defaultPath is the engine's PATH when the provider has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// engineEnv is the whole environment of the engine's processes: the
// provider's PATH, locale and time zone, C messages, and nothing else. The
// provider's environment can hold cloud credentials (AWS_*, AZURE_*,
// GOOGLE_APPLICATION_CREDENTIALS, VSPHERE_*...), and a postmaster keeps
// what it inherits for its lifetime and passes it to every backend, so the
// environment is built rather than inherited. Variables a call needs, such
// as PGPASSFILE, are added by that call.
func engineEnv() []string {
	return buildEnv(os.Environ())
}

// buildEnv keeps from parent only what the engine needs.
func buildEnv(parent []string) []string {
	path := defaultPath
	var out []string
	for _, kv := range parent {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch {
		case name == "PATH" && value != "":
			path = value
		case name == "LANG", name == "TZ", strings.HasPrefix(name, "LC_") && name != "LC_ALL":
			out = append(out, kv)
		}
	}
	// LC_ALL=C keeps the engine's messages, which the provider reports
	// and sometimes reads, in English.
	return append([]string{"PATH=" + path}, append(out, "LC_ALL=C")...)
}
