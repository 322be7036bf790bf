package braille

import (
	"strings"
	"testing"
)

func render(c *Canvas) string {
	var b strings.Builder
	for r := range c.H {
		for col := range c.W {
			b.WriteString(c.Char(col, r))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestLine: a line steps one axis at a time (a diagonal is a staircase),
// from the top left down; a horizontal line at the top fills the top dots; ASCII puts
// the glyph once per character; points and ends off the canvas are
// clipped.
func TestLine(t *testing.T) {
	c := New(2, 1, false)
	c.Line(0, 0, 3, 3, "", 0)
	if got := render(c); got != "⠙⢦\n" {
		t.Errorf("diagonal: %q", got)
	}
	c = New(2, 1, false)
	c.Line(-50, 0, 50, 0, "", 0) // clipped both ways
	if got := render(c); got != "⠉⠉\n" {
		t.Errorf("top line: %q", got)
	}
	c = New(3, 2, true)
	c.Line(0, 0, 2, 1, "red", '*')
	if got := render(c); got != "***\n  *\n" {
		t.Errorf("ascii: %q", got)
	}
	if c.Cells[0].Colour != "red" {
		t.Errorf("colour %q", c.Cells[0].Colour)
	}
	c.Set(99, 99, "", '#') // off the canvas: ignored
	c.Set(-1, 0, "", '#')
}
