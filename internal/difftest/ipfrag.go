package difftest

import (
	"encoding/binary"
	"math/rand/v2"
)

// IP fragments: a segment's IP packet split into fragments (IPv4, or an
// IPv6 fragment header), sometimes sent last first or shuffled, and
// sometimes with a fragment the capture never saw (the segment is then
// missing for both tools, and its other fragments are frames tcplab
// counts as not analysed).

// fragPlan is how often a capture's segments are fragmented.
type fragPlan struct {
	rate    float64 // segments fragmented
	lose    float64 // fragmented segments one of whose fragments is missing
	shuffle float64 // fragmented segments whose fragments come out of order
}

// pickFrag picks a capture's fragmentation.
func pickFrag(r *rand.Rand) fragPlan {
	return fragPlan{rate: pick(r, []float64{0, 0, 0, 0.01, 0.05, 0.2}), lose: pick(r, []float64{0, 0.05, 0.2}), shuffle: pick(r, []float64{0, 0.2, 0.5})}
}

// fragment splits the IP packet ip (header hl bytes) into fragments of at
// most size payload bytes (a multiple of 8), with identification id.
func fragment(ip []byte, hl, size int, id uint32) [][]byte {
	v6 := ip[0]>>4 == 6
	hdr, payload := ip[:hl], ip[hl:]
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		more := end < len(payload)
		var f []byte
		if v6 {
			fh := []byte{hdr[6], 0, 0, 0, 0, 0, 0, 0}
			binary.BigEndian.PutUint16(fh[2:], uint16(off/8)<<3)
			if more {
				fh[3] |= 1
			}
			binary.BigEndian.PutUint32(fh[4:], id)
			f = append(append(append([]byte(nil), hdr...), fh...), payload[off:end]...)
			f[6] = 44
			binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
		} else {
			h := hdr
			if off > 0 {
				h = append(append([]byte(nil), hdr[:20]...), copiedOptions(hdr[20:])...)
				h[0] = 0x40 | byte(len(h)/4)
			}
			f = append(append([]byte(nil), h...), payload[off:end]...)
			binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
			binary.BigEndian.PutUint16(f[4:], uint16(id))
			fo := uint16(off / 8)
			if more {
				fo |= 0x2000
			}
			binary.BigEndian.PutUint16(f[6:], fo)
			f[10], f[11] = 0, 0
			binary.BigEndian.PutUint16(f[10:], fold(sum16(f[:len(h)], 0)))
		}
		out = append(out, f)
	}
	return out
}

// fragments returns the IP packet ip (header hl bytes) as the capture saw
// it: whole, or as fragments in the order captured. complete is false
// when a fragment is missing.
func (en *encoder) fragments(ip []byte, hl int) (frags [][]byte, complete bool) {
	r, fp := en.r, en.frag
	if len(ip)-hl < 48 || r.Float64() >= fp.rate {
		return [][]byte{ip}, true
	}
	size := 8 * (3 + r.IntN((len(ip)-hl)/8-3)) // 24 bytes at least, two fragments at least
	size = min(size, pick(r, []int{24, 48, 64, 512, 1280}))
	en.fragID++
	frags = fragment(ip, hl, size, en.fragID)
	if r.Float64() < fp.shuffle {
		if r.IntN(2) == 0 {
			for a, b := 0, len(frags)-1; a < b; a, b = a+1, b-1 {
				frags[a], frags[b] = frags[b], frags[a]
			}
		} else {
			r.Shuffle(len(frags), func(i, j int) { frags[i], frags[j] = frags[j], frags[i] })
		}
	}
	if r.Float64() < fp.lose {
		i := r.IntN(len(frags))
		return append(frags[:i], frags[i+1:]...), false
	}
	return frags, true
}
