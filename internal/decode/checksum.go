package decode

import "encoding/binary"

// ChecksumStatus is the outcome of verifying a TCP checksum.
type ChecksumStatus uint8

// The checksum outcomes. The zero value is ChecksumUnverified.
const (
	// ChecksumUnverified: the segment was not captured whole (snap
	// length, fragment, no valid TCP header), so the sum cannot be
	// computed.
	ChecksumUnverified ChecksumStatus = iota
	// ChecksumGood: the field holds the correct checksum.
	ChecksumGood
	// ChecksumBad: the field holds neither the checksum nor a
	// pseudo-header sum.
	ChecksumBad
	// ChecksumPartial: the field holds only the folded sum of the
	// pseudo-header (or its complement), as left by a sender that offloads
	// the checksum to the NIC (Linux CHECKSUM_PARTIAL). Every segment
	// captured on Linux loopback looks like this, because no NIC ever
	// completes it.
	ChecksumPartial
)

func (s ChecksumStatus) String() string {
	switch s {
	case ChecksumUnverified:
		return "unverified"
	case ChecksumGood:
		return "good"
	case ChecksumBad:
		return "bad"
	case ChecksumPartial:
		return "partial"
	}
	return "invalid"
}

// TCPChecksum verifies the TCP checksum over the pseudo-header (RFC 9293
// section 3.1; RFC 8200 section 8.1 for IPv6) and the whole segment. It
// returns the status and the value the checksum field should hold (0 when
// unverified). It does not allocate.
//
// For IPv6 with a routing header, the pseudo-header uses the destination
// address of the IPv6 header, not the final destination. Like Wireshark,
// it verifies a segment shorter than its header when the IP payload
// holds the checksum field.
func (p *Packet) TCPChecksum() (ChecksumStatus, uint16) {
	if p.Proto != ProtoTCP || p.Fragment || p.IPVersion == 0 || p.TCP.HeaderLen() < 20 ||
		p.SegmentLen < 18 || len(p.TCP) < p.SegmentLen || (p.IPVersion == 4 && p.SegmentLen > 0xffff) {
		return ChecksumUnverified, 0
	}
	var pseudo uint64
	if p.IPVersion == 4 {
		s, d := p.Src.As4(), p.Dst.As4()
		pseudo = uint64(binary.BigEndian.Uint32(s[:])) + uint64(binary.BigEndian.Uint32(d[:]))
	} else {
		s, d := p.Src.As16(), p.Dst.As16()
		pseudo = sum(s[:], 0)
		pseudo = sum(d[:], pseudo)
	}
	pseudo += uint64(ProtoTCP) + uint64(p.SegmentLen)
	pf := fold(pseudo)
	total := fold(sum(p.TCP[:p.SegmentLen], pseudo))
	field := p.TCP.Checksum()
	// The sum without the field: subtract it in ones' complement.
	want := ^fold(uint64(total) + uint64(^field))
	if total == 0xffff {
		return ChecksumGood, want
	}
	if sameSum(field, pf) || sameSum(field, ^pf) {
		return ChecksumPartial, want
	}
	return ChecksumBad, want
}

// sameSum reports whether a and b are the same ones' complement number
// (0x0000 and 0xffff are both zero).
func sameSum(a, b uint16) bool {
	return a == b || (a == 0 || a == 0xffff) && (b == 0 || b == 0xffff)
}

// sum adds b as big-endian 16-bit words to acc, padding an odd final byte
// with zero (RFC 1071). It reads four bytes at a time into a 64-bit
// accumulator, which cannot overflow for any frame.
func sum(b []byte, acc uint64) uint64 {
	for len(b) >= 16 {
		acc += uint64(binary.BigEndian.Uint32(b)) + uint64(binary.BigEndian.Uint32(b[4:])) +
			uint64(binary.BigEndian.Uint32(b[8:])) + uint64(binary.BigEndian.Uint32(b[12:]))
		b = b[16:]
	}
	for len(b) >= 4 {
		acc += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

// fold reduces a 64-bit accumulator to a 16-bit ones' complement sum.
func fold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return uint16(acc)
}
