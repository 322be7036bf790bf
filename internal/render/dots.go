package render

import "strings"

// dots is a canvas of character cells for the slanted picture: braille
// patterns of 2 × 4 dots each, or in ASCII one character per cell chosen
// by the slope of the line that crossed it. A cell keeps the colour of
// the last line drawn through it; a mark replaces a cell's drawing.
type dots struct {
	cols, rows int
	ascii      bool
	bits       []uint8  // braille dot bits per cell
	char       []byte   // ASCII: the cell's character, 0 for none
	color      []string // SGR of each cell
	marks      map[int]string
}

func newDots(cols, rows int, ascii bool) *dots {
	return &dots{cols: cols, rows: rows, ascii: ascii, bits: make([]uint8, cols*rows),
		char: make([]byte, cols*rows), color: make([]string, cols*rows), marks: map[int]string{}}
}

// brailleBit is the bit of dot (x%2, y%4) in a braille pattern (U+2800
// plus the bits).
var brailleBit = [4][2]uint8{{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}}

// line draws from dot (x0, y0) to dot (x1, y1), Bresenham's way.
func (d *dots) line(x0, y0, x1, y1 int, color string) {
	// ASCII: a line falling at least a row per two columns is a slash,
	// a shallower one a run of dashes stepping down.
	ch := byte('-')
	if 2*slantAbs(y1-y0) >= slantAbs(x1-x0) {
		ch = '/'
		if x1 > x0 {
			ch = '\\'
		}
	}
	dx, dy := slantAbs(x1-x0), -slantAbs(y1-y0)
	sx, sy := slantSign(x1-x0), slantSign(y1-y0)
	err := dx + dy
	for {
		d.set(x0, y0, ch, color)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * err; e2 >= dy {
			err += dy
			x0 += sx
		} else {
			err += dx
			y0 += sy
		}
	}
}

func (d *dots) set(x, y int, ch byte, color string) {
	cx, cy := x/2, y/4
	if x < 0 || y < 0 || cx >= d.cols || cy >= d.rows {
		return
	}
	i := cy*d.cols + cx
	d.bits[i] |= brailleBit[y%4][x%2]
	d.char[i] = ch
	d.color[i] = color
}

// mark puts glyph in cell (cx, cy) instead of its dots.
func (d *dots) mark(cx, cy int, glyph, color string) {
	if cx < 0 || cy < 0 || cx >= d.cols || cy >= d.rows {
		return
	}
	i := cy*d.cols + cx
	d.marks[i] = glyph
	d.color[i] = color
}

// render returns row r as text, coloured when l says so.
func (d *dots) render(r int, l *ladder) string {
	var b strings.Builder
	for c := range d.cols {
		i := r*d.cols + c
		cell := " "
		switch {
		case d.marks[i] != "":
			cell = d.marks[i]
		case d.ascii && d.char[i] != 0:
			cell = string(d.char[i])
		case !d.ascii && d.bits[i] != 0:
			cell = string(rune(0x2800 + int(d.bits[i])))
		}
		if cell != " " && d.color[i] != "" {
			cell = l.style(d.color[i], cell)
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

func slantSign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
