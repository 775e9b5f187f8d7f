package plugin

import (
	"io"
	"os"

	"golang.org/x/term"
)

// A style is what a piece of output means, which a terminal shows in
// colour.
type style int

// Styles.
const (
	plain style = iota
	good
	bad
	warn
	faint
	bold
)

var ansi = map[style]string{
	good:  "\x1b[32m",
	bad:   "\x1b[31m",
	warn:  "\x1b[33m",
	faint: "\x1b[2m",
	bold:  "\x1b[1m",
}

// A painter colours text when its output is a terminal.
type painter struct{ on bool }

func (p painter) paint(s style, text string) string {
	code, ok := ansi[s]
	if !p.on || !ok || text == "" {
		return text
	}
	return code + text + "\x1b[0m"
}

// colourFor says whether output to w should be coloured: only a terminal,
// and not when NO_COLOR is set (https://no-color.org).
func colourFor(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// conditionStyle is how a condition's status reads: True good, False bad,
// anything else (Unknown, missing) a warning.
func conditionStyle(status string) style {
	switch status {
	case "True":
		return good
	case "False":
		return bad
	}
	return warn
}
