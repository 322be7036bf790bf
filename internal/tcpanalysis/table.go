package tcpanalysis

import (
	"math/bits"

	"github.com/tcplab/tcplab/internal/seqnum"
)

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
const inlineUnacked = 2

// unackedList is a flow's list of segments not acknowledged yet, oldest
// first: in small while they fit, in big once they have not (big then
// holds them all, from head, and keeps its length equal to its capacity,
// so that adding writes no slice header). Acknowledged segments leave
// from the front by moving head, so that pruning a bulk transfer's list
// costs the segments removed, not the segments held.
//
// gapped is false while the list is in order: each segment starts at or
// after the end of the one before it, and the whole spans fewer than
// 2^31 sequence numbers, as a sender's new data does, also across
// segments the capture missed. Its sequence numbers then compare as
// plain integers from the first segment's, so that an ACK removes a
// prefix and bytes in flight are the list's ends (see
// seqAnalysis.acknowledge and inFlight). A resent segment held in the
// list makes it gapped until it leaves.
type unackedList struct {
	head, n int32
	small   [inlineUnacked]unackedSeg
	big     []unackedSeg
	gapped  bool
}

// store returns the list's memory: the segments are store()[head:head+n].
func (l *unackedList) store() []unackedSeg {
	if l.big != nil {
		return l.big
	}
	return l.small[:]
}

// segs returns the segments; the slice aliases the list.
func (l *unackedList) segs() []unackedSeg {
	return l.store()[l.head : l.head+l.n]
}

// add appends s.
func (l *unackedList) add(s unackedSeg) {
	if l.n == 0 {
		l.gapped = !follows(s.seq, s.seq, s)
	} else if !l.gapped {
		st := l.store()
		l.gapped = !follows(st[l.head].seq, st[l.head+l.n-1].nextSeq, s)
	}
	st := l.store()
	if int(l.head+l.n) == len(st) {
		switch {
		case l.head > 0 && int(l.head) >= len(st)/2:
			// At least half is free: move the segments down.
			copy(st, st[l.head:])
			l.head = 0
		case l.big == nil:
			l.big = make([]unackedSeg, 4*len(l.small))
			copy(l.big, l.small[l.head:])
			l.head = 0
		default:
			big := make([]unackedSeg, 2*len(l.big))
			copy(big, l.big[l.head:])
			l.big, l.head = big, 0
		}
		st = l.store()
	}
	st[l.head+l.n] = s
	l.n++
}

// follows reports whether s, appended to an ordered list from first to
// end, keeps it ordered: s starts at or after end and ends after its
// start, fewer than 2^31 sequence numbers from first.
func follows(first, end seqnum.Value, s unackedSeg) bool {
	start, next := uint32(s.seq-first), uint32(s.nextSeq-first)
	return start >= uint32(end-first) && next > start && next < 1<<31
}

// removeFront removes the first k segments.
func (l *unackedList) removeFront(k int) {
	l.head += int32(k)
	l.n -= int32(k)
	if l.n == 0 {
		l.head, l.gapped = 0, false
	}
}

// setKept sets the list to its first n segments, which the caller has
// rewritten, and works out whether they are in order.
func (l *unackedList) setKept(n int) {
	l.n = int32(n)
	l.gapped = false
	if n == 0 {
		l.head = 0
		return
	}
	segs := l.segs()
	first := segs[0].seq
	end := first
	for _, u := range segs {
		if !follows(first, end, u) {
			l.gapped = true
			return
		}
		end = u.nextSeq
	}
}

// reset empties the list, keeping big's memory.
func (l *unackedList) reset() {
	l.head, l.n, l.gapped = 0, 0, false
}
