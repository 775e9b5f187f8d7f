package sqlserver

import (
	"fmt"
	"io/fs"
)

// A Step is one idempotent change to a VM, as plain data so that it maps onto
// whichever executor runs it.
//
// Running a step means: the step is done when every File already holds its
// Content and Check exits 0. Otherwise each File is written with its Mode and
// then Apply runs, with Stdin on its standard input. Every value in Check and
// Apply is shell-quoted; secrets never appear in them, only in Stdin.
type Step struct {
	// Name says what the step does. It never holds a secret.
	Name string
	// Check is a shell command that exits 0 when the change is already made.
	Check string
	// Apply is a shell command that makes the change.
	Apply string
	// Stdin is fed to Apply. It may hold a secret, such as the SA password,
	// which a command line would show to every process on the VM.
	Stdin Secret
	// Files are written before Apply runs.
	Files []File
}

// A File is written to a VM as is.
type File struct {
	Path    string
	Content string
	Mode    fs.FileMode
}

// Secret is a string that fmt does not print, so that a step can be logged
// as a whole without its secret.
type Secret string

// String hides the value from %v and %s.
func (Secret) String() string { return "(redacted)" }

// GoString hides the value from %#v.
func (Secret) GoString() string { return `"(redacted)"` }

// Format hides the value from every other verb, such as %q or %x.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }
