// Package braille draws points and lines on a grid of characters: each a
// Unicode braille pattern of 2 × 4 dots (U+2800 to U+28FF), or, for
// terminals outside UTF-8, one ASCII glyph per character. The stream
// graphs' terminal plots and the ladder's slanted picture draw on it.
package braille

// Cell is one character of a Canvas.
type Cell struct {
	Dots   uint8  // braille dots lit; in ASCII 1 once a glyph is set
	Glyph  byte   // ASCII: the glyph of the last point set
	Colour string // the colour of the last point set (the caller's code)
}

// Canvas is a grid of W × H characters with a finer grid of points:
// SX × SY per character (2 × 4 in braille, 1 × 1 in ASCII). Points are
// numbered from the top left, y growing downwards.
type Canvas struct {
	W, H   int
	SX, SY int
	Cells  []Cell // row by row
}

// New returns a blank canvas of w × h characters.
func New(w, h int, ascii bool) *Canvas {
	c := &Canvas{W: w, H: h, SX: 2, SY: 4, Cells: make([]Cell, w*h)}
	if ascii {
		c.SX, c.SY = 1, 1
	}
	return c
}

// bit is the dot of column x (0, 1) and row y (0..3) of a braille
// pattern (Unicode's numbering: dots 1 2 3 7 down the left, 4 5 6 8 down
// the right).
var bit = [2][4]uint8{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

// Set lights point (x, y) in colour (and glyph g in ASCII). Points off
// the canvas are ignored.
func (c *Canvas) Set(x, y int, colour string, g byte) {
	if x < 0 || y < 0 || x >= c.W*c.SX || y >= c.H*c.SY {
		return
	}
	ce := &c.Cells[(y/c.SY)*c.W+x/c.SX]
	if c.SX == 1 {
		ce.Dots, ce.Glyph = 1, g
	} else {
		ce.Dots |= bit[x%2][y%c.SY]
	}
	ce.Colour = colour
}

// Line lights the points from (x0, y0) to (x1, y1), Bresenham's way. Ends
// far off the canvas are brought to just beyond its edge first, which
// keeps vertical and horizontal lines exact and bounds the work.
func (c *Canvas) Line(x0, y0, x1, y1 int, colour string, g byte) {
	w, h := c.W*c.SX, c.H*c.SY
	x0, x1 = min(max(x0, -1), w), min(max(x1, -1), w)
	y0, y1 = min(max(y0, -1), h), min(max(y1, -1), h)
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for n := 0; n < 1<<20; n++ {
		c.Set(x0, y0, colour, g)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

// Char returns the character of cell (col, row): a space when no point
// is lit, else its braille pattern or its ASCII glyph.
func (c *Canvas) Char(col, row int) string {
	ce := &c.Cells[row*c.W+col]
	switch {
	case ce.Dots == 0:
		return " "
	case c.SX == 1:
		return string(ce.Glyph)
	}
	return string(rune(0x2800 + int(ce.Dots)))
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
