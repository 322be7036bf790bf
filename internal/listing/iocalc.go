package listing

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tcplab/tcplab/internal/dfilter"
)

// calcKind is one of io,stat's calculations.
type calcKind uint8

// The calculations tcplab draws, as tshark 4.0's io,stat computes them.
const (
	calcCount calcKind = iota + 1 // how many times the field occurs
	calcSum                       // the sum of its values
	calcMin                       // the least
	calcMax                       // the largest
	calcAvg                       // the mean (integer division for integers)
)

var calcNames = map[string]calcKind{"COUNT": calcCount, "SUM": calcSum, "MIN": calcMin, "MAX": calcMax, "AVG": calcAvg}

// ioCalc is an io,stat column that computes over a field, such as
// SUM(tcp.len)tcp.len: the calculation, its field and the filter that
// picks the packets (after the parenthesis; none: every frame).
type ioCalc struct {
	kind   calcKind
	name   string // COUNT, SUM...
	field  *dfilter.FieldRef
	time   bool // a relative time, counted in nanoseconds
	filter *dfilter.Filter
	text   string // the column as given, its title in the table
}

// frameNumFields are the fields Wireshark types as frame numbers, which
// io,stat only counts.
var frameNumFields = []string{"frame.number", "tcp.analysis.acks_frame", "tcp.analysis.duplicate_ack_frame"}

// parseCalc reads an io,stat column FUNC(FIELD)FILTER. It returns nil
// when the column is a plain filter.
func parseCalc(col string) (*ioCalc, error) {
	name, rest, ok := strings.Cut(col, "(")
	if !ok {
		return nil, nil
	}
	kind, known := calcNames[name]
	if !known {
		switch name {
		case "FRAMES", "BYTES", "FRAMES BYTES", "LOAD", "COUNT_FRAMES", "COUNT_FIELDS":
			return nil, fmt.Errorf("io,stat column %q: tcplab draws COUNT, SUM, MIN, MAX and AVG calculations, not %s", col, name)
		}
		return nil, nil // a filter with parentheses
	}
	fieldName, flt, ok := strings.Cut(rest, ")")
	if !ok {
		return nil, fmt.Errorf("io,stat column %q: closing parenthesis missing", col)
	}
	if fieldName == "" {
		return nil, fmt.Errorf("io,stat column %q: no field name for %s", col, name)
	}
	f, err := dfilter.LookupField(fieldName)
	if err != nil {
		return nil, fmt.Errorf("io,stat column %q: %w", col, err)
	}
	c := &ioCalc{kind: kind, name: name, field: f, text: col}
	switch {
	case f.Kind() == dfilter.KindUint && !slices.Contains(frameNumFields, fieldName):
	case f.Kind() == dfilter.KindFloat:
		c.time = true
	case kind != calcCount:
		return nil, fmt.Errorf("io,stat column %q: %s has no integral values, so only COUNT works on it", col, fieldName)
	}
	if strings.TrimSpace(flt) != "" {
		if c.filter, err = dfilter.Compile(strings.TrimSpace(flt)); err != nil {
			return nil, fmt.Errorf("io,stat column %q: %w", col, err)
		}
	}
	return c, nil
}

// calcCells are a calculation column's values by interval: the frames
// its filter passed, the running counter and the number of values (for
// AVG), and the largest counter ever shown, which sets the width.
type calcCells struct {
	frames, counter, num []uint64
	maxVal               uint64
}

// grow makes room for interval b.
func (c *calcCells) grow(b int) {
	for len(c.frames) <= b {
		c.frames = append(c.frames, 0)
		c.counter = append(c.counter, 0)
		c.num = append(c.num, 0)
	}
}

// value converts a field's value to io,stat's counter: the integer, or a
// relative time in nanoseconds.
func (c *ioCalc) value(v dfilter.Value) uint64 {
	if c.time {
		return uint64(math.Round(v.F * 1e9))
	}
	return v.U
}

// add takes one frame of interval b that the column's filter passes,
// with its field's values (vals), as tshark's iostat_packet does:
// frames counts it, MIN takes the first value of an interval's first
// frame whatever it is, and the largest counter is kept after each
// frame.
func (c *ioCalc) add(cells *calcCells, b int, vals []dfilter.Value, frame bool) {
	cells.grow(b)
	if frame {
		cells.frames[b]++
	}
	ctr := &cells.counter[b]
	for i, v := range vals {
		x := c.value(v)
		switch c.kind {
		case calcCount:
			*ctr++
		case calcSum:
			*ctr += x
		case calcMin:
			if cells.frames[b] == 1 && i == 0 || x < *ctr {
				*ctr = x
			}
		case calcMax:
			*ctr = max(*ctr, x)
		case calcAvg:
			cells.num[b]++
			*ctr += x
		}
	}
	shown := *ctr
	switch {
	case c.kind == calcCount:
	case c.kind == calcAvg && cells.num[b] == 0:
		return
	case c.kind == calcAvg && c.time:
		shown = (*ctr/cells.num[b] + 500_000_000) / 1e9
	case c.kind == calcAvg:
		shown = *ctr / cells.num[b]
	}
	cells.maxVal = max(cells.maxVal, shown)
}

// width returns the column's width between its bars less the two
// spaces, as tshark's iostat_calc_cols_width_and_fmt sets it.
func (c *ioCalc) width(cells *calcCells) int {
	switch {
	case c.kind == calcCount:
		return max(5, magnitude(cells.maxVal, 15))
	case c.time:
		m := cells.maxVal
		if c.kind != calcAvg {
			m = (m + 500_000_000) / 1e9
		}
		return magnitude(m, 15) + 7
	}
	return max(len(c.name), magnitude(cells.maxVal, 15))
}

// cell formats the column's value for interval b (0 past its last
// frame) in width w.
func (c *ioCalc) cell(cells *calcCells, b, w int) string {
	var ctr, num uint64
	if b < len(cells.counter) {
		ctr, num = cells.counter[b], cells.num[b]
	}
	if c.kind == calcAvg {
		ctr /= max(num, 1)
	}
	if c.time && c.kind != calcCount {
		us := (ctr + 500) / 1000
		return fmt.Sprintf(" %*d.%06d |", w-7, us/1e6, us%1e6)
	}
	return fmt.Sprintf(" %*d |", w, ctr)
}
