package tcpanalysis

import "slices"

// maxSpans bounds the separate ranges a coverage remembers. Past it the
// two lowest ranges merge, and the bytes between them are then never
// counted: only a flow with thousands of holes the capture never fills
// gets there.
const maxSpans = 4096

// span is a range [lo, hi) of a flow's sequence space, unwrapped to 64
// bits.
type span struct{ lo, hi uint64 }

// coverage counts the distinct bytes of a flow's sequence space that
// segments carried: each byte once, however often it was sent.
type coverage struct {
	spans []span // sorted, disjoint and not touching
	total uint64
	pos   uint64 // the unwrapped number of the last segment's start
	moved bool   // pos is set
}

// unwrap returns rel, a 32-bit relative sequence number, as the 64-bit
// number nearest the last one seen.
func (c *coverage) unwrap(rel uint32) uint64 {
	if !c.moved {
		c.pos, c.moved = uint64(rel), true
		return c.pos
	}
	u := c.pos + uint64(int64(int32(rel-uint32(c.pos))))
	if int64(u) < 0 { // before the flow's base: leave it at 0
		u = 0
	}
	c.pos = u
	return u
}

// add counts the bytes of [rel, rel+n) not counted before.
func (c *coverage) add(rel, n uint32) {
	if n == 0 {
		return
	}
	lo0 := c.unwrap(rel)
	hi0 := lo0 + uint64(n)
	// The common case, in-order data or a retransmission of recent
	// data: the segment starts within or right after the last span,
	// which is then the only one it touches (the spans before it end
	// below its start).
	if k := len(c.spans) - 1; k >= 0 && lo0 >= c.spans[k].lo && lo0 <= c.spans[k].hi {
		if last := &c.spans[k]; hi0 > last.hi {
			c.total += hi0 - last.hi
			last.hi = hi0
		}
		return
	}
	lo, hi := lo0, hi0
	// The spans that touch [lo, hi) are spans[i:j].
	i, _ := slices.BinarySearchFunc(c.spans, lo, func(s span, v uint64) int {
		if s.hi < v {
			return -1
		}
		return 1
	})
	j := i
	newBytes := hi0 - lo0
	for j < len(c.spans) && c.spans[j].lo <= hi0 {
		s := c.spans[j]
		newBytes -= min(s.hi, hi0) - max(s.lo, lo0) // 0 for a span that only touches
		lo, hi = min(lo, s.lo), max(hi, s.hi)
		j++
	}
	c.total += newBytes
	c.spans = slices.Replace(c.spans, i, j, span{lo, hi})
	if len(c.spans) > maxSpans {
		c.spans[1].lo = c.spans[0].lo
		c.spans = slices.Delete(c.spans, 0, 1)
	}
}

// maxKeptSpans is the most span capacity a coverage keeps for the next
// conversation on the same ports (see reuse).
const maxKeptSpans = 64

// reuse returns the coverage's span memory, emptied, for a new coverage
// of a conversation replacing this one: the common single span then
// needs no allocation. A large list is dropped instead.
func (c *coverage) reuse() []span {
	if cap(c.spans) > maxKeptSpans {
		return nil
	}
	return c.spans[:0]
}
