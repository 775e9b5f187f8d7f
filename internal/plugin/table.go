package plugin

import (
	"io"
	"strings"
	"unicode/utf8"
)

// A cell is a table's value with what it means.
type cell struct {
	text  string
	style style
}

func cells(texts ...string) []cell {
	out := make([]cell, len(texts))
	for i, t := range texts {
		out[i] = cell{text: t}
	}
	return out
}

// A table is rows under a header, printed as kubectl prints them: columns
// three spaces apart, the last one not padded. Widths are measured on the
// text alone, so that colour codes do not shift the columns (which is why
// this is not a text/tabwriter).
type table struct {
	header []string
	rows   [][]cell
}

func (t *table) add(row ...cell) { t.rows = append(t.rows, row) }

const columnGap = "   "

func (t table) render(w io.Writer, p painter) error {
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
			}
		}
	}
	var b strings.Builder
	line := func(row []cell) {
		var l strings.Builder
		for i, c := range row {
			if i > 0 {
				l.WriteString(columnGap)
			}
			l.WriteString(p.paint(c.style, c.text))
			if i < len(row)-1 {
				l.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)))
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteString("\n")
	}
	header := make([]cell, len(t.header))
	for i, h := range t.header {
		header[i] = cell{text: h}
	}
	line(header)
	for _, r := range t.rows {
		line(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
