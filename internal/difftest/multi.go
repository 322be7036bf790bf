package difftest

import (
	"encoding/binary"
	"slices"
	"strconv"

	"github.com/tcplab/tcplab/internal/decode"
)

// Candidates of a shrink run together: each candidate's frames get ports
// of their own (both shifted by the candidate's number, checksums
// adjusted) and follow the previous candidate's after a gap, so that one
// tshark run analyses them all as separate conversations.

// candidateGap separates the candidates in time (ns).
const candidateGap = 100e9

// first returns the index of the first candidate that shows a difference
// of the shrinker's kind, or -1.
func (sh *shrinker) first(cands [][]Frame) (int, error) {
	if len(cands) == 0 {
		return -1, nil
	}
	if sh.single && len(cands) > 1 {
		for i, c := range cands {
			if k, err := sh.first([][]Frame{c}); err != nil || k >= 0 {
				return i, err
			}
		}
		return -1, nil
	}
	sh.runs++
	all, ends := sh.combine(cands)
	if err := WriteFile(sh.file, sh.small, all); err != nil {
		return -1, err
	}
	diffs, want, err := compareFile(sh.file, sh.skip)
	if err != nil {
		return -1, err
	}
	return sh.locate(diffs, want, ends), nil
}

// combine puts the candidates one after the other, each on its own
// ports, and returns the frames and one past each candidate's last frame
// number.
func (sh *shrinker) combine(cands [][]Frame) ([]Frame, []int) {
	var all []Frame
	var ends []int
	at := int64(1_600_000_000e9)
	for k, cand := range cands {
		for _, f := range cand {
			g := f
			g.TS = at + f.TS - cand[0].TS
			g.Data = shiftPorts(sh.small.Link, f.Data, uint16(k))
			all = append(all, g)
		}
		if len(all) > 0 {
			at = all[len(all)-1].TS + candidateGap
		}
		ends = append(ends, len(all)+1)
	}
	return all, ends
}

// locate returns the first candidate with a difference of the
// shrinker's kind, or -1.
func (sh *shrinker) locate(diffs []Diff, want *Result, ends []int) int {
	best := -1
	for _, d := range diffs {
		if d.Kind() != sh.kind {
			continue
		}
		frame := d.Frame
		if frame == 0 {
			frame = streamFirstFrame(want, d.Stream)
		}
		k, _ := slices.BinarySearch(ends, frame+1)
		if best < 0 || k < best {
			best = k
		}
	}
	return best
}

// streamFirstFrame returns the first frame of stream in tshark's result.
func streamFirstFrame(res *Result, stream int) int {
	first := 0
	for frame, rec := range res.Packets {
		if rec["stream"] == strconv.Itoa(stream) && (first == 0 || frame < first) {
			first = frame
		}
	}
	return first
}

// shiftPorts returns a copy of frame with both TCP ports increased by k
// and the TCP checksum adjusted to match (RFC 1624), so that a wrong one
// stays as wrong. The TCP header is wherever the decoder finds it, in a
// tunnel or a first IP fragment; a frame without one is left as it is.
func shiftPorts(link decode.LinkType, frame []byte, k uint16) []byte {
	data := slices.Clone(frame)
	if k == 0 {
		return data
	}
	var p decode.Packet
	err := decode.Decode(link, data, &p)
	off := p.TCPOffset
	switch {
	case p.Fragment && p.FragmentOffset == 0 && p.IPPayload != nil:
		off = cap(data) - cap(p.IPPayload)
	case off == 0 || (err != nil && p.TCP == nil):
		return data
	}
	if len(data) < off+18 {
		return data
	}
	ck := uint32(^binary.BigEndian.Uint16(data[off+16:]))
	for _, p := range []int{off, off + 2} {
		old := binary.BigEndian.Uint16(data[p:])
		ck += uint32(^old) + uint32(old+k)
		binary.BigEndian.PutUint16(data[p:], old+k)
	}
	binary.BigEndian.PutUint16(data[off+16:], fold(ck))
	return data
}
