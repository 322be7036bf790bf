package listing

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
)

// spillMemory is how many bytes of finished records a spill holds in
// memory before moving them to a temporary file. Small: each page of it
// costs a page fault when first written (8 MiB was about 2,000 of the
// 7,900 a run over 1.5 M packets took), and a run sorted and written
// sooner is no dearer per record.
const spillMemory = 1 << 20

// mergeMemory bounds the read buffers of all the runs merged at the end.
// Larger than a chunk: the runs' reads are mergeMemory / (runs + 1)
// bytes each, and a 1 MiB bound made the ndjson records of 3 M packets
// (about 200 runs) take 5,334 reads, against 1,374 with 4 MiB.
const mergeMemory = 4 << 20

// spillHeader is the size of a record's header: its stream index, its
// frames in the conversation table and its length, each 32 bits.
const spillHeader = 12

// spill keeps one formatted record per stream (its ndjson line or its
// conversation-table row) from when the stream ends until the end of the
// capture, when they are written in order. Records accumulate in memory;
// every spillMemory bytes they are sorted in the spill's order and moved
// to a temporary file as one sorted run. writeTo merges the runs. So
// memory stays flat however many conversations a capture holds: nothing
// is kept per stream, only 16 bytes per run of spillMemory bytes.
type spill struct {
	// byTap is the order runs are sorted in: the conversation table's
	// (most frames first, then stream order) when true, stream order
	// when false. writeTo accepts either order but is fastest in this
	// one.
	byTap bool

	mem  []byte     // records, each a spillHeader and its bytes
	offs []spillRef // where each record of mem is, with its sort key
	file *os.File
	fw   *bufio.Writer
	size int64      // bytes in file
	runs []spillRun // sorted in byTap's order
	tmp  []spillRef // scratch for sortRecs
}

// spillRef is a record's offset in a buffer, with its sort key.
type spillRef struct {
	key uint64
	off uint32
}

// spillRun is a sorted run of records in the temporary file.
type spillRun struct {
	off, n int64
}

// spillKey is a record's sort key: its stream index, after the
// complement of its frames when byTap, so that ascending keys give the
// output order.
func spillKey(hdr []byte, byTap bool) uint64 {
	k := uint64(binary.LittleEndian.Uint32(hdr))
	if byTap {
		k |= uint64(^binary.LittleEndian.Uint32(hdr[4:])) << 32
	}
	return k
}

// put stores the record b, written in the order of idx (a stream index,
// or for the conversation table the frame its tap first saw), with tap
// frames in the conversation table.
func (s *spill) put(idx uint32, tap uint64, b []byte) error {
	if s.mem == nil {
		// Room for a chunk up front: growing it by append would copy
		// it about as many times again.
		s.mem = make([]byte, 0, spillMemory+64<<10)
	}
	s.offs = append(s.offs, spillRef{off: uint32(len(s.mem))})
	s.mem = binary.LittleEndian.AppendUint32(s.mem, idx)
	s.mem = binary.LittleEndian.AppendUint32(s.mem, uint32(min(tap, 1<<32-1)))
	s.mem = binary.LittleEndian.AppendUint32(s.mem, uint32(len(b)))
	s.mem = append(s.mem, b...)
	if len(s.mem) < spillMemory {
		return nil
	}
	if err := s.writeRun(s.mem, s.offs, s.byTap); err != nil {
		return err
	}
	s.mem, s.offs = s.mem[:0], s.offs[:0]
	return nil
}

// sortRecs sorts the records of buf at offs in byTap's order; tmp is
// scratch memory for the sort, grown as needed.
func sortRecs(buf []byte, offs []spillRef, byTap bool, tmp *[]spillRef) {
	for i := range offs {
		offs[i].key = spillKey(buf[offs[i].off:], byTap)
	}
	if len(offs) < 256 {
		slices.SortFunc(offs, func(a, b spillRef) int { return cmp.Compare(a.key, b.key) })
		return
	}
	*tmp = slices.Grow((*tmp)[:0], len(offs))[:len(offs)]
	radixSort(offs, *tmp)
}

