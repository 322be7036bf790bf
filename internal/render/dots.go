package render

import (
	"strings"

	"github.com/tcplab/tcplab/internal/braille"
)

// dots is the slanted picture's canvas: braille dots, or in ASCII one
// character per cell chosen by the slope of the line that crossed it
// (the glyph a line is drawn with), with marks (the cross of a lost
// segment) that replace a cell's drawing.
type dots struct {
	*braille.Canvas
	marks map[int]string
}

func newDots(cols, rows int, ascii bool) *dots {
	return &dots{Canvas: braille.New(cols, rows, ascii), marks: map[int]string{}}
}

// line draws from dot (x0, y0) to dot (x1, y1), dots counted as in
// braille (2 × 4 a cell) whatever the canvas. In ASCII a line falling at
// least a row per two columns is a slash, a shallower one a run of dashes
// stepping down.
func (d *dots) line(x0, y0, x1, y1 int, color string) {
	ch := byte('-')
	if 2*slantAbs(y1-y0) >= slantAbs(x1-x0) {
		ch = '/'
		if x1 > x0 {
			ch = '\\'
		}
	}
	fx, fy := 2/d.SX, 4/d.SY // braille dots per canvas point
	d.Line(x0/fx, y0/fy, x1/fx, y1/fy, color, ch)
}

// mark puts glyph in cell (cx, cy) instead of its dots.
func (d *dots) mark(cx, cy int, glyph, color string) {
	if cx < 0 || cy < 0 || cx >= d.W || cy >= d.H {
		return
	}
	i := cy*d.W + cx
	d.marks[i] = glyph
	d.Cells[i].Colour = color
}

// render returns row r as text, coloured when l says so.
func (d *dots) render(r int, l *ladder) string {
	var b strings.Builder
	for c := range d.W {
		i := r*d.W + c
		cell := d.Char(c, r)
		if m := d.marks[i]; m != "" {
			cell = m
		}
		if cell != " " && d.Cells[i].Colour != "" {
			cell = l.style(d.Cells[i].Colour, cell)
		}
		b.WriteString(cell)
	}
	return b.String()
}

func slantAbs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
