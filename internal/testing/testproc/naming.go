package testproc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Naming returns "PID: command line" of every process on this host whose
// command line holds s, such as a test's own directory: what a test
// asserts none of is left once it has removed what started them. A
// process that ends during the walk is skipped.
func Naming(s string) []string {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []string
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil {
			continue
		}
		if line := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " ")); strings.Contains(line, s) {
			out = append(out, strconv.Itoa(pid)+": "+line)
		}
	}
	return out
}