// radixSort sorts refs by key, least significant byte first, over the
// bytes of the keys that are not all the same (with a chunk's keys,
// about four of the eight: the low bytes of the stream index and of the
// frames). tmp is scratch memory as long as refs. Keys hold a stream
// index each, so they are distinct and the order is total.
func radixSort(refs, tmp []spillRef) {
	var counts [8][256]int
	for _, r := range refs {
		k := r.key
		counts[0][byte(k)]++
		counts[1][byte(k>>8)]++
		counts[2][byte(k>>16)]++
		counts[3][byte(k>>24)]++
		counts[4][byte(k>>32)]++
		counts[5][byte(k>>40)]++
		counts[6][byte(k>>48)]++
		counts[7][byte(k>>56)]++
	}
	src, dst := refs, tmp
	for b := range counts {
		c := &counts[b]
		shift := uint(8 * b)
		if c[byte(refs[0].key>>shift)] == len(refs) {
			continue // every key has this byte
		}
		sum := 0
		for j, n := range c {
			c[j] = sum
			sum += n
		}
		for _, r := range src {
			d := byte(r.key >> shift)
			dst[c[d]] = r
			c[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &refs[0] {
		copy(refs, src)
	}
}

// writeRun sorts the records of buf at offs in byTap's order and appends
// them to the temporary file as a run.
func (s *spill) writeRun(buf []byte, offs []spillRef, byTap bool) error {
	if s.file == nil {
		f, err := os.CreateTemp("", "tcplab-streams-*")
		if err != nil {
			return fmt.Errorf("listing: temporary file for stream records: %w", err)
		}
		os.Remove(f.Name()) // unlinked: the system reclaims it when closed
		s.file = f
		s.fw = bufio.NewWriterSize(f, 256<<10)
	}
	sortRecs(buf, offs, byTap, &s.tmp)
	start := s.size
	for _, r := range offs {
		o := r.off
		n := spillHeader + int(binary.LittleEndian.Uint32(buf[o+8:]))
		if _, err := s.fw.Write(buf[o : int(o)+n]); err != nil {
			return fmt.Errorf("listing: writing stream records to %s: %w", s.file.Name(), err)
		}
		s.size += int64(n)
	}
	if err := s.fw.Flush(); err != nil {
		return fmt.Errorf("listing: writing stream records to %s: %w", s.file.Name(), err)
	}
	s.runs = append(s.runs, spillRun{off: start, n: s.size - start})
	return nil
}

// writeTo writes the records to w: in stream order, or by conversation
// table order (most frames first, then stream order) when byTap. It may
// be called more than once.
func (s *spill) writeTo(w io.Writer, byTap bool) error {
	runs := s.runs
	if byTap != s.byTap && len(runs) > 0 {
		// Sort each run again in the other order, appending the new
		// runs to the file.
		var err error
		if runs, err = s.resort(byTap); err != nil {
			return err
		}
	}
	cur := make([]*spillCursor, 0, len(runs)+1)
	bufSize := max(4<<10, min(256<<10, mergeMemory/(len(runs)+1)))
	for _, r := range runs {
		c := &spillCursor{rd: bufio.NewReaderSize(io.NewSectionReader(s.file, r.off, r.n), bufSize), byTap: byTap}
		if err := c.next(); err != nil {
			return err
		}
		if c.rec != nil {
			cur = append(cur, c)
		}
	}
	offs := slices.Clone(s.offs)
	sortRecs(s.mem, offs, byTap, &s.tmp)
	if mc := (&spillCursor{mem: s.mem, offs: offs, byTap: byTap}); mc.next() == nil && mc.rec != nil {
		cur = append(cur, mc)
	}
	h := spillHeap(cur)
	h.init()
	for len(h) > 0 {
		c := h[0]
		if _, err := w.Write(c.rec); err != nil {
			return err
		}
		if err := c.next(); err != nil {
			return err
		}
		if c.rec == nil {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		h.down(0)
	}
	return nil
}

// resort reads each run back, sorts it in byTap's order and appends it
// to the file as a new run; it returns the new runs.
func (s *spill) resort(byTap bool) ([]spillRun, error) {
	var (
		out  []spillRun
		buf  []byte
		offs []spillRef
	)
	saved := s.runs
	defer func() { s.runs = saved }()
	for _, r := range saved {
		buf = slices.Grow(buf[:0], int(r.n))[:r.n]
		if _, err := s.file.ReadAt(buf, r.off); err != nil {
			return nil, fmt.Errorf("listing: reading stream records back at offset %d: %w", r.off, err)
		}
		offs = offs[:0]
		for o := 0; o+spillHeader <= len(buf); o += spillHeader + int(binary.LittleEndian.Uint32(buf[o+8:])) {
			offs = append(offs, spillRef{off: uint32(o)})
		}
		s.runs = nil
		if err := s.writeRun(buf, offs, byTap); err != nil {
			return nil, err
		}
		out = append(out, s.runs[0])
	}
	return out, nil
}

// spillCursor reads the records of one sorted run in order, from the
// temporary file (rd) or from memory (mem at offs).
type spillCursor struct {
	rd    *bufio.Reader
	mem   []byte
	offs  []spillRef
	byTap bool
	buf   []byte
	hdr   [spillHeader]byte
	key   uint64
	rec   []byte // the current record's bytes; nil at the end
}

// next moves to the next record.
func (c *spillCursor) next() error {
	if c.rd == nil {
		if len(c.offs) == 0 {
			c.rec = nil
			return nil
		}
		o, key := c.offs[0].off, c.offs[0].key
		c.offs = c.offs[1:]
		n := binary.LittleEndian.Uint32(c.mem[o+8:])
		c.key = key
		c.rec = c.mem[o+spillHeader : o+spillHeader+n]
		return nil
	}
	hdr := c.hdr[:] // in the cursor: a local array would escape to the heap
	if _, err := io.ReadFull(c.rd, hdr); err != nil {
		if err == io.EOF {
			c.rec = nil
			return nil
		}
		return fmt.Errorf("listing: reading stream records back: %w", err)
	}
	n := binary.LittleEndian.Uint32(hdr[8:])
	c.key = spillKey(hdr, c.byTap)
	c.buf = slices.Grow(c.buf[:0], int(n))[:n]
	if _, err := io.ReadFull(c.rd, c.buf); err != nil {
		return fmt.Errorf("listing: reading stream records back: %w", err)
	}
	c.rec = c.buf
	return nil
}

// spillHeap is a min-heap of cursors by their current key.
type spillHeap []*spillCursor

func (h spillHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h spillHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].key < h[l].key {
			m = r
		}
		if h[i].key <= h[m].key {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// close removes the temporary file, if any.
func (s *spill) close() {
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
}
