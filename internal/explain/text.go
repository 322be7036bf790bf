package explain

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteText writes the walk-through as plain text wrapped to width columns
// (80 when width is 20 or less), counting East Asian wide characters as two
// columns.
func (w *Walkthrough) WriteText(out io.Writer, width int) error {
	if width <= 20 {
		width = 80
	}
	bw := bufio.NewWriter(out)
	bw.WriteString(w.Title + "\n")
	bw.WriteString(strings.Repeat("=", min(Width(w.Title), width)) + "\n")
	for _, sec := range w.Sections {
		bw.WriteString("\n" + sec.Heading + "\n")
		bw.WriteString(strings.Repeat("-", min(Width(sec.Heading), width)) + "\n")
		for i, p := range sec.Paras {
			if sec.Table != nil && p.TableBefore {
				writeTable(bw, sec.Table, width)
			}
			indent := "  "
			if p.Sub {
				indent = "    "
			}
			if i > 0 && !p.Sub {
				bw.WriteString("\n")
			}
			for _, line := range Wrap(p.Prefix+p.Text, width-len(indent)) {
				bw.WriteString(strings.TrimRight(indent+line, " ") + "\n")
			}
		}
	}
	return bw.Flush()
}

// writeTable writes a table with columns padded to their widest cell.
func writeTable(bw *bufio.Writer, t *Table, width int) {
	widths := make([]int, len(t.Header))
	for i, h := range t.Header {
		widths[i] = Width(h)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], Width(c))
			}
		}
	}
	// Two spaces between columns, one when that would not fit.
	gap := "  "
	total := 4 + 2*(len(widths)-1)
	for _, w := range widths {
		total += w
	}
	if total > width {
		gap = " "
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("\n    ")
		for i, c := range cells {
			if i >= len(widths) {
				break
			}
			if i > 0 {
				b.WriteString(gap)
			}
			pad := strings.Repeat(" ", widths[i]-Width(c))
			if i >= 3 { // numbers align right
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		bw.WriteString(strings.TrimRight(b.String(), " ")[1:] + "\n")
	}
	bw.WriteString("\n")
	line(t.Header)
	for _, r := range t.Rows {
		line(r)
	}
}

// Width returns the number of terminal columns s takes: two for East Asian
// wide and fullwidth characters, one for the others.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += RuneWidth(r)
	}
	return n
}

// RuneWidth returns the terminal columns of r (East Asian Width W or F: 2).
func RuneWidth(r rune) int {
	switch {
	case r < 0x1100:
		return 1
	case r <= 0x115f, r >= 0x2e80 && r <= 0x303e, r >= 0x3041 && r <= 0x33ff,
		r >= 0x3400 && r <= 0x4dbf, r >= 0x4e00 && r <= 0x9fff, r >= 0xa000 && r <= 0xa4cf,
		r >= 0xac00 && r <= 0xd7a3, r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f,
		r >= 0xff00 && r <= 0xff60, r >= 0xffe0 && r <= 0xffe6, r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}

// noBreakBefore holds punctuation that must not start a line, noBreakAfter
// punctuation that must not end one (the usual CJK line-breaking rules).
const (
	noBreakBefore = "，。、：；！？）」』》〉"
	noBreakAfter  = "（「『《〈"
)

// Wrap breaks text into lines of at most width columns, at spaces and
// between wide characters. A single word wider than width gets a line of
// its own.
func Wrap(text string, width int) []string {
	if !utf8.ValidString(text) {
		text = string([]rune(text)) // each invalid byte becomes U+FFFD
	}
	// A unit is text[start:end]: a word, or a wide character with the
	// punctuation glued to it.
	type unit struct {
		start, end int
		space      bool // a space precedes it
	}
	var units []unit
	space := false
	cur := -1 // the start of the unit being read, or -1
	flush := func(end int) {
		if cur >= 0 {
			units = append(units, unit{cur, end, space})
			space = false
			cur = -1
		}
	}
	glue := false     // the next rune joins the current unit
	lastWide := false // the last rune of the current unit is wide
	for i, r := range text {
		switch {
		case r == ' ' || r == '\n':
			flush(i)
			space = true
			glue = false
			continue
		case r >= utf8.RuneSelf && strings.ContainsRune(noBreakBefore, r):
			if cur < 0 && len(units) > 0 && !space {
				// The last unit ended at i: r joins it.
				units[len(units)-1].end = i + utf8.RuneLen(r)
				continue
			}
			if cur < 0 {
				cur = i
			}
			lastWide = RuneWidth(r) == 2
			continue
		case RuneWidth(r) == 2:
			if !glue {
				flush(i)
			}
			if cur < 0 {
				cur = i
			}
			lastWide = true
			glue = strings.ContainsRune(noBreakAfter, r)
			if !glue {
				flush(i + utf8.RuneLen(r))
			}
			continue
		}
		if cur >= 0 && lastWide && !glue {
			flush(i)
		}
		glue = false
		if cur < 0 {
			cur = i
		}
		lastWide = false
	}
	flush(len(text))
	var lines []string
	var line strings.Builder
	lw := 0
	for _, u := range units {
		ut := text[u.start:u.end]
		uw := Width(ut)
		sep := 0
		if u.space && lw > 0 {
			sep = 1
		}
		if lw > 0 && lw+sep+uw > width {
			lines = append(lines, line.String())
			line.Reset()
			lw, sep = 0, 0
		}
		if sep == 1 {
			line.WriteByte(' ')
		}
		line.WriteString(ut)
		lw += sep + uw
	}
	if lw > 0 || len(lines) == 0 {
		lines = append(lines, line.String())
	}
	return lines
}
