package impair

import "encoding/binary"

// The ECN codepoints of RFC 3168, section 5: the low two bits of the IPv4
// TOS byte or the IPv6 traffic class.
const (
	ecnNotECT = 0b00
	ecnECT1   = 0b01
	ecnECT0   = 0b10
	ecnCE     = 0b11
)

// ipHeader returns the IP header of an Ethernet frame (after any 802.1Q or
// 802.1ad tags) and its version, or 0 when the frame carries no complete IP
// header.
func ipHeader(frame []byte) ([]byte, int) {
	off := 12
	for {
		if len(frame) < off+2 {
			return nil, 0
		}
		switch binary.BigEndian.Uint16(frame[off:]) {
		case 0x8100, 0x88a8: // VLAN tag: skip its TCI
			off += 4
			continue
		case 0x0800:
			ip := frame[off+2:]
			if len(ip) < 20 || ip[0]>>4 != 4 {
				return nil, 0
			}
			ihl := int(ip[0]&0x0f) * 4
			if ihl < 20 || len(ip) < ihl {
				return nil, 0
			}
			return ip[:ihl], 4
		case 0x86dd:
			ip := frame[off+2:]
			if len(ip) < 40 || ip[0]>>4 != 6 {
				return nil, 0
			}
			return ip[:40], 6
		}
		return nil, 0
	}
}

// ecnOf returns the ECN field of an IP header of the given version.
func ecnOf(ip []byte, version int) byte {
	if version == 4 {
		return ip[1] & 0b11
	}
	return (ip[1] >> 4) & 0b11 // traffic class straddles bytes 0 and 1
}

// isECT reports whether frame is an IP packet marked ECT(0) or ECT(1).
func isECT(frame []byte) bool {
	ip, v := ipHeader(frame)
	if v == 0 {
		return false
	}
	e := ecnOf(ip, v)
	return e == ecnECT0 || e == ecnECT1
}

// markCE sets the ECN field of an ECT IP packet to CE, as a congested
// router would (RFC 3168, section 5), and fixes the IPv4 header checksum.
// It reports whether it changed the frame.
func markCE(frame []byte) bool {
	ip, v := ipHeader(frame)
	if v == 0 {
		return false
	}
	if e := ecnOf(ip, v); e != ecnECT0 && e != ecnECT1 {
		return false
	}
	if v == 6 {
		ip[1] |= ecnCE << 4
		return true
	}
	ip[1] |= ecnCE
	binary.BigEndian.PutUint16(ip[10:], 0)
	binary.BigEndian.PutUint16(ip[10:], ipv4Checksum(ip))
	return true
}

// ipv4Checksum returns the Internet checksum (RFC 1071) of an IPv4 header
// whose checksum field is zero.
func ipv4Checksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
