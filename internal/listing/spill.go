package listing

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
)

// spillMemory is how many bytes of finished records a spill holds in
// memory before moving them to a temporary file.
const spillMemory = 8 << 20

// spill keeps one formatted record per stream (its ndjson line or its
// conversation-table row) from when the stream ends until the end of the
// capture, when they are written in order. Records beyond spillMemory go
// to a temporary file, so that memory stays flat however many
// conversations a capture holds: 16 bytes per stream remain in memory.
type spill struct {
	mem      []byte
	memStart int64 // offset of mem[0] in the record space
	file     *os.File
	recs     []spillRec // by stream index
}

type spillRec struct {
	off  int64
	n    uint32
	tap  uint32 // the stream's frames in the conversation table (sort key)
	used bool
}

// put stores the record b of stream idx.
func (s *spill) put(idx uint32, tap uint64, b []byte) error {
	if int(idx) >= len(s.recs) {
		s.recs = append(s.recs, make([]spillRec, int(idx)+1-len(s.recs))...)
	}
	s.recs[idx] = spillRec{off: s.memStart + int64(len(s.mem)), n: uint32(len(b)), tap: uint32(min(tap, 1<<32-1)), used: true}
	s.mem = append(s.mem, b...)
	if len(s.mem) < spillMemory {
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "tcplab-streams-*")
		if err != nil {
			return fmt.Errorf("listing: temporary file for stream records: %w", err)
		}
		os.Remove(f.Name()) // unlinked: the system reclaims it when closed
		s.file = f
	}
	if _, err := s.file.Write(s.mem); err != nil {
		return fmt.Errorf("listing: writing stream records to %s: %w", s.file.Name(), err)
	}
	s.memStart += int64(len(s.mem))
	s.mem = s.mem[:0]
	return nil
}

// writeTo writes the records to w: in stream order, or by conversation
// table order (most frames first, then stream order) when byTap.
func (s *spill) writeTo(w io.Writer, byTap bool) error {
	order := make([]uint32, 0, len(s.recs))
	for i, r := range s.recs {
		if r.used {
			order = append(order, uint32(i))
		}
	}
	if byTap {
		slices.SortStableFunc(order, func(a, b uint32) int { return cmp.Compare(s.recs[b].tap, s.recs[a].tap) })
	}
	var buf []byte
	for _, i := range order {
		r := s.recs[i]
		if r.off >= s.memStart {
			if _, err := w.Write(s.mem[r.off-s.memStart : r.off-s.memStart+int64(r.n)]); err != nil {
				return err
			}
			continue
		}
		buf = slices.Grow(buf[:0], int(r.n))[:r.n]
		if _, err := s.file.ReadAt(buf, r.off); err != nil {
			return fmt.Errorf("listing: reading stream records back: %w", err)
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// close removes the temporary file, if any.
func (s *spill) close() {
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
}
