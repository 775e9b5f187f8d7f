package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// A block is one fenced block of a guide, with the HTML comment that stands
// on the line before it, if any: "not run: why" or "fragment of PATH".
type block struct {
	file   string
	line   int // of the opening fence
	lang   string
	text   string
	marker string
}

func (b block) String() string {
	return fmt.Sprintf("%s:%d", b.file, b.line)
}

var markerRE = regexp.MustCompile(`^<!--\s*(.*?)\s*-->$`)

// readBlocks returns the fenced blocks of a Markdown file in order.
func readBlocks(file string) ([]block, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return parseBlocks(file, b), nil
}

func parseBlocks(file string, md []byte) []block {
	var (
		out     []block
		cur     *block
		body    []string
		last    string // the last non-empty line outside a block
		lineNum int
	)
	s := bufio.NewScanner(bytes.NewReader(md))
	s.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for s.Scan() {
		lineNum++
		l := s.Text()
		switch {
		case cur == nil && strings.HasPrefix(l, "```"):
			cur = &block{file: file, line: lineNum, lang: strings.TrimSpace(strings.TrimPrefix(l, "```"))}
			if m := markerRE.FindStringSubmatch(strings.TrimSpace(last)); m != nil {
				cur.marker = m[1]
			}
			body = nil
		case cur != nil && strings.TrimSpace(l) == "```":
			cur.text = strings.Join(body, "\n") + "\n"
			out = append(out, *cur)
			cur = nil
			last = ""
		case cur != nil:
			body = append(body, l)
		case strings.TrimSpace(l) != "":
			last = l
		}
	}
	return out
}

// isConsole is a block that shows commands after "$ " and what they print.
func (b block) isConsole() bool {
	return b.lang == "console" || (b.lang == "" && strings.HasPrefix(b.text, "$ "))
}

// commands returns the commands of a shell or console block: for a shell
// block every line that is not a comment, without its trailing comment and
// with continued lines joined; for a console block the lines after "$ ".
func (b block) commands() []string {
	var out []string
	pending := ""
	for _, l := range strings.Split(strings.TrimRight(b.text, "\n"), "\n") {
		if b.isConsole() {
			if c, ok := strings.CutPrefix(l, "$ "); ok {
				out = append(out, strings.TrimSpace(c))
			}
			continue
		}
		l = strings.TrimSpace(l)
		if i := strings.Index(l, " #"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if c, ok := strings.CutSuffix(l, `\`); ok {
			pending += strings.TrimSpace(c) + " "
			continue
		}
		out = append(out, pending+l)
		pending = ""
	}
	return out
}
