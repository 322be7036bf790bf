package textwrap

import (
	"strings"
	"unicode/utf8"
)

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
