package mongodb

import (
	"fmt"
	"io/fs"
)

// A Step is one idempotent change to a VM, as plain data so that it maps onto
// whichever executor runs it.
//
// Running a step means: the step is done when every File already holds its
// Content and Check exits 0. Otherwise each File is written with its Mode and
// then Apply runs. Every value in Check and Apply is shell-quoted; secrets
// never appear in them, only in Files (mode 0600 or stricter) or Stdin.
type Step struct {
	// Name says what the step does. It never holds a secret, so it can be
	// logged and shown in a condition.
	Name string
	// Check is a shell command that exits 0 when the change is already made.
	Check string
	// Apply is a shell command that makes the change.
	Apply string
	// Files are written before Apply runs.
	Files []File
}

// A File is written to a VM as is.
type File struct {
	Path    string
	Content string
	Mode    fs.FileMode
}

// String leaves the content out, because a File may hold a secret such as
// the replica set's keyfile. fmt uses it for %v and %+v, also within a Step.
func (f File) String() string {
	return fmt.Sprintf("%s (%#o, %d bytes)", f.Path, uint32(f.Mode.Perm()), len(f.Content))
}

// GoString is String for %#v, which would otherwise print the content.
func (f File) GoString() string { return f.String() }
