package streamgraph

// Reduce returns g with each series cut to about limit points for drawing,
// by largest-triangle-three-buckets (Steinarsson, "Downsampling Time
// Series for Visual Representation", 2013): the first and last points
// stay, and from each of limit-2 equal buckets between them the point that
// spans the largest triangle with the point kept before it and the mean
// of the next bucket. Points marked MarkRetransmission are all kept, on
// top of the others (a series may then keep more than limit). A bar's value
// is its middle. Series with at most limit points, and a limit below 3, are
// left as they are. g itself is not changed.
func Reduce(g Graph, limit int) Graph {
	out := g
	out.Series = make([]Series, len(g.Series))
	for i, s := range g.Series {
		out.Series[i] = s
		if limit >= 3 && len(s.Points) > limit {
			out.Series[i].Points = ReducePoints(s.Points, limit)
		}
	}
	return out
}

// ReducePoints is Reduce for one series' points, which must be in time
// order. It returns a new slice.
func ReducePoints(pts []Point, limit int) []Point {
	n := len(pts)
	if limit < 3 || n <= limit {
		return append([]Point(nil), pts...)
	}
	var marked int
	for i := range pts {
		if pts[i].Mark&MarkRetransmission != 0 {
			marked++
		}
	}
	// The budget left for the others; at least the two ends and a bucket.
	budget := limit - marked
	if budget < 3 {
		budget = 3
	}
	keep := lttb(pts, budget)
	if marked == 0 {
		out := make([]Point, len(keep))
		for i, k := range keep {
			out[i] = pts[k]
		}
		return out
	}
	out := make([]Point, 0, len(keep)+marked)
	j := 0
	for i := range pts {
		if j < len(keep) && keep[j] == i {
			out = append(out, pts[i])
			j++
			continue
		}
		if pts[i].Mark&MarkRetransmission != 0 {
			out = append(out, pts[i])
		}
	}
	return out
}

// y is the value LTTB weighs: a bar's middle.
func (p *Point) y() float64 { return (float64(p.V) + float64(p.V2)) / 2 }

// lttb returns the indices (ascending) of the m points of pts that
// largest-triangle-three-buckets keeps; 3 <= m < len(pts).
func lttb(pts []Point, m int) []int {
	n := len(pts)
	keep := make([]int, 0, m)
	keep = append(keep, 0)
	// The buckets split the points between the first and the last.
	every := float64(n-2) / float64(m-2)
	a := 0
	for b := range m - 2 {
		lo := int(float64(b)*every) + 1
		hi := int(float64(b+1)*every) + 1
		if hi > n-1 {
			hi = n - 1
		}
		// The mean of the next bucket (the last point for the last one).
		nlo, nhi := hi, int(float64(b+2)*every)+1
		if nhi > n-1 {
			nhi = n - 1
		}
		if b == m-3 {
			nlo, nhi = n-1, n
		}
		var cx, cy float64
		for k := nlo; k < nhi; k++ {
			cx += float64(pts[k].T)
			cy += pts[k].y()
		}
		cnt := float64(nhi - nlo)
		cx, cy = cx/cnt, cy/cnt
		ax, ay := float64(pts[a].T), pts[a].y()
		best, bestArea := lo, -1.0
		for k := lo; k < hi; k++ {
			// Twice the triangle's area; the sign does not matter.
			area := (ax-cx)*(pts[k].y()-ay) - (ax-float64(pts[k].T))*(cy-ay)
			if area < 0 {
				area = -area
			}
			if area > bestArea {
				best, bestArea = k, area
			}
		}
		keep = append(keep, best)
		a = best
	}
	return append(keep, n-1)
}
