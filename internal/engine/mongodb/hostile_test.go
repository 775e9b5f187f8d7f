package mongodb

// hostile are values that would do harm if a shell, YAML or a command
// document took them for syntax.
var hostile = map[string]string{
	"Empty":        "",
	"Plain":        "rs0",
	"Space":        "a b",
	"SingleQuote":  "it's",
	"OnlyQuotes":   "''",
	"Substitution": "$(touch /tmp/pwned)",
	"Backquote":    "`id`",
	"Variable":     "$HOME ${PATH}",
	"Newline":      "a\nrm -rf /",
	"Semicolon":    "x'; rm -rf / #",
	"Backslash":    `a\'b\`,
	"Glob":         "*?[a]",
}
