// Package textwrap lays text out in terminal columns: Width counts the
// columns a string takes (two for East Asian wide and fullwidth
// characters, Unicode UAX #11), and Wrap breaks text into lines of a
// given width at spaces and between wide characters, keeping CJK
// punctuation off the wrong end of a line (the usual kinsoku rules), so
// that English and Traditional Chinese wrap alike.
package textwrap
