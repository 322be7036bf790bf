package difftest

import "encoding/binary"

// synOptions returns the options of a SYN offering o: MSS, SACK
// permitted, timestamps, window scale, NOP-padded to 4 bytes.
func synOptions(o synOpts, tsval, tsecr uint32) []byte {
	b := []byte{2, 4, byte(o.mss >> 8), byte(o.mss)}
	if o.sack {
		b = append(b, 4, 2)
	}
	if o.ts {
		b = append(b, tsBytes(tsval, tsecr)...)
	}
	if o.shift >= 0 {
		b = append(b, 1, 3, 3, byte(o.shift))
	}
	for len(b)%4 != 0 {
		b = append([]byte{1}, b...)
	}
	return b
}

// tsBytes is a timestamps option.
func tsBytes(tsval, tsecr uint32) []byte {
	b := []byte{8, 10}
	b = binary.BigEndian.AppendUint32(b, tsval)
	return binary.BigEndian.AppendUint32(b, tsecr)
}

// tsOption is NOP, NOP, timestamps.
func tsOption(tsval, tsecr uint32) []byte {
	return append([]byte{1, 1}, tsBytes(tsval, tsecr)...)
}

// sackOption is NOP, NOP, SACK with the first blocks of ooo: 3 at most
// next to timestamps, else 4.
func sackOption(ooo []span, ts bool) []byte {
	n := min(len(ooo), 4)
	if ts {
		n = min(n, 3)
	}
	b := []byte{1, 1, 5, byte(2 + 8*n)}
	for _, sp := range ooo[:n] {
		b = binary.BigEndian.AppendUint32(b, sp.lo)
		b = binary.BigEndian.AppendUint32(b, sp.hi)
	}
	return b
}

// tsval returns the TSval of seg's timestamps option, or def.
func (seg Segment) tsval(def uint32) uint32 {
	o := seg.Opts
	for len(o) > 0 {
		switch o[0] {
		case 0:
			return def
		case 1:
			o = o[1:]
			continue
		}
		if len(o) < 2 || int(o[1]) < 2 || int(o[1]) > len(o) {
			return def
		}
		if o[0] == 8 && o[1] == 10 {
			return binary.BigEndian.Uint32(o[2:])
		}
		o = o[o[1]:]
	}
	return def
}
