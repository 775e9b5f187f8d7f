package sqlserver

import "strings"

// shellQuote returns s as one single-quoted POSIX shell word. Inside single
// quotes the shell interprets nothing, not $(...), backquotes, backslashes or
// line breaks, so the only character to handle is the single quote itself:
// it ends the quoted run, is added escaped, and a new run begins.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
