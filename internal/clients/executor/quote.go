package executor

import "strings"

// ShellQuote returns s as one POSIX shell word. Words made only of
// characters the shell never interprets are returned as they are, so that
// commands in logs and errors stay readable. Anything else is wrapped in
// single quotes, inside which the shell interprets nothing; a single quote
// in s becomes
//
//	'\''
//
// which closes the quotes, adds an escaped quote and reopens them.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if isShellSafe(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellCommand returns args as a command line, each argument quoted.
func ShellCommand(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = ShellQuote(a)
	}
	return strings.Join(quoted, " ")
}

// isShellSafe reports whether s needs no quoting. '=' is left out on purpose:
// an unquoted first word such as A=b is a variable assignment, not a command.
func isShellSafe(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("@%+:,./_-", r):
		default:
			return false
		}
	}
	return true
}
