package graphplot

import (
	"bufio"
	"html"
	"io"
	"slices"
	"strconv"

	"github.com/tcplab/tcplab/internal/streamgraph"
)

// SVGOptions adjust WriteSVG.
type SVGOptions struct {
	// Width and Height are the drawing's size in pixels (its viewBox);
	// zero means 400 × 260, which reads well at 400 px wide.
	Width, Height int
	// MaxPoints bounds each series after reduction; zero means four
	// points per pixel of the plot's width.
	MaxPoints int
	// ID prefixes the drawing's one id (its clip path), so that several
	// drawings can share an HTML page; "" means "g".
	ID     string
	Labels Labels
	// Bands are stretches of time shaded behind the series (the phases
	// of congestion control, say), in the order given.
	Bands []Band
	// Interactive prepares the drawing for a script (the HTML report's):
	// see WriteSVG.
	Interactive bool
}

// Band is a stretch of time shaded behind a plot's series.
type Band struct {
	// From and To are times in nanoseconds since the capture's first
	// frame, as Point.T.
	From, To int64
	// Class is the band's CSS class: the bands of one class are drawn
	// as one path, with the first one's Label (the tooltip) and Fill
	// (the colour).
	Label, Class, Fill string
}

// SVG layout, in pixels.
const (
	svgFont       = 11 // labels and legend
	svgTickFont   = 10
	svgTitleH     = 20
	svgLegendRow  = 14
	svgTickLen    = 4
	svgCharWidth  = 6 // an estimate of a legend character's width
	svgAxisLabelW = 14
)

// WriteSVG writes g as a standalone SVG drawing: a title, the time axis
// (seconds since the stream's first segment), the value axes with round
// ticks and SI prefixes, each series as Wireshark draws it (dots, steps,
// bars, ticks, crosses), retransmissions in red on top, and a legend. It
// refers to nothing outside itself. The root element carries the plot's
// geometry for a script: data-plot (left, top, width, height in pixels),
// data-x and data-y (the ranges shown: seconds, and the left axis in the
// unit of data-unit), and for each series a path with data-series.
//
// With Interactive, the grid and the tick labels are groups of class
// "grid" and "ticks" (a script redraws them for a zoomed view), the bands
// and series are in a group of class "data" (a script transforms it) and
// their strokes do not scale; the root also carries data-origin (the
// graph's Origin) and, with a right axis, data-y2 and data-unit2; each
// series path carries its points for a script to find: data-label (the
// legend's name), data-axis (0 or 1), data-f (frames), data-t (times in
// microseconds since data-origin), data-v (values, in the series' unit:
// bytes, bits per second or nanoseconds) and for bars data-v2, all
// space-separated, one per point.
func WriteSVG(w io.Writer, g streamgraph.Graph, o SVGOptions) error {
	d := newSVGDoc(w, g, o)
	d.root()
	d.grid()
	d.tickLabels()
	d.axisLabels()
	if err := d.flush(); err != nil {
		return err
	}
	if err := d.series(); err != nil {
		return err
	}
	d.legend()
	if err := d.flush(); err != nil {
		return err
	}
	return d.bw.Flush()
}

// legendItem is one entry of an SVG's legend.
type legendItem struct {
	label string
	c     colour
	style streamgraph.Style
}

// svgDoc is one SVG drawing being written: the graph (reduced for
// drawing), its geometry and the bytes not yet flushed.
type svgDoc struct {
	g     streamgraph.Graph
	o     SVGOptions
	lb    *Labels
	f     frame
	items []legendItem
	// W, H: the drawing; left, right, top: its margins; pw, ph: the plot.
	W, H, left, right, top, pw, ph int

	bw *bufio.Writer
	b  []byte
}

