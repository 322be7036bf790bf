package tcpanalysis

import "math/bits"

// v4Key is the key of a conversation between two IPv4 endpoints: the
// addresses of the endpoint that sorts first (see conversation4) and of
// the other in addrs, their ports in ports, in the same order. Twelve
// bytes compared as two words: cheaper to hash and compare than connKey,
// which IPv6 conversations use.
type v4Key struct {
	addrs uint64
	ports uint32
}

// v4Table maps the IPv4 conversations' keys to their state: an
// open-addressing hash table with linear probing. Entries are never
// removed (a conversation replaced on its ports reuses its entry), so
// probing needs no tombstones.
type v4Table struct {
	slots []v4Slot // a power of two long; nil before the first insert
	shift uint     // 64 - log2(len(slots))
	n     int
}

type v4Slot struct {
	key v4Key
	c   *conn // nil: the slot is free
}

// hash mixes the key with two multiplications; the table takes the
// top bits (Fibonacci hashing), which depend on every bit of the key.
func (k v4Key) hash() uint64 {
	return (k.addrs ^ bits.RotateLeft64(uint64(k.ports)*0x9e3779b97f4a7c15, 32)) * 0xc2b2ae3d27d4eb4f
}

// get returns the conversation of k, or nil.
func (t *v4Table) get(k v4Key) *conn {
	if t.slots == nil {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := k.hash() >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.c == nil || s.key == k {
			return s.c
		}
	}
}

// put adds the conversation c of k, which the table does not hold.
func (t *v4Table) put(k v4Key, c *conn) {
	if 4*(t.n+1) > 3*len(t.slots) {
		t.grow()
	}
	t.n++
	t.insert(k, c)
}

func (t *v4Table) insert(k v4Key, c *conn) {
	mask := uint64(len(t.slots) - 1)
	i := k.hash() >> t.shift
	for t.slots[i].c != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = v4Slot{key: k, c: c}
}

// grow doubles the table (to 1024 slots at first) and inserts the
// entries again.
func (t *v4Table) grow() {
	old := t.slots
	size := max(1024, 2*len(old))
	t.slots = make([]v4Slot, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	for _, s := range old {
		if s.c != nil {
			t.insert(s.key, s.c)
		}
	}
}

// each calls fn with every conversation in the table.
func (t *v4Table) each(fn func(*conn)) {
	for _, s := range t.slots {
		if s.c != nil {
			fn(s.c)
		}
	}
}

// clear empties the table.
func (t *v4Table) clear() {
	t.slots, t.shift, t.n = nil, 0, 0
}

// inlineUnacked is how many unacknowledged segments a flow keeps in
// place before moving them to a slice: the lab's exchanges have one or
// two in flight, and a flow's segments then cost no allocation and no
// pointer write (the garbage collector's write barrier).
const inlineUnacked = 4

// unackedList is a flow's list of segments not acknowledged yet, oldest
// first: in small while they fit, in big once they have not (big then
// holds them all, big[:n], and keeps its length equal to its capacity,
// so that adding writes no slice header).
type unackedList struct {
	n     int
	small [inlineUnacked]unackedSeg
	big   []unackedSeg
}

// segs returns the segments; the slice aliases the list.
func (l *unackedList) segs() []unackedSeg {
	if l.big != nil {
		return l.big[:l.n]
	}
	return l.small[:l.n]
}

// add appends s.
func (l *unackedList) add(s unackedSeg) {
	if l.big == nil {
		if l.n < len(l.small) {
			l.small[l.n] = s
			l.n++
			return
		}
		l.big = make([]unackedSeg, 4*len(l.small))
		copy(l.big, l.small[:])
	} else if l.n == len(l.big) {
		big := make([]unackedSeg, 2*len(l.big))
		copy(big, l.big)
		l.big = big
	}
	l.big[l.n] = s
	l.n++
}

// reset empties the list, keeping big's memory.
func (l *unackedList) reset() {
	l.n = 0
}
