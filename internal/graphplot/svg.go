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
	W, H := o.Width, o.Height
	if W <= 0 || H <= 0 {
		W, H = 400, 260
	}
	id := o.ID
	if id == "" {
		id = "g"
	}
	lb := &o.Labels
	all := func(*streamgraph.Series) bool { return true }
	f := measure(g, all)

	// The legend: a row of items, wrapped.
	type item struct {
		label string
		c     colour
		style streamgraph.Style
	}
	var items []item
	anyMarked := false
	for i := range g.Series {
		s := &g.Series[i]
		if len(s.Points) == 0 {
			continue
		}
		items = append(items, item{lb.series(s.Name), colourOf(s.Name), s.Style})
		anyMarked = anyMarked || marked(s)
	}
	if anyMarked {
		items = append(items, item{lb.retrans(), retransColour, streamgraph.Dots})
	}
	left := 48 + svgAxisLabelW
	right := 12
	if f.has[streamgraph.Right] {
		right = 48 + svgAxisLabelW
	}
	rows, x := 1, left
	for _, it := range items {
		wd := 16 + len([]rune(it.label))*svgCharWidth + 10
		if x+wd > W-right && x > left {
			rows++
			x = left
		}
		x += wd
	}
	top := svgTitleH + 6
	bottom := 14 + 14 + rows*svgLegendRow + 4
	pw, ph := W-left-right, H-top-bottom
	if pw < 20 || ph < 20 {
		pw, ph = max(pw, 20), max(ph, 20)
	}
	limit := o.MaxPoints
	if limit <= 0 {
		limit = 4 * pw
	}
	g = streamgraph.Reduce(g, limit)

	px := func(t int64) float64 {
		return float64(left) + (float64(t-g.Origin)*1e-9-f.x.lo)/(f.x.hi-f.x.lo)*float64(pw)
	}
	py := func(a streamgraph.Axis, v int64) float64 {
		y := float64(v) * f.scale[a]
		return float64(top+ph) - (y-f.y[a].lo)/(f.y[a].hi-f.y[a].lo)*float64(ph)
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	num := func(v float64) {
		b = appendCoord(b, v)
	}
	str := func(s string) { b = append(b, s...) }
	esc := func(s string) { b = append(b, html.EscapeString(s)...) }
	flush := func() error {
		_, err := bw.Write(b)
		b = b[:0]
		return err
	}

	str(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `)
	b = strconv.AppendInt(b, int64(W), 10)
	str(" ")
	b = strconv.AppendInt(b, int64(H), 10)
	str(`" width="`)
	b = strconv.AppendInt(b, int64(W), 10)
	str(`" height="`)
	b = strconv.AppendInt(b, int64(H), 10)
	str(`" font-family="sans-serif" font-size="`)
	b = strconv.AppendInt(b, svgFont, 10)
	str(`" data-graph="`)
	str(g.Kind.String())
	str(`" data-plot="`)
	for i, v := range []int{left, top, pw, ph} {
		if i > 0 {
			str(" ")
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	str(`" data-x="`)
	b = strconv.AppendFloat(b, f.x.lo, 'g', -1, 64)
	str(" ")
	b = strconv.AppendFloat(b, f.x.hi, 'g', -1, 64)
	str(`" data-y="`)
	b = strconv.AppendFloat(b, f.y[0].lo, 'g', -1, 64)
	str(" ")
	b = strconv.AppendFloat(b, f.y[0].hi, 'g', -1, 64)
	str(`" data-unit="`)
	str(unitSymbol(f.unit[0]))
	if o.Interactive {
		str(`" data-origin="`)
		b = strconv.AppendInt(b, g.Origin, 10)
		if f.has[streamgraph.Right] {
			str(`" data-y2="`)
			b = strconv.AppendFloat(b, f.y[1].lo, 'g', -1, 64)
			str(" ")
			b = strconv.AppendFloat(b, f.y[1].hi, 'g', -1, 64)
			str(`" data-unit2="`)
			str(unitSymbol(f.unit[1]))
		}
	}
	str("\">\n<title>")
	esc(lb.title(g))
	str("</title>\n")
	str(`<rect width="100%" height="100%" fill="#fff"/>` + "\n")
	str(`<text x="`)
	b = strconv.AppendInt(b, int64(W/2), 10)
	str(`" y="14" text-anchor="middle" font-size="12" font-weight="bold">`)
	esc(lb.title(g))
	str("</text>\n")

	// Grid and ticks.
	xt := ticks(f.x.lo, f.x.hi, max(2, pw/60))
	str(`<g class="grid" stroke="#e8e8e8" stroke-width="1">`)
	for _, v := range xt {
		x := float64(left) + (v-f.x.lo)/(f.x.hi-f.x.lo)*float64(pw)
		str(`<path d="M`)
		num(x)
		str(" ")
		b = strconv.AppendInt(b, int64(top), 10)
		str("v")
		b = strconv.AppendInt(b, int64(ph), 10)
		str(`"/>`)
	}
	yt := [2][]float64{ticks(f.y[0].lo, f.y[0].hi, max(2, ph/40)), nil}
	if f.has[streamgraph.Right] {
		yt[1] = ticks(f.y[1].lo, f.y[1].hi, max(2, ph/40))
	}
	for _, v := range yt[0] {
		y := float64(top+ph) - (v-f.y[0].lo)/(f.y[0].hi-f.y[0].lo)*float64(ph)
		str(`<path d="M`)
		b = strconv.AppendInt(b, int64(left), 10)
		str(" ")
		num(y)
		str("h")
		b = strconv.AppendInt(b, int64(pw), 10)
		str(`"/>`)
	}
	str("</g>\n")

	str(`<g stroke="#555" fill="none"><rect x="`)
	b = strconv.AppendInt(b, int64(left), 10)
	str(`" y="`)
	b = strconv.AppendInt(b, int64(top), 10)
	str(`" width="`)
	b = strconv.AppendInt(b, int64(pw), 10)
	str(`" height="`)
	b = strconv.AppendInt(b, int64(ph), 10)
	str(`"/></g>` + "\n")

	str(`<g class="ticks" font-size="`)
	b = strconv.AppendInt(b, svgTickFont, 10)
	str(`" fill="#333">`)
	for _, v := range xt {
		x := float64(left) + (v-f.x.lo)/(f.x.hi-f.x.lo)*float64(pw)
		label := formatSI(v, "s")
		anchor := "middle"
		if x+float64(len(label)*svgCharWidth/2) > float64(W) {
			anchor, x = "end", float64(W-2)
		}
		str(`<text x="`)
		num(x)
		str(`" y="`)
		b = strconv.AppendInt(b, int64(top+ph+svgTickLen+9), 10)
		str(`" text-anchor="`)
		str(anchor)
		str(`">`)
		esc(label)
		str("</text>")
	}
	for a := range 2 {
		anchor, tx := "end", left-svgTickLen
		if a == 1 {
			anchor, tx = "start", left+pw+svgTickLen
		}
		for _, v := range yt[a] {
			y := float64(top+ph) - (v-f.y[a].lo)/(f.y[a].hi-f.y[a].lo)*float64(ph)
			str(`<text x="`)
			b = strconv.AppendInt(b, int64(tx), 10)
			str(`" y="`)
			num(y + 3.5)
			str(`" text-anchor="`)
			str(anchor)
			str(`">`)
			esc(formatSI(v, unitSymbol(f.unit[a])))
			str("</text>")
		}
	}
	str("</g>\n")

	// Axis labels.
	str(`<g fill="#333"><text x="`)
	b = strconv.AppendInt(b, int64(left+pw/2), 10)
	str(`" y="`)
	b = strconv.AppendInt(b, int64(top+ph+28), 10)
	str(`" text-anchor="middle">`)
	esc(lb.axis(g.Kind, 0))
	str("</text>")
	for a := range 2 {
		if a == 1 && !f.has[streamgraph.Right] {
			continue
		}
		x, rot := 11, -90
		if a == 1 {
			x = W - 5
		}
		str(`<text transform="translate(`)
		b = strconv.AppendInt(b, int64(x), 10)
		str(" ")
		b = strconv.AppendInt(b, int64(top+ph/2), 10)
		str(") rotate(")
		b = strconv.AppendInt(b, int64(rot), 10)
		str(`)" text-anchor="middle">`)
		esc(lb.axis(g.Kind, a+1))
		str("</text>")
	}
	str("</g>\n")
	if err := flush(); err != nil {
		return err
	}

	// The series, clipped to the plot.
	str(`<clipPath id="`)
	esc(id)
	str(`-plot"><rect x="`)
	b = strconv.AppendInt(b, int64(left), 10)
	str(`" y="`)
	b = strconv.AppendInt(b, int64(top), 10)
	str(`" width="`)
	b = strconv.AppendInt(b, int64(pw), 10)
	str(`" height="`)
	b = strconv.AppendInt(b, int64(ph), 10)
	str(`"/></clipPath>` + "\n")
	str(`<g clip-path="url(#`)
	esc(id)
	str(`-plot)" fill="none">` + "\n")
	if o.Interactive {
		str(`<g class="data">` + "\n")
	}
	b = appendBands(b, o.Bands, px, top, ph, g.Origin)
	var marks []func()
	for i := range g.Series {
		s := &g.Series[i]
		if len(s.Points) == 0 {
			continue
		}
		c := colourOf(s.Name)
		str(`<path data-series="`)
		str(string(s.Name))
		str(`" stroke="`)
		str(c.hex)
		str(`" `)
		str(strokeAttrs(s.Style))
		if o.Interactive {
			b = appendPointData(b, s, g.Origin, lb.series(s.Name))
		}
		str(` d="`)
		b = appendPath(b, s, s.Points, px, py, false)
		str(`"/>` + "\n")
		if err := flush(); err != nil {
			return err
		}
		if marked(s) {
			marks = append(marks, func() {
				str(`<path data-series="`)
				str(string(s.Name))
				str(`" data-mark="retransmission" stroke="`)
				str(retransColour.hex)
				str(`" stroke-width="2.5" stroke-linecap="round"`)
				if o.Interactive {
					str(` vector-effect="non-scaling-stroke"`)
				}
				str(` d="`)
				b = appendPath(b, s, s.Points, px, py, true)
				str(`"/>` + "\n")
			})
		}
	}
	for _, m := range marks {
		m()
		if err := flush(); err != nil {
			return err
		}
	}
	if o.Interactive {
		str("</g>\n")
	}
	str("</g>\n")

	// The legend.
	str(`<g fill="#333">`)
	x, y := left, top+ph+42
	for _, it := range items {
		wd := 16 + len([]rune(it.label))*svgCharWidth + 10
		if x+wd > W-right && x > left {
			x = left
			y += svgLegendRow
		}
		str(`<path stroke="`)
		str(it.c.hex)
		if it.style == streamgraph.Dots {
			str(`" stroke-width="4" stroke-linecap="round" d="M`)
		} else {
			str(`" stroke-width="2" d="M`)
		}
		b = strconv.AppendInt(b, int64(x), 10)
		str(" ")
		b = strconv.AppendInt(b, int64(y-4), 10)
		if it.style == streamgraph.Dots {
			str(`m5 0h2"/>`)
		} else {
			str(`h12"/>`)
		}
		str(`<text x="`)
		b = strconv.AppendInt(b, int64(x+16), 10)
		str(`" y="`)
		b = strconv.AppendInt(b, int64(y), 10)
		str(`">`)
		esc(it.label)
		str("</text>")
		x += wd
	}
	str("</g>\n</svg>\n")
	if err := flush(); err != nil {
		return err
	}
	return bw.Flush()
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