// newSVGDoc lays out g: the legend's rows, the margins, the plot, and
// reduces the series to what the plot's width can show.
func newSVGDoc(w io.Writer, g streamgraph.Graph, o SVGOptions) *svgDoc {
	d := &svgDoc{o: o, lb: &o.Labels, W: o.Width, H: o.Height, bw: bufio.NewWriterSize(w, 64<<10)}
	if d.W <= 0 || d.H <= 0 {
		d.W, d.H = 400, 260
	}
	if d.o.ID == "" {
		d.o.ID = "g"
	}
	d.f = measure(g, func(*streamgraph.Series) bool { return true })
	anyMarked := false
	for i := range g.Series {
		s := &g.Series[i]
		if len(s.Points) == 0 {
			continue
		}
		d.items = append(d.items, legendItem{d.lb.series(s.Name), colourOf(s.Name), s.Style})
		anyMarked = anyMarked || marked(s)
	}
	if anyMarked {
		d.items = append(d.items, legendItem{d.lb.retrans(), retransColour, streamgraph.Dots})
	}
	d.left, d.right = 48+svgAxisLabelW, 12
	if d.f.has[streamgraph.Right] {
		d.right = 48 + svgAxisLabelW
	}
	rows := 1
	d.eachLegendItem(func(legendItem, int, int) {}, func() { rows++ })
	d.top = svgTitleH + 6
	bottom := 14 + 14 + rows*svgLegendRow + 4
	d.pw, d.ph = max(d.W-d.left-d.right, 20), max(d.H-d.top-bottom, 20)
	limit := o.MaxPoints
	if limit <= 0 {
		limit = 4 * d.pw
	}
	d.g = streamgraph.Reduce(g, limit)
	return d
}

// eachLegendItem walks the legend's items with the position of each
// (x, and the row from 0), calling wrap when a row is full.
func (d *svgDoc) eachLegendItem(fn func(it legendItem, x, row int), wrap func()) {
	x, row := d.left, 0
	for _, it := range d.items {
		wd := 16 + len([]rune(it.label))*svgCharWidth + 10
		if x+wd > d.W-d.right && x > d.left {
			x = d.left
			row++
			wrap()
		}
		fn(it, x, row)
		x += wd
	}
}

// px and py place a time (ns since the capture's start) and a value of
// axis a on the drawing.
func (d *svgDoc) px(t int64) float64 {
	f := &d.f
	return float64(d.left) + (float64(t-d.g.Origin)*1e-9-f.x.lo)/(f.x.hi-f.x.lo)*float64(d.pw)
}

func (d *svgDoc) py(a streamgraph.Axis, v int64) float64 {
	f := &d.f
	y := float64(v) * f.scale[a]
	return float64(d.top+d.ph) - (y-f.y[a].lo)/(f.y[a].hi-f.y[a].lo)*float64(d.ph)
}

// tickX and tickY place a tick value (seconds; a value of axis a).
func (d *svgDoc) tickX(v float64) float64 {
	return float64(d.left) + (v-d.f.x.lo)/(d.f.x.hi-d.f.x.lo)*float64(d.pw)
}

func (d *svgDoc) tickY(a int, v float64) float64 {
	return float64(d.top+d.ph) - (v-d.f.y[a].lo)/(d.f.y[a].hi-d.f.y[a].lo)*float64(d.ph)
}

func (d *svgDoc) str(s string)    { d.b = append(d.b, s...) }
func (d *svgDoc) esc(s string)    { d.b = append(d.b, html.EscapeString(s)...) }
func (d *svgDoc) num(v float64)   { d.b = appendCoord(d.b, v) }
func (d *svgDoc) int(v int)       { d.b = strconv.AppendInt(d.b, int64(v), 10) }
func (d *svgDoc) float(v float64) { d.b = strconv.AppendFloat(d.b, v, 'g', -1, 64) }
func (d *svgDoc) ints(vs ...int) {
	for i, v := range vs {
		if i > 0 {
			d.str(" ")
		}
		d.int(v)
	}
}

// flush writes the bytes so far.
func (d *svgDoc) flush() error {
	_, err := d.bw.Write(d.b)
	d.b = d.b[:0]
	return err
}

