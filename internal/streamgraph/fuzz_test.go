package streamgraph

import (
	"encoding/binary"
	"testing"
)

// segmentsFrom makes up to 512 segments from fuzz input, 32 bytes each:
// time step, flags, direction, seq, ack, len, window, a SACK block and
// analysis flags.
func segmentsFrom(data []byte) []Segment {
	var segs []Segment
	var t int64
	for i := 0; i+32 <= len(data) && len(segs) < 512; i += 32 {
		d := data[i : i+32]
		t += int64(binary.LittleEndian.Uint32(d[0:]) % 50_000_000)
		s := Segment{
			Frame: uint32(len(segs) + 1), Time: t,
			Flags: binary.LittleEndian.Uint16(d[4:]) & 0x0fff, FromServer: d[6]&1 != 0,
			Seq: binary.LittleEndian.Uint32(d[8:]), Ack: binary.LittleEndian.Uint32(d[12:]),
			Len: uint32(binary.LittleEndian.Uint16(d[16:])), Win: binary.LittleEndian.Uint32(d[18:]) % (1 << 30),
			BytesInFlight: uint32(binary.LittleEndian.Uint16(d[22:])),
		}
		if n := d[7] % 5; n > 0 {
			for j := range n {
				s.SACK[j] = Block{binary.LittleEndian.Uint32(d[24:]) + uint32(j)*3000, binary.LittleEndian.Uint32(d[28:]) + uint32(j)*3000}
			}
			s.NSACK = n % (MaxSACK + 1)
		}
		s.Analysis = 1 << (d[6] >> 4)
		segs = append(segs, s)
	}
	return segs
}

// FuzzBuild builds every graph, both ways, from made-up segments: no
// input panics, every point names a frame of the input, and the
// reducer keeps every retransmission.
func FuzzBuild(f *testing.F) {
	f.Add([]byte{})                                   // no segment
	f.Add(make([]byte, 32))                           // one zero segment
	f.Add(make([]byte, 32*40))                        // forty identical segments
	f.Add([]byte("0123456789abcdef0123456789abcdef" + // two unrelated segments with SACK blocks
		"fedcba9876543210fedcba9876543210"))
	f.Fuzz(func(t *testing.T, data []byte) {
		segs := segmentsFrom(data)
		for _, k := range Kinds {
			for _, d := range []Dir{ClientToServer, ServerToClient} {
				g, err := Build(segs, k, Options{Dir: d})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range g.Series {
					var marks int
					for _, p := range s.Points {
						if p.Frame < 1 || int(p.Frame) > len(segs) || p.Ref > uint32(len(segs)) {
							t.Fatalf("%v %s: point %+v names no input frame", k, s.Name, p)
						}
						if p.Mark != 0 {
							marks++
						}
					}
					r := ReducePoints(s.Points, 5)
					var kept int
					for _, p := range r {
						if p.Mark != 0 {
							kept++
						}
					}
					if kept != marks {
						t.Fatalf("%v %s: reduced to %d of %d retransmissions", k, s.Name, kept, marks)
					}
				}
			}
		}
	})
}