// root writes the svg element with its data attributes, the title and
// the background.
func (d *svgDoc) root() {
	f := &d.f
	d.str(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `)
	d.ints(d.W, d.H)
	d.str(`" width="`)
	d.int(d.W)
	d.str(`" height="`)
	d.int(d.H)
	d.str(`" font-family="sans-serif" font-size="`)
	d.int(svgFont)
	d.str(`" data-graph="`)
	d.str(d.g.Kind.String())
	d.str(`" data-plot="`)
	d.ints(d.left, d.top, d.pw, d.ph)
	d.str(`" data-x="`)
	d.float(f.x.lo)
	d.str(" ")
	d.float(f.x.hi)
	d.str(`" data-y="`)
	d.float(f.y[0].lo)
	d.str(" ")
	d.float(f.y[0].hi)
	d.str(`" data-unit="`)
	d.str(unitSymbol(f.unit[0]))
	if d.o.Interactive {
		d.str(`" data-origin="`)
		d.b = strconv.AppendInt(d.b, d.g.Origin, 10)
		if f.has[streamgraph.Right] {
			d.str(`" data-y2="`)
			d.float(f.y[1].lo)
			d.str(" ")
			d.float(f.y[1].hi)
			d.str(`" data-unit2="`)
			d.str(unitSymbol(f.unit[1]))
		}
	}
	d.str("\">\n<title>")
	d.esc(d.lb.title(d.g))
	d.str("</title>\n")
	d.str(`<rect width="100%" height="100%" fill="#fff"/>` + "\n")
	d.str(`<text x="`)
	d.int(d.W / 2)
	d.str(`" y="14" text-anchor="middle" font-size="12" font-weight="bold">`)
	d.esc(d.lb.title(d.g))
	d.str("</text>\n")
}

// yTicks returns the tick values of each value axis (none for an absent
// right axis).
func (d *svgDoc) yTicks() [2][]float64 {
	yt := [2][]float64{ticks(d.f.y[0].lo, d.f.y[0].hi, max(2, d.ph/40)), nil}
	if d.f.has[streamgraph.Right] {
		yt[1] = ticks(d.f.y[1].lo, d.f.y[1].hi, max(2, d.ph/40))
	}
	return yt
}

func (d *svgDoc) xTicks() []float64 { return ticks(d.f.x.lo, d.f.x.hi, max(2, d.pw/60)) }

// grid writes the grid lines at the ticks and the plot's frame.
func (d *svgDoc) grid() {
	d.str(`<g class="grid" stroke="#e8e8e8" stroke-width="1">`)
	for _, v := range d.xTicks() {
		d.str(`<path d="M`)
		d.num(d.tickX(v))
		d.str(" ")
		d.int(d.top)
		d.str("v")
		d.int(d.ph)
		d.str(`"/>`)
	}
	for _, v := range d.yTicks()[0] {
		d.str(`<path d="M`)
		d.int(d.left)
		d.str(" ")
		d.num(d.tickY(0, v))
		d.str("h")
		d.int(d.pw)
		d.str(`"/>`)
	}
	d.str("</g>\n")
	d.str(`<g stroke="#555" fill="none"><rect x="`)
	d.rectAttrs()
	d.str(`"/></g>` + "\n")
}

// rectAttrs writes the plot's x, y, width and height attributes' values
// (after an opening x=").
func (d *svgDoc) rectAttrs() {
	d.int(d.left)
	d.str(`" y="`)
	d.int(d.top)
	d.str(`" width="`)
	d.int(d.pw)
	d.str(`" height="`)
	d.int(d.ph)
}

// tickLabels writes the time axis's and the value axes' tick labels.
func (d *svgDoc) tickLabels() {
	d.str(`<g class="ticks" font-size="`)
	d.int(svgTickFont)
	d.str(`" fill="#333">`)
	for _, v := range d.xTicks() {
		x := d.tickX(v)
		label := formatSI(v, "s")
		anchor := "middle"
		if x+float64(len(label)*svgCharWidth/2) > float64(d.W) {
			anchor, x = "end", float64(d.W-2)
		}
		d.text(x, float64(d.top+d.ph+svgTickLen+9), anchor, label)
	}
	yt := d.yTicks()
	for a := range 2 {
		anchor, tx := "end", d.left-svgTickLen
		if a == 1 {
			anchor, tx = "start", d.left+d.pw+svgTickLen
		}
		for _, v := range yt[a] {
			d.text(float64(tx), d.tickY(a, v)+3.5, anchor, formatSI(v, unitSymbol(d.f.unit[a])))
		}
	}
	d.str("</g>\n")
}

// text writes a text element at (x, y) with its anchor.
func (d *svgDoc) text(x, y float64, anchor, s string) {
	d.str(`<text x="`)
	d.num(x)
	d.str(`" y="`)
	d.num(y)
	d.str(`" text-anchor="`)
	d.str(anchor)
	d.str(`">`)
	d.esc(s)
	d.str("</text>")
}

// axisLabels writes the time axis's label and the value axes' (turned).
func (d *svgDoc) axisLabels() {
	d.str(`<g fill="#333"><text x="`)
	d.int(d.left + d.pw/2)
	d.str(`" y="`)
	d.int(d.top + d.ph + 28)
	d.str(`" text-anchor="middle">`)
	d.esc(d.lb.axis(d.g.Kind, 0))
	d.str("</text>")
	for a := range 2 {
		if a == 1 && !d.f.has[streamgraph.Right] {
			continue
		}
		x := 11
		if a == 1 {
			x = d.W - 5
		}
		d.str(`<text transform="translate(`)
		d.ints(x, d.top+d.ph/2)
		d.str(`) rotate(-90)" text-anchor="middle">`)
		d.esc(d.lb.axis(d.g.Kind, a+1))
		d.str("</text>")
	}
	d.str("</g>\n")
}

// series writes the bands and the series, clipped to the plot, then the
// retransmission marks on top.
func (d *svgDoc) series() error {
	d.str(`<clipPath id="`)
	d.esc(d.o.ID)
	d.str(`-plot"><rect x="`)
	d.rectAttrs()
	d.str(`"/></clipPath>` + "\n")
	d.str(`<g clip-path="url(#`)
	d.esc(d.o.ID)
	d.str(`-plot)" fill="none">` + "\n")
	if d.o.Interactive {
		d.str(`<g class="data">` + "\n")
	}
	d.b = appendBands(d.b, d.o.Bands, d.px, d.top, d.ph, d.g.Origin)
	var withMarks []*streamgraph.Series
	for i := range d.g.Series {
		s := &d.g.Series[i]
		if len(s.Points) == 0 {
			continue
		}
		d.seriesPath(s)
		if err := d.flush(); err != nil {
			return err
		}
		if marked(s) {
			withMarks = append(withMarks, s)
		}
	}
	for _, s := range withMarks {
		d.marksPath(s)
		if err := d.flush(); err != nil {
			return err
		}
	}
	if d.o.Interactive {
		d.str("</g>\n")
	}
	d.str("</g>\n")
	return nil
}

// seriesPath writes the path of series s.
func (d *svgDoc) seriesPath(s *streamgraph.Series) {
	d.str(`<path data-series="`)
	d.str(string(s.Name))
	d.str(`" stroke="`)
	d.str(colourOf(s.Name).hex)
	d.str(`" `)
	d.str(strokeAttrs(s.Style))
	if d.o.Interactive {
		d.b = appendPointData(d.b, s, d.g.Origin, d.lb.series(s.Name))
	}
	d.str(` d="`)
	d.b = appendPath(d.b, s, s.Points, d.px, d.py, false)
	d.str(`"/>` + "\n")
}

// marksPath writes the retransmission marks of series s.
func (d *svgDoc) marksPath(s *streamgraph.Series) {
	d.str(`<path data-series="`)
	d.str(string(s.Name))
	d.str(`" data-mark="retransmission" stroke="`)
	d.str(retransColour.hex)
	d.str(`" stroke-width="2.5" stroke-linecap="round"`)
	if d.o.Interactive {
		d.str(` vector-effect="non-scaling-stroke"`)
	}
	d.str(` d="`)
	d.b = appendPath(d.b, s, s.Points, d.px, d.py, true)
	d.str(`"/>` + "\n")
}

// legend writes the legend under the plot, its rows wrapped.
func (d *svgDoc) legend() {
	d.str(`<g fill="#333">`)
	d.eachLegendItem(func(it legendItem, x, row int) {
		y := d.top + d.ph + 42 + row*svgLegendRow
		d.str(`<path stroke="`)
		d.str(it.c.hex)
		if it.style == streamgraph.Dots {
			d.str(`" stroke-width="4" stroke-linecap="round" d="M`)
		} else {
			d.str(`" stroke-width="2" d="M`)
		}
		d.ints(x, y-4)
		if it.style == streamgraph.Dots {
			d.str(`m5 0h2"/>`)
		} else {
			d.str(`h12"/>`)
		}
		d.str(`<text x="`)
		d.int(x + 16)
		d.str(`" y="`)
		d.int(y)
		d.str(`">`)
		d.esc(it.label)
		d.str("</text>")
	}, func() {})
	d.str("</g>\n</svg>\n")
}

// appendBands appends the bands behind the series: one path per class
// (in the order the classes first come), a rectangle per band across the
// plot's height (top, ph), with the label as its tooltip and, for a
// script, the bands' times (data-from, data-to: microseconds since
// origin, space-separated).
func appendBands(b []byte, bands []Band, px func(int64) float64, top, ph int, origin int64) []byte {
	var classes []string
	for _, bd := range bands {
		if !slices.Contains(classes, bd.Class) {
			classes = append(classes, bd.Class)
		}
	}
	for _, cl := range classes {
		var from, to []byte
		var d []byte
		var first *Band
		for i := range bands {
			bd := &bands[i]
			if bd.Class != cl || bd.To < bd.From {
				continue
			}
			if first == nil {
				first = bd
			} else {
				from, to = append(from, ' '), append(to, ' ')
			}
			from = strconv.AppendInt(from, (bd.From-origin)/1000, 10)
			to = strconv.AppendInt(to, (bd.To-origin)/1000, 10)
			x1, x2 := px(bd.From), px(bd.To)
			d = append(d, 'M')
			d = appendCoord(d, x1)
			d = append(d, ' ')
			d = strconv.AppendInt(d, int64(top), 10)
			d = append(d, 'h')
			d = appendCoord(d, max(x2-x1, 1))
			d = append(d, 'v')
			d = strconv.AppendInt(d, int64(ph), 10)
			d = append(d, 'h')
			d = appendCoord(d, -max(x2-x1, 1))
			d = append(d, 'z')
		}
		if first == nil {
			continue
		}
		b = append(b, `<path class="`...)
		b = append(b, html.EscapeString(cl)...)
		b = append(b, `" fill="`...)
		b = append(b, html.EscapeString(first.Fill)...)
		b = append(b, `" fill-opacity="0.16" stroke="none" data-label="`...)
		b = append(b, html.EscapeString(first.Label)...)
		b = append(b, `" data-from="`...)
		b = append(b, from...)
		b = append(b, `" data-to="`...)
		b = append(b, to...)
		b = append(b, `" d="`...)
		b = append(b, d...)
		b = append(b, `"><title>`...)
		b = append(b, html.EscapeString(first.Label)...)
		b = append(b, "</title></path>\n"...)
	}
	return b
}

// appendPointData appends the attributes that give a script the points
// of s (see WriteSVG), and the stroke that keeps its width when the
// drawing is scaled.
func appendPointData(b []byte, s *streamgraph.Series, origin int64, label string) []byte {
	b = append(b, ` vector-effect="non-scaling-stroke" data-label="`...)
	b = append(b, html.EscapeString(label)...)
	b = append(b, `" data-axis="`...)
	b = strconv.AppendInt(b, int64(s.Axis), 10)
	list := func(name string, f func(p *streamgraph.Point) int64) {
		b = append(b, ` data-`...)
		b = append(b, name...)
		b = append(b, `="`...)
		for i := range s.Points {
			if i > 0 {
				b = append(b, ' ')
			}
			b = strconv.AppendInt(b, f(&s.Points[i]), 10)
		}
		b = append(b, '"')
	}
	b = append(b, '"')
	list("f", func(p *streamgraph.Point) int64 { return int64(p.Frame) })
	list("t", func(p *streamgraph.Point) int64 { return (p.T - origin) / 1000 })
	list("v", func(p *streamgraph.Point) int64 { return p.V })
	if s.Style == streamgraph.Bars {
		list("v2", func(p *streamgraph.Point) int64 { return p.V2 })
	}
	return b
}

// strokeAttrs are the attributes of a series path drawn in style st.
func strokeAttrs(st streamgraph.Style) string {
	switch st {
	case streamgraph.Dots:
		return `stroke-width="2.5" stroke-linecap="round"`
	case streamgraph.Bars:
		return `stroke-width="1.5" stroke-linecap="square"`
	case streamgraph.Crosses:
		return `stroke-width="1.2"`
	}
	return `stroke-width="1"`
}

// appendPath appends the path data of pts drawn in s's style; onlyMarked
// keeps the retransmissions alone (as separate marks).
func appendPath(b []byte, s *streamgraph.Series, pts []streamgraph.Point, px func(int64) float64, py func(streamgraph.Axis, int64) float64, onlyMarked bool) []byte {
	style := s.Style
	if onlyMarked && (style == streamgraph.Steps || style == streamgraph.Line) {
		style = streamgraph.Dots
	}
	first := true
	for i := range pts {
		p := &pts[i]
		if onlyMarked && p.Mark&streamgraph.MarkRetransmission == 0 {
			continue
		}
		x, y := px(p.T), py(s.Axis, p.V)
		switch style {
		case streamgraph.Dots:
			b = append(b, 'M')
			b = appendCoord(b, x)
			b = append(b, ' ')
			b = appendCoord(b, y)
			b = append(b, "h0"...)
		case streamgraph.Steps:
			if first {
				b = append(b, 'M')
				b = appendCoord(b, x)
				b = append(b, ' ')
				b = appendCoord(b, y)
			} else {
				b = append(b, 'H')
				b = appendCoord(b, x)
				b = append(b, 'V')
				b = appendCoord(b, y)
			}
		case streamgraph.Line:
			if first {
				b = append(b, 'M')
			} else {
				b = append(b, 'L')
			}
			b = appendCoord(b, x)
			b = append(b, ' ')
			b = appendCoord(b, y)
		case streamgraph.Bars:
			b = append(b, 'M')
			b = appendCoord(b, x)
			b = append(b, ' ')
			b = appendCoord(b, y)
			b = append(b, 'V')
			b = appendCoord(b, py(s.Axis, p.V2))
		case streamgraph.Ticks:
			b = append(b, 'M')
			b = appendCoord(b, x)
			b = append(b, ' ')
			b = appendCoord(b, y)
			b = append(b, "v-5"...)
		case streamgraph.Crosses:
			b = append(b, 'M')
			b = appendCoord(b, x-3)
			b = append(b, ' ')
			b = appendCoord(b, y-3)
			b = append(b, "l6 6m-6 0l6-6"...)
		}
		first = false
	}
	return b
}

// appendCoord appends v to one decimal, without a trailing ".0".
func appendCoord(b []byte, v float64) []byte {
	n := int64(v*10 + 0.5)
	if v < 0 {
		n = int64(v*10 - 0.5)
		if n != 0 {
			b = append(b, '-')
		}
		n = -n
	}
	b = strconv.AppendInt(b, n/10, 10)
	if d := n % 10; d != 0 {
		b = append(b, '.', byte('0'+d))
	}
	return b
}
